"""The link rules themselves, pure: points and times in, links with their reasons out (no graph). Running
them against the graph and writing the difference is links.py; the choices are explained in docs/linking.md.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from recoupe.ontology.geo import (
    Polygon,
    angle_between,
    bearing_deg,
    distance_m,
    in_polygon,
    planar,
    roughly_within,
)

# Places whose point says where it happened; a quartier or city centroid says nothing a camera could see.
LOCATED = ("address", "landmark", "street")
DAMAGE_CATEGORIES = ("vandalism", "graffiti", "arson", "road_hazard", "traffic_accident")
# Related categories for near repeats: a category repeats within its groups (robbery is both property and
# violence). Traffic and "other" do not spread by contagion and have no group.
NEAR_REPEAT_GROUPS: dict[str, tuple[str, ...]] = {
    "property": ("burglary", "theft", "robbery"),
    "violence": ("assault", "brawl", "robbery"),
    "damage": ("vandalism", "graffiti", "arson"),
    "nuisance": ("noise", "public_disorder", "drugs", "illegal_dumping"),
}


# ---------------------------------------------------------------- what the rules read


@dataclass(frozen=True)
class IncidentPoint:
    id: str
    lat: float
    lon: float
    start: float  # occurred_from, seconds since the epoch
    end: float  # occurred_to
    category: str
    precision: str
    asset_types: tuple[str, ...] = ()
    asset_spans: tuple[str, ...] = ()


@dataclass(frozen=True)
class CameraPoint:
    id: str
    lat: float
    lon: float
    bearing_deg: float
    fov_deg: float
    range_m: float
    installed: float | None = None
    removed: float | None = None
    outages: tuple[tuple[float, float | None], ...] = ()


@dataclass(frozen=True)
class AssetPoint:
    id: str
    type: str
    lat: float
    lon: float
    installed: float | None = None
    removed: float | None = None


@dataclass(frozen=True)
class QuartierArea:
    id: str
    polygons: tuple[Polygon, ...]
    bbox: tuple[float, float, float, float]  # west, south, east, north

    def contains(self, lat: float, lon: float) -> bool:
        west, south, east, north = self.bbox
        return (
            west <= lon <= east
            and south <= lat <= north
            and any(in_polygon(lon, lat, p) for p in self.polygons)
        )


# ---------------------------------------------------------------- rules (pure: points in, links out)

Link = tuple[str, str, str, dict[str, Any]]  # (relationship type, from id, to id, properties)


@dataclass(frozen=True)
class SeenBy:
    """Cameras that saw an incident, or would have if they had been working."""

    name: str = "seen_by"
    precisions: tuple[str, ...] = LOCATED

    def links(self, incidents: Iterable[IncidentPoint], cameras: Sequence[CameraPoint]) -> Iterator[Link]:
        grid = _Grid(max((c.range_m for c in cameras), default=1.0))
        for n, camera in enumerate(cameras):
            grid.add(n, camera.lat, camera.lon)
        for incident in incidents:
            if incident.precision not in self.precisions:
                continue
            for n in grid.near(incident.lat, incident.lon):
                camera = cameras[n]
                seen = in_wedge(camera, incident.lat, incident.lon)
                if seen is None:
                    continue
                state = working(camera, incident.start, incident.end)
                if state is None:
                    continue
                kind = "SEEN_BY" if state else "MISSED_BY"
                props = {"rule": self.name, "distance_m": round(seen[0], 1), "angle_deg": round(seen[1], 1)}
                yield kind, incident.id, camera.id, props


def in_wedge(camera: CameraPoint, lat: float, lon: float) -> tuple[float, float] | None:
    """(distance, angle off the camera's axis) when the point lies within range and inside the field-of-view
    wedge (bearings wrap around north), else None. A point under the camera (< 1 m) is in view."""
    if not roughly_within(camera.lon, camera.lat, lon, lat, camera.range_m):
        return None
    metres = distance_m(camera.lon, camera.lat, lon, lat)
    if metres > camera.range_m:
        return None
    if metres < 1.0:
        return metres, 0.0
    off = angle_between(camera.bearing_deg, bearing_deg(camera.lon, camera.lat, lon, lat))
    return (metres, off) if off <= camera.fov_deg / 2 else None


def working(camera: CameraPoint, start: float, end: float) -> bool | None:
    """True when the camera was installed and working at some moment of [start, end]; False when installed but
    out for the whole interval; None when it was not installed (or already removed) then."""
    if camera.installed is not None and camera.installed > end:
        return None
    if camera.removed is not None and camera.removed < start:
        return None
    begin = max(start, camera.installed) if camera.installed is not None else start
    finish = min(end, camera.removed) if camera.removed is not None else end
    uncovered = [(begin, finish)]
    for out_from, out_to in sorted(camera.outages, key=lambda o: (o[0], math.inf if o[1] is None else o[1])):
        out_end = math.inf if out_to is None else out_to
        remaining = []
        for a, b in uncovered:
            if out_end < a or out_from > b:
                remaining.append((a, b))
                continue
            if out_from > a:
                remaining.append((a, out_from))
            if out_end < b:
                remaining.append((out_end, b))
        uncovered = remaining
    return bool(uncovered)


@dataclass(frozen=True)
class Damaged:
    """The asset a damage incident names: nearest of its type within the radius."""

    name: str = "damaged"
    radius_m: float = 150.0
    categories: tuple[str, ...] = DAMAGE_CATEGORIES

    def links(self, incidents: Iterable[IncidentPoint], assets: Sequence[AssetPoint]) -> Iterator[Link]:
        by_type: dict[str, tuple[_Grid, list[AssetPoint]]] = {}
        for asset in assets:
            grid, members = by_type.setdefault(asset.type, (_Grid(self.radius_m), []))
            grid.add(len(members), asset.lat, asset.lon)
            members.append(asset)
        for incident in incidents:
            if incident.category not in self.categories or incident.precision not in LOCATED:
                continue
            done: set[str] = set()
            for asset_type, span in zip(incident.asset_types, incident.asset_spans, strict=False):
                if asset_type in done or asset_type not in by_type:
                    continue
                done.add(asset_type)
                grid, members = by_type[asset_type]
                best: tuple[float, str, AssetPoint] | None = None
                for n in grid.near(incident.lat, incident.lon):
                    asset = members[n]
                    if asset.installed is not None and asset.installed > incident.end:
                        continue
                    if asset.removed is not None and asset.removed < incident.start:
                        continue
                    metres = distance_m(incident.lon, incident.lat, asset.lon, asset.lat)
                    if metres <= self.radius_m and (best is None or (metres, asset.id) < best[:2]):
                        best = (metres, asset.id, asset)
                if best is not None:
                    start, end = (int(v) for v in span.split(":"))
                    props = {"rule": self.name, "distance_m": round(best[0], 1), "start": start, "end": end}
                    yield "DAMAGED", incident.id, best[1], props


@dataclass(frozen=True)
class NearRepeat:
    """Later incident → earlier related incident within `radius_m` and `days`; at most `max_links` per later
    incident, the closest in time (a dense street would otherwise link every pair)."""

    name: str = "near_repeat"
    radius_m: float = 200.0
    days: float = 14.0
    max_links: int = 5
    groups: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(NEAR_REPEAT_GROUPS))

    def links(self, incidents: Sequence[IncidentPoint], scope: set[str] | None = None) -> Iterator[Link]:
        """Links touching `scope` (every link when None)."""
        window = self.days * 86_400
        r2 = self.radius_m**2
        if not incidents:
            return
        lat0 = sum(i.lat for i in incidents) / len(incidents)
        # per group: cell → incidents sorted by start time (planar metres, start, id)
        cells: dict[str, dict[tuple[int, int], list[tuple[float, float, float, str]]]] = {}
        member_of: dict[str, list[str]] = defaultdict(list)
        for group, categories in self.groups.items():
            for category in categories:
                member_of[category].append(group)
        ordered = sorted((i for i in incidents if i.precision in LOCATED), key=lambda i: (i.start, i.id))
        for incident in ordered:
            x, y = planar(incident.lat, incident.lon, lat0)
            cell = (math.floor(x / self.radius_m), math.floor(y / self.radius_m))
            for group in member_of.get(incident.category, ()):
                cells.setdefault(group, {}).setdefault(cell, []).append((incident.start, x, y, incident.id))
        starts = {
            group: {cell: [e[0] for e in entries] for cell, entries in grid.items()}
            for group, grid in cells.items()
        }
        for later in ordered:
            groups = member_of.get(later.category, ())
            if not groups:
                continue
            x, y = planar(later.lat, later.lon, lat0)
            cx, cy = math.floor(x / self.radius_m), math.floor(y / self.radius_m)
            found: dict[str, tuple[float, float]] = {}  # earlier id → (seconds before, metres)
            for group in groups:
                grid, times = cells[group], starts[group]
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        entries = grid.get((cx + dx, cy + dy))
                        if not entries:
                            continue
                        n = bisect.bisect_right(times[(cx + dx, cy + dy)], later.start) - 1
                        kept = 0
                        while n >= 0 and kept < self.max_links:
                            start, ex, ey, other = entries[n]
                            n -= 1
                            gap = later.start - start
                            if gap > window:
                                break
                            if other == later.id or (gap == 0 and other > later.id):
                                continue  # itself; a simultaneous pair links from the greater id only
                            d2 = (ex - x) ** 2 + (ey - y) ** 2
                            if d2 <= r2:
                                found.setdefault(other, (gap, math.sqrt(d2)))
                                kept += 1
            nearest = sorted((gap, other, metres) for other, (gap, metres) in found.items())[: self.max_links]
            for gap, other, metres in nearest:
                if scope is None or later.id in scope or other in scope:
                    props = {"rule": self.name, "metres": round(metres, 1), "hours": round(gap / 3600, 2)}
                    yield "NEAR_REPEAT", later.id, other, props


@dataclass(frozen=True)
class Containment:
    """Places, cameras and assets in the quartier whose polygon holds their point."""

    name: str = "in"

    def links(
        self, points: Iterable[tuple[str, str, float, float]], quartiers: Sequence[QuartierArea]
    ) -> Iterator[Link]:
        """`points`: (label, id, lat, lon) → ('IN:<label>', id, quartier id, {})."""
        for label, node_id, lat, lon in points:
            for quartier in quartiers:
                if quartier.contains(lat, lon):
                    yield f"IN:{label}", node_id, quartier.id, {}
                    break


class _Grid:
    """Indices bucketed in squares of one size in metres; `near` yields those whose square touches the
    circle of that size (callers check the exact distance)."""

    def __init__(self, size_m: float) -> None:
        # 1 % wider than asked: the plane's metres and the haversine's differ by about 0.1 %
        self.size = max(size_m, 1.0) * 1.01
        self.cells: dict[tuple[int, int], list[int]] = defaultdict(list)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        x, y = planar(lat, lon, 45.0)  # one fixed scale: squares stay consistent everywhere
        return math.floor(x / self.size), math.floor(y / self.size)

    def add(self, n: int, lat: float, lon: float) -> None:
        self.cells[self._cell(lat, lon)].append(n)

    def near(self, lat: float, lon: float) -> Iterator[int]:
        cx, cy = self._cell(lat, lon)
        # at 45° the x scale is cos(45°) ≈ 0.71 of the true one near the equator and larger towards the poles:
        # reach far enough in x for latitudes up to 70°
        reach_x = max(
            1, math.ceil(math.cos(math.radians(45.0)) / math.cos(math.radians(min(abs(lat), 70.0))))
        )
        for dx in range(-reach_x, reach_x + 1):
            for dy in (-1, 0, 1):
                yield from self.cells.get((cx + dx, cy + dy), ())
