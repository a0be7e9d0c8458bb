"""The forecasting data, as arrays: what the graph holds (events, cameras, assets) and the units it is
counted in. Everything else in `recoupe/gnn` (features, baselines, the model, the backtest) works on these, so
it can be tested without a graph and run on any city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Events:
    """Incidents as parallel arrays; `day` counts local calendar days from `start` (day 0)."""

    lat: Floats
    lon: Floats
    day: Ints
    category: Ints  # index into `categories`
    categories: tuple[str, ...]
    start: date
    n_days: int


@dataclass(frozen=True)
class Sensors:
    """Cameras and street assets (static layers; camera outages as day intervals)."""

    camera_lat: Floats
    camera_lon: Floats
    camera_out: tuple[tuple[int, int, int], ...]  # (camera index, first day out, last day out), inclusive
    asset_lat: Floats
    asset_lon: Floats
    asset_damaged_day: Ints  # day of each DAMAGED link (for "recent damage"), any asset

    @staticmethod
    def empty() -> Sensors:
        none = np.zeros(0)
        return Sensors(none, none, (), none, none, np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class Units:
    """Forecasting cells: centres, spatial adjacency (both directions) and each cell's share of the area."""

    name: str  # "grid:500", "h3:8"
    lat: Floats  # [N] centres
    lon: Floats
    edges: Ints  # [2, M] neighbour pairs, both directions, no self loops
    area_share: Floats  # [N], sums to 1
    keys: tuple[str, ...]  # stable cell ids ("grid:500:12:-40", "h3:8:882a1072b5fffff")

    @property
    def n(self) -> int:
        return len(self.keys)
