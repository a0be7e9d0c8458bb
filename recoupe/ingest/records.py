"""The records of an inventory file: CSV (or the one CSV of a `.zip`) or a GeoJSON FeatureCollection of
Points, as values by column, with the columns a reader requires checked first."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from recoupe.ingest import geojson
from recoupe.ingest.readers import _decode
from recoupe.ontology.errors import IngestError

Record = tuple[int, dict[str, str], tuple[str, ...]]  # line, values by column, raw values in file order


def records(
    path: Path, required: Sequence[str], columns: Sequence[str] | None = None, points: bool = True
) -> Iterator[Record]:
    """The file's rows; `required` columns ('a|b': either) must be in the header, or in some feature's
    properties. A row that cannot be read carries its reason under '__error__'."""
    text = text_of(path)
    if points and text.lstrip().startswith("{"):
        features = geojson.features(path, text)
        found = {key.strip().lower() for feature in features for key in geojson.properties(feature)}
        found |= {"lat", "lon"}
        if features:
            _require(path, required, found, "no feature has the properties")
        for line, feature in enumerate(features, 1):
            yield (line, *geojson.point_record(feature))
        return
    first = text.split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ","
    )
    fields = [f.strip().lower() for f in (next(reader, []) if columns is None else columns)]
    _require(path, required, set(fields), "the header lacks" if columns is None else "the columns lack")
    for raw in reader:
        if not raw:
            continue
        row = dict(zip(fields, raw, strict=False))  # a short row lacks its last, optional, values
        if len(raw) > len(fields) and any(v.strip() for v in raw[len(fields) :]):
            row["__error__"] = f"{len(raw)} values where the header has {len(fields)} columns"
        yield reader.line_num, row, tuple(raw)


def _require(path: Path, required: Sequence[str], found: set[str], problem: str) -> None:
    missing = [
        " or ".join(map(repr, alts.split("|"))) for alts in required if found.isdisjoint(alts.split("|"))
    ]
    if missing:
        raise IngestError(
            path, f"{problem} {', '.join(missing)}", 1, f"the columns needed are {', '.join(required)}"
        )


def text_of(path: Path) -> str:
    """The decoded file, or the one CSV inside a `.zip`."""
    try:
        if path.suffix.lower() != ".zip":
            return _decode(path.read_bytes())
        with zipfile.ZipFile(path) as archive:
            members = [
                m for m in archive.namelist() if m.lower().endswith(".csv") and not m.startswith("__MACOSX/")
            ]
            if len(members) != 1:
                raise IngestError(path, f"holds {len(members)} CSV files", hint="zip exactly one CSV file")
            return _decode(archive.read(members[0]))
    except OSError as exc:
        raise IngestError(
            path, f"cannot be read ({exc.strerror})", hint="check the path and its permissions"
        ) from exc
    except zipfile.BadZipFile as exc:
        raise IngestError(path, f"is not a readable zip ({exc})", hint="check the archive") from exc
