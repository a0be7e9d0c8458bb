"""Log readers: CSV with ',' or ';', BOM, Windows-1252, JSONL, French dates; bad rows rejected with a reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from recoupe.ingest.readers import LogRow, Rejected, read_logs
from recoupe.ontology.errors import IngestError


def test_semicolons_bom_and_french_dates(tmp_path: Path) -> None:
    path = tmp_path / "logs.csv"
    path.write_bytes("\ufeffid;reported_at;text\nA1;14/03/2025 23:40;Tapage rue Paradis\n".encode())
    (row,) = list(read_logs(path, "PM"))
    assert isinstance(row, LogRow)
    assert (row.id, row.source, row.text) == ("A1", "PM", "Tapage rue Paradis")
    assert row.reported_at == datetime.fromisoformat("2025-03-14T23:40:00+01:00")


def test_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "logs.csv"
    path.write_bytes(
        "id,reported_at,text\nB2,2025-07-01T10:00:00+02:00,Dégradation d'un abribus\n".encode("cp1252")
    )
    (row,) = list(read_logs(path))
    assert isinstance(row, LogRow) and row.text == "Dégradation d'un abribus"


def test_bad_rows_are_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    path = tmp_path / "logs.jsonl"
    lines = [
        '{"id": "1", "reported_at": "2025-01-01T10:00:00+01:00", "text": "ok"}',
        '{"id": "", "reported_at": "2025-01-01T10:00:00+01:00", "text": "no id"}',
        '{"id": "3", "reported_at": "2025-01-01T10:00:00+01:00", "text": ""}',
        '{"id": "4", "reported_at": "hier", "text": "bad date"}',
        '{"id": "1", "reported_at": "2025-01-01T10:00:00+01:00", "text": "same id, other text"}',
        '{"id": "6", "reported_at": "2025-01-01T10:00:00+01:00", "text": "nul \\u0000 byte"}',
        "not json",
        '{"id": "8", "reported_at": "2025-01-01", "text": "date only"}',
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    results = list(read_logs(path))
    assert [r.id for r in results if isinstance(r, LogRow)] == ["1", "8"]
    reasons = {r.line: r.reason for r in results if isinstance(r, Rejected)}
    assert reasons[2] == "missing id" and reasons[3] == "missing text"
    assert reasons[4].startswith("unreadable date 'hier'")
    assert reasons[5] == "duplicate id with a different text in this file"
    assert reasons[6] == "NUL byte in text" and reasons[7].startswith("not JSON")


def test_a_csv_without_id_or_text_fails_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "logs.csv"
    path.write_text("identifiant,texte\n1,x\n", encoding="utf-8")
    with pytest.raises(IngestError, match="lacks 'id' or 'text'") as err:
        list(read_logs(path))
    assert "header row" in err.value.hint


def test_absurd_coordinates_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "logs.csv"
    path.write_text(
        "id;reported_at;text;lat;lon\n"
        "1;2025-01-01 10:00;ok;43,2965;5.3698\n"
        "2;2025-01-01 10:00;no position;;\n"
        "3;2025-01-01 10:00;off the planet;143.2;5.37\n"
        "4;2025-01-01 10:00;the placeholder;0;0\n"
        "5;2025-01-01 10:00;half a position;43.29;\n"
        "6;2025-01-01 10:00;words;nord;est\n",
        encoding="utf-8",
    )
    results = list(read_logs(path, "test"))
    rows = {r.id: r.point for r in results if isinstance(r, LogRow)}
    assert rows == {"1": (43.2965, 5.3698), "2": None}
    reasons = {r.id: r.reason for r in results if isinstance(r, Rejected)}
    assert reasons == {
        "3": "absurd coordinates (143.2, 5.37)",
        "4": "absurd coordinates (0, 0)",
        "5": "absurd coordinates (lat and lon must be given together)",
        "6": "absurd coordinates (not numbers: 'nord', 'est')",
    }
