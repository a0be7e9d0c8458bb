"""Geometry helpers: distances, bearings across north, point in polygon with holes, and the grid's completeness."""

from __future__ import annotations

import random

import pytest

from recoupe.ontology.geo import (
    PointGrid,
    angle_between,
    bearing_deg,
    distance_m,
    in_polygon,
    offset,
    roughly_within,
)


def test_distance_paris_marseille() -> None:
    assert distance_m(2.3522, 48.8566, 5.3698, 43.2965) == pytest.approx(661_000, rel=0.01)


def test_offset_and_bearing_agree() -> None:
    lon, lat = offset(5.37, 43.30, 100.0, 0.0)  # 100 m east
    assert distance_m(5.37, 43.30, lon, lat) == pytest.approx(100.0, abs=0.1)
    assert bearing_deg(5.37, 43.30, lon, lat) == pytest.approx(90.0, abs=0.1)
    north = offset(5.37, 43.30, 0.0, 50.0)
    assert bearing_deg(5.37, 43.30, *north) == pytest.approx(0.0, abs=0.1)


def test_angle_between_wraps_around_north() -> None:
    assert angle_between(350.0, 10.0) == 20.0
    assert angle_between(10.0, 350.0) == 20.0
    assert angle_between(0.0, 180.0) == 180.0


def test_point_in_polygon_with_a_hole() -> None:
    outer = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]
    hole = [(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)]
    assert in_polygon(2.0, 2.0, [outer, hole])
    assert not in_polygon(5.0, 5.0, [outer, hole])
    assert not in_polygon(11.0, 5.0, [outer, hole])


def test_grid_and_prefilter_never_miss_a_point() -> None:
    rng = random.Random(3)
    points = [(5.3 + rng.random() * 0.2, 43.2 + rng.random() * 0.15) for _ in range(3000)]
    grid = PointGrid()
    for i, (lon, lat) in enumerate(points):
        grid.add(i, lon, lat)
    for _ in range(40):
        lon, lat = 5.3 + rng.random() * 0.2, 43.2 + rng.random() * 0.15
        radius = rng.choice((60.0, 150.0, 300.0, 800.0))
        truth = {i for i, (x, y) in enumerate(points) if distance_m(lon, lat, x, y) <= radius}
        assert truth <= set(grid.near(lon, lat, radius))
        assert all(roughly_within(lon, lat, *points[i], radius) for i in truth)
