"""The ingestion journal (recoupe/ingest/journal.py): whole lines appended to a 0600 file in the data
directory, read back latest first, a torn last line skipped, a long journal read from its tail only."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recoupe.ingest import journal
from recoupe.ingest.pipeline import IngestSummary

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def summary(name: str, read: int, rejected: int) -> IngestSummary:
    s = IngestSummary(f"/srv/private/{name}", read=read, created=read - rejected, rejected=rejected)
    if rejected:
        s.reasons = {"unreadable date": rejected}
        s.rejects_file = f"/srv/private/{name}.rejects.csv"
    return s


def test_entries_come_back_latest_first_with_names_not_paths(tmp_path: Path) -> None:
    journal.record(tmp_path, "cameras", summary("cameras.csv", 300, 0), at=T0)
    journal.record(tmp_path, "logs", summary("logs.csv", 1000, 3), at=T0 + timedelta(hours=1))
    assert stat.S_IMODE((tmp_path / journal.FILE).stat().st_mode) == 0o600
    latest = journal.latest(tmp_path)
    assert [(e["kind"], e["file"], e["read"], e["rejected"]) for e in latest] == [
        ("logs", "logs.csv", 1000, 3), ("cameras", "cameras.csv", 300, 0)]  # fmt: skip
    assert latest[0]["at"] == T0 + timedelta(hours=1) and latest[0]["reasons"] == {"unreadable date": 3}
    assert latest[0]["rejects_file"] == "logs.csv.rejects.csv"
    assert "/srv/private" not in (tmp_path / journal.FILE).read_text(encoding="utf-8")
    assert journal.latest(tmp_path, 1) == latest[:1]


def test_no_journal_is_no_entry_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    assert journal.latest(tmp_path) == []
    journal.record(tmp_path, "logs", summary("a.csv", 10, 0), at=T0)
    with open(tmp_path / journal.FILE, "a", encoding="utf-8") as fh:
        fh.write('{"at": "2026-03-01T09:00:00+00:00", "kind": "lo')  # a crash in the middle of a write
    assert [e["file"] for e in journal.latest(tmp_path)] == ["a.csv"]


def test_a_long_journal_is_read_from_its_tail(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(journal, "TAIL_BYTES", 1000)  # a few entries' worth
    for n in range(50):
        journal.record(tmp_path, "logs", summary(f"f{n:02d}.csv", n, 0), at=T0 + timedelta(minutes=n))
    latest = journal.latest(tmp_path, 3)
    assert [e["file"] for e in latest] == ["f49.csv", "f48.csv", "f47.csv"]
    assert all(e["read"] == int(e["file"][1:3]) for e in latest)
