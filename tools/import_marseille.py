"""Copy the Marseille gazetteer from ../shared/data/marseille into the package, smaller but faithful.

Run: .venv/bin/python tools/import_marseille.py [SOURCE_DIR]
Streets and landmarks are copied as they are (coordinates rounded to 1e-5°, about 1 m); quartier polygons are
simplified with Douglas–Peucker at 1e-5° (about 1 m) and rounded the same way, which keeps every boundary
within about a metre of the original while dividing the file size several times.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "recoupe" / "nlp" / "data" / "marseille"
TOLERANCE = 1e-5
DIGITS = 5

Point = list[float]


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy))


def simplify(points: list[Point]) -> list[Point]:
    """Douglas–Peucker, iterative (rings have thousands of points)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            d = _distance_to_segment(points[i], points[first], points[last])
            if d > worst:
                worst, index = d, i
        if worst > TOLERANCE and index > 0:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring(points: list[Point]) -> list[Point]:
    out = [[round(x, DIGITS), round(y, DIGITS)] for x, y in simplify(points)]
    deduped = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]]
    if deduped[0] != deduped[-1]:
        deduped.append(deduped[0])
    return deduped if len(deduped) >= 4 else [[round(x, DIGITS), round(y, DIGITS)] for x, y in points]


def main(source: Path) -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    streets = json.loads((source / "streets.json").read_text(encoding="utf-8"))
    for street in streets:
        street["centroid"] = [round(c, DIGITS) for c in street["centroid"]]
    (TARGET / "streets.json").write_text(json.dumps(streets, ensure_ascii=False) + "\n", encoding="utf-8")

    landmarks = json.loads((source / "landmarks.geojson").read_text(encoding="utf-8"))
    for feature in landmarks["features"]:
        feature["geometry"]["coordinates"] = [round(c, 6) for c in feature["geometry"]["coordinates"]]
    (TARGET / "landmarks.geojson").write_text(
        json.dumps(landmarks, ensure_ascii=False) + "\n", encoding="utf-8"
    )

    quartiers = json.loads((source / "quartiers.geojson").read_text(encoding="utf-8"))
    for feature in quartiers["features"]:
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        )
        simplified = [[ring(r) for r in polygon] for polygon in polygons]
        geometry["coordinates"] = simplified if geometry["type"] == "MultiPolygon" else simplified[0]
    (TARGET / "quartiers.geojson").write_text(
        json.dumps(quartiers, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    for name in ("streets.json", "landmarks.geojson", "quartiers.geojson"):
        before, after = (source / name).stat().st_size, (TARGET / name).stat().st_size
        print(f"{name:<20} {before:>10,} → {after:>10,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data" / "marseille")
