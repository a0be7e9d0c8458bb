"""WKT polygons (GeoSPARQL's geometry literal, longitude then latitude) to and from Python tuples."""

from __future__ import annotations

import re
from collections.abc import Sequence

from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import Polygon

_RING = re.compile(r"\(([^()]+)\)")


def to_wkt(polygons: Sequence[Polygon]) -> str:
    """One polygon → POLYGON, several → MULTIPOLYGON (rings closed, 7 decimals ≈ 1 cm)."""

    def ring(r: Sequence[Sequence[float]]) -> str:
        points = list(r) if tuple(r[0]) == tuple(r[-1]) else [*r, r[0]]
        return "(" + ", ".join(f"{_num(x)} {_num(y)}" for x, y in points) + ")"

    def polygon(p: Polygon) -> str:
        return "(" + ", ".join(ring(r) for r in p) + ")"

    if len(polygons) == 1:
        return "POLYGON " + polygon(polygons[0])
    return "MULTIPOLYGON (" + ", ".join(polygon(p) for p in polygons) + ")"


def parse_wkt(text: str) -> tuple[Polygon, ...]:
    """POLYGON or MULTIPOLYGON → polygons, each a tuple of rings of (lon, lat)."""
    body = text.strip()
    kind = body.split("(", 1)[0].strip().upper()
    if kind not in ("POLYGON", "MULTIPOLYGON"):
        raise InvalidInput(
            f"unsupported WKT geometry {kind or body[:20]!r}", "give a POLYGON or MULTIPOLYGON"
        )
    inner = body[body.index("(") :]
    # MULTIPOLYGON (((…), (…)), ((…))): polygons are separated by ")), ((" at depth 1
    parts = [inner[1:-1]] if kind == "POLYGON" else re.split(r"\)\s*\)\s*,\s*\(\s*\(", inner[2:-2])
    polygons = []
    for part in parts:
        rings = []
        for ring in _RING.findall(part if kind == "POLYGON" else f"(({part}))"):
            points = tuple((float(x), float(y)) for x, y in (p.split() for p in ring.split(",") if p.strip()))
            rings.append(points)
        if rings:
            polygons.append(tuple(rings))
    if not polygons:
        raise InvalidInput("empty WKT geometry", "give at least one ring")
    return tuple(polygons)


def _num(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")
