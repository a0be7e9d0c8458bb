"""The rules in a process beside the model: the same extractions as in one process, and none lost when that
process dies."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from recoupe.nlp.beside import BESIDE_CHUNK
from recoupe.nlp.extract import BESIDE_MIN, Extractor
from recoupe.nlp.gold import read_gold

GOLD_DEV = Path(__file__).resolve().parents[1] / "fixtures" / "gold_dev.jsonl"


@pytest.fixture(scope="module")
def logs() -> list[tuple[str, str, datetime]]:
    return [(g["id"], g["text"], datetime.fromisoformat(g["reported_at"])) for g in read_gold(GOLD_DEV)][:150]


@pytest.fixture(scope="module")
def alone(logs: list[tuple[str, str, datetime]]) -> list[dict[str, object]]:
    """The extractions with every rule applied in this process."""
    return [e.as_gold() for e in Extractor(rules_beside=False).extract(logs)]


def worker_pids(extractor: Extractor) -> list[int]:
    assert extractor._beside is not None
    return list(extractor._beside._processes)  # type: ignore[attr-defined]


def test_the_process_beside_gives_the_same_extractions(
    logs: list[tuple[str, str, datetime]], alone: list[dict[str, object]]
) -> None:
    extractor = Extractor()
    assert extractor.rules_beside  # this machine has two cores or more
    assert [e.as_gold() for e in extractor.extract(logs)] == alone
    # the process beside starts idle: it takes the first chunk whole, the model's pass included
    assert BESIDE_CHUNK <= extractor.read_beside < len(logs)
    pids = worker_pids(extractor)
    assert len(pids) == 1 and pids[0] != os.getpid()
    again = [e.as_gold() for e in extractor.extract(logs[:BESIDE_MIN])]  # the same process, reused
    assert again == alone[:BESIDE_MIN] and worker_pids(extractor) == pids
    extractor.close()
    assert extractor._beside is None
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_a_short_call_stays_in_this_process(logs: list[tuple[str, str, datetime]]) -> None:
    extractor = Extractor()
    assert len(list(extractor.extract(logs[: BESIDE_MIN - 1]))) == BESIDE_MIN - 1
    assert extractor._beside is None


def test_a_killed_process_loses_nothing(
    logs: list[tuple[str, str, datetime]], alone: list[dict[str, object]], caplog: pytest.LogCaptureFixture
) -> None:
    extractor = Extractor()
    results = extractor.extract(logs)
    first = [next(results).as_gold()]
    os.kill(worker_pids(extractor)[0], signal.SIGKILL)
    with caplog.at_level(logging.WARNING, logger="recoupe.nlp.extract"):
        rest = [e.as_gold() for e in results]
    assert first + rest == alone
    assert "the rules run here instead" in caplog.text
    assert extractor._beside is None
    # the next long call forks a new process
    assert [e.as_gold() for e in extractor.extract(logs[:BESIDE_MIN])] == alone[:BESIDE_MIN]
    assert extractor._beside is not None
    extractor.close()


def test_the_process_beside_ends_with_a_parent_killed_with_9(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys, time\n"
        "from datetime import datetime\n"
        "from recoupe.nlp.extract import BESIDE_MIN, Extractor\n"
        "at = datetime.fromisoformat('2025-06-01T10:00:00+02:00')\n"
        "extractor = Extractor()\n"
        "list(extractor.extract([(str(i), 'Vol de vélo rue Paradis.', at) for i in range(BESIDE_MIN)]))\n"
        "print(next(iter(extractor._beside._processes)), flush=True)\n"
        "time.sleep(300)\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # alive
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the rules' process outlived its parent killed with -9")
