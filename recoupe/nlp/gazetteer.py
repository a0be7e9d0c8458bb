"""The offline gazetteer: real streets, landmarks and quartiers of Marseille (or another city, same format).

The Marseille files ship inside the package (`recoupe/nlp/data/marseille`, © OpenStreetMap contributors, ODbL;
see ATTRIBUTION.md there), so a clone without ../shared still geocodes. Another city's gazetteer is a
directory with the same three files.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import PointGrid, distance_m, in_polygon

MARSEILLE = Path(__file__).parent / "data" / "marseille"

Ring = tuple[tuple[float, float], ...]
Polygon = tuple[Ring, ...]


@dataclass(frozen=True)
class Street:
    """A street name with one point (its centroid) and the quartier it was assigned to."""

    name: str
    kind: str
    quartier: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Landmark:
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Quartier:
    """A quartier polygon with its arrondissement (1–16), INSEE code and postcode."""

    name: str
    arrondissement: int
    insee: str
    postcode: str
    polygons: tuple[Polygon, ...]
    lon: float
    lat: float
    bbox: tuple[float, float, float, float]

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.bbox
        if not (west <= lon <= east and south <= lat <= north):
            return False
        return any(in_polygon(lon, lat, polygon) for polygon in self.polygons)


@dataclass(frozen=True)
class Gazetteer:
    """Streets, landmarks and quartiers, with a coarse grid for nearby-point lookups."""

    city: str
    streets: tuple[Street, ...]
    landmarks: tuple[Landmark, ...]
    quartiers: tuple[Quartier, ...]
    _grid: PointGrid = field(repr=False, compare=False, default_factory=PointGrid)

    def quartier_at(self, lon: float, lat: float) -> Quartier | None:
        """The quartier containing the point, or None outside the city."""
        return next((q for q in self.quartiers if q.contains(lon, lat)), None)

    def quartier(self, name: str) -> Quartier:
        for q in self.quartiers:
            if q.name == name:
                return q
        raise InvalidInput(f"No quartier named {name!r} in the {self.city} gazetteer")

    def streets_near(self, lon: float, lat: float, radius_m: float) -> Iterator[tuple[Street, float]]:
        """Streets whose point lies within `radius_m` of (lon, lat), with their distance."""
        for index in self._grid.near(lon, lat, radius_m):
            street = self.streets[index]
            d = distance_m(lon, lat, street.lon, street.lat)
            if d <= radius_m:
                yield street, d


@functools.cache
def marseille() -> Gazetteer:
    """The packaged Marseille gazetteer, loaded once."""
    return load_gazetteer(MARSEILLE, "Marseille")


def load_gazetteer(directory: Path, city: str) -> Gazetteer:
    """Read streets.json, landmarks.geojson and quartiers.geojson from `directory`."""
    try:
        streets_raw = _read(directory / "streets.json")
        landmarks_raw = _read(directory / "landmarks.geojson")
        quartiers_raw = _read(directory / "quartiers.geojson")
        streets = tuple(
            Street(
                s["name"],
                s["name"].split(" ", 1)[0],
                s["quartier"],
                float(s["centroid"][0]),
                float(s["centroid"][1]),
            )
            for s in streets_raw
        )
        landmarks = tuple(
            Landmark(f["properties"]["name"], *map(float, f["geometry"]["coordinates"][:2]))
            for f in landmarks_raw["features"]
        )
        quartiers = tuple(_quartier(f) for f in quartiers_raw["features"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInput(
            f"The gazetteer in {directory} is not in the expected format ({exc!r})",
            "see recoupe/nlp/data/marseille for the format of the three files",
        ) from exc
    grid = PointGrid()
    for index, street in enumerate(streets):
        grid.add(index, street.lon, street.lat)
    return Gazetteer(city, streets, landmarks, quartiers, grid)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(
            f"The gazetteer file {path} is missing", "give a directory with the three files"
        ) from None


def _quartier(feature: dict[str, Any]) -> Quartier:
    props, geometry = feature["properties"], feature["geometry"]
    parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    polygons = tuple(
        tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for ring in polygon) for polygon in parts
    )
    xs = [x for polygon in polygons for x, _ in polygon[0]]
    ys = [y for polygon in polygons for _, y in polygon[0]]
    insee = str(props["depco"])
    return Quartier(
        name=str(props["nom_qua"]),
        arrondissement=int(insee[-2:]),
        insee=insee,
        postcode=f"130{insee[-2:]}",
        polygons=polygons,
        lon=float(props["geo_point_2d"]["lon"]),
        lat=float(props["geo_point_2d"]["lat"]),
        bbox=(min(xs), min(ys), max(xs), max(ys)),
    )
