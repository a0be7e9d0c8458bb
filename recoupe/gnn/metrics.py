"""How good a risk forecast is, over test origins: hit rate and PAI by area, F1, average precision, Brier.

Arrays follow the forecasting convention: `scores[T, N, C]` (higher = riskier), `counts[T, N, C]`
(incidents of category c in cell n during the horizon after origin t), `area_share[N]` (sums to 1). A
cell-category is positive when its count is above zero. Undefined values (no incidents, no positives) are
NaN, never 0.

Hit rate and PAI (Chainey, Tompson & Uhlig 2008) rank the cells of each origin by score, higher first, ties to
the lower cell index. Cells are taken in that order until their cumulative area share reaches the fraction;
the cell that crosses it is taken only if that leaves the covered share nearer the fraction (taken on a tie),
and at least one cell is always taken: with N equal cells, the top max(1, round-half-up(fraction × N)).
Captured and all incidents are summed over origins before dividing (micro over time); PAI divides the hit
rate by the area share actually covered, averaged over origins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from recoupe.gnn.frame import Floats

FRACTIONS = (0.01, 0.05, 0.10)
CHANCE_DRAWS, CHANCE_CELLS = 200, 50_000_000  # draws of the chance ceiling; their cells × origins at most
_TIE = 1e-9  # two covered shares this close count as equally near the target (float sums of equal shares)


class Evaluation(TypedDict):
    """What `evaluate` returns: metric name to value, for all categories together and for each one."""

    overall: dict[str, float]
    per_category: dict[int, dict[str, float]]


def _matrix(values: npt.ArrayLike, name: str) -> Floats:
    """[N] (one origin) or [T, N] as a float [T, N] array."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be [N] or [T, N], got shape {array.shape}")
    return array


def _cube(values: npt.ArrayLike, name: str) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 3:
        raise ValueError(f"{name} must be [T, N, C], got shape {array.shape}")
    return array


def _captures(
    scores_tn: npt.ArrayLike, counts_tn: npt.ArrayLike, area_share: npt.ArrayLike, fractions: Sequence[float]
) -> tuple[Floats, Floats, float]:
    """Captured incidents [K] and mean share covered [K] per fraction, and all incidents (module rule)."""
    scores, counts = _matrix(scores_tn, "scores"), _matrix(counts_tn, "counts")
    area = np.asarray(area_share, dtype=np.float64)
    if scores.shape != counts.shape or area.shape != scores.shape[1:]:
        raise ValueError(f"shapes differ: scores {scores.shape}, counts {counts.shape}, area {area.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite to be ranked")
    n_origins, n_cells = scores.shape
    rows = np.arange(n_origins)
    order = np.argsort(-scores, axis=1, kind="stable")  # stable: equal scores keep the lower index first
    covered = np.cumsum(area[order], axis=1)
    captured = np.cumsum(counts[rows[:, None], order], axis=1)
    caught, shares = np.empty(len(fractions)), np.empty(len(fractions))
    for k, fraction in enumerate(fractions):
        crossing = np.minimum((covered < fraction).sum(axis=1), n_cells - 1)
        before = np.where(crossing > 0, covered[rows, np.maximum(crossing - 1, 0)], 0.0)
        over = covered[rows, crossing] - fraction
        taken = np.maximum(crossing + (over <= fraction - before + _TIE), 1)
        caught[k] = captured[rows, taken - 1].sum()
        shares[k] = covered[rows, taken - 1].mean()
    return caught, shares, float(counts.sum())


def hit_rate_and_pai(
    scores_tn: npt.ArrayLike, counts_tn: npt.ArrayLike, area_share: npt.ArrayLike, fraction: float
) -> tuple[float, float]:
    """Hit rate (incidents in the top cells / all incidents, summed over origins) and PAI (hit rate / share).

    The share is the area actually covered, averaged over origins. NaN for both when there are no incidents.
    `scores_tn` and `counts_tn` are [T, N], or [N] for one origin.
    """
    caught, shares, total = _captures(scores_tn, counts_tn, area_share, [fraction])
    if total == 0:
        return float("nan"), float("nan")
    hit_rate = float(caught[0] / total)
    return hit_rate, hit_rate / float(shares[0])


def references(
    counts_tn: npt.ArrayLike, area_share: npt.ArrayLike, seed: int = 7
) -> dict[str, dict[str, float]]:
    """Rankings that read the test period's own incidents, so no forecast can use them, as yardsticks (hit
    rate and PAI at each of FRACTIONS):

    - `level_oracle`: every origin's cells ranked by each cell's mean over all the test origins. It knows
      every cell's level over the period, not its changes from one origin to the next: a model that forecast
      each level perfectly, and nothing else, would score this.
    - `chance_ceiling`: the ceiling of a period where every cell kept that level and chance alone (Poisson
      draws, seeded) made its counts, averaged over the draws. When the real ceiling is no higher, the changes
      from one origin to the next are no larger than chance makes them, and the level oracle is about the
      best a forecast can hope for.
    - `ceiling`: each origin's cells ranked by the incidents that happened after it. No model does better."""
    counts = _matrix(counts_tn, "counts")
    level = np.broadcast_to(counts.mean(axis=0), counts.shape)
    rng = np.random.default_rng(seed)
    n_draws = int(np.clip(CHANCE_CELLS // max(1, counts.size), 10, CHANCE_DRAWS))  # bounded on big grids
    draws = [_ranked(drawn, drawn, area_share) for drawn in (rng.poisson(level) for _ in range(n_draws))]
    return {
        "level_oracle": _ranked(level, counts, area_share),
        "chance_ceiling": {key: _mean_of([d[key] for d in draws]) for key in draws[0]},
        "ceiling": _ranked(counts, counts, area_share),
    }


def _mean_of(values: list[float]) -> float:
    """The mean of the defined values (NaN when none is: a period without incidents)."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")


def _ranked(scores: npt.ArrayLike, counts: npt.ArrayLike, area_share: npt.ArrayLike) -> dict[str, float]:
    """Hit rate and PAI at each of FRACTIONS, by name ("hit_rate@5", "pai@5")."""
    found = {}
    for fraction in FRACTIONS:
        share = round(fraction * 100)
        found[f"hit_rate@{share}"], found[f"pai@{share}"] = hit_rate_and_pai(
            scores, counts, area_share, fraction
        )
    return found


def hit_rate_at(
    scores_tn: npt.ArrayLike, counts_tn: npt.ArrayLike, area_share: npt.ArrayLike, fraction: float
) -> float:
    """Share of all incidents in the riskiest cells covering `fraction` of the area (the module's rule)."""
    return hit_rate_and_pai(scores_tn, counts_tn, area_share, fraction)[0]


def pai_at(
    scores_tn: npt.ArrayLike, counts_tn: npt.ArrayLike, area_share: npt.ArrayLike, fraction: float
) -> float:
    """Predictive accuracy index: hit rate divided by the area share covered (1 = no better than chance)."""
    return hit_rate_and_pai(scores_tn, counts_tn, area_share, fraction)[1]


def hit_rate_curve(
    scores_tn: npt.ArrayLike, counts_tn: npt.ArrayLike, area_share: npt.ArrayLike, fractions: npt.ArrayLike
) -> tuple[Floats, Floats]:
    """Target area fractions [K] and the hit rate at each (NaN when there are no incidents), for the chart."""
    targets = np.asarray(fractions, dtype=np.float64).ravel()
    caught, _, total = _captures(scores_tn, counts_tn, area_share, targets.tolist())
    return targets, caught / total if total else np.full(len(targets), np.nan)


def f1_scores(
    probs: npt.ArrayLike, positives: npt.ArrayLike, thresholds: npt.ArrayLike
) -> tuple[float, float, Floats]:
    """Micro F1, macro F1 and per-category F1 [C] of `probs >= thresholds[c]`.

    A category with no positives and nothing predicted has NaN F1 and is left out of the macro mean.
    """
    p, cut = _cube(probs, "probs"), np.asarray(thresholds, dtype=np.float64)
    truth = np.asarray(positives) > 0
    if truth.shape != p.shape or cut.shape != p.shape[2:]:
        raise ValueError(f"shapes differ: probs {p.shape}, positives {truth.shape}, thresholds {cut.shape}")
    predicted = p >= cut
    hits = (predicted & truth).sum(axis=(0, 1)).astype(np.float64)
    either = (predicted.sum(axis=(0, 1)) + truth.sum(axis=(0, 1))).astype(np.float64)
    per_category = np.divide(2 * hits, either, out=np.full(len(cut), np.nan), where=either > 0)
    micro = 2 * hits.sum() / either.sum() if either.sum() else float("nan")
    return float(micro), _nanmean(per_category), per_category


def choose_thresholds(probs_val: npt.ArrayLike, positives_val: npt.ArrayLike) -> Floats:
    """Per category, the validation probability that maximises F1 of `probs >= threshold` [C].

    Every distinct predicted value is a candidate, searched exactly in O(n log n): a coarse quantile grid
    would leave only a couple of candidates among the top 1 % where rare categories' optima lie. On equal
    F1 the lowest threshold wins. A category without positives gets a threshold just above its highest
    probability (predict nothing).
    """
    p, truth = _paired(probs_val, positives_val)
    thresholds = np.empty(p.shape[2])
    for c in range(p.shape[2]):
        values, labels = p[..., c].ravel(), truth[..., c].ravel()
        order = np.argsort(values, kind="stable")
        values, labels = values[order], labels[order]
        n_positive = int(labels.sum())
        if n_positive == 0:
            thresholds[c] = np.nextafter(values[-1], np.inf)
            continue
        candidates = np.unique(values)
        below = np.searchsorted(values, candidates, side="left")
        positives_below = np.concatenate([[0], np.cumsum(labels)])[below]
        # F1 = 2·TP / (predicted + actual positives)
        f1 = 2 * (n_positive - positives_below) / (len(values) - below + n_positive)
        thresholds[c] = candidates[int(np.argmax(f1))]
    return thresholds


def average_precision(probs: npt.ArrayLike, positives: npt.ArrayLike) -> tuple[float, float, Floats]:
    """Micro AP (all categories pooled), macro AP and per-category AP [C] (sklearn's step-wise AP).

    A category without positives has NaN AP and is left out of the macro mean; micro is NaN with none at all.
    """
    p, truth = _paired(probs, positives)
    per_category = np.array(
        [
            average_precision_score(truth[..., c].ravel(), p[..., c].ravel())
            if truth[..., c].any()
            else np.nan
            for c in range(p.shape[2])
        ],
        dtype=np.float64,
    )
    micro = average_precision_score(truth.ravel(), p.ravel()) if truth.any() else np.nan
    return float(micro), _nanmean(per_category), per_category


def brier(probs: npt.ArrayLike, positives: npt.ArrayLike) -> tuple[float, Floats]:
    """Mean squared error of the probabilities against the 0/1 outcome: overall and per category [C]."""
    p, truth = _paired(probs, positives)
    squared = (p - truth) ** 2
    return float(squared.mean()), squared.mean(axis=(0, 1))


def evaluate(
    scores: npt.ArrayLike,
    counts: npt.ArrayLike,
    area_share: npt.ArrayLike,
    thresholds: npt.ArrayLike,
    fractions: Sequence[float] = FRACTIONS,
    probs: npt.ArrayLike | None = None,
) -> Evaluation:
    """All metrics, `{"overall": {...}, "per_category": {c: {...}}}`, keys `hit_rate@5`, `pai@5`, `micro_f1`…

    Hit rate and PAI rank cells by `scores`: overall by their sum over categories against all incidents, per
    category by that category alone. F1 (at `thresholds`), AP and Brier read `probs` (default `scores`):
    pass calibrated probabilities there for a baseline whose scores are counts. Per category, `micro_f1` and
    `macro_f1` both hold that category's F1.
    """
    s, n = _cube(scores, "scores"), _cube(counts, "counts")
    p = s if probs is None else _cube(probs, "probs")
    if not s.shape == n.shape == p.shape:
        raise ValueError(f"shapes differ: scores {s.shape}, counts {n.shape}, probs {p.shape}")
    micro_f1, macro_f1, f1 = f1_scores(p, n, thresholds)
    micro_ap, _, ap = average_precision(p, n)
    overall_brier, per_brier = brier(p, n)

    def by_area(scores_tn: Floats, counts_tn: Floats) -> dict[str, float]:
        caught, shares, total = _captures(scores_tn, counts_tn, area_share, fractions)
        row = {}
        for k, fraction in enumerate(fractions):
            hit_rate = float(caught[k] / total) if total else float("nan")
            row[f"hit_rate@{_percent(fraction)}"] = hit_rate
            row[f"pai@{_percent(fraction)}"] = hit_rate / float(shares[k])
        return row

    overall = by_area(s.sum(axis=2), n.sum(axis=2)) | {
        "micro_f1": micro_f1,
        "macro_f1": macro_f1,
        "average_precision": micro_ap,
        "brier": overall_brier,
    }
    per_category = {
        c: by_area(s[..., c], n[..., c])
        | {
            "micro_f1": float(f1[c]),
            "macro_f1": float(f1[c]),
            "average_precision": float(ap[c]),
            "brier": float(per_brier[c]),
        }
        for c in range(s.shape[2])
    }
    return {"overall": overall, "per_category": per_category}


def calibrate(scores_val: npt.ArrayLike, positives_val: npt.ArrayLike, scores_test: npt.ArrayLike) -> Floats:
    """Probabilities [T, N, C] for test scores by Platt scaling per category, fitted on validation.

    Platt (a logistic regression on one standardised feature) is strictly increasing, so each category's
    ranking, AP and best-F1 threshold are those of the raw scores (isotonic regression would tie them).
    On simulated Poisson counts its Brier score was within 0.001 of isotonic's, and fitting on log(score) was
    no better.
    A category without both classes on validation, or whose fitted slope is not positive, gets the validation
    base rate.
    """
    val, test = _cube(scores_val, "scores_val"), _cube(scores_test, "scores_test")
    truth = np.asarray(positives_val) > 0
    if truth.shape != val.shape or test.shape[2] != val.shape[2]:
        raise ValueError(f"shapes differ: validation {val.shape}, positives {truth.shape}, test {test.shape}")
    probs = np.empty(test.shape)
    for c in range(val.shape[2]):
        x_val, x_test, labels = val[..., c].ravel(), test[..., c].ravel(), truth[..., c].ravel()
        base_rate = float(labels.mean())
        probs[..., c] = base_rate
        if labels.all() or not labels.any():
            continue
        centre, spread = x_val.mean(), x_val.std() or 1.0
        model = LogisticRegression(C=1.0, max_iter=500)
        model.fit(((x_val - centre) / spread)[:, None], labels)
        if model.coef_[0, 0] > 0:
            fitted = model.predict_proba(((x_test - centre) / spread)[:, None])[:, 1]
            probs[..., c] = fitted.reshape(test.shape[:2])
    return probs


def _paired(probs: npt.ArrayLike, positives: npt.ArrayLike) -> tuple[Floats, npt.NDArray[np.bool_]]:
    """Probabilities [T, N, C] and the positives (count above zero) of the same shape."""
    p, truth = _cube(probs, "probs"), np.asarray(positives) > 0
    if truth.shape != p.shape:
        raise ValueError(f"shapes differ: probs {p.shape}, positives {truth.shape}")
    return p, truth


def _percent(fraction: float) -> str:
    """0.05 -> "5", 0.025 -> "2.5"."""
    return f"{round(fraction * 100, 6):g}"


def _nanmean(values: Floats) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")
