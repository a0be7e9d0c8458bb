"""Counts, features and targets per time step and cell.

A step is `step_days` days (1: daily, 7: weekly); step s covers days [s · step_days, (s + 1) · step_days).
`X[s]` is what is known when step s starts: it reads counts, outages and damage of steps before s only, and
the calendar of step s itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from recoupe.gnn.frame import Events, Floats, Ints, Sensors, Units
from recoupe.gnn.units import assign
from recoupe.ontology.errors import InvalidInput

Bools = npt.NDArray[np.bool_]
Floats32 = npt.NDArray[np.float32]

# Trailing windows in steps: daily — yesterday, last week, last four weeks; weekly — last week, last four
# weeks, last twelve weeks. The first is the "short" window, the last the "long" one.
DEFAULT_WINDOWS = {1: (1, 7, 28), 7: (1, 4, 12)}
NEAR_REPEAT_HALF_LIFE_DAYS = 7.0
NEAR_REPEAT_NEIGHBOUR_WEIGHT = 0.5


@dataclass(frozen=True)
class DamageEvents:
    """Located DAMAGED links (the asset's position and the day it was reported), for "recent damage"."""

    lat: Floats = field(default_factory=lambda: np.zeros(0))
    lon: Floats = field(default_factory=lambda: np.zeros(0))
    day: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class Targets(NamedTuple):
    """What happens from step s on: `counts[s]` sums steps s .. s + horizon - 1, `any` is counts > 0.
    Rows from `valid_until` on run past the data and are incomplete: train and score on `[:valid_until]`."""

    counts: Ints
    any: Bools
    valid_until: int


def n_steps(n_days: int, step_days: int) -> int:
    """Steps needed to cover `n_days` days (the last one may be partial)."""
    return -(-n_days // step_days)


def step_counts(events: Events, units: Units, step_days: int) -> Ints:
    """Incidents per step, cell and category: int64 [S, N, C]; events outside the active cells are dropped."""
    _check_step(step_days)
    s, n, c = n_steps(events.n_days, step_days), units.n, len(events.categories)
    cell = assign(units, events.lat, events.lon)
    keep = (cell >= 0) & (events.day >= 0) & (events.day < events.n_days)
    flat = (events.day[keep] // step_days * n + cell[keep]) * c + events.category[keep]
    return np.bincount(flat, minlength=s * n * c).astype(np.int64).reshape(s, n, c)


def default_windows(step_days: int) -> tuple[int, ...]:
    """(1, 7, 28) days for daily steps, (1, 4, 12) weeks for weekly ones; other steps must name theirs."""
    if step_days not in DEFAULT_WINDOWS:
        raise InvalidInput(
            f"No default feature windows for steps of {step_days} days",
            "pass windows explicitly, in steps",
            {"windows": "required"},
        )
    return DEFAULT_WINDOWS[step_days]


def build_features(
    counts: Ints,
    units: Units,
    sensors: Sensors,
    events: Events,
    step_days: int,
    windows: tuple[int, ...] | None = None,
    damage: DamageEvents | None = None,
    holidays: set[date] | frozenset[date] | None = None,
) -> tuple[Floats32, list[str]]:
    """Features float32 [S, N, F] and their names; X[s] uses only steps before s (and the calendar of s).

    Names (window suffixes in days, "w7" = the last 7 days): `<category>_w<d>` and `all_w<d>` per window
    (log1p of the trailing sum), `near_repeat` (log1p of counts in the cell plus half its neighbours',
    decayed with a 7-day half-life), `neighbours_w<short>` (log1p of the neighbours' mean short-window total),
    `cameras`, `cameras_out` (cameras in the cell, and of them out of service during step s-1), `assets`
    (log1p), `damage_w<long>` (log1p of DAMAGED links in the cell), then `weekday_sin`/`weekday_cos` (daily
    steps only), `month_sin`, `month_cos` and `holiday` (a holiday falls in step s)."""
    _check_step(step_days)
    windows = _check_windows(windows if windows is not None else default_windows(step_days))
    s_total, n, c = counts.shape
    if n != units.n or c != len(events.categories):
        raise InvalidInput(
            f"Counts of shape {counts.shape} do not match {units.n} cells and {len(events.categories)} "
            "categories",
            fields={"counts": "shape [steps, cells, categories]"},
        )
    days = [w * step_days for w in windows]
    names = [f"{cat}_w{d}" for cat in events.categories for d in days] + [f"all_w{d}" for d in days]
    names += [
        "near_repeat",
        f"neighbours_w{days[0]}",
        "cameras",
        "cameras_out",
        "assets",
        f"damage_w{days[-1]}",
    ]
    names += ["weekday_sin", "weekday_cos"] if step_days == 1 else []
    names += ["month_sin", "month_cos", "holiday"]
    x = np.zeros((s_total, n, len(names)), dtype=np.float32)
    col = 0

    # trailing sums from cumulative sums: before[s] = counts of steps < s, so a window never sees step s
    before = _cumulative_before(counts)
    per_category = x[:, :, : c * len(windows)].reshape(s_total, n, c, len(windows))  # a view of X
    for i, w in enumerate(windows):
        np.log1p(_trailing(before, w), out=per_category[..., i])
    col += c * len(windows)
    total_before = before.sum(axis=2)
    for w in windows:
        np.log1p(_trailing(total_before, w), out=x[:, :, col])
        col += 1

    total = counts.sum(axis=2).astype(np.float64)
    x[:, :, col] = np.log1p(_near_repeat(total, units, step_days))
    degree = np.bincount(units.edges[1], minlength=n) if units.edges.size else np.zeros(n, dtype=np.int64)
    short = _trailing(total_before, windows[0]).astype(np.float64)
    x[:, :, col + 1] = np.log1p(_neighbour_sum(short, units.edges, n) / np.maximum(degree, 1))
    col += 2

    cameras = assign(units, sensors.camera_lat, sensors.camera_lon)
    x[:, :, col] = np.bincount(cameras[cameras >= 0], minlength=n)
    x[1:, :, col + 1] = _cameras_out(sensors, cameras, s_total, n, step_days)[:-1]
    assets = assign(units, sensors.asset_lat, sensors.asset_lon)
    x[:, :, col + 2] = np.log1p(np.bincount(assets[assets >= 0], minlength=n))
    damage_steps = _located_steps(damage or DamageEvents(), units, s_total, step_days)
    x[:, :, col + 3] = np.log1p(_trailing(_cumulative_before(damage_steps[:, :, None])[:, :, 0], windows[-1]))
    col += 4

    calendar = _calendar(events.start, s_total, step_days, holidays or frozenset())
    x[:, :, col:] = calendar[:, None, :]
    return x, names


def targets(counts: Ints, horizon_steps: int) -> Targets:
    """Incidents in the `horizon_steps` steps from each step on; `Targets` says which rows are complete."""
    if horizon_steps < 1:
        raise InvalidInput(f"Horizon of {horizon_steps} steps", fields={"horizon": "at least one step"})
    s_total = counts.shape[0]
    cumulative = _cumulative_before(counts)  # [S + 1, …]
    ends = np.minimum(np.arange(s_total) + horizon_steps, s_total)
    y = cumulative[ends] - cumulative[:s_total]
    return Targets(y, y > 0, max(s_total - horizon_steps + 1, 0))


def graph_edges(units: Units, extra_edges: dict[str, Ints] | None = None) -> dict[str, Ints]:
    """The spatial adjacency as "adjacent" plus the caller's relational edge sets, each checked (indices in
    range) and normalised: both directions, no self loops, no duplicates, sorted by (source, target)."""
    sets = {"adjacent": units.edges, **(extra_edges or {})}
    if extra_edges and "adjacent" in extra_edges:
        raise InvalidInput('"adjacent" is the spatial edge set', fields={"adjacent": "reserved name"})
    out = {}
    for name, edges in sets.items():
        edges = np.asarray(edges)
        if edges.ndim != 2 or edges.shape[0] != 2 or not np.issubdtype(edges.dtype, np.integer):
            raise InvalidInput(
                f"Edge set {name!r} is not an integer [2, M] array", fields={name: "shape [2, M]"}
            )
        if edges.size and (edges.min() < 0 or edges.max() >= units.n):
            raise InvalidInput(
                f"Edge set {name!r} names cells outside 0..{units.n - 1}", fields={name: "index out of range"}
            )
        both = np.concatenate([edges, edges[::-1]], axis=1).astype(np.int64)
        both = both[:, both[0] != both[1]]
        out[name] = np.unique(both, axis=1) if both.size else np.zeros((2, 0), dtype=np.int64)
    return out


# ---------------------------------------------------------------- helpers


def _check_step(step_days: int) -> None:
    if step_days < 1:
        raise InvalidInput(f"Steps of {step_days} days", fields={"step_days": "at least one day"})


def _check_windows(windows: tuple[int, ...]) -> tuple[int, ...]:
    if not windows or any(w < 1 for w in windows) or list(windows) != sorted(set(windows)):
        raise InvalidInput(
            f"Feature windows {windows} are not increasing positive step counts",
            fields={"windows": "e.g. (1, 7, 28)"},
        )
    return tuple(int(w) for w in windows)


def _cumulative_before(values: Ints) -> Ints:
    """[S + 1, …]: row s is the sum of rows < s (exact, in int64)."""
    out = np.zeros((values.shape[0] + 1, *values.shape[1:]), dtype=np.int64)
    np.cumsum(values, axis=0, out=out[1:])
    return out


def _trailing(before: Ints, w: int) -> Ints:
    """[S, …] sums of the w steps before each step, from `_cumulative_before` (shorter at the start)."""
    s_total = before.shape[0] - 1
    result = before[:s_total].copy()  # before[0] is zero: the first w steps sum everything before them
    result[w:] -= before[: max(s_total - w, 0)]
    return result


def _neighbour_sum(values: Floats, edges: Ints, n: int) -> Floats:
    """[S, N]: for each cell, the sum of its neighbours' values (edges [2, M] from neighbour to cell)."""
    out = np.zeros_like(values)
    if edges.size:
        order = np.argsort(edges[1], kind="stable")
        source, target = edges[0][order], edges[1][order]
        starts = np.flatnonzero(np.r_[True, target[1:] != target[:-1]])
        out[:, target[starts]] = np.add.reduceat(values[:, source], starts, axis=1)
    return out


def _near_repeat(total: Floats, units: Units, step_days: int) -> Floats:
    """[S, N]: Σ over steps t < s of decay^(s-1-t) · (cell's count + ½ neighbours' counts at t)."""
    decay = 0.5 ** (step_days / NEAR_REPEAT_HALF_LIFE_DAYS)
    fresh = total + NEAR_REPEAT_NEIGHBOUR_WEIGHT * _neighbour_sum(total, units.edges, units.n)
    out = np.zeros_like(total)
    for s in range(1, total.shape[0]):
        out[s] = decay * out[s - 1] + fresh[s - 1]
    return out


def _cameras_out(sensors: Sensors, cell_of_camera: Ints, s_total: int, n: int, step_days: int) -> Ints:
    """[S, N]: cameras of each cell out of service on at least one day of step s."""
    down = np.zeros((s_total, len(cell_of_camera)), dtype=bool)  # a camera counts once however many outages
    for camera, first, last in sensors.camera_out:
        if 0 <= camera < len(cell_of_camera) and cell_of_camera[camera] >= 0 and last >= first:
            down[max(first, 0) // step_days : min(last // step_days + 1, s_total), camera] = True
    steps, cameras = np.nonzero(down)
    flat = steps * n + cell_of_camera[cameras]
    return np.bincount(flat, minlength=s_total * n).astype(np.int64).reshape(s_total, n)


def _located_steps(points: DamageEvents, units: Units, s_total: int, step_days: int) -> Ints:
    """[S, N] counts of dated points per step and cell."""
    cell = assign(units, points.lat, points.lon)
    keep = (cell >= 0) & (points.day >= 0) & (points.day < s_total * step_days)
    flat = points.day[keep] // step_days * units.n + cell[keep]
    return np.bincount(flat, minlength=s_total * units.n).astype(np.int64).reshape(s_total, units.n)


def _calendar(start: date, s_total: int, step_days: int, holidays: set[date] | frozenset[date]) -> Floats:
    """[S, K]: weekday sin/cos (daily steps), month sin/cos of the step's first day, holiday in the step."""
    rows = []
    for s in range(s_total):
        first = start + timedelta(days=s * step_days)
        row = []
        if step_days == 1:
            angle = 2 * math.pi * first.weekday() / 7
            row += [math.sin(angle), math.cos(angle)]
        angle = 2 * math.pi * (first.month - 1) / 12
        row += [math.sin(angle), math.cos(angle)]
        row.append(float(any(first + timedelta(days=d) in holidays for d in range(step_days))))
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(s_total, 3 + 2 * (step_days == 1))
