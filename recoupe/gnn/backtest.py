"""The backtest: the GNN and the baselines, computed by the same code on the same splits, scored on a test
period they never saw.

Splits (in steps; a step is one day for a 1-day horizon, seven days for a 7-day horizon): the test origins are
the steps starting within [test_from, test_to]; validation is the `validation_days` before test_from
(thresholds, calibration, early stopping); training origins end before validation, so that no training target
overlaps it. Units (cells) are those holding an incident before test_from; features at a step read only
earlier steps. Rolling origin: every test step is forecast from the data up to its start, with the model
fitted once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from recoupe.gnn import baselines, metrics
from recoupe.gnn.chart import hit_rate_chart
from recoupe.gnn.data import load_damage, load_events, load_relations, load_sensors
from recoupe.gnn.features import DamageEvents, build_features, graph_edges, step_counts, targets
from recoupe.gnn.frame import Events, Units
from recoupe.gnn.model import TrainedModel, TrainSettings, train
from recoupe.gnn.units import assign, make_units
from recoupe.graph.connection import Graph
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import planar

Array = np.ndarray[Any, Any]
CURVE = np.linspace(0.0, 0.2, 41)[1:]


@dataclass(frozen=True)
class BacktestSettings:
    test_from: date
    test_to: date
    horizon_days: int = 1
    unit: str = "grid:500"
    categories: tuple[str, ...] | None = None
    validation_days: int = 0  # 0: chosen from the horizon (60 days daily, 16 weeks weekly)
    tz: str = "Europe/Paris"
    train: TrainSettings = field(default_factory=TrainSettings)


@dataclass
class Prepared:
    """Everything the models read, built once per backtest or forecast."""

    events: Events
    units: Units
    step_days: int
    x: np.ndarray[Any, Any]
    names: list[str]
    counts: np.ndarray[Any, Any]  # per step [S, N, C]
    y_counts: np.ndarray[Any, Any]  # over the horizon from each step
    y_any: np.ndarray[Any, Any]
    valid_until: int
    edges: dict[str, np.ndarray[Any, Any]]


def step_days_for(horizon_days: int) -> int:
    if horizon_days not in (1, 7):
        raise InvalidInput(f"horizon of {horizon_days} days", "use --horizon 1d or 7d")
    return horizon_days


def prepare(
    graph: Graph,
    unit: str,
    horizon_days: int,
    cutoff: date | None,
    tz: str,
    categories: tuple[str, ...] | None,
    extra_steps: int = 0,
) -> Prepared:
    """Events, units (active before `cutoff`), features, targets and edges; `extra_steps` empty steps after
    the data give the features of the steps to forecast."""
    events = load_events(graph, tz, categories)
    step = step_days_for(horizon_days)
    cutoff_day = (cutoff - events.start).days if cutoff else None
    units = make_units(unit, events, cutoff_day)
    sensors = load_sensors(graph, events, tz)
    damage = load_damage(graph, events, tz)
    counts = step_counts(events, units, step)
    if extra_steps:
        counts = np.concatenate([counts, np.zeros((extra_steps, *counts.shape[1:]), dtype=counts.dtype)])
    x, names = build_features(
        counts,
        units,
        sensors,
        events,
        step,
        windows=WINDOWS[step],
        damage=DamageEvents(damage[:, 0], damage[:, 1], damage[:, 2].astype(np.int64)),
    )
    tg = targets(counts, 1)  # one step is the horizon
    until = datetime.combine(
        cutoff or events.start + timedelta(days=events.n_days), datetime.min.time(), ZoneInfo(tz)
    )
    edges = graph_edges(units, relational_edges(load_relations(graph, until), units))
    return Prepared(events, units, step, x, names, counts, tg.counts, tg.any, tg.valid_until, edges)


def backtest(graph: Graph, settings: BacktestSettings, chart: Path | None = None) -> dict[str, Any]:
    """Every model's metrics on the test period, overall and per category; the chart when asked."""
    began = time.perf_counter()
    if settings.test_to < settings.test_from:
        raise InvalidInput("the test period is empty", "give --to after --from")
    data = prepare(
        graph, settings.unit, settings.horizon_days, settings.test_from, settings.tz, settings.categories
    )
    step = data.step_days
    first_test = math.ceil((settings.test_from - data.events.start).days / step)
    last_test = (settings.test_to - data.events.start).days // step
    test = np.arange(first_test, min(last_test + 1, data.valid_until))
    validation_steps = max(1, (settings.validation_days or (60 if step == 1 else 112)) // step)
    val = np.arange(max(0, first_test - validation_steps), first_test)
    warmup = max(settings.train.lookback, 4)
    train_origins = np.arange(warmup, val[0] if len(val) else warmup)  # a target covers its own step only
    if len(test) == 0 or len(val) == 0 or len(train_origins) < 8:
        raise InvalidInput(
            f"not enough history: {len(train_origins)} training, {len(val)} validation, "
            f"{len(test)} test steps",
            "give a test period later in the data, or load more history",
        )
    # name → (ranking scores on validation, on test, probabilities on validation, on test); a count model's
    # probabilities come from Platt scaling fitted on validation
    scores: dict[str, tuple[Array, Array, Array | None, Array | None]] = {}
    model = train(data.x, data.y_counts, data.edges, train_origins, val, settings.train)
    rates_val, rates_test = model.rates(data.x, data.edges, val), model.rates(data.x, data.edges, test)
    scores["gnn"] = (rates_val, rates_test, -np.expm1(-rates_val), -np.expm1(-rates_test))
    both = np.concatenate([val, test])
    for name, window_days in (("trailing_mean_7d", 7), ("trailing_mean_30d", 30)):
        s = baselines.trailing_mean(data.counts, both, max(1, window_days // step))
        scores[name] = (s[: len(val)], s[len(val) :], None, None)
    s = baselines.last_period(data.counts, both, 1)
    scores["last_period"] = (s[: len(val)], s[len(val) :], None, None)
    lat0 = float(np.mean(data.units.lat))
    xy = np.array([planar(la, lo, lat0) for la, lo in zip(data.units.lat, data.units.lon, strict=True)])
    s = baselines.kde_hotspots(data.counts, both, xy, _unit_size_m(data.units), max(1, 365 // step))
    scores["kde_hotspots"] = (s[: len(val)], s[len(val) :], None, None)
    probs = baselines.logistic_model(data.x[train_origins], data.y_any[train_origins], data.x[both])
    scores["logistic"] = (probs[: len(val)], probs[len(val) :], probs[: len(val)], probs[len(val) :])

    results: dict[str, Any] = {"models": {}, "per_category": {}}
    curves = {}
    for name, (s_val, s_test, given_val, given_test) in scores.items():
        if given_val is None or given_test is None:
            # one fit on validation, applied to both periods
            both_p = metrics.calibrate(s_val, data.y_any[val], np.concatenate([s_val, s_test]))
            p_val, p_test = both_p[: len(s_val)], both_p[len(s_val) :]
        else:
            p_val, p_test = given_val, given_test
        thresholds = metrics.choose_thresholds(p_val, data.y_any[val])
        report = metrics.evaluate(
            s_test, data.y_counts[test], data.units.area_share, thresholds, probs=p_test
        )
        results["models"][name] = _rounded(report["overall"])
        results["per_category"][name] = {
            data.events.categories[int(c)]: _rounded(v) for c, v in report["per_category"].items()
        }
        curves[name] = metrics.hit_rate_curve(
            s_test.sum(axis=2), data.y_counts[test].sum(axis=2), data.units.area_share, CURVE
        )
    # yardsticks read from the test period itself: level oracle, chance ceiling, ceiling (metrics.references)
    for name, values in metrics.references(data.y_counts[test].sum(axis=2), data.units.area_share).items():
        results[name] = _rounded(values)
    if chart is not None:
        hit_rate_chart(curves, chart, f"{settings.unit}, horizon {settings.horizon_days} j")
    results.update(
        unit=settings.unit,
        horizon=f"{settings.horizon_days}d",
        cells=data.units.n,
        categories=list(data.events.categories),
        features=data.names,
        test={
            "from": settings.test_from.isoformat(),
            "to": settings.test_to.isoformat(),
            "origins": len(test),
        },
        validation_origins=len(val),
        training_origins=len(train_origins),
        data={
            "from": data.events.start.isoformat(),
            "days": data.events.n_days,
            "incidents": len(data.events.day),
        },
        gnn_training=model.meta,
        seconds=round(time.perf_counter() - began, 1),
        chart=str(chart) if chart else None,
    )
    return results


# Trailing windows of the features, in steps: features.py's defaults (1, 7, 28 days; 1, 4, 12 weeks) plus a
# quarter and a year, so that persistent levels — the best single predictor in crime forecasting, the
# "historical average" — are in view (the last window also sets how far back asset damage counts).
WINDOWS = {1: (1, 7, 28, 91, 364), 7: (1, 4, 13, 52)}
MIN_PAIRS = 2  # relational edge between two cells: at least this many linked pairs of incidents


def relational_edges(pairs: dict[str, Array], units: Units) -> dict[str, Array]:
    """Cells linked by near repeats or shared people, plates, vehicles (typed by the ontology's relationship
    names), when at least MIN_PAIRS pairs of incidents join them; within-cell pairs make no edge."""
    edges = {}
    for kind, rows in pairs.items():
        a = assign(units, rows[:, 0], rows[:, 1])
        b = assign(units, rows[:, 2], rows[:, 3])
        keep = (a >= 0) & (b >= 0) & (a != b)
        if not keep.any():
            continue
        pairs_ab = np.stack([np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])], axis=1)
        unique, counts = np.unique(pairs_ab, axis=0, return_counts=True)
        strong = unique[counts >= MIN_PAIRS]
        if len(strong):
            edges[kind] = strong.T.astype(np.int64)
    return edges


def _unit_size_m(units: Units) -> float:
    if units.name.startswith("grid:"):
        return float(units.name.split(":")[1])
    return 500.0


def _rounded(values: Any) -> dict[str, float | None]:
    return {
        k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4))
        for k, v in dict(values).items()
    }


def train_for_forecast(
    graph: Graph,
    unit: str,
    horizon_days: int,
    tz: str,
    settings: TrainSettings,
    categories: tuple[str, ...] | None = None,
) -> tuple[TrainedModel, Prepared]:
    """A model fitted on all the history (the last `validation` steps for early stopping)."""
    data = prepare(graph, unit, horizon_days, None, tz, categories)
    step = data.step_days
    validation_steps = max(1, (60 if step == 1 else 112) // step)
    end = data.valid_until
    val = np.arange(max(0, end - validation_steps), end)
    train_origins = np.arange(max(settings.lookback, 4), max(val[0], 0))
    if len(train_origins) < 8:
        raise InvalidInput("not enough history to train", "load more incidents first")
    model = train(data.x, data.y_counts, data.edges, train_origins, val, settings)
    model.meta.update(
        unit=unit,
        horizon=f"{horizon_days}d",
        categories=list(data.events.categories),
        features=data.names,
        cells=data.units.n,
        tz=tz,
        trained_from=(data.events.start + timedelta(days=int(train_origins[0]) * step)).isoformat(),
        trained_until=(data.events.start + timedelta(days=int(end) * step)).isoformat(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return model, data
