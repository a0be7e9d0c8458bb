"""The pure link rules of recoupe/graph/links.py on hand-placed points (no graph server): the camera wedge,
service intervals, seen/missed, damaged assets, near repeats, containment; and the geometry they rest on
(space-time keys, the local plane, WKT round trips)."""

from __future__ import annotations

import math

import pytest

from recoupe.graph.links import (
    AssetPoint,
    CameraPoint,
    Containment,
    Damaged,
    IncidentPoint,
    Link,
    NearRepeat,
    QuartierArea,
    SeenBy,
    in_wedge,
    working,
)
from recoupe.ontology.geo import (
    M_PER_DEG_LAT,
    WEEK_S,
    Polygon,
    distance_m,
    geo_key,
    geo_keys_near,
    offset,
    planar,
)
from recoupe.ontology.wkt import parse_wkt, to_wkt

LAT, LON = 43.2965, 5.3698  # Marseille
DAY = 86_400.0
T0 = 1_700_000_000.0  # an arbitrary moment (November 2023)


def at(east_m: float, north_m: float, lat: float = LAT, lon: float = LON) -> tuple[float, float]:
    """(lat, lon) of the point east_m / north_m metres from (lat, lon)."""
    x, y = offset(lon, lat, east_m, north_m)
    return y, x


def polar(metres: float, bearing: float, lat: float = LAT, lon: float = LON) -> tuple[float, float]:
    """(lat, lon) of the point `metres` away from (lat, lon) at `bearing` degrees from north."""
    b = math.radians(bearing)
    return at(metres * math.sin(b), metres * math.cos(b), lat, lon)


def camera(
    bearing: float = 90.0,
    fov: float = 60.0,
    range_m: float = 50.0,
    *,
    id: str = "cam",
    where: tuple[float, float] = (LAT, LON),
    installed: float | None = None,
    removed: float | None = None,
    outages: tuple[tuple[float, float | None], ...] = (),
) -> CameraPoint:
    return CameraPoint(id, where[0], where[1], bearing, fov, range_m, installed, removed, outages)


def incident(
    id: str,
    where: tuple[float, float] = (LAT, LON),
    start: float = T0,
    end: float | None = None,
    category: str = "theft",
    precision: str = "address",
    asset_types: tuple[str, ...] = (),
    asset_spans: tuple[str, ...] = (),
) -> IncidentPoint:
    return IncidentPoint(
        id,
        where[0],
        where[1],
        start,
        start if end is None else end,
        category,
        precision,
        asset_types,
        asset_spans,
    )


# ---------------------------------------------------------------- in_wedge


def test_point_straight_ahead_is_in_view() -> None:
    seen = in_wedge(camera(), *at(40.0, 0.0))
    assert seen is not None
    metres, angle = seen
    assert metres == pytest.approx(40.0, abs=0.5)
    assert angle == pytest.approx(0.0, abs=0.1)


def test_wedge_edges_at_half_the_field_of_view() -> None:
    inside = in_wedge(camera(), *polar(49.0, 90.0 + 29.0))
    assert inside is not None
    assert inside[0] == pytest.approx(49.0, abs=0.5)
    assert inside[1] == pytest.approx(29.0, abs=0.1)
    assert in_wedge(camera(), *polar(49.0, 90.0 + 31.0)) is None
    other_side = in_wedge(camera(), *polar(49.0, 90.0 - 29.0))
    assert other_side is not None and other_side[1] == pytest.approx(29.0, abs=0.1)
    assert in_wedge(camera(), *polar(49.0, 90.0 - 31.0)) is None


def test_beyond_range_is_out_of_view() -> None:
    assert in_wedge(camera(), *at(51.0, 0.0)) is None
    assert in_wedge(camera(), *at(49.5, 0.0)) is not None


def test_point_under_the_camera_is_in_view_whatever_its_bearing() -> None:
    seen = in_wedge(camera(), *at(-0.3, 0.0))  # 0.3 m behind a camera facing east
    assert seen is not None
    assert seen[0] == pytest.approx(0.3, abs=0.01)
    assert seen[1] == 0.0


def test_wedge_wraps_around_north() -> None:
    north_west = camera(bearing=350.0, fov=40.0)
    seen = in_wedge(north_west, *polar(30.0, 10.0))
    assert seen is not None
    assert seen[0] == pytest.approx(30.0, abs=0.5)
    assert seen[1] == pytest.approx(20.0, abs=0.05)
    assert in_wedge(north_west, *polar(30.0, 15.0)) is None
    north_east = camera(bearing=10.0, fov=40.0)
    seen = in_wedge(north_east, *polar(30.0, 355.0))
    assert seen is not None and seen[1] == pytest.approx(15.0, abs=0.05)
    assert in_wedge(north_east, *polar(30.0, 335.0)) is None  # 35° off the axis


# ---------------------------------------------------------------- working

START, END = 100.0, 200.0


@pytest.mark.parametrize(
    ("installed", "removed", "outages", "expected"),
    [
        (None, None, (), True),
        (300.0, None, (), None),  # installed after the interval
        (None, 50.0, (), None),  # removed before it
        (150.0, None, (), True),  # installed during it
        (None, 150.0, (), True),  # removed during it
        (None, None, ((50.0, 250.0),), False),  # out for the whole interval
        (None, None, ((100.0, 200.0),), False),  # out for exactly the interval
        (None, None, ((150.0, 300.0),), True),  # out for its second half
        (None, None, ((0.0, 150.0),), True),  # out for its first half
        (None, None, ((120.0, 180.0),), True),  # out in its middle
        (None, None, ((150.0, 210.0), (90.0, 150.0)), False),  # two outages back to back (given unsorted)
        (None, None, ((90.0, 140.0), (160.0, 210.0)), True),  # two outages with a gap between them
        (None, None, ((50.0, None),), False),  # open-ended outage starting before
        (None, None, ((150.0, None),), True),  # open-ended outage starting during
        (None, None, ((0.0, 50.0), (250.0, 300.0)), True),  # outages outside the interval
        (150.0, None, ((150.0, 250.0),), False),  # out from installation to past the end
        (None, 150.0, ((50.0, 150.0),), False),  # out from before the start until removal
    ],
)
def test_working(
    installed: float | None,
    removed: float | None,
    outages: tuple[tuple[float, float | None], ...],
    expected: bool | None,
) -> None:
    assert working(camera(installed=installed, removed=removed, outages=outages), START, END) is expected


def test_working_with_two_outages_starting_together_one_open_ended() -> None:
    assert working(camera(outages=((50.0, None), (50.0, 300.0))), START, END) is False


# ---------------------------------------------------------------- SeenBy


def test_seen_by_link_carries_the_rule_and_rounded_reasons() -> None:
    where = polar(40.0, 100.0)
    links = list(SeenBy().links([incident("i1", where)], [camera()]))
    seen = in_wedge(camera(), *where)
    assert seen is not None
    assert links == [
        (
            "SEEN_BY",
            "i1",
            "cam",
            {"rule": "seen_by", "distance_m": round(seen[0], 1), "angle_deg": round(seen[1], 1)},
        )
    ]
    props = links[0][3]
    assert props["distance_m"] == pytest.approx(40.0, abs=0.5)
    assert props["angle_deg"] == pytest.approx(10.0, abs=0.1)
    assert props["distance_m"] == round(props["distance_m"], 1)
    assert props["angle_deg"] == round(props["angle_deg"], 1)


def test_missed_by_when_the_camera_was_out_for_the_whole_interval() -> None:
    out = camera(outages=((T0 - DAY, T0 + DAY),))
    links = list(SeenBy().links([incident("i1", at(40.0, 0.0), start=T0, end=T0 + 3600)], [out]))
    assert [(kind, a, b) for kind, a, b, _ in links] == [("MISSED_BY", "i1", "cam")]
    assert links[0][3]["rule"] == "seen_by"
    assert links[0][3]["distance_m"] == pytest.approx(40.0, abs=0.5)


def test_seen_by_when_the_camera_came_back_during_the_interval() -> None:
    back = camera(outages=((T0 - DAY, T0 + 1800),))
    links = list(SeenBy().links([incident("i1", at(40.0, 0.0), start=T0, end=T0 + 3600)], [back]))
    assert [(kind, a, b) for kind, a, b, _ in links] == [("SEEN_BY", "i1", "cam")]


@pytest.mark.parametrize("precision", ["quartier", "city"])
def test_imprecise_places_are_never_seen(precision: str) -> None:
    assert list(SeenBy().links([incident("i1", at(40.0, 0.0), precision=precision)], [camera()])) == []


@pytest.mark.parametrize("precision", ["address", "landmark", "street"])
def test_located_places_are_seen(precision: str) -> None:
    assert len(list(SeenBy().links([incident("i1", at(40.0, 0.0), precision=precision)], [camera()]))) == 1


def test_cameras_away_behind_or_not_installed_link_nothing() -> None:
    cameras = [
        camera(id="far", where=at(-5_000.0, 0.0)),  # 5 km west, facing east
        camera(id="short", where=at(-60.0, 0.0)),  # 60 m west: beyond its 50 m range
        camera(id="behind", bearing=270.0, where=at(-30.0, 0.0)),  # in range, facing away
        camera(id="later", where=at(-30.0, 0.0), installed=T0 + DAY),
        camera(id="gone", where=at(-30.0, 0.0), removed=T0 - DAY),
        camera(id="sees", where=at(-30.0, 0.0)),
    ]
    links = list(SeenBy().links([incident("i1")], cameras))
    assert [(kind, a, b) for kind, a, b, _ in links] == [("SEEN_BY", "i1", "sees")]


def test_several_incidents_and_cameras() -> None:
    cameras = [camera(id="east"), camera(id="west", bearing=270.0)]
    incidents = [incident("e", at(30.0, 0.0)), incident("w", at(-30.0, 0.0)), incident("n", at(0.0, 30.0))]
    links = {(kind, a, b) for kind, a, b, _ in SeenBy().links(incidents, cameras)}
    assert links == {("SEEN_BY", "e", "east"), ("SEEN_BY", "w", "west")}


def _at_grid_row_start(size_m: float) -> float:
    """A latitude near Marseille just past the southern edge of a row of the rules' grid of `size_m`."""
    return (math.floor(LAT * M_PER_DEG_LAT / size_m) + 0.00001) * size_m / M_PER_DEG_LAT


def test_seen_by_camera_just_within_range_across_two_grid_rows() -> None:
    lat = _at_grid_row_start(50.0)
    below = at(0.0, -49.95, lat=lat)
    north = camera(bearing=0.0, where=below)
    assert in_wedge(north, lat, LON) is not None  # the wedge itself holds the point
    links = list(SeenBy().links([incident("i1", (lat, LON))], [north]))
    assert [(kind, a, b) for kind, a, b, _ in links] == [("SEEN_BY", "i1", "cam")]


# ---------------------------------------------------------------- Damaged


def vandalism(
    id: str = "v1",
    where: tuple[float, float] = (LAT, LON),
    *,
    start: float = T0,
    end: float | None = None,
    category: str = "vandalism",
    precision: str = "address",
    asset_types: tuple[str, ...] = ("bus_shelter",),
    asset_spans: tuple[str, ...] = ("10:17",),
) -> IncidentPoint:
    return incident(id, where, start, end, category, precision, asset_types, asset_spans)


def asset(
    id: str,
    east_m: float,
    north_m: float = 0.0,
    type: str = "bus_shelter",
    *,
    installed: float | None = None,
    removed: float | None = None,
) -> AssetPoint:
    lat, lon = at(east_m, north_m)
    return AssetPoint(id, type, lat, lon, installed, removed)


def test_damaged_links_the_nearest_asset_of_the_named_type() -> None:
    assets = [asset("s60", 60.0), asset("bench", 10.0, type="bench"), asset("s40", 0.0, 40.0)]
    links = list(Damaged().links([vandalism()], assets))
    assert len(links) == 1
    kind, a, b, props = links[0]
    assert (kind, a, b) == ("DAMAGED", "v1", "s40")
    assert props["rule"] == "damaged"
    assert props["distance_m"] == pytest.approx(40.0, abs=0.5)
    assert props["distance_m"] == round(props["distance_m"], 1)
    assert (props["start"], props["end"]) == (10, 17)
    assert set(props) == {"rule", "distance_m", "start", "end"}


def test_damaged_only_within_the_radius() -> None:
    assert list(Damaged().links([vandalism()], [asset("s160", 160.0)])) == []
    assert list(Damaged().links([vandalism()], [asset("s160", 0.0, -160.0)])) == []
    links = list(Damaged().links([vandalism()], [asset("s140", 140.0), asset("s160", 160.0)]))
    assert [b for _, _, b, _ in links] == ["s140"]
    assert list(Damaged(radius_m=100.0).links([vandalism()], [asset("s140", 140.0)])) == []


def test_damaged_ignores_other_categories_and_imprecise_places() -> None:
    assets = [asset("s40", 40.0)]
    assert list(Damaged().links([vandalism(category="theft")], assets)) == []
    assert list(Damaged().links([vandalism(precision="quartier")], assets)) == []
    assert list(Damaged().links([vandalism(asset_types=(), asset_spans=())], assets)) == []


def test_damaged_tie_at_equal_distance_picks_the_smaller_id() -> None:
    for order in (["b", "a"], ["a", "b"]):
        assets = [asset(name, 40.0, 30.0) for name in order]  # the same spot: exactly the same distance
        assert [b for _, _, b, _ in Damaged().links([vandalism()], assets)] == ["a"]


def test_damaged_skips_assets_not_standing_at_the_time() -> None:
    incidents = [vandalism(start=T0, end=T0 + 3600)]
    assets = [
        asset("new", 20.0, installed=T0 + 7200),  # installed after the incident
        asset("old", 25.0, removed=T0 - 3600),  # removed before it
        asset("then", 30.0, installed=T0 - DAY, removed=T0 + 1800),  # standing during part of it
        asset("far", 90.0),
    ]
    assert [b for _, _, b, _ in Damaged().links(incidents, assets)] == ["then"]


def test_one_asset_equidistant_from_two_incidents_links_to_both() -> None:
    incidents = [vandalism("east", at(40.0, 0.0)), vandalism("west", at(-40.0, 0.0))]
    links = list(Damaged().links(incidents, [asset("s", 0.0)]))
    assert sorted((kind, a, b) for kind, a, b, _ in links) == [
        ("DAMAGED", "east", "s"),
        ("DAMAGED", "west", "s"),
    ]
    for *_, props in links:
        assert props["distance_m"] == pytest.approx(40.0, abs=0.5)


def test_damaged_one_link_per_named_type_with_its_span() -> None:
    named = vandalism(
        asset_types=("bus_shelter", "bench", "bus_shelter"), asset_spans=("10:17", "30:35", "50:61")
    )
    assets = [asset("s", 40.0), asset("bench", 20.0, type="bench"), asset("lamp", 5.0, type="streetlight")]
    links = sorted(Damaged().links([named], assets), key=lambda link: link[2])
    assert [(b, p["start"], p["end"]) for _, _, b, p in links] == [("bench", 30, 35), ("s", 10, 17)]


def test_damaged_asset_just_within_radius_across_two_grid_rows() -> None:
    lat = _at_grid_row_start(150.0)
    s_lat, s_lon = at(0.0, -149.9, lat=lat)
    shelter = AssetPoint("s", "bus_shelter", s_lat, s_lon)
    assert distance_m(LON, lat, s_lon, s_lat) <= 150.0
    assert [b for _, _, b, _ in Damaged().links([vandalism(where=(lat, LON))], [shelter])] == ["s"]


# ---------------------------------------------------------------- NearRepeat


def near(links: list[Link]) -> list[tuple[str, str]]:
    return sorted((a, b) for kind, a, b, _ in links if kind == "NEAR_REPEAT")


def test_near_repeat_links_the_later_to_the_earlier() -> None:
    first = incident("a", start=T0)
    later = incident("b", at(150.0, 0.0), start=T0 + 3 * DAY)
    links = list(NearRepeat().links([later, first]))
    assert len(links) == 1
    kind, a, b, props = links[0]
    assert (kind, a, b) == ("NEAR_REPEAT", "b", "a")
    assert props["rule"] == "near_repeat"
    assert props["metres"] == pytest.approx(150.0, abs=0.5)
    assert props["hours"] == 72.0
    assert set(props) == {"rule", "metres", "hours"}


@pytest.mark.parametrize(
    ("east_m", "north_m", "days", "linked"),
    [
        (250.0, 0.0, 3.0, False),  # too far
        (0.0, -250.0, 3.0, False),
        (190.0, 0.0, 3.0, True),
        (0.0, 150.0, 15.0, False),  # too late
        (0.0, 150.0, 13.9, True),
        (120.0, 120.0, 1.0, True),  # 170 m diagonally
        (150.0, 150.0, 1.0, False),  # 212 m diagonally
    ],
)
def test_near_repeat_window(east_m: float, north_m: float, days: float, linked: bool) -> None:
    pair = [incident("a", start=T0), incident("b", at(east_m, north_m), start=T0 + days * DAY)]
    assert near(list(NearRepeat().links(pair))) == ([("b", "a")] if linked else [])


@pytest.mark.parametrize(
    ("first", "second", "linked"),
    [
        ("theft", "robbery", True),  # both property
        ("robbery", "assault", True),  # both violence
        ("burglary", "theft", True),
        ("theft", "noise", False),
        ("theft", "assault", False),
        ("traffic_accident", "traffic_accident", False),  # no group
        ("other", "other", False),
    ],
)
def test_near_repeat_related_categories(first: str, second: str, linked: bool) -> None:
    pair = [
        incident("a", start=T0, category=first),
        incident("b", at(50.0, 0.0), start=T0 + DAY, category=second),
    ]
    assert near(list(NearRepeat().links(pair))) == ([("b", "a")] if linked else [])


def test_robbery_in_two_groups_links_once() -> None:
    pair = [
        incident("a", start=T0, category="robbery"),
        incident("b", at(50.0, 0.0), start=T0 + DAY, category="robbery"),
    ]
    assert len(list(NearRepeat().links(pair))) == 1


def test_near_repeat_keeps_the_closest_in_time() -> None:
    later = incident("z", start=T0 + 10 * DAY)
    earlier = [
        incident("d4", at(100.0, 0.0), start=T0 + 6 * DAY),  # 4 days before
        incident("d1", at(-100.0, 0.0), start=T0 + 9 * DAY),  # 1 day before
        incident("d3", at(0.0, 100.0), start=T0 + 7 * DAY),  # 3 days before
        incident("d2", at(0.0, -100.0), start=T0 + 8 * DAY),  # 2 days before
    ]
    links = [link for link in NearRepeat(max_links=2).links([*earlier, later]) if link[1] == "z"]
    assert sorted(b for _, _, b, _ in links) == ["d1", "d2"]
    assert sorted(link[3]["hours"] for link in links) == [24.0, 48.0]
    everything = [link for link in NearRepeat().links([*earlier, later]) if link[1] == "z"]
    assert sorted(b for _, _, b, _ in everything) == ["d1", "d2", "d3", "d4"]


def test_near_repeat_keeps_the_closest_in_time_within_one_cell() -> None:
    later = incident("z", start=T0 + 10 * DAY)
    earlier = [incident(f"d{n}", at(float(n), 0.0), start=T0 + (10 - n) * DAY) for n in (3, 1, 4, 2)]
    links = [link for link in NearRepeat(max_links=2).links([*earlier, later]) if link[1] == "z"]
    assert sorted(b for _, _, b, _ in links) == ["d1", "d2"]


def test_near_repeat_same_start_links_once_from_the_greater_id() -> None:
    pair = [incident("a", start=T0), incident("b", at(50.0, 0.0), start=T0)]
    links = list(NearRepeat().links(pair))
    assert [(kind, a, b) for kind, a, b, _ in links] == [("NEAR_REPEAT", "b", "a")]
    assert links[0][3]["hours"] == 0.0


def test_near_repeat_same_start_never_links_both_ways() -> None:
    pair = [incident("a", start=T0), incident("b", at(50.0, 0.0), start=T0)]
    assert len(list(NearRepeat().links(pair))) <= 1


def test_near_repeat_scope_keeps_links_touching_it() -> None:
    far = at(5_000.0, 0.0)
    far_later = at(50.0, 0.0, lat=far[0], lon=far[1])
    incidents = [
        incident("a", start=T0),
        incident("b", at(50.0, 0.0), start=T0 + DAY),
        incident("c", far, start=T0),
        incident("d", far_later, start=T0 + DAY),
    ]
    assert near(list(NearRepeat().links(incidents))) == [("b", "a"), ("d", "c")]
    assert near(list(NearRepeat().links(incidents, {"a"}))) == [("b", "a")]
    assert near(list(NearRepeat().links(incidents, {"d"}))) == [("d", "c")]
    assert near(list(NearRepeat().links(incidents, {"b", "c"}))) == [("b", "a"), ("d", "c")]
    assert near(list(NearRepeat().links(incidents, set()))) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("quartier", "address"), ("address", "quartier"), ("quartier", "quartier"), ("city", "street")],
)
def test_near_repeat_ignores_imprecise_places(first: str, second: str) -> None:
    pair = [
        incident("a", start=T0, precision=first),
        incident("b", at(10.0, 0.0), start=T0 + DAY, precision=second),
    ]
    assert list(NearRepeat().links(pair)) == []


def test_near_repeat_with_no_incidents() -> None:
    assert list(NearRepeat().links([])) == []


# ---------------------------------------------------------------- Containment


def square(west_m: float, south_m: float, side_m: float) -> tuple[tuple[float, float], ...]:
    """A closed ring (lon, lat) of a square placed in metres from the reference point."""
    corners = [(0.0, 0.0), (side_m, 0.0), (side_m, side_m), (0.0, side_m), (0.0, 0.0)]
    return tuple(offset(LON, LAT, west_m + dx, south_m + dy) for dx, dy in corners)


def quartier(id: str, *polygons: Polygon) -> QuartierArea:
    xs = [x for polygon in polygons for x, _ in polygon[0]]
    ys = [y for polygon in polygons for _, y in polygon[0]]
    return QuartierArea(id, tuple(polygons), (min(xs), min(ys), max(xs), max(ys)))


QUARTIERS = [
    quartier("q1", (square(0.0, 0.0, 500.0),)),
    quartier("q2", (square(500.0, 0.0, 500.0),)),
    quartier("ring", (square(0.0, 1_000.0, 500.0), square(200.0, 1_200.0, 100.0))),  # a hole in the middle
    quartier("pair", (square(2_000.0, 0.0, 100.0),), (square(2_400.0, 0.0, 100.0),)),  # two pieces
]


@pytest.mark.parametrize(
    ("east_m", "north_m", "expected"),
    [
        (250.0, 250.0, "q1"),
        (10.0, 490.0, "q1"),
        (750.0, 250.0, "q2"),
        (990.0, 10.0, "q2"),
        (250.0, 750.0, None),  # north of both
        (-10.0, 250.0, None),  # west of both
        (1_010.0, 250.0, None),  # east of both
        (100.0, 1_100.0, "ring"),
        (250.0, 1_250.0, None),  # in the hole
        (2_050.0, 50.0, "pair"),
        (2_450.0, 50.0, "pair"),
        (2_250.0, 50.0, None),  # between the two pieces: inside the bbox, outside both polygons
    ],
)
def test_containment(east_m: float, north_m: float, expected: str | None) -> None:
    lat, lon = at(east_m, north_m)
    links = list(Containment().links([("Place", "p", lat, lon)], QUARTIERS))
    assert links == ([("IN:Place", "p", expected, {})] if expected else [])


def test_containment_keeps_each_point_and_its_label() -> None:
    points = [
        ("Camera", "c1", *at(250.0, 250.0)),
        ("StreetAsset", "s1", *at(750.0, 250.0)),
        ("Place", "p1", *at(250.0, 750.0)),
    ]
    assert list(Containment().links(points, QUARTIERS)) == [
        ("IN:Camera", "c1", "q1", {}),
        ("IN:StreetAsset", "s1", "q2", {}),
    ]


# ---------------------------------------------------------------- geo_key, geo_keys_near, planar


@pytest.mark.parametrize(("lat", "lon"), [(43.3, 5.37), (41.88, -87.63)])  # Marseille, Chicago
def test_geo_keys_near_hold_every_point_within_the_radius(lat: float, lon: float) -> None:
    radius = 300.0
    boundary = (math.floor(T0 / WEEK_S) + 1) * WEEK_S
    t0, t1 = boundary - 2 * DAY, boundary + 2 * DAY
    times = (t0, boundary - 1.0, boundary, boundary + 1.0, t1)
    for step in range(25):  # centres sliding across several key squares
        c_lat, c_lon = at(step * 23.0, step * 17.0, lat=lat, lon=lon)
        keys = set(geo_keys_near(c_lat, c_lon, radius, t0, t1))
        assert len(keys) <= 2 * 4 * 4  # two weeks of at most 4 × 4 squares
        assert {key.rsplit(":", 1)[1] for key in keys} == {
            str(int(boundary // WEEK_S) - 1),
            str(int(boundary // WEEK_S)),
        }
        for t in times:
            assert geo_key(c_lat, c_lon, t) in keys
        for n in range(36):
            p_lat, p_lon = polar(0.99 * radius, n * 10.0, lat=c_lat, lon=c_lon)
            assert distance_m(c_lon, c_lat, p_lon, p_lat) <= radius
            for t in times:
                assert geo_key(p_lat, p_lon, t) in keys, (step, n, t)
        for n in range(8):  # the keys are not everything: a point 2 km away, or a week later, is left out
            f_lat, f_lon = polar(2_000.0, n * 45.0, lat=c_lat, lon=c_lon)
            assert geo_key(f_lat, f_lon, boundary) not in keys
        assert geo_key(c_lat, c_lon, t1 + WEEK_S) not in keys


def test_geo_key_shape() -> None:
    row, _col, week = geo_key(43.3, 5.37, T0).split(":")
    assert int(row) == math.floor(43.3 * M_PER_DEG_LAT / 250.0)
    assert int(week) == math.floor(T0 / WEEK_S)
    assert geo_key(43.3, 5.37, T0) != geo_key(*at(600.0, 0.0, lat=43.3, lon=5.37), T0)


def test_geo_keys_near_hold_a_point_at_the_radius_due_north() -> None:
    row = math.floor(43.3 * M_PER_DEG_LAT / 250.0)
    c_lat = row * 250.0 / M_PER_DEG_LAT - 300.0 / M_PER_DEG_LAT - 1e-6
    p_lat, p_lon = at(0.0, 299.9, lat=c_lat, lon=5.37)
    assert distance_m(5.37, c_lat, p_lon, p_lat) <= 300.0
    assert geo_key(p_lat, p_lon, T0) in geo_keys_near(c_lat, 5.37, 300.0, T0, T0)


def test_planar_is_metres_on_a_local_plane() -> None:
    assert planar(43.3, 0.0, 43.3) == (0.0, 43.3 * M_PER_DEG_LAT)
    x, _ = planar(43.3, 1.0, 43.3)
    assert x == pytest.approx(M_PER_DEG_LAT * math.cos(math.radians(43.3)))
    a = planar(LAT, LON, LAT)
    for east, north in [(150.0, 0.0), (0.0, 150.0), (-100.0, 120.0), (1_000.0, -1_000.0)]:
        b = planar(*at(east, north), LAT)
        assert math.hypot(b[0] - a[0], b[1] - a[1]) == pytest.approx(math.hypot(east, north), rel=0.002)


# ---------------------------------------------------------------- WKT


OUTER = ((5.3, 43.2), (5.4, 43.2), (5.4, 43.3), (5.3, 43.3), (5.3, 43.2))
HOLE = ((5.33, 43.23), (5.36, 43.23), (5.36, 43.26), (5.33, 43.26), (5.33, 43.23))
OTHER = ((-87.6312345, 41.88), (-87.6, 41.88), (-87.6, 41.9), (-87.6312345, 41.88))


def test_wkt_round_trip_polygon_with_a_hole() -> None:
    text = to_wkt([(OUTER, HOLE)])
    assert text.startswith("POLYGON ((") and text.count("(") == 3
    assert parse_wkt(text) == ((OUTER, HOLE),)


def test_wkt_round_trip_multipolygon() -> None:
    polygons = ((OUTER, HOLE), (OTHER,))
    text = to_wkt(polygons)
    assert text.startswith("MULTIPOLYGON (((")
    assert parse_wkt(text) == polygons
    three = ((OTHER,), (OUTER, HOLE), (OUTER,))
    assert parse_wkt(to_wkt(three)) == three


def test_wkt_closes_open_rings() -> None:
    assert parse_wkt(to_wkt([(OUTER[:-1],)])) == ((OUTER,),)
