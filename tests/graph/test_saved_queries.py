"""The console's library of saved queries: each passes the console's statement check, names only ontology terms,
declares exactly the parameters it uses, and runs through the console's read-only path on a small city built
here, where the rows it must answer were worked out by hand.

The city (times in UTC; the latest incident is I6, 8 March 2025 23:30, so "this week" is 1–8 March):
  I1 theft 26 Feb 21:30 (22:30 in Paris) rue Paradis (BELSUNCE): suspect P-S1, victim P-V1, plate AA-111-AA,
     the scooter veh-1 (plate AA-111-AA); seen by CAM-1; series S-1
  I2 burglary 5 Mar 02:00 rue Paradis: P-S1, AA-111-AA; seen by CAM-1; a near repeat of I1; series S-1
  I3 robbery 6 Mar 14:00 cours Julien (NOAILLES): P-S1, AA-111-AA, veh-1; missed by CAM-2 (out); series S-1
  I4 vandalism 7 Mar 10:00 rue Paradis: damaged BS-1
  I5 vandalism 1 Feb 10:00 cours Julien: damaged BS-1; missed by CAM-2
  I6 noise 8 Mar 23:30, no place
  I7 theft 20 Feb 12:00 cours Julien: victim P-V1, plate BB-222-BB; series S-2 (alone)
Two forecasts: grid:500:2 noise 0.61, grid:500:1 theft 0.42.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from recoupe.graph import console, queries, statement_check, store
from recoupe.graph.connection import Graph, Target
from recoupe.graph.saved_queries import SAVED_QUERIES, SavedQuery
from recoupe.graph.schema import apply_schema
from recoupe.graph.values import to_graph
from recoupe.ontology.loader import ontology
from tests.graph import test_console
from tests.graph.test_queries import names_used

reader = test_console.reader
QUERIES = {q.id: q for q in SAVED_QUERIES}
PLACES = {
    "P1": ("rue Paradis", 43.2905, 5.3780, "BELSUNCE"),
    "P2": ("cours Julien", 43.2940, 5.3840, "NOAILLES"),
}
INCIDENTS = [  # id, category, occurred_from (UTC), place, series
    ("I1", "theft", "2025-02-26T21:30:00+00:00", "P1", "S-1"),
    ("I2", "burglary", "2025-03-05T02:00:00+00:00", "P1", "S-1"),
    ("I3", "robbery", "2025-03-06T14:00:00+00:00", "P2", "S-1"),
    ("I4", "vandalism", "2025-03-07T10:00:00+00:00", "P1", None),
    ("I5", "vandalism", "2025-02-01T10:00:00+00:00", "P2", None),
    ("I6", "noise", "2025-03-08T23:30:00+00:00", None, None),
    ("I7", "theft", "2025-02-20T12:00:00+00:00", "P2", "S-2"),
]
LINKS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "SEEN_BY": [("I1", "CAM-1", {"distance_m": 12.0}), ("I2", "CAM-1", {"distance_m": 15.0})],
    "MISSED_BY": [("I3", "CAM-2", {"distance_m": 20.0}), ("I5", "CAM-2", {"distance_m": 25.0})],
    "DAMAGED": [("I4", "BS-1", {"distance_m": 5.0}), ("I5", "BS-1", {"distance_m": 6.0})],
    "NEAR_REPEAT": [("I2", "I1", {"metres": 30.0, "hours": 148.5})],
    "IN:Place": [(place, f"q:{v[3]}", {}) for place, v in PLACES.items()],
}
SUSPECT, VICTIM = ("hash-of-the-suspect", "P-S1"), ("hash-of-the-victim", "P-V1")


def build(graph: Graph) -> None:
    """The city of the module's docstring, through the store's wrappers and the ingestion's statements."""
    apply_schema(graph, ontology())
    with graph.session() as s:
        store.merge_nodes(
            s, "Quartier", [{"id": f"q:{n}", "props": {"name": n}} for n in ("BELSUNCE", "NOAILLES")]
        )
        store.merge_places(s, [{"id": k, "name": name, "precision": "street", "lat": lat, "lon": lon, "postcode": None}
                               for k, (name, lat, lon, _) in PLACES.items()])  # fmt: skip
        rows = []
        for id_, category, when, place, series in INCIDENTS:
            moment = datetime.fromisoformat(when)
            props: dict[str, Any] = {"category": category, "occurred_from": moment, "occurred_to": moment,
                                     "source": "test", "text": f"Incident {id_}"}  # fmt: skip
            if place:
                props |= {"lat": PLACES[place][1], "lon": PLACES[place][2], "precision": "street"}
            if series:
                props |= {"series_id": series, "series_size": 3 if series == "S-1" else 1}
            rows.append({"id": id_, "source": "test", "props": props})
        store.merge_incidents(s, rows)
        store.link_places(s, [{"incident": i[0], "id": i[3]} for i in INCIDENTS if i[3]])
        store.merge_entities(s, "Person", [{"id": p[0], "pseudonym": p[1]} for p in (SUSPECT, VICTIM)])
        store.merge_entities(s, "Plate", [{"id": "AA-111-AA"}, {"id": "BB-222-BB"}])
        store.merge_entities(s, "Vehicle", [{"id": "veh-1", "description": "scooter noir"}])
        suspects = [{"incident": i, "id": SUSPECT[0], "role": "suspect"} for i in ("I1", "I2", "I3")]
        victims = [{"incident": i, "id": VICTIM[0], "role": "victim"} for i in ("I1", "I7")]
        store.link_involved(s, "Person", suspects + victims)
        plates = [("I1", "AA-111-AA"), ("I2", "AA-111-AA"), ("I3", "AA-111-AA"), ("I7", "BB-222-BB")]
        store.link_involved(s, "Plate", [{"incident": i, "id": p, "role": None} for i, p in plates])
        store.link_involved(
            s, "Vehicle", [{"incident": i, "id": "veh-1", "role": None} for i in ("I1", "I3")]
        )
        store.link_plates_to_vehicles(s, [{"vehicle": "veh-1", "plate": "AA-111-AA"}])
        store.merge_nodes(s, "Camera", [
            {"id": "CAM-1", "props": {"label": "Paradis nord", "lat": 43.2904, "lon": 5.3780}},
            {"id": "CAM-2", "props": {"label": "Julien", "lat": 43.2941, "lon": 5.3841}},
        ])  # fmt: skip
        store.merge_nodes(s, "StreetAsset", [
            {"id": "BS-1", "props": {"asset_type": "bus_shelter", "lat": 43.2906, "lon": 5.3781}},
            {"id": "SL-1", "props": {"asset_type": "street_light", "lat": 43.2900, "lon": 5.3800}},
        ])  # fmt: skip
        for kind, links in LINKS.items():
            rows = [{"a": a, "b": b, "props": props} for a, b, props in links]
            s.run(queries.create_links(kind), rows=rows).consume()
        cells = [{"id": f"grid:500:{n}", "unit": "grid:500", "lat": 43.29 + n / 100, "lon": 5.38, "geometry": None}
                 for n in (1, 2)]  # fmt: skip
        s.run(queries.MERGE_CELLS, rows=cells).consume()
        valid = {"valid_from": datetime.fromisoformat("2025-03-10T00:00:00+00:00"), "horizon": "7d",
                 "valid_to": datetime.fromisoformat("2025-03-17T00:00:00+00:00"), "rank": 1}  # fmt: skip
        forecasts = [
            {"cell": "grid:500:1", "id": "f1", "props": {"category": "theft", "probability": 0.42, **valid}},
            {"cell": "grid:500:2", "id": "f2", "props": {"category": "noise", "probability": 0.61, **valid}},
        ]
        s.run(queries.CREATE_FORECASTS, rows=to_graph(forecasts)).consume()


def run(reader: Target, query: SavedQuery, **parameters: Any) -> list[list[Any]]:
    """The query's rows through the console's read-only path, as the API would send them."""
    result = console.run_query(reader, query.cypher, parameters=query.defaults() | parameters)
    assert not result.truncated and not result.timed_out
    return [[console.plain(v) for v in row] for row in result.rows]


def moment(text: str) -> str:
    """A stored time as the console shows it, to the second (ArcadeDB answers it as a local UTC time)."""
    return text[:19]


# ---------------------------------------------------------------- the library itself


def test_the_library_holds_at_least_twelve_distinct_queries() -> None:
    assert len(SAVED_QUERIES) >= 12
    assert len(QUERIES) == len(SAVED_QUERIES)  # ids are unique
    for query in SAVED_QUERIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", query.id), query.id
        assert query.title and query.description.endswith("."), query.id
    assert len({q.title for q in SAVED_QUERIES}) == len(SAVED_QUERIES)


@pytest.mark.parametrize("query_id", sorted(QUERIES))
def test_each_query_passes_the_check_and_declares_its_parameters(query_id: str) -> None:
    query = QUERIES[query_id]
    assert statement_check.check_statement(query.cypher) == query.cypher.strip()
    assert set(re.findall(r"\$(\w+)", query.cypher)) == {p.name for p in query.parameters}
    for parameter in query.parameters:
        assert isinstance(parameter.default, int if parameter.kind == "integer" else str), parameter


@pytest.mark.parametrize("query_id", sorted(QUERIES))
def test_each_query_names_only_ontology_terms(query_id: str) -> None:
    labels, types, props = names_used(QUERIES[query_id].cypher)
    model = ontology()
    temporal = {"truncate", "hour", "between"}  # datetime.truncate, x.hour, duration.between
    assert labels <= set(model.node_types), labels - set(model.node_types)
    assert types <= set(model.rel_types), types - set(model.rel_types)
    assert props - temporal <= set(model.properties), props - temporal - set(model.properties)


# ---------------------------------------------------------------- on the city


def test_every_query_runs_on_the_city(graph: Graph, reader: Target) -> None:
    build(graph)
    for query in SAVED_QUERIES:
        console.run_query(reader, query.cypher, parameters=query.defaults())  # raises on any error


def test_what_the_queries_answer_on_the_city(graph: Graph, reader: Target) -> None:
    build(graph)
    q = QUERIES
    missed = run(reader, q["incidents-missed-by-out-cameras"])
    assert [(r[0], r[3], r[5]) for r in missed] == [("I3", "CAM-2", 20.0), ("I5", "CAM-2", 25.0)]
    [plate] = run(reader, q["plates-in-several-incidents"])
    assert (plate[0], plate[1], sorted(plate[2])) == ("AA-111-AA", 3, ["I1", "I2", "I3"])
    assert run(reader, q["plates-in-several-incidents"], min_incidents=4) == []
    seen = run(reader, q["incidents-of-a-plate"], plate="AA-111-AA")
    assert [(r[0], r[3]) for r in seen] == [
        ("I1", "rue Paradis"),
        ("I2", "rue Paradis"),
        ("I3", "cours Julien"),
    ]
    [asset] = run(reader, q["assets-damaged-repeatedly"])
    assert asset[:4] == ["BS-1", "bus_shelter", None, 2]
    assert (moment(asset[4]), moment(asset[5])) == ("2025-02-01T10:00:00", "2025-03-07T10:00:00")
    assert run(reader, q["series-growing"]) == [["S-1", 3, 2, 1]]  # I2 and I3 joined I1 this week
    assert run(reader, q["series-growing"], days=1) == []
    [suspect] = run(reader, q["repeat-suspects"])
    assert (suspect[0], suspect[1], sorted(suspect[2])) == ("P-S1", 3, ["burglary", "robbery", "theft"])
    assert [r[:2] for r in run(reader, q["repeat-victims"])] == [["P-V1", 2]]
    assert run(reader, q["quartiers-month-over-month"]) == [["BELSUNCE", 2, 1, 1], ["NOAILLES", 1, 2, -1]]
    assert [r[:3] for r in run(reader, q["cameras-seeing-most-incidents"])] == [["CAM-1", "Paradis nord", 2]]
    [vehicle] = run(reader, q["vehicles-across-quartiers"])
    assert vehicle[:4] == ["veh-1", "scooter noir", ["AA-111-AA"], 2]
    assert sorted(vehicle[4]) == ["BELSUNCE", "NOAILLES"]
    # I1 began at 21:30 UTC, 22:30 in Paris; I2 at 03:00 and I6 at 00:30 in Paris
    night = run(reader, q["night-incidents-by-category"])
    assert night == [["burglary", 1], ["noise", 1], ["theft", 1]]
    assert run(reader, q["night-incidents-by-category"], from_hour=23, to_hour=1) == [["noise", 1]]
    forecasts = run(reader, q["top-forecast-cells"])
    assert [r[:3] for r in forecasts] == [["grid:500:2", "noise", 0.61], ["grid:500:1", "theft", 0.42]]
    assert [r[0] for r in run(reader, q["incidents-without-place"])] == ["I6"]
    per_day = run(reader, q["incidents-per-day"])
    assert per_day == [
        ["2025-02-26", 1],
        ["2025-03-05", 1],
        ["2025-03-06", 1],
        ["2025-03-07", 1],
        ["2025-03-08", 1],
    ]


def test_the_graph_queries_answer_nodes_and_relationships(graph: Graph, reader: Target) -> None:
    build(graph)
    [[a, r, b]] = run(reader, QUERIES["near-repeats-graph"])
    assert (a["properties"]["id"], r["type"], b["properties"]["id"]) == ("I2", "NEAR_REPEAT", "I1")
    plates = run(reader, QUERIES["shared-plates-graph"])
    assert sorted((i["properties"]["id"], r["type"], p["properties"]["id"]) for i, r, p in plates) == [
        ("I1", "INVOLVES", "AA-111-AA"), ("I2", "INVOLVES", "AA-111-AA"), ("I3", "INVOLVES", "AA-111-AA"),
    ]  # fmt: skip
    suspects = run(reader, QUERIES["suspects-graph"])
    assert sorted(i["properties"]["id"] for i, _, _ in suspects) == ["I1", "I2", "I3"]
    assert {p["properties"]["pseudonym"] for _, _, p in suspects} == {"P-S1"}
    assert SUSPECT[0] not in json.dumps(suspects)  # a person by pseudonym only
