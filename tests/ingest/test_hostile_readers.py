"""Every reader under hostile input (Hypothesis): files that mix valid rows with bad ones (any unicode, control
characters, NUL bytes, long fields, quotes and delimiters inside fields, UTF-8 with or without BOM or
Windows-1252, wrong JSON types, broken GeoJSON). A reader never raises anything but IngestError, and only for
a file it cannot use at all; every valid row comes out once with its values intact; every bad row comes out
as a Rejected with a reason: rows read = rows loaded + rows rejected. The rejects file neutralises formulas."""

from __future__ import annotations

import csv
import io
import itertools
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from recoupe.ingest.inventories import (
    CameraRow,
    EventRow,
    QuartierRow,
    read_assets,
    read_cameras,
    read_events,
    read_outages,
    read_quartiers,
)
from recoupe.ingest.readers import MAX_TEXT, LogRow, Rejected, read_logs, write_rejects
from recoupe.ontology.errors import IngestError

EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
WHEN = "2025-03-14T23:40:00+01:00"
UTF8 = st.characters(codec="utf-8")  # any code point but a surrogate: control characters and NUL included
CP1252 = st.characters(codec="cp1252")
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def anything(alphabet: st.SearchStrategy[str] = UTF8, max_size: int = 40) -> st.SearchStrategy[str]:
    """Short text, or now and then a long one (a field past the csv module's 128 KiB default limit)."""
    short = st.text(alphabet, max_size=max_size)
    formula = st.tuples(st.sampled_from(["=CMD|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3"]), short).map(
        "".join
    )
    return st.one_of(
        short, formula, short.filter(bool).map(lambda s: (s * (150_000 // len(s) + 1))[:150_000])
    )


def filled(alphabet: st.SearchStrategy[str] = UTF8) -> st.SearchStrategy[str]:
    """Short text with something besides whitespace, and no NUL byte (a NUL in a log's text rejects it)."""
    chars = alphabet.filter(lambda c: c != "\x00")
    return st.text(chars, min_size=1, max_size=60).filter(lambda s: bool(s.strip()))


@contextmanager
def written(rows: list[list[str]], header: list[str], encoding: str, delimiter: str) -> Iterator[Path]:
    """The rows as a CSV file (quotes where a field needs them), in a fresh folder."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        with open(path, "w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter)
            writer.writerow(header)
            writer.writerows(rows)
        yield path


def read(reader: Callable[[Path], Iterable[Any]], path: Path) -> tuple[list[Any], list[Rejected]]:
    items = list(reader(path))
    return [r for r in items if not isinstance(r, Rejected)], [r for r in items if isinstance(r, Rejected)]


def utf8_ambiguous(rows: list[list[str]], encoding: str) -> bool:
    """A Windows-1252 file whose bytes also read as UTF-8: nothing can tell, the reader takes UTF-8."""
    if encoding != "cp1252":
        return False
    data = "".join(v for row in rows for v in row).encode("cp1252")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


# ---------------------------------------------------------------- logs


def log_rows(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[list[list[str]]]:
    """Rows [id, reported_at, text, lat, lon, "1" when valid else ""] with unique ids (a blank id stays)."""
    word, nowhere = filled(alphabet), st.just(("", ""))
    valid = st.tuples(word, st.just(WHEN), word, st.sampled_from([("", ""), ("43.3", "5.4")]), st.just("1"))
    bad = st.one_of(
        st.tuples(st.sampled_from(["", "  "]), st.just(WHEN), word, nowhere),  # no id
        st.tuples(word, st.just(WHEN), st.text(" \t", max_size=3), nowhere),  # no text
        st.tuples(word, st.just(WHEN), word.map(lambda s: s + "\x00"), nowhere),  # a NUL byte
        st.tuples(word, st.sampled_from(["hier", "31/02/2025 10:00", ""]), word, nowhere),  # no date
        st.tuples(word, st.just(WHEN), word, st.sampled_from([("91", "5"), ("43", ""), ("x", "y")])),
        st.tuples(word, st.just(WHEN), st.sampled_from(["é" * (MAX_TEXT + 1), "x" * 150_000]), nowhere),
    ).map(lambda row: (*row, ""))

    def numbered(rows: list[tuple[Any, ...]]) -> list[list[str]]:
        return [
            [f"{n}-{key}" if key.strip() else key, when, text, lat, lon, ok]
            for n, (key, when, text, (lat, lon), ok) in enumerate(rows)
        ]

    return st.lists(st.one_of(valid, bad), max_size=12).map(numbered)


@FUZZ
@given(st.data(), ENCODINGS, st.sampled_from([",", ";"]))
def test_csv_logs_lose_no_valid_row(data: st.DataObject, encoding: str, delimiter: str) -> None:
    rows = data.draw(log_rows(CP1252 if encoding == "cp1252" else UTF8))
    assume(not utf8_ambiguous(rows, encoding))
    with written(
        [r[:5] for r in rows], ["id", "reported_at", "text", "lat", "lon"], encoding, delimiter
    ) as path:
        loaded, rejected = read(read_logs, path)
    expected = {(r[0].strip(), r[2]) for r in rows if r[5]}
    assert {(row.id, row.text) for row in loaded} == expected and len(loaded) == len(expected)
    assert all(isinstance(row, LogRow) and row.reported_at == datetime.fromisoformat(WHEN) for row in loaded)
    assert len(rejected) == len(rows) - len(expected) and all(r.reason for r in rejected)


NOT_AN_OBJECT = st.one_of(
    st.integers(), st.text(UTF8, max_size=10), st.lists(st.integers(), max_size=3), st.none()
)


@FUZZ
@given(st.data(), st.booleans())
def test_jsonl_logs_lose_no_valid_row(data: st.DataObject, ascii_only: bool) -> None:
    rows = data.draw(log_rows(UTF8))
    lines = [
        json.dumps(
            {"id": r[0], "reported_at": r[1], "text": r[2], "lat": r[3], "lon": r[4]}, ensure_ascii=ascii_only
        )
        for r in rows
    ]
    hostile = data.draw(
        st.lists(
            st.one_of(
                NOT_AN_OBJECT.map(json.dumps),  # JSON, but not an object
                st.text(UTF8, min_size=1, max_size=30).filter(
                    lambda s: s.strip() and "\n" not in s and not is_json(s)
                ),
                st.just(json.dumps({"id": "t", "reported_at": WHEN, "text": ["a list"]})),  # a wrong type
                st.just(json.dumps({"id": ["k"], "reported_at": WHEN, "text": "the id is a list"})),
                st.just("[" * 100_000 + "]" * 100_000),  # deeper than the parser's recursion
            ),
            max_size=4,
        )
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "logs.jsonl"
        path.write_text("\n".join(lines + hostile) + "\n", encoding="utf-8")
        loaded, rejected = read(read_logs, path)
    expected = {(r[0].strip(), r[2]) for r in rows if r[5]}
    assert {(row.id, row.text) for row in loaded} == expected and len(loaded) == len(expected)
    assert len(rejected) == len(rows) + len(hostile) - len(expected) and all(r.reason for r in rejected)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x1c"])
def test_a_json_string_may_hold_any_line_separator(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "logs.jsonl"
    text = f"Tapage{separator}rue Paradis"
    path.write_text(json.dumps({"id": "a", "reported_at": WHEN, "text": text}, ensure_ascii=False) + "\n")
    assert [(r.id, r.text) for r in read_logs(path)] == [("a", text)]


def test_bytes_that_windows_1252_leaves_undefined_still_read(tmp_path: Path) -> None:
    path = tmp_path / "logs.csv"
    path.write_bytes(f"id,reported_at,text\na,{WHEN},D\xe9gradation \x81\x8d\n".encode("latin-1"))
    assert [(r.id, r.text) for r in read_logs(path)] == [("a", "Dégradation \x81\x8d")]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_10_mb_line_is_rejected_and_its_neighbours_load(tmp_path: Path, suffix: str) -> None:
    rows = [("a", "Tapage rue Paradis."), ("huge", "x" * 10_000_000), ("b", "Vol cours Julien.")]
    path = tmp_path / f"logs{suffix}"
    if suffix == ".csv":
        path.write_text(
            "id,reported_at,text\n" + "".join(f"{k},{WHEN},{t}\n" for k, t in rows), encoding="utf-8"
        )
    else:
        path.write_text(
            "".join(json.dumps({"id": k, "reported_at": WHEN, "text": t}) + "\n" for k, t in rows)
        )
    loaded, rejected = read(read_logs, path)
    assert [(r.id, r.text) for r in loaded] == [rows[0], rows[2]]
    assert [(r.id, r.reason) for r in rejected] == [("huge", f"text longer than {MAX_TEXT} characters")]


# ---------------------------------------------------------------- unreadable files


READERS: dict[str, Callable[[Path], Iterable[Any]]] = {
    "logs.csv": read_logs, "logs.jsonl": read_logs, "cameras.csv": read_cameras, "cameras.geojson": read_cameras,
    "outages.csv": read_outages, "assets.csv": read_assets, "quartiers.geojson": read_quartiers,
    "events.csv": read_events, "events.zip": read_events,
}  # fmt: skip
HEADERS = [b"id,reported_at,text\n", b"id;lat;lon;bearing_deg\n", b"camera_id,start,end\n", b'{"type": "Feature',
           b"occurred_at,category,lat,lon\n", b"", b"\xef\xbb\xbf", b"PK\x03\x04"]  # fmt: skip


@FUZZ
@given(st.sampled_from(sorted(READERS)), st.sampled_from(HEADERS), st.binary(max_size=300))
def test_any_bytes_give_rows_rejections_or_an_ingest_error(name: str, start: bytes, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(start + body)
        try:
            items = list(READERS[name](path))
        except IngestError as exc:
            assert exc.one_line()
            return
    assert all(not isinstance(i, Rejected) or i.reason for i in items)


# ---------------------------------------------------------------- inventories


def cameras() -> st.SearchStrategy[list[tuple[list[str], bool]]]:
    number = st.floats(-1e6, 1e6, allow_nan=False).map(repr)
    lat, lon = st.floats(1, 89).map(repr), st.floats(-179, 179).map(repr)  # (0, 0) is "no position"
    label = anything(max_size=20).filter(lambda s: len(s) < MAX_TEXT)
    valid = st.tuples(filled(), lat, lon, st.floats(0, 360).map(repr), st.floats(1, 360).map(repr),
                      st.floats(1, 500).map(repr), st.sampled_from(["", WHEN]), label)  # fmt: skip
    bad = st.one_of(
        st.tuples(st.just(" "), lat, lon, st.just("0"), st.just(""), st.just(""), st.just(""), label),
        st.tuples(filled(), lat, lon, number.filter(lambda v: not 0 <= float(v) <= 360), st.just(""), st.just(""),
                  st.just(""), label),
        st.tuples(filled(), st.sampled_from(["nan", "inf", "91", "x", ""]), lon, st.just("0"), st.just(""),
                  st.just(""), st.just(""), label),
        st.tuples(filled(), lat, lon, st.just("10"), st.sampled_from(["0", "-5", "nan"]), st.just(""), st.just(""),
                  label),
        st.tuples(filled(), lat, lon, st.just("10"), st.just(""), st.just(""), st.just("hier"), label),
    )  # fmt: skip
    return st.lists(
        st.one_of(valid.map(lambda r: (list(r), True)), bad.map(lambda r: (list(r), False))), max_size=10
    )


@FUZZ
@given(cameras(), st.sampled_from(["utf-8", "utf-8-sig"]), st.sampled_from([",", ";"]), st.booleans())
def test_cameras_lose_no_valid_row(
    items: list[tuple[list[str], bool]], encoding: str, delimiter: str, extra_value: bool
) -> None:
    rows = [[f"{n}-{r[0]}" if r[0].strip() else r[0], *r[1:]] for n, (r, _) in enumerate(items)]
    if extra_value and rows:  # one more value than the header has columns: that row is rejected
        rows[-1], items[-1] = [*rows[-1], "surplus"], (items[-1][0], False)
    header = ["id", "lat", "lon", "bearing_deg", "fov_deg", "range_m", "installed_at", "label"]
    with written(rows, header, encoding, delimiter) as path:
        loaded, rejected = read(read_cameras, path)
    expected = [r for r, (_, ok) in zip(rows, items, strict=True) if ok]
    got = [(c.id, c.lat, c.lon, c.bearing_deg, c.fov_deg, c.range_m, c.label) for c in loaded]
    assert all(isinstance(c, CameraRow) for c in loaded)
    assert got == [(r[0].strip(), float(r[1]), float(r[2]), float(r[3]) % 360, float(r[4]), float(r[5]),
                    r[7].strip() or None) for r in expected]  # fmt: skip
    assert len(rejected) == len(rows) - len(expected) and all(r.reason for r in rejected)


@FUZZ
@given(st.data(), ENCODINGS)
def test_events_lose_no_valid_row(data: st.DataObject, encoding: str) -> None:
    alphabet = CP1252 if encoding == "cp1252" else UTF8
    valid = st.tuples(
        st.sampled_from(["theft", "noise", "vandalism"]), st.floats(43.2, 43.4).map(repr), filled(alphabet)
    )
    bad = st.tuples(
        st.sampled_from(["", "UFO SIGHTING", " "]), st.sampled_from(["43.3", "", "abc"]), filled(alphabet)
    )
    items = data.draw(
        st.lists(st.one_of(valid.map(lambda r: (r, True)), bad.map(lambda r: (r, False))), max_size=10)
    )
    rows = [[f"E{n}", WHEN, category, lat, "5.4", text] for n, ((category, lat, text), _) in enumerate(items)]
    assume(not utf8_ambiguous(rows, encoding))
    with written(rows, ["id", "occurred_at", "category", "lat", "lon", "text"], encoding, ",") as path:
        loaded, rejected = read(read_events, path)
    expected = [r for r, (_, ok) in zip(rows, items, strict=True) if ok]
    assert all(isinstance(e, EventRow) for e in loaded)
    assert [(e.id, e.category, e.lat, e.text) for e in loaded] == [
        (r[0], r[2], float(r[3]), r[5].strip() or None) for r in expected
    ]
    assert len(rejected) == len(rows) - len(expected) and all(r.reason for r in rejected)


def square(lon: float, lat: float) -> list[list[float]]:
    return [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]


JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(UTF8, max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
BROKEN_GEOMETRY = st.one_of(
    st.none(),
    st.just({"type": "Point", "coordinates": [5.4, 43.3]}),
    st.just({"type": "Polygon", "coordinates": []}),
    st.just({"type": "Polygon", "coordinates": [[[5.4, 43.3], [5.5, 43.3]]]}),  # too few positions
    st.just({"type": "Polygon", "coordinates": [[[5.4, 95.0], [5.5, 43.3], [5.5, 43.4], [5.4, 43.3]]]}),
    st.just({"type": "MultiPolygon", "coordinates": [[["5.4", "43.3"]]]}),
    st.just(
        {"type": "Polygon", "coordinates": [[[10**400, 43.3], [5.5, 43.3], [5.5, 43.4], [10**400, 43.3]]]}
    ),
    JUNK.map(lambda j: {"type": "Polygon", "coordinates": j}),
    JUNK.map(lambda j: {"type": "MultiPolygon", "coordinates": j}),
)


@FUZZ
@given(st.data())
def test_quartiers_lose_no_valid_feature(data: st.DataObject) -> None:
    valid = st.tuples(filled(), st.floats(-170, 170), st.floats(-80, 80))
    items = data.draw(st.lists(st.one_of(valid.map(lambda v: (v, True)), st.tuples(BROKEN_GEOMETRY, st.just(False))),
                               min_size=1, max_size=8))  # fmt: skip
    features: list[Any] = []
    for n, (item, ok) in enumerate(items):
        if ok:
            name, lon, lat = item
            geometry: Any = {"type": "Polygon", "coordinates": [square(lon, lat)]}
            features.append(
                {"type": "Feature", "properties": {"nom_qua": f"{n} {name}"}, "geometry": geometry}
            )
        else:
            features.append({"type": "Feature", "properties": {"nom_qua": f"Q{n}"}, "geometry": item})
    oddities = data.draw(
        st.lists(st.one_of(JUNK, st.just({"type": "Feature", "properties": []})), max_size=3)
    )
    assume(any(ok for _, ok in items))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "quartiers.geojson"
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": features + oddities}), encoding="utf-8"
        )
        loaded, rejected = read(read_quartiers, path)
    expected = [
        (f"{n} {i[0]}".strip(), tuple(map(tuple, square(i[1], i[2]))))
        for n, (i, ok) in enumerate(items)
        if ok
    ]
    assert all(isinstance(q, QuartierRow) for q in loaded)
    assert [(q.name, q.polygons[0][0]) for q in loaded] == expected
    assert len(rejected) == len(items) + len(oddities) - len(expected) and all(r.reason for r in rejected)


@FUZZ
@given(st.integers(0, 400))
def test_a_truncated_geojson_file_is_an_ingest_error(cut: int) -> None:
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nom_qua": "A"}, "geometry": {"type": "Polygon", "coordinates": [square(5.4, 43.3)]}},
    ]})  # fmt: skip
    assume(cut < len(text))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "quartiers.geojson"
        path.write_text(text[:cut], encoding="utf-8")
        with pytest.raises(IngestError):
            list(read_quartiers(path))


# ---------------------------------------------------------------- the rejects file


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), anything(max_size=15), anything(max_size=15)), min_size=1, max_size=6
    )
)
def test_the_rejects_file_neutralises_formulas_and_keeps_the_rest(items: list[tuple[int, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = write_rejects(Path(folder) / "in.csv", [Rejected(*item) for item in items])
        assert target is not None
        with open(target, encoding="utf-8", newline="") as fh:
            header, *rows = list(csv.reader(fh))
    assert header == ["line", "id", "reason"]
    assert rows == [[str(line), safe(key), safe(reason)] for line, key, reason in items]


def safe(value: str) -> str:
    """What a spreadsheet must be given: a formula's first character behind a quote, which it shows as text."""
    return "'" + value if value.startswith(FORMULA) else value


@FUZZ
@given(st.lists(st.tuples(anything(max_size=15), anything(max_size=15)), min_size=1, max_size=4))
def test_the_csv_export_neutralises_formulas(values: list[tuple[str, str]]) -> None:
    from recoupe.graph.export import EdgeRecord, NodeRecord
    from recoupe.graph.formats import write_csv

    nodes = [NodeRecord("Incident", key, {"id": key, "text": text}) for key, text in values]
    edges = [
        EdgeRecord("NEAR_REPEAT_OF", ("Incident", a), ("Incident", b), {})
        for (a, _), (b, _) in itertools.pairwise(values)
    ]
    node_file, edge_file = io.StringIO(newline=""), io.StringIO(newline="")
    write_csv(nodes, edges, node_file, edge_file)
    node_rows = list(csv.DictReader(io.StringIO(node_file.getvalue(), newline="")))
    assert [(r["key"], r["text"]) for r in node_rows] == [(safe(key), safe(text)) for key, text in values]
    for row in csv.reader(io.StringIO(edge_file.getvalue(), newline="")):
        assert not any(cell.startswith(FORMULA) for cell in row)
