"""The export formats from hand-made records (the selection itself is tested on the graph server in
tests/graph/test_export.py, and the whole path on a small city in tests/web/test_exports.py): camera wedges as
valid GeoJSON rings, values typed by the ontology, and GEXF and GraphML that read back as written."""

from __future__ import annotations

import io
import itertools
import json
import math
from datetime import UTC, datetime

import networkx as nx  # type: ignore[import-untyped]
import pytest

from recoupe.graph.export import EdgeRecord, NodeRecord
from recoupe.graph.formats import feature, scalar, wedge, write_geojson, write_gexf, write_graphml
from recoupe.ontology.geo import distance_m, in_polygon, offset

LON, LAT = 5.3790, 43.2890
NODES = [
    NodeRecord("Incident", "T:A", {"lat": LAT, "lon": LON, "category": "robbery", "text": "Vu P-1234ABCD.",
                                   "occurred_from": datetime(2025, 3, 3, 14, tzinfo=UTC)}),
    NodeRecord("Person", "P-1234ABCD", {"pseudonym": "P-1234ABCD", "centrality": 1}),
    NodeRecord("Camera", "CAM-9", {"lat": LAT, "lon": LON, "bearing_deg": 90, "fov_deg": 360, "range_m": 50,
                                   "label": "Rond-point"}),
]  # fmt: skip
EDGES = [
    EdgeRecord("INVOLVES", ("Incident", "T:A"), ("Person", "P-1234ABCD"), {"role": "suspect"}),
    EdgeRecord("SEEN_BY", ("Incident", "T:A"), ("Camera", "CAM-9"), {"distance_m": 0, "rule": "seen_by"}),
    EdgeRecord(
        "OCCURRED_AT", ("Incident", "T:A"), ("Place", "rue Paradis"), {}
    ),  # an end outside the records
]


def signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


@pytest.mark.parametrize(("bearing", "fov"), [(0, 90), (350, 40), (180, 1), (90, 360)])
def test_a_wedge_is_a_closed_counter_clockwise_ring_of_the_camera_s_range(bearing: float, fov: float) -> None:
    ring = wedge(LON, LAT, bearing, fov, 60)
    assert ring[0] == ring[-1] and len(ring) >= 4
    assert signed_area(ring) > 0  # RFC 7946: exterior rings counter-clockwise
    assert ([LON, LAT] in ring) == (fov < 360)
    assert max(distance_m(LON, LAT, *p) for p in ring) == pytest.approx(60, abs=0.2)
    east, north = 30 * math.sin(math.radians(bearing)), 30 * math.cos(math.radians(bearing))
    assert in_polygon(*offset(LON, LAT, east, north), [ring])  # 30 m straight ahead
    assert in_polygon(*offset(LON, LAT, -east, -north), [ring]) == (fov >= 360)  # 30 m behind


def test_values_take_the_ontology_s_datatypes() -> None:
    assert scalar("fov_deg", 90) == 90.0 and isinstance(scalar("fov_deg", 90), float)
    assert scalar("series_size", 3) == 3 and scalar("text", 3) == "3"
    assert scalar("occurred_from", datetime(2025, 3, 3, 14, tzinfo=UTC)) == "2025-03-03T14:00:00+00:00"
    assert scalar("outages", ["a/b", "c/"]) == "a/b;c/" and scalar("lat", float("nan")) is None


def test_graphml_and_gexf_read_back_with_typed_values_and_every_end() -> None:
    for write, read in ((write_graphml, nx.read_graphml), (write_gexf, nx.read_gexf)):
        out = io.BytesIO()
        written = write(NODES, EDGES, out)
        assert (written.nodes, written.relationships) == (4, 3)  # the place: named, without its properties
        graph = read(io.BytesIO(out.getvalue()))
        assert set(graph.nodes) == {"Incident:T:A", "Person:P-1234ABCD", "Camera:CAM-9", "Place:rue Paradis"}
        camera = graph.nodes["Camera:CAM-9"]
        assert camera["fov_deg"] == 360.0 and camera["label"] == "Rond-point" and camera["class"] == "Camera"
        assert graph.nodes["Place:rue Paradis"]["class"] == "Place"
        types = sorted(d["relationship"] for _, _, d in graph.edges(data=True))
        assert types == ["INVOLVES", "OCCURRED_AT", "SEEN_BY"]


def test_geojson_keeps_no_text_and_no_person() -> None:
    out = io.StringIO()
    written = write_geojson(NODES, EDGES, out)
    body = json.loads(out.getvalue())
    assert written.features == len(body["features"]) == 2
    assert "P-1234ABCD" not in out.getvalue()
    incident = feature(NODES[0])
    assert incident is not None and incident["properties"]["category_label"] == "vol avec violence"
    assert feature(NODES[1]) is None and feature(NodeRecord("Incident", "T:Z", {"category": "noise"})) is None
