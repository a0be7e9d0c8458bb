"""Small geometry on WGS84 points (lon, lat): distances, bearings, offsets, point in polygon."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

EARTH_RADIUS_M = 6_371_008.8

Ring = Sequence[Sequence[float]]  # [(lon, lat), …], closed or not
Polygon = Sequence[Ring]  # outer ring, then holes


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial bearing from the first point to the second, degrees clockwise from north, in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point `east_m` metres east and `north_m` metres north (small offsets)."""
    dlat = north_m / EARTH_RADIUS_M
    dlon = east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return lon + math.degrees(dlon), lat + math.degrees(dlat)


def angle_between(a_deg: float, b_deg: float) -> float:
    """Smallest angle between two bearings, in [0, 180] (wraps around north)."""
    d = abs(a_deg - b_deg) % 360.0
    return 360.0 - d if d > 180.0 else d


def in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Even-odd rule; points exactly on an edge may fall either side."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    """Inside the outer ring and outside every hole."""
    return in_ring(lon, lat, polygon[0]) and not any(in_ring(lon, lat, hole) for hole in polygon[1:])


def roughly_within(lon1: float, lat1: float, lon2: float, lat2: float, radius_m: float) -> bool:
    """A cheap bounding-box prefilter: never rejects a point that `distance_m` would accept."""
    margin = radius_m * 1.01 + 1.0
    if abs(lat2 - lat1) * 110_574.0 > margin:
        return False
    return abs(lon2 - lon1) * 111_320.0 * math.cos(math.radians(max(abs(lat1), abs(lat2)) + 0.01)) <= margin


class PointGrid:
    """Indices of points bucketed in a lon/lat grid, for 'what lies within R metres' lookups."""

    def __init__(self, cell_deg: float = 0.0015) -> None:  # about 120 m × 170 m at Marseille's latitude
        self.cell_deg = cell_deg
        self.cells: dict[tuple[int, int], list[int]] = {}

    def _cell(self, lon: float, lat: float) -> tuple[int, int]:
        return math.floor(lon / self.cell_deg), math.floor(lat / self.cell_deg)

    def add(self, index: int, lon: float, lat: float) -> None:
        self.cells.setdefault(self._cell(lon, lat), []).append(index)

    def near(self, lon: float, lat: float, radius_m: float) -> Iterator[int]:
        """Every index whose cell may hold a point within `radius_m` (filter with `distance_m`)."""
        reach_y = math.ceil(radius_m / (self.cell_deg * 110_574.0))
        reach_x = math.ceil(
            radius_m / (self.cell_deg * 111_320.0 * math.cos(math.radians(min(abs(lat) + 1, 89))))
        )
        cx, cy = self._cell(lon, lat)
        for dx in range(-reach_x, reach_x + 1):
            for dy in range(-reach_y, reach_y + 1):
                yield from self.cells.get((cx + dx, cy + dy), ())


# ---------------------------------------------------------------- space-time keys
# An incident's `geo_key` names its square of about GEO_KEY_M metres and its week, so that the incidents near
# it in space and time are found by a handful of exact index lookups instead of a scan.

GEO_KEY_M = 250.0
WEEK_S = 7 * 86_400
M_PER_DEG_LAT = 111_320.0


def _key_row(lat: float) -> int:
    return math.floor(lat * M_PER_DEG_LAT / GEO_KEY_M)


def _key_col(lon: float, row: int) -> int:
    # one scale per row (the cosine at the row's middle latitude), so a row's squares are regular
    mid = (row + 0.5) * GEO_KEY_M / M_PER_DEG_LAT
    return math.floor(lon * M_PER_DEG_LAT * math.cos(math.radians(mid)) / GEO_KEY_M)


def geo_key(lat: float, lon: float, epoch_s: float) -> str:
    """'row:col:week' of a point at a time (seconds since the epoch)."""
    row = _key_row(lat)
    return f"{row}:{_key_col(lon, row)}:{math.floor(epoch_s / WEEK_S)}"


def geo_keys_near(lat: float, lon: float, radius_m: float, from_s: float, to_s: float) -> list[str]:
    """Every key whose square may hold a point within `radius_m` and whose week meets [from_s, to_s]."""
    dlat = radius_m * 1.01 / M_PER_DEG_LAT  # 1 % margin: the haversine's metres are not the plane's
    weeks = range(math.floor(from_s / WEEK_S), math.floor(to_s / WEEK_S) + 1)
    keys = []
    for row in range(_key_row(lat - dlat), _key_row(lat + dlat) + 1):
        mid = (row + 0.5) * GEO_KEY_M / M_PER_DEG_LAT
        dlon = radius_m / (M_PER_DEG_LAT * max(math.cos(math.radians(mid)), 0.01)) * 1.01
        for col in range(_key_col(lon - dlon, row), _key_col(lon + dlon, row) + 1):
            keys += [f"{row}:{col}:{week}" for week in weeks]
    return keys


def planar(lat: float, lon: float, lat0: float) -> tuple[float, float]:
    """Metres east and north of (lat0, 0) on a local equirectangular plane: accurate to a fraction of a
    per cent over a city, and cheap enough for millions of pair tests."""
    return lon * M_PER_DEG_LAT * math.cos(math.radians(lat0)), lat * M_PER_DEG_LAT
