"""The backtest's picture: hit rate against the share of the area patrolled, one line per model (a PNG)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAX_SHARE_PERCENT = 20.0


def hit_rate_chart(
    curves: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]], path: str | Path, title: str
) -> Path:
    """Write a PNG of hit rate (%) against area share (0–20 %), the GNN ("gnn") first and thickest.

    `curves` maps a model's name to (area shares [K], hit rates [K]) as fractions, e.g. from
    `metrics.hit_rate_curve`. The dotted diagonal is a random choice of cells. Drawn on a bare Agg figure, so
    nothing is displayed and pyplot's global state is left alone.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.5), dpi=150, layout="constrained")
    axes = figure.add_subplot()
    for name in sorted(curves, key=lambda name: name != "gnn"):  # stable: the others keep their order
        shares, rates = (100 * np.asarray(values, dtype=np.float64) for values in curves[name])
        gnn = name == "gnn"
        axes.plot(shares, rates, label="GNN" if gnn else name, linewidth=3.0 if gnn else 1.5)
    axes.plot([0, MAX_SHARE_PERCENT], [0, MAX_SHARE_PERCENT], ":", color="grey", label="Hasard")
    axes.set_xlim(0, MAX_SHARE_PERCENT)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("Part de la surface (%)")
    axes.set_ylabel("Taux de capture (%)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    target = Path(path)
    figure.savefig(target, format="png")
    return target
