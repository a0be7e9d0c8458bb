"""Series and centrality on the real graph: known components, stable ids, stale ids removed, people by
pseudonym only; the union-find agrees with networkx."""

from __future__ import annotations

import hashlib
import itertools
import json
import random

import networkx as nx  # type: ignore[import-untyped]
import pytest
from networkx.algorithms import bipartite  # type: ignore[import-untyped]

from recoupe.graph import queries, store
from recoupe.graph.analytics import IncidentLinks, analyse, series_id
from recoupe.graph.connection import Graph
from recoupe.graph.schema import apply_schema
from recoupe.ingest.graph_rows import person_key
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.ontology.loader import ontology

KEY = bytes(32)
PERSON_X = "0123456789abcdef01234567"  # in A and B (already linked)
PERSON_Y = "fedcba9876543210fedcba98"  # in F only
CATEGORY = {"A": "burglary", "B": "burglary", "C": "theft", "D": "theft", "E": "theft", "F": "noise",
            "G": "robbery", "H": "robbery"}  # fmt: skip


def write(graph: Graph, incidents: dict[str, str], involved: dict[str, list[tuple[str, str]]],
          near: list[tuple[str, str]], places: list[tuple[str, str]]) -> None:  # fmt: skip
    """Incidents (id → category), entities per label as (incident, entity), NEAR_REPEAT (later, earlier) and
    OCCURRED_AT (incident, place), through the store's writes."""
    with graph.session() as s:
        store.merge_incidents(s, [{"id": i, "props": {"category": c}} for i, c in incidents.items()])
        for label, pairs in involved.items():
            entities = sorted({e for _, e in pairs})
            nodes = [{"id": e, "pseudonym": f"P-{e[:8].upper()}", "description": "voiture"} for e in entities]
            store.merge_entities(s, label, nodes)
            store.link_involved(s, label, [{"incident": i, "id": e, "role": "suspect"} for i, e in pairs])
        names = sorted({p for _, p in places})
        rows = [{"id": p, "name": f"rue {p}", "precision": "street", "lat": 43.3, "lon": 5.4, "postcode": None}
                for p in names]  # fmt: skip
        store.merge_places(s, rows)
        store.link_places(s, [{"incident": i, "id": p} for i, p in places])
        links = [{"a": a, "b": b, "props": {"rule": "near_repeat"}} for a, b in near]
        s.run(queries.create_links("NEAR_REPEAT"), rows=links).consume()


def small_city(graph: Graph) -> None:
    """A–B–C by near repeats, D–E sharing a plate, G–H sharing a vehicle, F alone (though at E's place)."""
    write(
        graph,
        {f"log:{k}": c for k, c in CATEGORY.items()},
        {
            "Plate": [("log:D", "AB-123-CD"), ("log:E", "AB-123-CD"), ("log:F", "ZZ-999-ZZ")],
            "Person": [("log:A", PERSON_X), ("log:B", PERSON_X), ("log:F", PERSON_Y)],
            "Vehicle": [("log:G", "plate:GH-456-IJ"), ("log:H", "plate:GH-456-IJ")],
        },
        [("log:B", "log:A"), ("log:C", "log:B")],
        [
            ("log:A", "pl:1"),
            ("log:B", "pl:1"),
            ("log:C", "pl:1"),
            ("log:D", "pl:2"),
            ("log:E", "pl:3"),
            ("log:F", "pl:3"),
        ],
    )


def held(graph: Graph) -> dict[str, tuple[str, int | None]]:
    with graph.session() as s:
        return store.analytics_held_series(s)


def test_known_series_sizes_and_categories(graph: Graph) -> None:
    apply_schema(graph, ontology())
    small_city(graph)
    report = analyse(graph)
    abc, de, gh = series_id("log:A"), series_id("log:D"), series_id("log:G")
    assert abc == "S-" + hashlib.sha256(b"log:A").hexdigest()[:12]
    assert (report.incidents, report.near_repeats, report.shared_links) == (8, 2, 8)
    assert (report.series, report.in_series, report.sizes) == (3, 7, {3: 1, 2: 2})
    assert [(s.id, s.size, s.categories) for s in report.largest] == [
        (abc, 3, {"burglary": 2, "theft": 1}),
        *sorted([(de, 2, {"theft": 2}), (gh, 2, {"robbery": 2})]),
    ]
    assert held(graph) == {
        "log:A": (abc, 3), "log:B": (abc, 3), "log:C": (abc, 3), "log:D": (de, 2), "log:E": (de, 2),
        "log:G": (gh, 2), "log:H": (gh, 2),
    }  # fmt: skip
    assert (report.written, report.removed, report.unchanged) == (7, 0, 0)


def test_top_lists_rank_by_incidents_and_show_people_by_pseudonym(graph: Graph) -> None:
    small_city(graph)
    report = analyse(graph)
    assert [(c.name, c.incidents, c.id) for c in report.plates] == [
        ("AB-123-CD", 2, "AB-123-CD"), ("ZZ-999-ZZ", 1, "ZZ-999-ZZ"),
    ]  # fmt: skip
    assert report.plates[0].centrality == pytest.approx(2 / 8)
    assert [(c.name, c.incidents, c.id) for c in report.people] == [
        ("P-01234567", 2, None),
        ("P-FEDCBA98", 1, None),
    ]
    assert [(c.name, c.incidents, c.id) for c in report.places] == [
        ("rue pl:1", 3, "pl:1"), ("rue pl:3", 2, "pl:3"), ("rue pl:2", 1, "pl:2"),
    ]  # fmt: skip
    shown = json.dumps(report.as_dict())
    assert PERSON_X not in shown and PERSON_Y not in shown and "P-01234567" in shown
    assert [c.name for c in analyse(graph, top=1).plates] == ["AB-123-CD"]
    with graph.session() as session:  # written back for entities of two incidents or more
        written = session.run(
            "MATCH (n) WHERE n.centrality IS NOT NULL RETURN labels(n)[0] AS label, n.id AS id, "
            "n.centrality AS c ORDER BY label, id"
        ).data()
    assert [(w["label"], w["id"]) for w in written] == [
        ("Person", PERSON_X), ("Place", "pl:1"), ("Place", "pl:3"), ("Plate", "AB-123-CD"),
    ]  # fmt: skip
    assert [w["c"] for w in written] == pytest.approx([2 / 8, 3 / 8, 2 / 8, 2 / 8])


def test_reruns_keep_ids_and_remove_stale_ones(graph: Graph) -> None:
    apply_schema(graph, ontology())
    small_city(graph)
    first = analyse(graph)
    again = analyse(graph)
    assert [s.id for s in again.largest] == [s.id for s in first.largest]
    assert (again.written, again.removed, again.unchanged) == (0, 0, 7)
    with graph.session() as s:  # C leaves A–B–C; A–B keeps its id
        s.run(queries.remove_links("NEAR_REPEAT"), rows=[{"a": "log:C", "b": "log:B"}]).consume()
    after = analyse(graph)
    assert (after.written, after.removed, after.unchanged) == (2, 1, 4)
    state = held(graph)
    assert "log:C" not in state and state["log:A"] == state["log:B"] == (series_id("log:A"), 2)
    assert after.sizes == {2: 3}
    with graph.session() as s:  # E–F joined by a near repeat: D–E grows and keeps D's id
        near = [{"a": "log:F", "b": "log:E", "props": {"rule": "near_repeat"}}]
        s.run(queries.create_links("NEAR_REPEAT"), rows=near).consume()
    grown = analyse(graph)
    assert held(graph)["log:F"] == (series_id("log:D"), 3) and grown.written == 3


def test_an_empty_graph_has_no_series(graph: Graph) -> None:
    report = analyse(graph)
    assert (report.incidents, report.series, report.largest, report.people, report.written) == (
        0,
        0,
        [],
        [],
        0,
    )


def test_components_and_centrality_agree_with_networkx(graph: Graph) -> None:
    rng = random.Random(5)
    incidents = {f"log:{n:03d}": "theft" for n in range(150)}
    ids = sorted(incidents)
    plates = [(i, f"PL-{rng.randrange(40):03d}") for i in ids if rng.random() < 0.5]
    persons = [(i, f"{rng.randrange(60):024x}") for i in ids if rng.random() < 0.4]
    near = list({(ids[a], ids[rng.randrange(a)]) for a in range(1, 150) if rng.random() < 0.2})
    write(graph, incidents, {"Plate": plates, "Person": persons}, near, [(i, "pl:1") for i in ids[:3]])
    report = analyse(graph, top=5)

    links = nx.Graph()
    links.add_nodes_from(ids)
    links.add_edges_from(near)
    for pairs in (plates, persons):
        by_entity: dict[str, list[str]] = {}
        for incident, entity in pairs:
            by_entity.setdefault(entity, []).append(incident)
        for members in by_entity.values():
            links.add_edges_from(itertools.pairwise(members))
    expected = {
        incident: (series_id(min(c)), len(c))
        for c in nx.connected_components(links)
        if len(c) >= 2
        for incident in c
    }
    assert held(graph) == expected and report.series == sum(
        1 for c in nx.connected_components(links) if len(c) >= 2
    )

    plate_graph = nx.Graph()
    plate_graph.add_nodes_from(ids, bipartite=0)
    plate_graph.add_edges_from((i, ("plate", p)) for i, p in plates)
    centrality = bipartite.degree_centrality(plate_graph, ids)
    best = sorted((-centrality[("plate", p)], p) for p in {p for _, p in plates})[:5]
    assert [c.id for c in report.plates] == [p for _, p in best]
    assert [c.centrality for c in report.plates] == pytest.approx([-v for v, _ in best])


def test_union_find_matches_networkx_on_random_links() -> None:
    rng = random.Random(9)
    links = IncidentLinks()
    reference = nx.Graph()
    for _ in range(3000):
        a, b = f"i{rng.randrange(2000)}", f"i{rng.randrange(2000)}"
        links.link(a, b)
        reference.add_edge(a, b)
    found = {frozenset(members) for _, members in links.series(min_size=1)}
    assert found == {frozenset(c) for c in nx.connected_components(reference)}


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def test_series_from_real_ingestion(graph: Graph, extractor: Extractor) -> None:
    apply_schema(graph, ontology())
    ingestor = Ingestor(graph, extractor, KEY, link=False)
    texts = {
        "r-1": "Vol à la roulotte dans le véhicule AB-123-CD rue de Rome. Mme Nadia BENALI a vu les faits.",
        "r-2": "Le véhicule immatriculé AB-123-CD est signalé devant la gare Saint-Charles.",
        "r-3": "Tapage nocturne au cours Julien, les voisins se plaignent.",
    }
    for rid, text in texts.items():
        ingestor.ingest_report({"id": rid, "text": text, "reported_at": "2025-03-15T09:00:00+01:00"})
    report = analyse(graph)
    sid = series_id("citizen:r-1")
    assert (report.series, report.sizes) == (1, {2: 1})
    assert held(graph) == {"citizen:r-1": (sid, 2), "citizen:r-2": (sid, 2)}
    assert [(c.name, c.incidents) for c in report.plates] == [("AB-123-CD", 2)]
    pseudonym = "P-" + person_key("Nadia BENALI", KEY)[:8].upper()
    assert [c.name for c in report.people] == [pseudonym]
    assert person_key("Nadia BENALI", KEY) not in json.dumps(report.as_dict())
