"""Counts, features and targets: hand-computed windows, outages, calendar, and no look-ahead."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from recoupe.gnn.features import DamageEvents, build_features, graph_edges, step_counts, targets
from recoupe.gnn.frame import Events, Sensors, Units
from recoupe.gnn.units import assign, grid_units
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import offset

ORIGIN_LON, ORIGIN_LAT = 5.3698, 43.2965  # Marseille, Vieux-Port
START = date(2024, 1, 1)  # a Monday
CATEGORIES = ("theft", "burglary")


def events_at(points: list[tuple[float, float, int, int]], n_days: int = 60) -> Events:
    """Events at (east m, north m) from the origin, on a day, of a category."""
    lon_lat = [offset(ORIGIN_LON, ORIGIN_LAT, east, north) for east, north, _, _ in points]
    return Events(
        lat=np.array([lat for _, lat in lon_lat]),
        lon=np.array([lon for lon, _ in lon_lat]),
        day=np.array([p[2] for p in points], dtype=np.int64),
        category=np.array([p[3] for p in points], dtype=np.int64),
        categories=CATEGORIES,
        start=START,
        n_days=n_days,
    )


# three 500 m cells in a row (west, middle, east) and one lone cell 3 km north
BASE = events_at([(-500.0, 0.0, 0, 0), (0.0, 0.0, 0, 1), (500.0, 0.0, 1, 0), (0.0, 3000.0, 2, 0)])
UNITS = grid_units(BASE, 500)


def cell(east: float, north: float) -> int:
    lon, lat = offset(ORIGIN_LON, ORIGIN_LAT, east, north)
    return int(assign(UNITS, np.array([lat]), np.array([lon]))[0])


WEST, MIDDLE, EAST, NORTH = cell(-500, 0), cell(0, 0), cell(500, 0), cell(0, 3000)


def column(x: np.ndarray, names: list[str], name: str) -> np.ndarray:
    return x[:, :, names.index(name)]


def test_units_are_as_drawn() -> None:
    assert UNITS.n == 4
    pairs = set(zip(UNITS.edges[0].tolist(), UNITS.edges[1].tolist(), strict=True))
    assert pairs == {(WEST, MIDDLE), (MIDDLE, WEST), (MIDDLE, EAST), (EAST, MIDDLE)}


def test_step_counts_daily_and_weekly() -> None:
    events = events_at(
        [(0.0, 0.0, 3, 0), (10.0, 0.0, 3, 0), (0.0, 0.0, 9, 1), (0.0, -5000.0, 3, 0)], n_days=15
    )
    daily = step_counts(events, UNITS, 1)
    assert daily.shape == (15, 4, 2)
    assert daily[3, MIDDLE, 0] == 2 and daily[9, MIDDLE, 1] == 1
    assert daily.sum() == 3  # the point 5 km south is outside every cell
    weekly = step_counts(events, UNITS, 7)
    assert weekly.shape == (3, 4, 2)  # days 14.. make a partial third week
    assert weekly[0, MIDDLE].tolist() == [2, 0] and weekly[1, MIDDLE].tolist() == [0, 1]


def test_feature_names_daily_and_weekly() -> None:
    counts = np.zeros((10, 4, 2), dtype=np.int64)
    _, daily = build_features(counts, UNITS, Sensors.empty(), BASE, 1)
    assert daily == [
        *["theft_w1", "theft_w7", "theft_w28", "burglary_w1", "burglary_w7", "burglary_w28"],
        *["all_w1", "all_w7", "all_w28", "near_repeat", "neighbours_w1", "cameras", "cameras_out"],
        *["assets", "damage_w28", "weekday_sin", "weekday_cos", "month_sin", "month_cos", "holiday"],
    ]
    _, weekly = build_features(counts, UNITS, Sensors.empty(), BASE, 7)
    assert weekly[:3] == ["theft_w7", "theft_w28", "theft_w84"]
    assert "weekday_sin" not in weekly and "damage_w84" in weekly and "neighbours_w7" in weekly


def test_exact_window_sums() -> None:
    counts = np.random.default_rng(5).integers(0, 4, size=(40, 4, 2))
    x, names = build_features(counts, UNITS, Sensors.empty(), BASE, 1)
    assert x.dtype == np.float32 and x.shape == (40, 4, len(names))
    for c in range(4):
        assert column(x, names, "theft_w7")[10, c] == np.float32(math.log1p(counts[3:10, c, 0].sum()))
        assert column(x, names, "burglary_w28")[10, c] == np.float32(math.log1p(counts[0:10, c, 1].sum()))
        assert column(x, names, "all_w1")[10, c] == np.float32(math.log1p(counts[9, c].sum()))
        assert column(x, names, "all_w28")[35, c] == np.float32(math.log1p(counts[7:35, c].sum()))
    assert not x[0, :, : names.index("neighbours_w1") + 1].any()  # nothing is known before the first step
    # the middle cell's neighbours are west and east; yesterday's totals, averaged
    expected = math.log1p((counts[9, WEST].sum() + counts[9, EAST].sum()) / 2)
    assert column(x, names, "neighbours_w1")[10, MIDDLE] == pytest.approx(expected, rel=1e-6)
    assert column(x, names, "neighbours_w1")[10, NORTH] == 0.0


def test_near_repeat_decays_with_a_seven_day_half_life() -> None:
    counts = np.zeros((20, 4, 2), dtype=np.int64)
    counts[0, MIDDLE, 0] = 1
    x, names = build_features(counts, UNITS, Sensors.empty(), BASE, 1)
    near = column(x, names, "near_repeat")
    assert near[0].tolist() == [0.0] * 4
    assert near[1, MIDDLE] == pytest.approx(math.log1p(1.0))
    assert near[1, WEST] == pytest.approx(math.log1p(0.5)) and near[1, EAST] == near[1, WEST]
    assert near[1, NORTH] == 0.0
    assert near[8, MIDDLE] == pytest.approx(math.log1p(0.5))
    assert near[15, WEST] == pytest.approx(math.log1p(0.125))
    weekly, names = build_features(counts[:3], UNITS, Sensors.empty(), BASE, 7)
    assert column(weekly, names, "near_repeat")[2, MIDDLE] == pytest.approx(math.log1p(0.5))


def test_no_look_ahead() -> None:
    s0 = 30
    quiet = events_at([(0.0, 0.0, d, d % 2) for d in range(0, 60, 3)] + [(-500.0, 0.0, 31, 0)])
    planted = events_at(
        [(0.0, 0.0, d, d % 2) for d in range(0, 60, 3)] + [(-500.0, 0.0, 31, 0), (520.0, 0.0, s0, 1)]
    )
    sensors = Sensors(
        camera_lat=np.array([ORIGIN_LAT]),
        camera_lon=np.array([ORIGIN_LON]),
        camera_out=((0, 2, 4),),
        asset_lat=np.zeros(0),
        asset_lon=np.zeros(0),
        asset_damaged_day=np.zeros(0, dtype=np.int64),
    )
    lon, lat = offset(ORIGIN_LON, ORIGIN_LAT, 500, 0)
    for step_days in (1, 7):
        before = build_features(step_counts(quiet, UNITS, step_days), UNITS, sensors, quiet, step_days)[0]
        damage = DamageEvents(np.array([lat]), np.array([lon]), np.array([s0], dtype=np.int64))
        outage = replace(sensors, camera_out=((0, 2, 4), (0, s0, s0)))
        after, names = build_features(
            step_counts(planted, UNITS, step_days), UNITS, outage, planted, step_days, damage=damage
        )
        s = s0 // step_days
        assert np.array_equal(before[: s + 1], after[: s + 1])
        changed = {names[f] for f in np.flatnonzero((before[s + 1] != after[s + 1]).any(axis=0))}
        assert {"burglary_w1" if step_days == 1 else "burglary_w7", "near_repeat", "cameras_out"} <= changed
        assert any(name.startswith("damage_w") for name in changed)
        assert any(name.startswith("neighbours_w") for name in changed)


def test_cameras_and_outages() -> None:
    lon_in, lat_in = offset(ORIGIN_LON, ORIGIN_LAT, 480, 10)  # in the east cell
    sensors = Sensors(
        camera_lat=np.array([ORIGIN_LAT, lat_in, lat_in, ORIGIN_LAT + 1]),
        camera_lon=np.array([ORIGIN_LON, lon_in, lon_in, ORIGIN_LON]),
        camera_out=((1, 3, 9), (2, 5, 5), (3, 0, 40)),  # camera 3 is outside every cell
        asset_lat=np.array([lat_in, lat_in, ORIGIN_LAT]),
        asset_lon=np.array([lon_in, lon_in, ORIGIN_LON]),
        asset_damaged_day=np.zeros(0, dtype=np.int64),
    )
    counts = np.zeros((14, 4, 2), dtype=np.int64)
    x, names = build_features(counts, UNITS, sensors, BASE, 1)
    assert column(x, names, "cameras")[0].tolist() == [{MIDDLE: 1, EAST: 2}.get(c, 0) for c in range(4)]
    # camera 1 is out on days 3..9 and camera 2 on day 5: step s counts the outages of step s - 1
    out = column(x, names, "cameras_out")[:, EAST].tolist()
    assert out == [0, 0, 0, 0, 1, 1, 2, 1, 1, 1, 1, 0, 0, 0]
    assert not column(x, names, "cameras_out")[:, MIDDLE].any()
    assert column(x, names, "assets")[0, EAST] == pytest.approx(math.log1p(2))
    weekly, names = build_features(counts[:2], UNITS, sensors, BASE, 7)
    assert column(weekly, names, "cameras_out")[:, EAST].tolist() == [0, 2]  # both were out in week 0


def test_recent_damage() -> None:
    lon, lat = offset(ORIGIN_LON, ORIGIN_LAT, 0, 0)
    damage = DamageEvents(np.array([lat, lat]), np.array([lon, lon]), np.array([2, 2], dtype=np.int64))
    x, names = build_features(
        np.zeros((40, 4, 2), dtype=np.int64), UNITS, Sensors.empty(), BASE, 1, damage=damage
    )
    recent = column(x, names, "damage_w28")[:, MIDDLE]
    assert recent[:3].tolist() == [0, 0, 0]
    assert recent[3] == pytest.approx(math.log1p(2)) and recent[30] == recent[3]
    assert recent[31] == 0.0


def test_calendar_of_known_dates() -> None:
    holidays = {date(2024, 7, 14)}
    counts = np.zeros((200, 4, 2), dtype=np.int64)
    x, names = build_features(counts, UNITS, Sensors.empty(), BASE, 1, holidays=holidays)
    # step 5 is Saturday 6 January 2024 (weekday 5); step 31 is 1 February
    assert column(x, names, "weekday_sin")[5, 0] == pytest.approx(math.sin(2 * math.pi * 5 / 7))
    assert column(x, names, "weekday_cos")[0, 0] == pytest.approx(1.0)
    assert column(x, names, "month_sin")[31, 2] == pytest.approx(0.5)
    assert column(x, names, "month_cos")[0, 0] == pytest.approx(1.0)
    assert np.flatnonzero(column(x, names, "holiday")[:, 0]).tolist() == [195]  # 14 July 2024
    weekly, names = build_features(counts[:30], UNITS, Sensors.empty(), BASE, 7, holidays=holidays)
    assert np.flatnonzero(column(weekly, names, "holiday")[:, 0]).tolist() == [27]  # days 189..195
    assert column(weekly, names, "month_sin")[5, 0] == pytest.approx(0.5)  # 5 February


def test_targets_over_three_steps() -> None:
    counts = np.array([1, 0, 2, 3, 0], dtype=np.int64).reshape(5, 1, 1)
    y = targets(counts, 3)
    assert y.counts[:, 0, 0].tolist() == [3, 5, 5, 3, 0]
    assert y.any[:, 0, 0].tolist() == [True, True, True, True, False]
    assert y.valid_until == 3
    assert targets(counts, 1).counts.tolist() == counts.tolist()
    with pytest.raises(InvalidInput):
        targets(counts, 0)


def test_graph_edges_merge_and_check() -> None:
    units = Units(
        "grid:500", np.zeros(3), np.zeros(3), np.array([[0, 1], [1, 0]]), np.full(3, 1 / 3), ("a", "b", "c")
    )
    edges = graph_edges(units, {"same_person": np.array([[2, 2, 0, 1], [0, 0, 2, 1]])})
    assert edges["adjacent"].tolist() == [[0, 1], [1, 0]]
    assert edges["same_person"].tolist() == [[0, 2], [2, 0]]
    assert edges["same_person"].dtype == np.int64
    assert graph_edges(units, {"none": np.zeros((2, 0), dtype=np.int64)})["none"].shape == (2, 0)
    for bad in [
        np.array([[0, 3], [1, 0]]),
        np.array([[-1], [0]]),
        np.array([0, 1]),
        np.array([[0.0], [1.0]]),
    ]:
        with pytest.raises(InvalidInput):
            graph_edges(units, {"bad": bad})
    with pytest.raises(InvalidInput):
        graph_edges(units, {"adjacent": np.array([[0], [2]])})


def test_inputs_are_checked() -> None:
    counts = np.zeros((5, 4, 2), dtype=np.int64)
    with pytest.raises(InvalidInput):
        build_features(np.zeros((5, 3, 2), dtype=np.int64), UNITS, Sensors.empty(), BASE, 1)
    with pytest.raises(InvalidInput):
        build_features(counts, UNITS, Sensors.empty(), BASE, 3)  # no default windows for 3-day steps
    assert build_features(counts, UNITS, Sensors.empty(), BASE, 3, windows=(1, 10))[1][:2] == [
        "theft_w3",
        "theft_w30",
    ]
    with pytest.raises(InvalidInput):
        build_features(counts, UNITS, Sensors.empty(), BASE, 1, windows=(7, 1))
