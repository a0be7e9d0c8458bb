"""A small hand-built city on real Marseille streets, ingested through the real pipeline: the links it must get
(SEEN_BY, MISSED_BY, DAMAGED, NEAR_REPEAT, IN), and what `connections`, `cameras_for`, `timeline`, `path` and
`hotspots` must answer — every expected value worked out by hand from the texts and the layout below.

Layout (metres from the single point the gazetteer gives rue Paradis, where incidents A, B and D stand):
  CAM-1 20 m south, facing north (range 60 m, field 90°), out of service from 30 May to 2 June 2025;
  BS-1, a bus shelter, 40 m east; BS-2, a bus shelter, 90 m west; BN-1, a bench, 10 m north.
Cours Julien (incident C) is about 510 m from that point.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from recoupe.graph import store
from recoupe.graph.connection import Graph
from recoupe.graph.investigate import cameras_at, cameras_for, connections, hotspots, path, timeline
from recoupe.graph.links import run_rules
from recoupe.graph.schema import apply_schema
from recoupe.ingest.layers import load_assets, load_cameras, load_outages, load_quartiers
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.nlp.gazetteer import MARSEILLE
from recoupe.ontology.errors import NotFound
from recoupe.ontology.geo import offset
from recoupe.ontology.loader import ontology

LOGS = [
    ("A", "2025-03-03T15:00:00+01:00",
     "Vol à l'arraché rue Paradis vers 14h. Le mis en cause a pris la fuite sur un scooter immatriculé AB-123-CD."),
    ("B", "2025-03-05T09:00:00+01:00",
     "Cambriolage d'un local commercial rue Paradis dans la nuit. Un scooter immatriculé AB-123-CD a été vu devant."),
    ("C", "2025-03-04T23:30:00+01:00", "Tapage nocturne cours Julien vers 23h, musique forte."),
    ("D", "2025-06-01T11:00:00+02:00", "Abribus vandalisé rue Paradis, vitre brisée vers 10h."),
]  # fmt: skip


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture
def city(graph: Graph, extractor: Extractor, tmp_path: Path) -> Graph:
    apply_schema(graph, ontology())
    paradis = extractor.geocoder.street("rue Paradis")
    assert paradis is not None
    lon, lat = paradis.lon, paradis.lat

    def at(east: float, north: float) -> tuple[str, str]:
        x, y = offset(lon, lat, east, north)
        return f"{y:.7f}", f"{x:.7f}"

    _csv(tmp_path / "cameras.csv", ["id", "lat", "lon", "bearing_deg", "fov_deg", "range_m", "installed_at"],
         [["CAM-1", *at(0, -20), "0", "90", "60", "2020-01-01T00:00:00+01:00"]])  # fmt: skip
    _csv(tmp_path / "outages.csv", ["camera_id", "start", "end"],
         [["CAM-1", "2025-05-30T00:00:00+02:00", "2025-06-02T00:00:00+02:00"]])  # fmt: skip
    _csv(
        tmp_path / "assets.csv",
        ["id", "type", "lat", "lon"],
        [["BS-1", "bus_shelter", *at(40, 0)], ["BS-2", "Abribus", *at(-90, 0)], ["BN-1", "banc", *at(0, 10)]],
    )
    _csv(tmp_path / "logs.csv", ["id", "reported_at", "text"], [[i, r, t] for i, r, t in LOGS])
    load_quartiers(graph, MARSEILLE / "quartiers.geojson")
    load_cameras(graph, tmp_path / "cameras.csv")
    load_outages(graph, tmp_path / "outages.csv")
    load_assets(graph, tmp_path / "assets.csv")
    Ingestor(graph, extractor, bytes(32)).ingest_file(tmp_path / "logs.csv", source="T")
    return graph


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def test_links_are_those_worked_out_by_hand(city: Graph) -> None:
    with city.session() as session:
        counts = store.relationship_counts_by_type(session)
        damaged = session.run(
            "MATCH (i:Incident)-[r:DAMAGED]->(s:StreetAsset) RETURN i.id AS i, s.id AS s, r.distance_m AS d, "
            "r.start AS start, r.end AS end"
        ).data()
        repeats = session.run(
            "MATCH (a:Incident)-[r:NEAR_REPEAT]->(b:Incident) RETURN a.id AS a, b.id AS b, r.metres AS m, "
            "r.hours AS h"
        ).data()
        seen = session.run(
            "MATCH (i:Incident)-[r:SEEN_BY|MISSED_BY]->(c:Camera) RETURN i.id AS i, type(r) AS t, "
            "r.distance_m AS d, r.angle_deg AS angle ORDER BY i"
        ).data()
        quartier = session.run(
            "MATCH (:Place {name: 'Rue Paradis'})-[:IN]->(q:Quartier)-[:IN]->(a:Arrondissement) "
            "RETURN q.name AS q, a.postcode AS postcode"
        ).data()
    # D names a bus shelter: BS-1 (40 m) wins over BS-2 (90 m); the bench, nearer, is not a bus shelter
    assert damaged == [{"i": "T:D", "s": "BS-1", "d": pytest.approx(40.0, abs=0.5), "start": 0, "end": 7}]
    # B (burglary, night of 4–5 March from 22:00) repeats A (robbery, 3 March 13:30): same point, 32.5 h
    assert repeats == [{"a": "T:B", "b": "T:A", "m": 0.0, "h": 32.5}]
    # the camera stands 20 m south facing north: A and B seen; D happened during the outage
    assert [(r["i"], r["t"]) for r in seen] == [("T:A", "SEEN_BY"), ("T:B", "SEEN_BY"), ("T:D", "MISSED_BY")]
    assert all(
        r["d"] == pytest.approx(20.0, abs=0.3) and r["angle"] == pytest.approx(0.0, abs=1.0) for r in seen
    )
    assert quartier == [{"q": "PREFECTURE", "postcode": "13006"}]
    assert counts["SEEN_BY"] == 2 and counts["MISSED_BY"] == 1


def test_a_second_run_of_every_rule_changes_nothing(city: Graph) -> None:
    results = run_rules(city)
    assert [(r.rule, r.created, r.removed) for r in results] == [
        ("seen_by", 0, 0), ("damaged", 0, 0), ("near_repeat", 0, 0), ("in", 0, 0),
    ]  # fmt: skip
    assert results[0].counts == {"SEEN_BY": 2, "MISSED_BY": 1}


def test_connections_rank_shared_plate_and_near_repeat(city: Graph) -> None:
    found = connections(city, "T:A")
    assert [c.id for c in found] == ["T:B"]  # C is 510 m away, D three months later
    kinds = {r["kind"]: r for r in found[0].reasons}
    assert set(kinds) == {"plate", "vehicle", "near_repeat", "camera", "place_time"}
    assert kinds["plate"]["entity"] == "AB-123-CD"
    assert kinds["place_time"]["distance_m"] == 0.0 and kinds["place_time"]["hours"] == 31.5
    # 5 (plate) + 4 (vehicle) + 3 (near repeat) + 1 (camera) + 2 × (0.5 + 0.5 × (1 − 0) × (1 − 31.5/72))
    assert found[0].score == pytest.approx(14.5625)
    assert connections(city, "T:D") == []
    assert [c.id for c in connections(city, "T:A", radius_m=600)] == ["T:B", "T:C"]


def test_cameras_for_an_incident_and_for_a_point(city: Graph, extractor: Extractor) -> None:
    assert [(v.camera, v.state) for v in cameras_for(city, "T:A")] == [("CAM-1", "seen")]
    assert [(v.camera, v.state) for v in cameras_for(city, "T:D")] == [("CAM-1", "out")]
    paradis = extractor.geocoder.street("rue Paradis")
    assert paradis is not None
    moment = datetime.fromisoformat("2025-05-31T12:00:00+02:00")
    assert [(v.camera, v.state) for v in cameras_at(city, paradis.lat, paradis.lon, moment)] == [
        ("CAM-1", "out")
    ]
    lon, lat = offset(paradis.lon, paradis.lat, 0, -40)  # behind the camera
    assert cameras_at(city, lat, lon, moment) == []
    with pytest.raises(NotFound):
        cameras_for(city, "T:nope")


def test_timelines_of_a_plate_a_camera_and_a_quartier(city: Graph) -> None:
    label, items = timeline(city, "AB-123-CD")
    assert label == "Plate" and [i["id"] for i in items] == ["T:A", "T:B"]
    label, items = timeline(city, "ab 123 cd")
    assert label == "Plate"
    label, items = timeline(city, "CAM-1")
    assert [(i["id"], i["relation"]) for i in items] == [
        ("T:A", "SEEN_BY"),
        ("T:B", "SEEN_BY"),
        ("T:D", "MISSED_BY"),
    ]
    label, items = timeline(city, "Prefecture".upper())
    assert label == "Quartier" and [i["id"] for i in items] == ["T:A", "T:B", "T:D"]
    with pytest.raises(NotFound):
        timeline(city, "ZZ-999-ZZ")


def test_shortest_path_from_a_plate_to_a_later_incident(city: Graph) -> None:
    steps = path(city, "AB-123-CD", "T:D")
    nodes = [s for s in steps if "label" in s]
    assert nodes[0]["shown"] == "AB-123-CD" and nodes[-1]["id"] == "T:D"
    assert len(nodes) == 4  # plate – A or B – (rue Paradis or CAM-1) – D: three hops
    assert nodes[2]["shown"] in ("Rue Paradis", "CAM-1")
    assert path(city, "AB-123-CD", "T:C", max_hops=2) == []


def test_hotspots_against_the_previous_period(city: Graph) -> None:
    rows = hotspots(city, datetime.fromisoformat("2025-03-01T00:00:00+01:00"),
                    datetime.fromisoformat("2025-04-01T00:00:00+02:00"))  # fmt: skip
    assert rows[0]["unit"] == "PREFECTURE" and rows[0]["count"] == 2 and rows[0]["previous"] == 0
    assert rows[0]["change"] is None
    assert sum(r["count"] for r in rows) == 3
    thefts = hotspots(city, datetime.fromisoformat("2025-03-01T00:00:00+01:00"),
                      datetime.fromisoformat("2025-04-01T00:00:00+02:00"), category="noise")  # fmt: skip
    assert [r["count"] for r in thefts] == [1]


def test_a_new_log_gets_its_links_when_ingested(city: Graph, extractor: Extractor, tmp_path: Path) -> None:
    _csv(tmp_path / "more.csv", ["id", "reported_at", "text"],
         [["E", "2025-03-06T10:00:00+01:00", "Vol de téléphone portable rue Paradis vers 9h."]])  # fmt: skip
    summary = Ingestor(city, extractor, bytes(32)).ingest_file(tmp_path / "more.csv", source="T")
    assert {r.rule: r.created for r in summary.links} == {
        "seen_by": 1,
        "damaged": 0,
        "near_repeat": 2,
        "in": 0,
    }
    with city.session() as session:
        targets = session.run(
            "MATCH (:Incident {id: 'T:E'})-[:NEAR_REPEAT]->(b:Incident) RETURN b.id AS b ORDER BY b"
        ).value()
    assert targets == ["T:A", "T:B"]
