"""GeoJSON in the inventory files: a FeatureCollection's features, a Point feature as a row, (Multi)Polygons
checked ring by ring, and a polygon's representative point."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from recoupe.ingest.readers import parse_point
from recoupe.ontology.errors import IngestError

Ring = tuple[tuple[float, float], ...]  # (lon, lat) positions, closed
Polygon = tuple[Ring, ...]  # outer ring first, then holes


def features(path: Path, text: str) -> list[Any]:
    """The features of the FeatureCollection in `text` (the file at `path`, named in errors)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(
            path, f"is not JSON ({exc.msg})", exc.lineno, "give a GeoJSON FeatureCollection"
        ) from exc
    except RecursionError:
        raise IngestError(
            path, "is not JSON (nested too deeply)", hint="give a GeoJSON FeatureCollection"
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise IngestError(path, "is not a GeoJSON FeatureCollection", hint="give a GeoJSON FeatureCollection")
    found = data.get("features")
    return found if isinstance(found, list) else []


def properties(feature: object) -> dict[str, Any]:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def point_record(feature: object) -> tuple[dict[str, str], tuple[str, ...]]:
    """A Point feature as a row: its properties, with lat/lon from the geometry."""
    row = {k.strip().lower(): "" if v is None else str(v) for k, v in properties(feature).items()}
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if isinstance(geometry, dict):
        coords = geometry.get("coordinates")
        if geometry.get("type") != "Point":
            row["__error__"] = f"geometry is {geometry.get('type')}, not a Point"
        elif not (isinstance(coords, list) and len(coords) >= 2):
            row["__error__"] = "a Point without two coordinates"
        else:
            row["lon"], row["lat"] = str(coords[0]), str(coords[1])
    return row, tuple(row.values())


def polygons(geometry: object) -> tuple[Polygon, ...]:
    if not isinstance(geometry, dict):
        raise ValueError("feature without geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry is {kind}, not a Polygon or MultiPolygon")
    parts = [coords] if kind == "Polygon" else coords
    if not isinstance(parts, list) or not parts or not all(isinstance(p, list) and p for p in parts):
        raise ValueError(f"a {kind} without rings")
    return tuple(tuple(_ring(ring) for ring in part) for part in parts)


def _ring(positions: object) -> Ring:
    """A ring of (lon, lat) positions on Earth, closed if it was not, with at least 4 positions."""
    if not isinstance(positions, list):
        raise ValueError("a ring that is not a list of positions")
    ring: list[tuple[float, float]] = []
    for position in positions:
        numbers = position[:2] if isinstance(position, list) and len(position) >= 2 else None
        if numbers is None or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in numbers
        ):
            raise ValueError(f"a ring with a non-numeric position {position!r}")
        try:
            lon, lat = float(numbers[0]), float(numbers[1])
        except OverflowError:  # an integer past float's range
            raise ValueError("a ring with a position off the globe") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"a ring with a position off the globe {position!r}")
        ring.append((lon, lat))
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise ValueError(f"a ring with fewer than 4 positions ({len(positions)})")
    return tuple(ring)


def representative(polygons: tuple[Polygon, ...], given: object) -> tuple[float, float]:
    """(lat, lon): the source's geo_point_2d when valid, else the mean vertex of the largest outer ring."""
    if isinstance(given, dict):
        given = (given.get("lat"), given.get("lon"))
    if isinstance(given, list | tuple) and len(given) == 2:
        try:
            if (point := parse_point(given[0], given[1])) is not None:
                return point
        except ValueError:
            pass
    outer = max((p[0] for p in polygons), key=_area)
    vertices = outer[:-1]
    return sum(y for _, y in vertices) / len(vertices), sum(x for x, _ in vertices) / len(vertices)


def _area(ring: Ring) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))) / 2
