"""Readers of log files: CSV (header row, ',' or ';') or JSONL, UTF-8 (with or without BOM) or Windows-1252.

`read_logs` yields each row as a `LogRow` or, for a row that cannot be used, a `Rejected` with its line and
reason — a bad row never stops the file. Naive times are Europe/Paris. `write_rejects` writes a file's
rejections next to it, for the logs and the inventories alike.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from recoupe.ontology.cells import spreadsheet_safe
from recoupe.ontology.errors import IngestError

PARIS = ZoneInfo("Europe/Paris")
FRENCH_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y")
MAX_TEXT = 20_000
# A field may be as long as a line: a 10 MB text is a row to reject with its reason, not a file that stops
# at the csv module's default limit of 128 KiB.
csv.field_size_limit(1 << 30)


def _as_c1_controls(exc: UnicodeError) -> tuple[str, int]:
    """Bytes that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as the C1 controls of
    the same number, as browsers do (WHATWG encoding standard): any bytes decode, and none is lost."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("recoupe.c1", _as_c1_controls)


@dataclass(frozen=True)
class LogRow:
    line: int
    id: str
    text: str
    reported_at: datetime
    source: str | None
    extra: dict[str, str]
    point: tuple[float, float] | None = None  # (lat, lon) given by the source, validated


@dataclass(frozen=True)
class Rejected:
    line: int
    id: str
    reason: str


def parse_point(lat: object, lon: object) -> tuple[float, float] | None:
    """The source's coordinates: both or neither, decimal degrees (a decimal comma is accepted), on Earth and
    not (0, 0), the usual placeholder of a missing position."""
    given = [str(v).strip() if v is not None else "" for v in (lat, lon)]
    if not any(given):
        return None
    if not all(given):
        raise ValueError("absurd coordinates (lat and lon must be given together)")
    try:
        y, x = (float(v.replace(",", ".")) for v in given)
    except ValueError:
        raise ValueError(f"absurd coordinates (not numbers: {given[0]!r}, {given[1]!r})") from None
    if not (-90 <= y <= 90 and -180 <= x <= 180) or (y == 0 and x == 0) or y != y or x != x:
        raise ValueError(f"absurd coordinates ({given[0]}, {given[1]})")
    return y, x


def parse_time(value: str) -> datetime:
    """ISO 8601 or 'dd/mm/yyyy hh:mm'; a time without offset is Europe/Paris."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for fmt in FRENCH_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"unreadable date {value!r} (expected ISO 8601 or dd/mm/yyyy hh:mm)") from None
    return parsed.replace(tzinfo=PARIS) if parsed.tzinfo is None else parsed


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="recoupe.c1")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise IngestError(
            path, f"cannot be read ({exc.strerror})", hint="check the path and its permissions"
        ) from exc
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        # "\n" ends a line; str.splitlines would also cut at U+2028, U+0085… that JSON strings may hold raw
        for n, line in enumerate(text.split("\n"), 1):
            if line.strip():
                yield n, _json_object(line)
        return
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames or "id" not in reader.fieldnames or "text" not in reader.fieldnames:
        raise IngestError(
            path,
            f"the header {reader.fieldnames} lacks 'id' or 'text'",
            1,
            "add a header row naming id and text",
        )
    for row in reader:
        yield reader.line_num, row


def _json_object(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"__error__": f"not JSON ({exc.msg})"}
    except RecursionError:
        return {"__error__": "not JSON (nested too deeply)"}
    return value if isinstance(value, dict) else {"__error__": f"not a JSON object ({type(value).__name__})"}


def read_logs(path: Path, default_source: str | None = None) -> Iterator[LogRow | Rejected]:
    seen: dict[tuple[str | None, str], str] = {}
    for line, row in _rows(path):
        if "__error__" in row:
            yield Rejected(line, str(row.get("id") or "").strip(), row["__error__"])
            continue
        checked = check_row(line, row, default_source)
        if isinstance(checked, LogRow):
            previous = seen.setdefault((checked.source, checked.id), checked.text)
            if previous != checked.text:
                checked = Rejected(line, checked.id, "duplicate id with a different text in this file")
        yield checked


def check_row(line: int, row: Mapping[str, object], default_source: str | None = None) -> LogRow | Rejected:
    """One log as any caller gives it (a file's row, a citizen report through the API) → a valid row, or the
    reason it is not one."""
    given_id, text = row.get("id"), row.get("text") or ""
    if isinstance(given_id, bool) or not isinstance(given_id, str | int | None):
        return Rejected(line, "", f"id is not a string or an integer ({type(given_id).__name__})")
    log_id = str(given_id or "").strip()
    if not isinstance(text, str):
        return Rejected(line, log_id, f"text is not a string ({type(text).__name__})")
    if not log_id:
        return Rejected(line, log_id, "missing id")
    if not text.strip():
        return Rejected(line, log_id, "missing text")
    if "\x00" in text:
        return Rejected(line, log_id, "NUL byte in text")
    if len(text) > MAX_TEXT:
        return Rejected(line, log_id, f"text longer than {MAX_TEXT} characters")
    source = str(row.get("source") or default_source or "") or None
    try:
        reported = parse_time(str(row.get("reported_at") or ""))
        point = parse_point(row.get("lat"), row.get("lon"))
    except ValueError as exc:
        return Rejected(line, log_id, str(exc))
    extra = {
        k: str(v)
        for k, v in row.items()
        if k not in ("id", "text", "reported_at", "source") and v is not None and v != ""
    }
    return LogRow(line, log_id, text, reported, source, extra, point)


def write_rejects(path: Path, rejects: Iterable[Rejected]) -> str | None:
    """`<file>.rejects.csv` (line, id, reason) next to the input; when every row loaded, None and no such file
    (a stale one is removed)."""
    path = Path(path)
    target = path.with_name(path.name + ".rejects.csv")
    rejects = list(rejects)
    if not rejects:
        target.unlink(missing_ok=True)
        return None
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)  # the csv module leaves a bare CR
        writer.writerow(("line", "id", "reason"))
        for r in rejects:
            cells = (spreadsheet_safe(r.id), spreadsheet_safe(r.reason))
            (quoted if any("\r" in cell for cell in cells) else writer).writerow((r.line, *cells))
    return str(target)
