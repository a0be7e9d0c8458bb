"""Readers of the inventory files of `recoupe ingest cameras|outages|assets|quartiers|events`; no graph here.

The contracts, shared with `readers.read_logs`:
- CSV with a header row (',' or ';', UTF-8 with or without BOM, else Windows-1252), or, where rows are
  points, a GeoJSON FeatureCollection of Point features whose properties are the columns; a `.zip` holding one
  CSV is read in place. Column names are matched without case or surrounding spaces. Naive times are
  Europe/Paris (`read_events` takes another zone).
- Each reader yields, lazily, a frozen row or a `Rejected(line, id, reason)`: a bad row never stops the file.
  A file that cannot be used at all (unreadable, not a FeatureCollection, a header without a required column)
  raises `IngestError` when iteration starts; bad arguments (bounds, category map, zone) raise `InvalidInput`
  at the call.
- Coordinates pass `parse_point`, then the optional `bounds` (south, west, north, east).
- An id met twice in one file with other values rejects the later row; an exact repeat is yielded once.
  Events without an id column get `sha1(raw values joined by \\x1f)[:16]`, "-2", "-3"… for identical rows,
  which in crime data are distinct events.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from recoupe.ingest import geojson
from recoupe.ingest.readers import PARIS, Rejected, parse_point, parse_time
from recoupe.ingest.records import records, text_of
from recoupe.nlp.folding import fold_chars
from recoupe.ontology.errors import IngestError, InvalidInput
from recoupe.ontology.loader import ontology
from recoupe.ontology.wkt import to_wkt

Bounds = tuple[float, float, float, float]  # south, west, north, east
MARSEILLE_DISTRICT = re.compile(r"132(0[1-9]|1[0-6])")  # INSEE codes of the 16 arrondissements


@dataclass(frozen=True, slots=True)
class CameraRow:
    line: int
    id: str
    lat: float
    lon: float
    bearing_deg: float
    fov_deg: float
    range_m: float
    installed_at: datetime | None
    removed_at: datetime | None
    label: str | None


@dataclass(frozen=True, slots=True)
class OutageRow:
    line: int
    camera_id: str
    start: datetime
    end: datetime | None  # still out


@dataclass(frozen=True, slots=True)
class AssetRow:
    line: int
    id: str
    type: str  # AssetType notation
    lat: float
    lon: float
    installed_at: datetime | None
    label: str | None


@dataclass(frozen=True, slots=True)
class QuartierRow:
    line: int  # feature index, from 1
    name: str
    district: str | None
    postcode: str | None
    polygons: tuple[geojson.Polygon, ...]
    wkt: str  # lon lat order, 7 decimals (ontology.wkt)
    lat: float  # representative point
    lon: float


@dataclass(frozen=True, slots=True)
class EventRow:
    line: int
    id: str
    occurred_at: datetime
    category: str  # IncidentCategory notation
    source_category: str  # the label as given
    lat: float
    lon: float
    text: str | None
    source: str | None


Row = TypeVar("Row", CameraRow, OutageRow, AssetRow, QuartierRow, EventRow)
Item = tuple[int, str, Any, bool]  # line, id as shown in a rejection, what makes the row, check repeats?


def read_cameras(path: Path, bounds: Bounds | None = None) -> Iterator[CameraRow | Rejected]:
    """Cameras: id, lat, lon, bearing_deg; fov_deg (90), range_m (60), installed_at, removed_at, label."""
    _check_bounds(bounds)
    rows = _rows(Path(path), ("id", "lat", "lon", "bearing_deg"), "id")
    return _checked(
        rows, lambda line, camera_id, row: _camera(line, camera_id, row, bounds), _by_id, "missing id"
    )


def read_outages(path: Path) -> Iterator[OutageRow | Rejected]:
    """Camera outages: camera_id, start, end (empty: still out). Rejected.id is the camera's id."""
    rows = _rows(Path(path), ("camera_id", "start", "end"), "camera_id", points=False)
    return _checked(rows, _outage, lambda outage: (outage.camera_id, outage.start), "missing camera_id")


def read_assets(path: Path, bounds: Bounds | None = None) -> Iterator[AssetRow | Rejected]:
    """Street assets: id, type (notation or French label, any case and accents), lat, lon; installed_at,
    label."""
    _check_bounds(bounds)
    rows = _rows(Path(path), ("id", "type", "lat", "lon"), "id")
    return _checked(
        rows, lambda line, asset_id, row: _asset(line, asset_id, row, bounds), _by_id, "missing id"
    )


def read_quartiers(
    path: Path, name_property: str | None = None, district_property: str | None = None
) -> Iterator[QuartierRow | Rejected]:
    """Quartiers from a GeoJSON FeatureCollection of (Multi)Polygons. Without `name_property`, the properties
    of Marseille's file: `nom_qua` (name), `nom_co` (arrondissement), `depco` (INSEE code → postcode)."""
    name_key = name_property or "nom_qua"
    district_key = district_property or ("nom_co" if name_property is None else None)

    def features() -> Iterator[Item]:
        found = geojson.features(Path(path), text_of(Path(path)))
        keys = {key for feature in found for key in geojson.properties(feature)}
        if found and name_key not in keys:
            raise IngestError(
                path,
                f"no feature has the property {name_key!r}",
                hint=f"name the property that holds the quartiers' names (found: {', '.join(sorted(keys))})",
            )
        for line, feature in enumerate(found, 1):
            yield line, str(geojson.properties(feature).get(name_key) or "").strip(), feature, True

    def quartier(line: int, name: str, feature: dict[str, Any]) -> QuartierRow:
        props = geojson.properties(feature)
        polygons = geojson.polygons(feature.get("geometry") if isinstance(feature, dict) else None)
        district = (str(props.get(district_key) or "").strip() or None) if district_key else None
        depco = str(props.get("depco") or "").strip()
        postcode = "130" + depco[-2:] if MARSEILLE_DISTRICT.fullmatch(depco) else None
        lat, lon = geojson.representative(polygons, props.get("geo_point_2d"))
        return QuartierRow(line, name, district, postcode, polygons, to_wkt(polygons), lat, lon)

    return _checked(features(), quartier, lambda q: (q.district, q.name), f"missing name ({name_key})")


def read_events(
    path: Path,
    columns: Sequence[str] | None = None,
    time_format: str | None = None,
    category_map: Mapping[str, str] | None = None,
    bounds: Bounds | None = None,
    default_source: str | None = None,
    tz: str = "Europe/Paris",
) -> Iterator[EventRow | Rejected]:
    """Structured incidents: occurred_at, category (or offense), lat, lon; id, text, source. `columns` names
    the columns of a file without a header; `time_format` is a strptime format; `category_map` maps source
    labels to IncidentCategory notations; naive times are in `tz`."""
    _check_bounds(bounds)
    notations = frozenset(ontology().vocabulary("IncidentCategory").notations)
    mapping = {label.strip(): notation for label, notation in (category_map or {}).items()}
    if wrong := sorted({n for n in mapping.values() if n not in notations}):
        raise InvalidInput(
            f"the category map names unknown categories: {', '.join(wrong)}",
            f"map each label to one of: {', '.join(sorted(notations))}",
            {"category_map": ", ".join(wrong)},
        )
    mapping.update({n: n for n in notations if n not in mapping})
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {tz!r}", "use an IANA name such as Europe/Paris", {"tz": tz}
        ) from None
    parse = _time_parser(time_format, zone)

    def event(line: int, event_id: str, row: dict[str, str]) -> EventRow:
        label = (row.get("category") or row.get("offense") or "").strip()
        occurred = parse(row.get("occurred_at", "").strip())
        point = _point(row, bounds)
        if not label:
            raise ValueError("missing category")
        if (category := mapping.get(label)) is None:
            raise ValueError(f"unknown category {label!r} (add it to the category map)")
        source = _text(row, "source") or default_source
        return EventRow(line, event_id, occurred, category, label, *point, _text(row, "text"), source)

    return _checked(_event_rows(Path(path), columns), event, _by_id, "missing id")


def _event_rows(path: Path, columns: Sequence[str] | None) -> Iterator[Item]:
    """Rows with their id: the file's, or one derived from the raw values (unique by construction)."""
    occurrences: dict[str, int] = {}
    for line, row, raw in records(path, ("occurred_at", "category|offense", "lat", "lon"), columns):
        if given := row.get("id", "").strip():
            yield line, given, row, True
            continue
        digest = hashlib.sha1("\x1f".join(raw).encode()).hexdigest()[:16]
        seen = occurrences[digest] = occurrences.get(digest, 0) + 1
        yield line, digest if seen == 1 else f"{digest}-{seen}", row, False


def _rows(path: Path, required: Sequence[str], id_column: str, points: bool = True) -> Iterator[Item]:
    for line, row, _ in records(path, required, points=points):
        yield line, row.get(id_column, "").strip(), row, True


def _checked(
    items: Iterable[Item], make: Callable[[int, str, Any], Row], key: Callable[[Row], object], missing: str
) -> Iterator[Row | Rejected]:
    """Each item made into a row, or rejected with the reason; a key met again rejects the row when its values
    differ and drops it when they are the same."""
    digests: dict[object, bytes] = {}
    for line, shown, item, check_repeats in items:
        try:
            if isinstance(item, dict) and (error := item.get("__error__")):
                raise ValueError(error)
            if not shown:
                raise ValueError(missing)
            row = make(line, shown, item)
        except ValueError as exc:
            yield Rejected(line, shown, str(exc))
            continue
        if check_repeats:
            digest = hashlib.blake2b(repr(replace(row, line=0)).encode(), digest_size=16).digest()
            if (seen := key(row)) in digests:
                if digests[seen] != digest:
                    yield Rejected(line, shown, "duplicate id with different values in this file")
                continue
            digests[seen] = digest
        yield row


def _by_id(row: CameraRow | AssetRow | EventRow) -> str:
    return row.id


def _camera(line: int, camera_id: str, row: dict[str, str], bounds: Bounds | None) -> CameraRow:
    point = _point(row, bounds)
    bearing = _number(row, "bearing_deg")
    if not 0 <= bearing <= 360:
        raise ValueError(f"bearing_deg outside 0–360 ({bearing:g})")
    fov = _number(row, "fov_deg", 90.0)
    if not 0 < fov <= 360:
        raise ValueError(f"fov_deg outside (0, 360] ({fov:g})")
    reach = _number(row, "range_m", 60.0)
    if reach <= 0:
        raise ValueError(f"range_m must be positive ({reach:g})")
    installed, removed = _time(row, "installed_at"), _time(row, "removed_at")
    if installed and removed and removed < installed:
        raise ValueError("removed_at before installed_at")
    return CameraRow(
        line, camera_id, *point, bearing % 360, fov, reach, installed, removed, _text(row, "label")
    )


def _outage(line: int, camera_id: str, row: dict[str, str]) -> OutageRow:
    start, end = _time(row, "start"), _time(row, "end")
    if start is None:
        raise ValueError("missing start")
    if end is not None and end < start:
        raise ValueError("outage ends before it starts")
    return OutageRow(line, camera_id, start, end)


def _asset(line: int, asset_id: str, row: dict[str, str], bounds: Bounds | None) -> AssetRow:
    point = _point(row, bounds)
    given = row.get("type", "").strip()
    if not given:
        raise ValueError("missing type")
    if (notation := _asset_types().get(_folded(given))) is None:
        known = ", ".join(ontology().vocabulary("AssetType").notations)
        raise ValueError(f"unknown asset type {given!r} (known: {known})")
    return AssetRow(line, asset_id, notation, *point, _time(row, "installed_at"), _text(row, "label"))


def _time_parser(time_format: str | None, zone: ZoneInfo) -> Callable[[str], datetime]:
    """Text → aware datetime, cached: crime files repeat their timestamps."""

    @functools.lru_cache(maxsize=65_536)
    def parse(value: str) -> datetime:
        if not value:
            raise ValueError("missing occurred_at")
        if time_format is None:
            parsed = parse_time(value)
            # parse_time puts naive times in Paris; the file's own zone replaces it (an offset given stays)
            return parsed.replace(tzinfo=zone) if parsed.tzinfo is PARIS else parsed
        try:
            parsed = datetime.strptime(value, time_format)
        except ValueError:
            raise ValueError(f"unreadable occurred_at {value!r} (expected {time_format})") from None
        return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed

    return parse


def _point(row: Mapping[str, str], bounds: Bounds | None) -> tuple[float, float]:
    point = parse_point(row.get("lat"), row.get("lon"))
    if point is None:
        raise ValueError("missing coordinates")
    if bounds is not None:
        south, west, north, east = bounds
        if not (south <= point[0] <= north and west <= point[1] <= east):
            raise ValueError(f"outside the configured bounds ({south}, {west}, {north}, {east})")
    return point


def _check_bounds(bounds: Bounds | None) -> None:
    if bounds is not None and not (
        -90 <= bounds[0] <= bounds[2] <= 90 and -180 <= bounds[1] <= bounds[3] <= 180
    ):
        raise InvalidInput(
            f"bounds {bounds} are not (south, west, north, east)",
            "give (south, west, north, east) in decimal degrees",
            {"bounds": str(bounds)},
        )


def _number(row: Mapping[str, str], column: str, default: float | None = None) -> float:
    value = row.get(column, "").strip()
    if not value:
        if default is None:
            raise ValueError(f"missing {column}")
        return default
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ValueError(f"{column} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{column} is not a number: {value!r}")
    return number


def _time(row: Mapping[str, str], column: str) -> datetime | None:
    value = row.get(column, "").strip()
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise ValueError(f"{column}: {exc}") from None


def _text(row: Mapping[str, str], column: str) -> str | None:
    return row.get(column, "").strip() or None


def _folded(label: str) -> str:
    return " ".join(fold_chars(label).replace("_", " ").replace("-", " ").split())


@functools.cache
def _asset_types() -> dict[str, str]:
    """Folded notation, French label, French alt labels and English label → AssetType notation."""
    types: dict[str, str] = {}
    for concept in ontology().vocabulary("AssetType").concepts.values():
        for name in (concept.notation, concept.labels.fr, *concept.alt_labels_fr, concept.labels.en):
            types.setdefault(_folded(name), concept.notation)
    return types
