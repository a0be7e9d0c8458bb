"""The ingestion journal: one JSON line per file loaded (`recoupe ingest …`, the demo), in
RECOUPE_HOME/ingestions.jsonl (mode 0600), so that the dashboard can show the last loads with their rejects.

It is an operational record, apart from the graph (which keeps no rejected row): when, what kind, which
file (its name, not its path), how many rows were read, created, updated, unchanged and rejected, the reasons
of the rejects and the name of the rejects file beside the input. Appends are whole lines, flushed to disk;
a line that cannot be read (a crash mid-write) is skipped when reading.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE = "ingestions.jsonl"
TAIL_BYTES = 256 * 1024  # the latest entries are at the end: read no more than this of a long journal
log = logging.getLogger(__name__)


def record(home: Path, kind: str, summary: Any, at: datetime | None = None) -> dict[str, Any]:
    """Append the summary of one loaded file (an IngestSummary or a layer's summary) and return the entry."""
    rejects = getattr(summary, "rejects_file", None)
    entry = {
        "at": (at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "kind": kind,
        "file": Path(summary.file).name,
        **{name: int(getattr(summary, name, 0)) for name in ("read", "created", "updated", "unchanged",
                                                              "rejected")},
        "reasons": dict(getattr(summary, "reasons", {}) or {}),
        "rejects_file": Path(rejects).name if rejects else None,
    }  # fmt: skip
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def latest(home: Path, count: int = 10) -> list[dict[str, Any]]:
    """The last `count` entries, latest first; none when there is no journal yet."""
    path = home / FILE
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    except FileNotFoundError:
        return []
    lines = tail.split(b"\n")
    if len(tail) < size:
        lines = lines[1:]  # the first line read may be cut
    entries: list[dict[str, Any]] = []
    for line in reversed(lines):
        if len(entries) == count:
            break
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            entry["at"] = datetime.fromisoformat(entry["at"])
        except (ValueError, KeyError, TypeError):
            log.warning("%s: an unreadable line skipped", path)
            continue
        entries.append(entry)
    return entries
