"""The viewer's short-lived cache of graph reads (recoupe/web/cache.py): expiry, one read for concurrent misses,
a bounded size, off at 0; the answers the workers of `recoupe serve` share (recoupe/web/shared_cache.py) — and,
through the real app on the API tests' city, that a repeated read is served
from memory and that the app's own write (a citizen report) empties it.
"""

from __future__ import annotations

import logging
import sqlite3
import stat
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from recoupe.web.cache import Cache
from recoupe.web.shared_cache import SharedAnswers, remove, shared_key
from tests.web import test_api
from tests.web.test_api import City

city = test_api.city


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_time_then_read_again() -> None:
    clock, reads = Clock(), []
    cache = Cache(10.0, clock=clock)

    def read() -> int:
        reads.append(clock.now)
        return len(reads)

    assert [cache.get("k", read) for _ in range(3)] == [1, 1, 1]
    clock.now += 9.9
    assert cache.get("k", read) == 1
    clock.now += 0.1  # exactly ttl seconds after the read: stale
    assert cache.get("k", read) == 2
    assert reads == [1000.0, 1010.0] and (cache.hits, cache.misses) == (3, 2)


def test_zero_seconds_turns_it_off() -> None:
    cache, reads = Cache(0.0), []
    for _ in range(3):
        cache.get("k", lambda: reads.append(1))
    assert len(reads) == 3


def test_concurrent_misses_make_one_read() -> None:
    cache, reads, started = Cache(10.0), [], threading.Event()

    def slow() -> str:
        reads.append(1)
        started.set()
        time.sleep(0.3)
        return "value"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["value"] * 8 and len(reads) == 1


def test_while_an_expired_value_is_read_again_the_others_get_the_last_one() -> None:
    clock = Clock()
    cache = Cache(10.0, clock=clock)
    assert cache.get("k", lambda: "old") == "old"
    clock.now += 11  # expired
    reading, release = threading.Event(), threading.Event()

    def slow() -> str:
        reading.set()
        release.wait(10)
        return "new"

    refresher = threading.Thread(target=lambda: cache.get("k", slow))
    refresher.start()
    assert reading.wait(10)
    assert cache.get("k", lambda: "never") == "old" and cache.stale == 1  # no wait behind the read
    release.set()
    refresher.join(10)
    assert cache.get("k", lambda: "never") == "new"


def test_a_failed_read_is_not_kept_and_does_not_block_the_key() -> None:
    cache = Cache(10.0)

    def broken() -> str:
        raise RuntimeError("graph down")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            cache.get("k", broken)
    assert cache.get("k", lambda: "back") == "back"


def test_the_oldest_entries_go_first_beyond_the_bound() -> None:
    cache = Cache(10.0, max_entries=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 0)  # a used again: b is now the oldest
    cache.get("c", lambda: 3)
    assert cache.get("a", lambda: -1) == 1 and cache.get("b", lambda: -2) == -2


def workers(path: Path, n: int, clock: Clock, wall: Clock) -> list[Cache]:
    """`n` caches on one shared file, as `recoupe serve`'s worker processes have (the file made by the master)."""
    SharedAnswers.create(path)
    return [Cache(10.0, clock=clock, shared=SharedAnswers(path), wall=wall) for _ in range(n)]


def test_workers_share_finished_answers_until_they_expire(tmp_path: Path) -> None:
    clock, wall, reads = Clock(), Clock(), []
    wall.now = 1_700_000_000.0
    first, second = workers(tmp_path / "run" / "viewer-cache.sqlite", 2, clock, wall)

    def read() -> bytes:
        reads.append(wall.now)
        return b'{"items":[%d]}' % len(reads)

    assert first.get(("json", ("incidents", "2025-06-01", None, 0, 500)), read) == b'{"items":[1]}'
    clock.now, wall.now = clock.now + 4, wall.now + 4
    # the other worker: not read again, and kept until the first read's expiry (6 s from now, not 10)
    assert second.get(("json", ("incidents", "2025-06-01", None, 0, 500)), read) == b'{"items":[1]}'
    assert (second.shared_hits, second.misses, len(reads)) == (1, 0, 1)
    clock.now, wall.now = clock.now + 5.9, wall.now + 5.9
    assert second.get(("json", ("incidents", "2025-06-01", None, 0, 500)), read) == b'{"items":[1]}'
    clock.now, wall.now = clock.now + 0.1, wall.now + 0.1  # 10 s after the read: expired everywhere
    assert second.get(("json", ("incidents", "2025-06-01", None, 0, 500)), read) == b'{"items":[2]}'
    assert first.get(("json", ("incidents", "2025-06-01", None, 0, 500)), read) == b'{"items":[2]}'
    assert len(reads) == 2 and first.shared_hits == 1
    page = second.get(("incident-page", "T:A", True, False), lambda: "<h1>T:A</h1>")
    assert first.get(("incident-page", "T:A", True, False), lambda: "never") == page == "<h1>T:A</h1>"


def test_only_answers_under_plain_keys_are_shared(tmp_path: Path) -> None:
    clock, wall = Clock(), Clock()
    first, second = workers(tmp_path / "viewer-cache.sqlite", 2, clock, wall)
    first.get(("incident", "T:A"), lambda: {"facts": {"id": "T:A"}})  # an object: this process only
    first.get(("json", object()), lambda: b"[]")  # a key without a stable name: this process only
    with sqlite3.connect(tmp_path / "viewer-cache.sqlite") as db:
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (0,)
    assert second.get(("incident", "T:A"), lambda: "read again") == "read again"
    assert shared_key(("json", ("incidents", date(2025, 6, 1), 2.5, True, None))) == (
        "('json', ('incidents', datetime.date(2025, 6, 1), 2.5, True, None))"
    )
    assert shared_key(("json", [1, 2])) is None


def test_a_write_empties_every_workers_shared_answers(tmp_path: Path) -> None:
    clock, wall = Clock(), Clock()
    first, second, third = workers(tmp_path / "viewer-cache.sqlite", 3, clock, wall)
    first.get("cameras", lambda: b"old")
    assert second.get("cameras", lambda: b"never") == b"old"
    second.clear()  # second wrote to the graph (a citizen report)
    assert second.get("cameras", lambda: b"new") == b"new"
    assert third.get("cameras", lambda: b"never") == b"new"
    assert first.get("cameras", lambda: b"never") == b"old"  # its own memory: follows within the delay


def test_expired_answers_leave_the_file_at_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "viewer-cache.sqlite"
    clock, wall = Clock(), Clock()
    (first,) = workers(path, 1, clock, wall)
    first.get("a", lambda: "kept for 10 s")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.shared is not None and first.shared.get("'a'", wall.now + 10) is None  # never read expired
    clock.now, wall.now = clock.now + 11, wall.now + 11
    first.get("b", lambda: "later")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT key FROM answers").fetchall() == [("'b'",)]


def test_a_failing_file_fails_no_request(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "viewer-cache.sqlite"
    clock, wall = Clock(), Clock()
    workers(path, 1, clock, wall)
    later = Cache(10.0, clock=clock, shared=SharedAnswers(path), wall=wall)
    remove(path)  # the server stopped while a worker was still answering
    with caplog.at_level(logging.WARNING, logger="recoupe.web.shared_cache"):
        assert later.get("a", lambda: b"from the graph") == b"from the graph"
        assert later.get("b", lambda: b"again") == b"again"
    assert not path.exists()  # never created by a worker
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [f"the shared cache {path} failed"]


def test_the_app_serves_a_repeated_read_from_memory_until_it_writes(city: City) -> None:
    client: FlaskClient = city.app.test_client()
    cache: Cache = city.app.extensions["recoupe.cache"]
    assert cache.ttl_s == 10.0  # the default: the tests run the production path
    cache.clear()
    misses = cache.misses
    first = test_api.get(client, city, "/api/incidents/T:A", role="analyst")
    again = test_api.get(client, city, "/api/incidents/T:A", role="analyst")
    assert again == first and cache.misses == misses + 1
    # the role's filter runs on every request, after the cache: a viewer never sees the persons kept there
    shown = test_api.get(client, city, "/api/incidents/T:A", role="viewer")
    assert {m["label"] for m in first["mentions"]} >= {"Person", "Plate"}
    assert "Person" not in {m["label"] for m in shown["mentions"]} and cache.misses == misses + 1

    body = {
        "id": "cache-1",
        "text": "Vol d'un vélo rue Paradis vers 10h.",
        "reported_at": "2025-06-02T11:00:00+02:00",
    }
    test_api.post(client, city, "/api/reports", body, role="investigator", status=201)
    assert len(cache._entries) == 0  # the app wrote to the graph: nothing stale is served
    listed = test_api.get(client, city, "/api/incidents?source=citizen", role="viewer")
    assert "citizen:cache-1" in [i["id"] for i in listed["items"]]
