"""Sampling helpers of the demo city: weighted draws, Poisson counts, and a coarse grid for nearby lookups."""

from __future__ import annotations

import bisect
import math
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

CELL_DEG = 0.004  # grid for nearby lookups: about 320 m × 440 m


@dataclass
class Grid:
    """Points bucketed in a coarse grid, for 'what is within R metres' lookups."""

    cells: dict[tuple[int, int], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, index: int, lon: float, lat: float) -> None:
        self.cells[_cell(lon, lat)].append(index)

    def near(self, lon: float, lat: float, radius_m: float) -> Iterator[int]:
        reach = math.ceil(radius_m / 320.0)
        cx, cy = _cell(lon, lat)
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                yield from self.cells.get((cx + dx, cy + dy), ())


def _cell(lon: float, lat: float) -> tuple[int, int]:
    return math.floor(lon / CELL_DEG), math.floor(lat / CELL_DEG)


class WeightedChoice:
    """Draws indices in proportion to fixed weights (bisect on cumulative sums)."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.cumulative: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cumulative.append(total)

    def draw(self, rng: random.Random) -> int:
        return min(
            bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1]), len(self.cumulative) - 1
        )


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; means here are small."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
