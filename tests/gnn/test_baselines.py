"""Baselines on tiny histories computed by hand, and none of them looks ahead of its origin."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from recoupe.gnn.baselines import gradient_boosting, kde_hotspots, last_period, logistic_model, trailing_mean
from recoupe.gnn.frame import Floats
from recoupe.gnn.metrics import average_precision

# five steps, two cells, one category
HISTORY = np.array([[1, 0], [0, 1], [2, 0], [3, 0], [0, 4]]).reshape(5, 2, 1)
ORIGINS = np.array([0, 1, 3, 5])


def test_trailing_mean_averages_the_steps_before_the_origin() -> None:
    scores = trailing_mean(HISTORY, ORIGINS, window=2)
    # origin 0: nothing yet; 1: step 0 only; 3: steps 1, 2; 5: steps 3, 4
    assert scores[..., 0].tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [1.5, 2.0]]
    assert trailing_mean(HISTORY, [5], window=30)[0, :, 0].tolist() == [6 / 5, 5 / 5]


def test_last_period_sums_the_last_horizon() -> None:
    scores = last_period(HISTORY, ORIGINS, horizon=2)
    assert scores[..., 0].tolist() == [[0.0, 0.0], [1.0, 0.0], [2.0, 1.0], [3.0, 4.0]]


def test_kde_smooths_counts_with_a_gaussian_between_cell_centres() -> None:
    history = np.array([[[2, 1], [0, 0]]])  # one step: cell 0 holds 2 of category 0 and 1 of category 1
    xy = np.array([[0.0, 0.0], [1000.0, 0.0]])
    scores = kde_hotspots(history, [1], xy, bandwidth_m=1000.0, window=None)
    peak = 1 / (2 * math.pi * 1000.0**2)
    assert scores[0, :, 0] == pytest.approx([2 * peak, 2 * peak * math.exp(-0.5)])
    assert scores[0, :, 1] == pytest.approx([peak, peak * math.exp(-0.5)])


def test_kde_divides_by_the_steps_of_the_window() -> None:
    xy = np.array([[0.0, 0.0], [1000.0, 0.0]])
    narrow = kde_hotspots(HISTORY, [5], xy, bandwidth_m=1.0, window=2)
    # a kernel much narrower than the cells gives back the trailing mean per m²
    assert narrow[0, :, 0] * 2 * math.pi == pytest.approx([1.5, 2.0])


def _kde(history: Floats, origins: Floats) -> Floats:
    xy = np.random.default_rng(0).uniform(0, 3000, size=(history.shape[1], 2))
    return kde_hotspots(history, origins, xy, bandwidth_m=400.0, window=10)


COUNT_BASELINES: dict[str, Callable[[Floats, Floats], Floats]] = {
    "trailing_mean_7": lambda history, origins: trailing_mean(history, origins, 7),
    "trailing_mean_30": lambda history, origins: trailing_mean(history, origins, 30),
    "last_period": lambda history, origins: last_period(history, origins, 7),
    "kde_window": _kde,
    "kde_all": lambda history, origins: kde_hotspots(
        history, origins, np.arange(2 * history.shape[1]).reshape(-1, 2) * 100.0, 250.0, None
    ),
}


@pytest.mark.parametrize("name", COUNT_BASELINES)
def test_no_baseline_reads_its_origin_or_later(name: str) -> None:
    baseline = COUNT_BASELINES[name]
    rng = np.random.default_rng(1)
    history = rng.poisson(0.5, size=(40, 12, 3)).astype(np.float64)
    origins = np.array([0, 1, 5, 20, 39, 40])
    before = baseline(history, origins)
    for t, origin in enumerate(origins):
        changed = history.copy()
        changed[origin:] = rng.poisson(3.0, size=changed[origin:].shape)
        assert np.array_equal(baseline(changed, origins)[t], before[t]), (name, origin)
    changed = history.copy()
    changed[19] += 5  # one step before origin 20: the forecast there must see it
    assert not np.array_equal(baseline(changed, origins)[3], before[3])


def test_origins_beyond_the_history_are_refused() -> None:
    with pytest.raises(ValueError, match="origins"):
        trailing_mean(HISTORY, [6], window=2)


def _separable(seed: int) -> tuple[Floats, Floats, Floats, Floats]:
    """Feature 0 decides the label (category 0: above 0; category 1: below -1); features 1, 2 are noise."""
    rng = np.random.default_rng(seed)
    x_train, x_test = rng.normal(size=(30, 50, 3)), rng.normal(size=(10, 50, 3))
    y_train = np.stack([x_train[..., 0] > 0, x_train[..., 0] < -1], axis=2).astype(np.float64)
    y_test = np.stack([x_test[..., 0] > 0, x_test[..., 0] < -1], axis=2).astype(np.float64)
    return x_train, y_train, x_test, y_test


@pytest.mark.parametrize("model", [logistic_model, gradient_boosting])
def test_feature_models_separate_separable_data_deterministically(
    model: Callable[..., Floats],
) -> None:
    x_train, y_train, x_test, y_test = _separable(2)
    # one thread: on a busy two-core machine OpenMP's spinning threads make the boosting 30 times slower
    with threadpool_limits(limits=1):
        probs = model(x_train, y_train, x_test, max_rows=1000)  # 1500 rows: subsampled
        again = model(x_train, y_train, x_test, max_rows=1000)
    assert probs.shape == (10, 50, 2)
    micro, _, per_category = average_precision(probs, y_test)
    assert micro > 0.95
    assert per_category.min() > 0.95
    assert np.array_equal(again, probs)


def test_logistic_predicts_each_test_row_from_that_row_alone() -> None:
    x_train, y_train, x_test, _ = _separable(4)
    changed = x_test.copy()
    changed[5:] = 0.0
    assert np.array_equal(
        logistic_model(x_train, y_train, changed)[:5], logistic_model(x_train, y_train, x_test)[:5]
    )


def test_a_category_never_seen_gets_its_base_rate() -> None:
    x_train, y_train, x_test, _ = _separable(5)
    y_train[..., 1] = 0.0
    assert np.all(logistic_model(x_train, y_train, x_test)[..., 1] == 0.0)
