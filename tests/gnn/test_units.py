"""Forecasting cells: a 500 m grid laid by hand over Chicago, H3 hexagons, and the point-to-cell lookup."""

from __future__ import annotations

import math
from datetime import date

import h3
import numpy as np
import pytest

from recoupe.gnn.frame import Events, Units
from recoupe.gnn.units import assign, grid_units, h3_units, make_units, parse_unit
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import offset

# The plane's latitude is 41.85 (the events' mean, rounded); a 500 m column is 500 / (111 320 · cos 41.85°)
# degrees of longitude and a row 500 / 111 320 degrees of latitude. -87.65° E, 41.85° N falls in column
# floor(-14536.16) = -14537 and row floor(9317.48) = 9317.
KX = 111_320.0 * math.cos(math.radians(41.85))
COL, ROW = -14537, 9317
CENTRE_LON, CENTRE_LAT = (COL + 0.5) * 500 / KX, (ROW + 0.5) * 500 / 111_320.0


def events_at(points: list[tuple[float, float, int]]) -> Events:
    """Events of category 0 at (east m, north m) from the centre of cell (COL, ROW), on the given days."""
    lon_lat = [offset(CENTRE_LON, CENTRE_LAT, east, north) for east, north, _ in points]
    return Events(
        lat=np.array([lat for _, lat in lon_lat]),
        lon=np.array([lon for lon, _ in lon_lat]),
        day=np.array([day for _, _, day in points], dtype=np.int64),
        category=np.zeros(len(points), dtype=np.int64),
        categories=("theft",),
        start=date(2024, 1, 1),
        n_days=200,
    )


# a 3 × 3 block of cells around (COL, ROW), each point off its cell's centre; a lone cell 5 km east; a cell
# two rows above the block that only sees an incident on day 150
BLOCK = [(500.0 * i + 60, 500.0 * j - 40, 3 * (i + 1) + (j + 1)) for j in (-1, 0, 1) for i in (-1, 0, 1)]
LONE = (5000.0 + 100, 0.0, 4)
LATE = (0.0, 1000.0 + 30, 150)
EVENTS = events_at([*BLOCK, LONE, LATE])


def key(dx: int, dy: int) -> str:
    return f"grid:500:{COL + dx}:{ROW + dy}"


def degree(units: Units, cell_key: str) -> int:
    return int(np.sum(units.edges[0] == units.keys.index(cell_key)))


def test_grid_cells_keys_and_order() -> None:
    units = grid_units(EVENTS, 500, active_until_day=100)
    expected = [key(dx, -1) for dx in (-1, 0, 1)] + [key(dx, 0) for dx in (-1, 0, 1)]
    expected += [key(10, 0)] + [key(dx, 1) for dx in (-1, 0, 1)]
    assert units.name == "grid:500"
    assert units.keys == tuple(expected)  # row by row, columns within a row
    assert units.n == 10
    np.testing.assert_allclose(units.area_share, 0.1)
    centre = units.keys.index(key(0, 0))
    assert units.lat[centre] == pytest.approx(CENTRE_LAT, abs=1e-12)
    assert units.lon[centre] == pytest.approx(CENTRE_LON, abs=1e-12)


def test_grid_eight_neighbours() -> None:
    units = grid_units(EVENTS, 500, active_until_day=100)
    assert degree(units, key(0, 0)) == 8
    assert [degree(units, key(dx, dy)) for dx, dy in [(-1, -1), (1, -1), (-1, 1), (1, 1)]] == [3, 3, 3, 3]
    assert [degree(units, key(dx, dy)) for dx, dy in [(0, -1), (-1, 0), (1, 0), (0, 1)]] == [5, 5, 5, 5]
    assert degree(units, key(10, 0)) == 0
    pairs = list(zip(units.edges[0].tolist(), units.edges[1].tolist(), strict=True))
    assert pairs == sorted(set(pairs))
    assert all((b, a) in pairs for a, b in pairs)
    assert all(a != b for a, b in pairs)
    assert len(pairs) == 8 + 4 * 3 + 4 * 5


def test_active_until_day_leaves_out_a_cell_seen_only_later() -> None:
    assert key(0, 2) not in grid_units(EVENTS, 500, active_until_day=100).keys
    everything = grid_units(EVENTS, 500)
    assert key(0, 2) in everything.keys
    assert degree(everything, key(0, 2)) == 3  # touches the block's top row
    with pytest.raises(InvalidInput):
        grid_units(EVENTS, 500, active_until_day=0)


def test_assign_maps_every_event_to_its_cell() -> None:
    units = grid_units(EVENTS, 500, active_until_day=100)
    cells = assign(units, EVENTS.lat, EVENTS.lon)
    expected = [units.keys.index(key(i, j)) for j in (-1, 0, 1) for i in (-1, 0, 1)]
    assert cells.tolist() == [*expected, units.keys.index(key(10, 0)), -1]
    far_lon, far_lat = offset(CENTRE_LON, CENTRE_LAT, -30_000, 2_000)
    lookup = assign(units, np.array([far_lat, math.nan, CENTRE_LAT]), np.array([far_lon, 0.0, CENTRE_LON]))
    assert lookup.tolist() == [-1, -1, units.keys.index(key(0, 0))]


@pytest.mark.parametrize(
    ("lat", "lon"), [(41.85, -87.65), (-33.87, 151.21), (51.5, -0.01), (-0.18, -78.47), (43.3, 5.37)]
)
def test_assign_agrees_with_the_grid_anywhere(lat: float, lon: float) -> None:
    rng = np.random.default_rng(3)
    n = 2000
    events = Events(
        lat=lat + rng.uniform(-0.05, 0.05, n),
        lon=lon + rng.uniform(-0.05, 0.05, n),
        day=np.zeros(n, dtype=np.int64),
        category=np.zeros(n, dtype=np.int64),
        categories=("theft",),
        start=date(2024, 1, 1),
        n_days=1,
    )
    units = grid_units(events, 250)
    cells = assign(units, events.lat, events.lon)
    assert (cells >= 0).all()
    assert len(set(cells.tolist())) == units.n
    # every point lies in its cell's square: within half a size (plus rounding) of the centre on each axis
    east = (
        (events.lon - units.lon[cells]) * 111_320.0 * np.cos(np.radians(round(float(events.lat.mean()), 2)))
    )
    north = (events.lat - units.lat[cells]) * 111_320.0
    assert np.abs(east).max() <= 125.0 + 1e-6
    assert np.abs(north).max() <= 125.0 + 1e-6


def test_h3_cells_neighbours_and_areas() -> None:
    home = h3.latlng_to_cell(CENTRE_LAT, CENTRE_LON, 9)
    ring = sorted(h3.grid_ring(home, 1))[:2]
    far = h3.latlng_to_cell(CENTRE_LAT + 0.05, CENTRE_LON, 9)
    points = [h3.cell_to_latlng(cell) for cell in [home, *ring, far]]
    events = Events(
        lat=np.array([p[0] for p in points]),
        lon=np.array([p[1] for p in points]),
        day=np.arange(4, dtype=np.int64),
        category=np.zeros(4, dtype=np.int64),
        categories=("theft",),
        start=date(2024, 1, 1),
        n_days=4,
    )
    units = h3_units(events, 9)
    assert units.name == "h3:9"
    assert units.keys == tuple(f"h3:9:{cell}" for cell in sorted([home, *ring, far]))
    assert units.area_share.sum() == pytest.approx(1.0)
    assert units.area_share.min() > 0.2  # four cells of nearly equal area
    pairs = set(zip(units.edges[0].tolist(), units.edges[1].tolist(), strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    i = units.keys.index
    assert {(i(f"h3:9:{home}"), i(f"h3:9:{cell}")) for cell in ring} <= pairs
    assert not any(i(f"h3:9:{far}") in pair for pair in pairs)
    assert assign(units, events.lat, events.lon).tolist() == [i(f"h3:9:{c}") for c in [home, *ring, far]]
    assert assign(units, np.array([CENTRE_LAT - 0.05]), np.array([CENTRE_LON])).tolist() == [-1]
    assert h3_units(events, 9, active_until_day=1).keys == (f"h3:9:{home}",)


def test_parse_unit_and_make_units() -> None:
    assert parse_unit("grid:500") == ("grid", 500.0)
    assert parse_unit("h3:8") == ("h3", 8.0)
    assert make_units("grid:500", EVENTS, 100).keys == grid_units(EVENTS, 500, 100).keys
    assert make_units("h3:9", EVENTS).name == "h3:9"
    for bad in ["grid:0", "grid:-5", "grid:abc", "grid:", "hex:3", "h3:16", "h3:x", "h3:-1", "500"]:
        with pytest.raises(InvalidInput) as caught:
            parse_unit(bad)
        assert caught.value.fields["unit"]
