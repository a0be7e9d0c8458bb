"""Forecasting cells: a square metric grid or H3 hexagons, limited to the cells where incidents happen, and
the lookup from points to cells.

Only events before `active_until_day` decide which cells exist, so a backtest's test period never shapes the
area it is scored on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import h3
import numpy as np

from recoupe.gnn.frame import Events, Floats, Ints, Units
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import planar

H3_RESOLUTIONS = range(16)
_NEIGHBOURS_8 = tuple((dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dx or dy)


def parse_unit(spec: str) -> tuple[str, float]:
    """("grid", metres) from "grid:500", ("h3", resolution) from "h3:8"; InvalidInput otherwise."""
    kind, _, value = spec.strip().partition(":")
    hint = 'use "grid:<metres>" (e.g. "grid:500") or "h3:<resolution 0-15>" (e.g. "h3:8")'
    if kind == "grid":
        try:
            size = float(value)
        except ValueError:
            size = math.nan
        if not (math.isfinite(size) and size > 0):
            raise InvalidInput(
                f"Unknown unit {spec!r}: a grid needs a positive size in metres",
                hint,
                {"unit": "grid size must be a positive number of metres"},
            )
        return "grid", size
    if kind == "h3":
        if not (value.isdigit() and int(value) in H3_RESOLUTIONS):
            raise InvalidInput(
                f"Unknown unit {spec!r}: H3 resolutions are whole numbers from 0 to 15",
                hint,
                {"unit": "H3 resolution must be 0-15"},
            )
        return "h3", float(int(value))
    raise InvalidInput(f"Unknown unit {spec!r}", hint, {"unit": f"unknown kind {kind!r}"})


def make_units(spec: str, events: Events, active_until_day: int | None = None) -> Units:
    """The units that `spec` names ("grid:500", "h3:8"), built from the events."""
    kind, size = parse_unit(spec)
    if kind == "grid":
        return grid_units(events, size, active_until_day)
    return h3_units(events, int(size), active_until_day)


def _active(events: Events, active_until_day: int | None) -> tuple[Floats, Floats]:
    keep = np.isfinite(events.lat) & np.isfinite(events.lon)
    if active_until_day is not None:
        keep &= events.day < active_until_day
    if not keep.any():
        until = "" if active_until_day is None else f" before day {active_until_day}"
        raise InvalidInput(
            f"No located events{until} to draw the forecasting cells from",
            "load incidents first, or move the end of the training period later",
            {"events": "empty"},
        )
    return events.lat[keep], events.lon[keep]


# ---------------------------------------------------------------- square grid


def _grid_name(size_m: float) -> str:
    return f"grid:{size_m:g}"


def _scales(lat0: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude on the plane around `lat0`."""
    return planar(0.0, 1.0, lat0)[0], planar(1.0, 0.0, lat0)[1]


def _grid_cells(lat: Floats, lon: Floats, size_m: float, lat0: float) -> tuple[Ints, Ints]:
    kx, ky = _scales(lat0)
    return np.floor(lon * kx / size_m).astype(np.int64), np.floor(lat * ky / size_m).astype(np.int64)


def _pack(ix: Ints, iy: Ints) -> Ints:
    # one sortable int64 per cell; a city's cell indices are far inside ±2^31
    return (ix << 32) + (iy + (1 << 31))


def grid_units(events: Events, size_m: float, active_until_day: int | None = None) -> Units:
    """Squares of `size_m` metres anchored at multiples of the size, holding at least one event before
    `active_until_day` (None: any event); ordered by row then column, 8-neighbour adjacency, equal areas."""
    if not (math.isfinite(size_m) and size_m > 0):
        raise InvalidInput(f"Grid size {size_m} m is not positive", fields={"unit": "positive metres"})
    lat, lon = _active(events, active_until_day)
    lat0 = round(float(np.mean(lat)), 2)  # rounded so that a few more events do not move the whole grid
    ix, iy = _grid_cells(lat, lon, size_m, lat0)
    cells = sorted({(int(y), int(x)) for x, y in zip(ix, iy, strict=True)})
    index = {(x, y): i for i, (y, x) in enumerate(cells)}
    pairs = [
        (i, index[(x + dx, y + dy)])
        for i, (y, x) in enumerate(cells)
        for dx, dy in _NEIGHBOURS_8
        if (x + dx, y + dy) in index
    ]
    cx = np.array([x for _, x in cells], dtype=np.float64)
    cy = np.array([y for y, _ in cells], dtype=np.float64)
    kx, ky = _scales(lat0)
    n = len(cells)
    name = _grid_name(size_m)
    return Units(
        name=name,
        lat=(cy + 0.5) * size_m / ky,
        lon=(cx + 0.5) * size_m / kx,
        edges=_edge_array(pairs),
        area_share=np.full(n, 1.0 / n),
        keys=tuple(f"{name}:{x}:{y}" for y, x in cells),
    )


def _grid_frame(units: Units) -> tuple[float, float, Ints]:
    """(size in metres, the plane's latitude, packed cell ids) recovered from grid units.

    `Units` does not carry the plane's latitude; a cell's key and centre give it back exactly, because it was
    rounded to 0.01° and the centre's longitude is (column + ½) · size / (metres per degree of longitude)."""
    size = float(units.name.split(":")[1])
    cols = np.array([int(key.split(":")[2]) for key in units.keys], dtype=np.int64)
    rows = np.array([int(key.split(":")[3]) for key in units.keys], dtype=np.int64)
    kx = (cols[0] + 0.5) * size / units.lon[0]
    lat0 = math.copysign(math.degrees(math.acos(min(1.0, kx / planar(0.0, 1.0, 0.0)[0]))), units.lat[0])
    return size, round(lat0, 2), _pack(cols, rows)


# ---------------------------------------------------------------- H3 hexagons


def _h3_resolution(units: Units) -> int:
    return int(units.name.split(":")[1])


def h3_units(events: Events, resolution: int, active_until_day: int | None = None) -> Units:
    """H3 cells at `resolution` holding at least one event before `active_until_day`, in cell-id order;
    H3 neighbours as adjacency and each cell's true area as its share."""
    if resolution not in H3_RESOLUTIONS:
        raise InvalidInput(f"H3 resolution {resolution} is not 0-15", fields={"unit": "resolution 0-15"})
    lat, lon = _active(events, active_until_day)
    cells = sorted(
        {h3.latlng_to_cell(a, o, resolution) for a, o in zip(lat.tolist(), lon.tolist(), strict=True)}
    )
    index = {cell: i for i, cell in enumerate(cells)}
    pairs = [
        (i, index[other]) for i, cell in enumerate(cells) for other in h3.grid_ring(cell, 1) if other in index
    ]
    centres = np.array([h3.cell_to_latlng(cell) for cell in cells], dtype=np.float64).reshape(-1, 2)
    area = np.array([h3.cell_area(cell, unit="m^2") for cell in cells], dtype=np.float64)
    return Units(
        name=f"h3:{resolution}",
        lat=centres[:, 0].copy(),
        lon=centres[:, 1].copy(),
        edges=_edge_array(pairs),
        area_share=area / area.sum(),
        keys=tuple(f"h3:{resolution}:{cell}" for cell in cells),
    )


# ---------------------------------------------------------------- points to cells


def assign(units: Units, lat: Floats, lon: Floats) -> Ints:
    """The index of the cell holding each point, -1 for points outside the active cells (or not located)."""
    lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    out = np.full(lat.shape, -1, dtype=np.int64)
    located = np.isfinite(lat) & np.isfinite(lon)
    if units.n == 0 or not located.any():
        return out
    kind = units.name.split(":")[0]
    if kind == "grid":
        size, lat0, packed = _grid_frame(units)
        ix, iy = _grid_cells(lat[located], lon[located], size, lat0)
        order = np.argsort(packed, kind="stable")
        wanted = _pack(ix, iy)
        at = np.minimum(np.searchsorted(packed, wanted, sorter=order), len(order) - 1)
        found = packed[order[at]] == wanted
        out[located] = np.where(found, order[at], -1)
        return out
    if kind == "h3":
        resolution = _h3_resolution(units)
        prefix = len(f"h3:{resolution}:")
        index = {key[prefix:]: i for i, key in enumerate(units.keys)}
        points = zip(lat[located].tolist(), lon[located].tolist(), strict=True)
        out[located] = [index.get(h3.latlng_to_cell(a, o, resolution), -1) for a, o in points]
        return out
    raise InvalidInput(f"Unknown unit {units.name!r}", fields={"unit": f"unknown kind {kind!r}"})


def _edge_array(pairs: Iterable[tuple[int, int]]) -> Ints:
    """[2, M] int64, sorted by (source, target), without duplicates or self loops."""
    unique = sorted({(a, b) for a, b in pairs if a != b})
    return np.array(unique, dtype=np.int64).reshape(-1, 2).T.copy()
