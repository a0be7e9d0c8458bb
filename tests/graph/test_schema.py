"""The schema derives from the ontology, applies idempotently, and is enforced by the real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from recoupe.graph import store
from recoupe.graph.connection import Graph
from recoupe.graph.schema import SchemaItem, apply_schema, missing_schema, planned_schema
from recoupe.graph.values import to_graph
from recoupe.ontology.errors import GraphQueryError, InvalidInput
from recoupe.ontology.loader import ontology


def test_planned_schema_follows_the_ontology() -> None:
    plan = planned_schema(ontology())
    keyed = [n for n in ontology().node_types.values() if n.key]
    assert len([i for i in plan if i.kind == "unique"]) == len(keyed) == 14
    assert SchemaItem("incident_id_key", "unique", "node", "Incident", "id") in plan
    assert SchemaItem("incident_reported_at", "index", "node", "Incident", "reported_at") in plan
    assert SchemaItem("street_asset_asset_type", "index", "node", "StreetAsset", "asset_type") in plan
    assert SchemaItem("involves_role", "index", "relationship", "INVOLVES", "role") in plan
    assert SchemaItem("incident_geo_key", "index", "node", "Incident", "geo_key") in plan
    assert len({i.name for i in plan}) == len(plan) == 31


def test_apply_schema_is_idempotent(graph: Graph) -> None:
    first = apply_schema(graph, ontology())
    assert len(first.created) == 31 and first.present == ()
    second = apply_schema(graph, ontology())
    assert second.created == () and len(second.present) == 31
    assert missing_schema(graph, ontology()) == ()


def test_apply_schema_restores_a_dropped_index(graph: Graph) -> None:
    apply_schema(graph, ontology())
    with graph.session() as s:
        s.run("DROP INDEX incident_category IF EXISTS").consume()
    assert [i.name for i in missing_schema(graph, ontology())] == ["incident_category"]
    assert apply_schema(graph, ontology()).created == ("incident_category",)


def test_unique_key_is_enforced(graph: Graph) -> None:
    apply_schema(graph, ontology())
    with graph.session() as s:
        s.run("CREATE (:Incident {id: 'logs:1'})").consume()
    with pytest.raises(GraphQueryError) as err, graph.session() as s:
        s.run("CREATE (:Incident {id: 'logs:1'})").consume()
    assert "already exists" in err.value.hint
    with graph.session() as s:
        assert store.count_nodes(s) == 1


def test_counts_by_label_and_type(graph: Graph) -> None:
    with graph.session() as s:
        s.run(
            "CREATE (a:Incident {id: 'a'})-[:NEAR_REPEAT {metres: 120.0, hours: 5.0}]->(b:Incident {id: 'b'}),"
            " (a)-[:OCCURRED_AT]->(:Place {id: 'p'})"
        ).consume()
        assert store.count_nodes(s) == 3
        assert store.count_relationships(s) == 2
        assert store.node_counts_by_label(s) == {"Incident": 2, "Place": 1}
        assert store.relationship_counts_by_type(s) == {"NEAR_REPEAT": 1, "OCCURRED_AT": 1}


def test_datetimes_round_trip_as_aware_utc_and_order_correctly(graph: Graph) -> None:
    paris = datetime(2024, 5, 1, 23, 15, tzinfo=ZoneInfo("Europe/Paris"))  # 21:15 UTC
    offset = datetime(2024, 5, 1, 22, 0, tzinfo=timezone(timedelta(hours=2)))  # 20:00 UTC
    with graph.session() as s:
        store.merge_source(s, "a", "a.csv", "logs", paris)
        store.merge_source(s, "b", "b.csv", "logs", offset)
        rows = {row.id: row.ingested_at for row in store.sources(s)}
        assert rows == {"a": paris, "b": offset}
        assert all(value is not None and value.tzinfo is not None for value in rows.values())
        earlier = s.run(
            "MATCH (x:Source) WHERE x.ingested_at < $t RETURN x.id AS id",
            t=to_graph(datetime(2024, 5, 1, 21, 0, tzinfo=UTC)),
        ).data()
        assert earlier == [{"id": "b"}]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidInput, match="has no timezone"):
        to_graph(datetime(2024, 5, 1, 12, 0))
