"""The forecasts a graph model must beat: each reads only the counts before an origin (no look-ahead).

`history[D, N, C]` holds incident counts per step (usually a day), cell and category. A count baseline returns
`scores[T, N, C]` for `origins[T]`: the forecast at origin o reads `history[:o]` only, never step o or later,
and ranks cells for steps o .. o+h-1. The feature models (`logistic_model`, `gradient_boosting`) take the same
features as the graph model and return probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from recoupe.gnn.frame import Floats

MAX_ROWS = 200_000


def trailing_mean(history: npt.ArrayLike, origins: npt.ArrayLike, window: int) -> Floats:
    """Historical average ("HA" in crime-forecasting papers): each cell's mean count per step over the
    `window` steps before the origin; fewer steps near the start of the history, and 0 at origin 0.
    """
    sums, steps = _trailing_sums(history, origins, window)
    return sums / np.maximum(steps, 1)[:, None, None]


def last_period(history: npt.ArrayLike, origins: npt.ArrayLike, horizon: int) -> Floats:
    """Persistence (naive forecast): the counts of the last `horizon` steps, i.e. "last period repeats"."""
    return _trailing_sums(history, origins, horizon)[0]


def kde_hotspots(
    history: npt.ArrayLike,
    origins: npt.ArrayLike,
    cell_xy: npt.ArrayLike,
    bandwidth_m: float,
    window: int | None = 365,
) -> Floats:
    """Retrospective kernel density hotspot map (Chainey, Tompson & Uhlig 2008), per category.

    Incidents of the `window` steps before the origin (all history when None) are smoothed with a Gaussian
    kernel of standard deviation `bandwidth_m` and the density is read at each cell centre: score[n] =
    Σ_m count[m] · exp(-d(n, m)² / 2b²) / (2πb²) / steps, in incidents per m² per step. The history holds
    counts per cell, so each incident sits at its cell's centre; a bandwidth below the cell size gives back
    the trailing mean per m². `cell_xy[N, 2]` are projected coordinates in metres. The N×N kernel is built
    once (N = 3000 takes 72 MB) and applied to all origins and categories in one matrix product.
    """
    if bandwidth_m <= 0:
        raise ValueError(f"bandwidth_m must be positive, got {bandwidth_m}")
    sums, steps = _trailing_sums(history, origins, window)
    xy = np.asarray(cell_xy, dtype=np.float64)
    n_origins, n_cells, n_categories = sums.shape
    if xy.shape != (n_cells, 2):
        raise ValueError(f"cell_xy must be [{n_cells}, 2], got shape {xy.shape}")
    squared = (xy[:, None, 0] - xy[None, :, 0]) ** 2
    squared += (xy[:, None, 1] - xy[None, :, 1]) ** 2
    kernel = np.exp(squared / (-2 * bandwidth_m**2), out=squared) / (2 * np.pi * bandwidth_m**2)
    rates = sums / np.maximum(steps, 1)[:, None, None]
    by_cell = rates.transpose(1, 0, 2).reshape(n_cells, n_origins * n_categories)
    smoothed = kernel @ by_cell
    return np.ascontiguousarray(smoothed.reshape(n_cells, n_origins, n_categories).transpose(1, 0, 2))


def logistic_model(
    X_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    X_test: npt.ArrayLike,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> Floats:
    """Non-graph model on the graph model's features: one logistic regression per category, probs [T, N, C].

    Each (step, cell) is an independent row; `y_train > 0` is the target. Features are standardised with a
    StandardScaler fitted on the training rows; LogisticRegression(C=1.0, class_weight=None, max_iter=500).
    For speed, at most `max_rows` training rows are used, drawn without replacement with `seed` (the same
    rows for every category). A category with one class only in those rows gets its base rate.
    """

    def model() -> Any:
        return LogisticRegression(C=1.0, class_weight=None, max_iter=500)

    return _per_category(model, X_train, y_train, X_test, max_rows, seed, standardise=True)


def gradient_boosting(
    X_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    X_test: npt.ArrayLike,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> Floats:
    """Non-graph, non-linear model: sklearn's HistGradientBoostingClassifier per category, probs [T, N, C].

    Defaults (100 trees of at most 31 leaves, learning rate 0.1) without early stopping, so no validation
    split is drawn and two runs agree. Rows are subsampled as in `logistic_model`; trees need no scaling.
    """

    def model() -> Any:
        return HistGradientBoostingClassifier(early_stopping=False, random_state=seed)

    return _per_category(model, X_train, y_train, X_test, max_rows, seed, standardise=False)


def _trailing_sums(
    history: npt.ArrayLike, origins: npt.ArrayLike, window: int | None
) -> tuple[Floats, npt.NDArray[np.int64]]:
    """Counts summed over the `window` steps before each origin [T, N, C], and how many steps that was [T]."""
    counts = np.asarray(history, dtype=np.float64)
    at = np.asarray(origins, dtype=np.int64)
    if counts.ndim != 3:
        raise ValueError(f"history must be [D, N, C], got shape {counts.shape}")
    if at.ndim != 1 or (at < 0).any() or (at > len(counts)).any():
        raise ValueError(f"origins must be a list of steps between 0 and {len(counts)}")
    if window is not None and window < 1:
        raise ValueError(f"window must be at least one step, got {window}")
    start = np.zeros_like(at) if window is None else np.maximum(at - window, 0)
    # running[k] = counts of steps 0 .. k-1: it reads nothing at or after k
    running = np.zeros((len(counts) + 1, *counts.shape[1:]))
    np.cumsum(counts, axis=0, out=running[1:])
    return running[at] - running[start], at - start


def _per_category(
    model: Callable[[], Any],
    X_train: npt.ArrayLike,
    y_train: npt.ArrayLike,
    X_test: npt.ArrayLike,
    max_rows: int,
    seed: int,
    standardise: bool,
) -> Floats:
    """Fit `model()` per category on (step, cell) rows and predict the positive class's probability."""
    features, test = np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)
    labels = np.asarray(y_train) > 0
    if features.ndim != 3 or test.ndim != 3 or labels.ndim != 3:
        raise ValueError("X_train, y_train and X_test must be [steps, cells, features or categories]")
    if labels.shape[:2] != features.shape[:2] or test.shape[2] != features.shape[2]:
        shapes = f"X_train {features.shape}, y_train {labels.shape}, X_test {test.shape}"
        raise ValueError(f"shapes differ: {shapes}")
    rows, test_rows = features.reshape(-1, features.shape[2]), test.reshape(-1, test.shape[2])
    targets = labels.reshape(-1, labels.shape[2])
    if len(rows) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), size=max_rows, replace=False))
        rows, targets = rows[keep], targets[keep]
    if standardise:
        scaler = StandardScaler().fit(rows)
        rows, test_rows = scaler.transform(rows), scaler.transform(test_rows)
    probs = np.empty((len(test_rows), targets.shape[1]))
    for c in range(targets.shape[1]):
        target = targets[:, c]
        if target.all() or not target.any():
            probs[:, c] = float(target.mean())
        else:
            probs[:, c] = model().fit(rows, target).predict_proba(test_rows)[:, 1]
    return probs.reshape(*test.shape[:2], targets.shape[1])
