"""Sampling helpers of the demo city: weighted draws and Poisson counts."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence


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
