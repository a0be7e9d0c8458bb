"""The export's selection on the hand-built city of test_investigate (plus one log naming two people): the whole
graph as the server counts it, people only by pseudonym (in texts too, other spans shifted to match), an
incident's neighbourhood by depth without walking through hubs, and a period or a box."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recoupe.graph import store
from recoupe.graph.connection import Graph
from recoupe.graph.export import EdgeRecord, NodeRecord, Selection, nodes, pseudonymise, relationships
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.ontology.errors import InvalidInput, NotFound
from tests.graph.test_investigate import city, extractor  # noqa: F401  (fixtures)

NAMED = (
    "Vol de téléphone boulevard Longchamp vers 14h. La victime, Mme Jeanne Martin, a déposé plainte "
    "contre Kevin Durand, vu boulevard Longchamp."
)


@pytest.fixture
def named(city: Graph, extractor: Extractor, tmp_path: Path) -> Graph:  # noqa: F811
    with open(tmp_path / "named.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "reported_at", "text"], ["E", "2025-10-02T15:00:00+02:00", NAMED]])
    Ingestor(city, extractor, bytes(32)).ingest_file(tmp_path / "named.csv", source="N")
    return city


def export(graph: Graph, selection: Selection) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    return list(nodes(graph, selection, batch=2)), list(relationships(graph, selection, batch=2))


def keys(records: list[NodeRecord], label: str) -> set[str]:
    return {r.key for r in records if r.label == label}


def test_the_whole_graph_as_the_server_counts_it(named: Graph) -> None:
    found, edges = export(named, Selection())
    with named.session() as session:
        assert Counter(r.label for r in found) == store.node_counts_by_label(session)
        assert Counter(e.type for e in edges) == store.relationship_counts_by_type(session)
    assert keys(found, "Incident") == {"T:A", "T:B", "T:C", "T:D", "N:E"}
    ends = {(e.source, e.target) for e in edges}
    assert (("Incident", "T:B"), ("Incident", "T:A")) in ends  # the near repeat
    assert (("Incident", "T:A"), ("Camera", "CAM-1")) in ends and (
        ("Incident", "T:D"),
        ("StreetAsset", "BS-1"),
    ) in ends
    node_keys = {(r.label, r.key) for r in found}
    assert all(e.source in node_keys and e.target in node_keys for e in edges)


def test_people_leave_only_by_pseudonym_in_texts_too(named: Graph) -> None:
    found, edges = export(named, Selection())
    with named.session() as session:
        hashes = {r["id"] for r in session.run("MATCH (p:Person) RETURN p.id AS id")}
    people = [r for r in found if r.label == "Person"]
    assert len(people) == 2 and all(
        p.key.startswith("P-") and set(p.properties) == {"pseudonym"} for p in people
    )
    text = next(r for r in found if r.key == "N:E").properties["text"]
    assert "Jeanne" not in text and "Martin" not in text and "Durand" not in text
    assert all(p.key in text for p in people)
    assert "text_hash" not in next(r for r in found if r.key == "N:E").properties
    everything = repr(found) + repr(edges)
    assert not any(h in everything for h in hashes)
    # the graph's text is already pseudonymised (the export's replacement changes nothing more); every span
    # into E points at the same words in both, and each person's at its pseudonym
    with named.session() as session:
        stored = session.run("MATCH (i:Incident {id: 'N:E'}) RETURN i.text AS t").single(strict=True)["t"]
        written = {
            (r["label"], r["start"]): stored[r["start"] : r["end"]]
            for r in session.run(
                "MATCH (i:Incident {id: 'N:E'})<-[e:EXTRACTED_FROM]-(n) WHERE NOT n:Person "
                "RETURN labels(n)[0] AS label, e.start AS start, e.end AS end"
            )
        }
    spans = [e for e in edges if e.target == ("Incident", "N:E") and "start" in e.properties]
    said = [(e.source, text[e.properties["start"] : e.properties["end"]]) for e in spans]
    assert sorted(w for (label, _), w in said if label != "Person") == sorted(written.values())
    assert {k for (label, k), w in said if label == "Person" and w == k} == keys(found, "Person")
    assert stored == text and "boulevard Longchamp" in written.values()
    assert written[("Place", stored.rindex("boulevard"))] == "boulevard Longchamp"  # after both names


def test_pseudonymise_shifts_the_spans_after_a_name() -> None:
    text, moved = pseudonymise("Vu Jo Bo rue X", [(3, 8, "P-12345678")])
    assert text == "Vu P-12345678 rue X"
    assert (moved(3), moved(8), moved(9), moved(14), moved(1), moved(5)) == (3, 13, 14, 19, 1, 13)


def test_a_neighbourhood_grows_with_depth_but_not_through_hubs(named: Graph) -> None:
    one, one_edges = export(named, Selection(incident="T:A", depth=1))
    assert keys(one, "Incident") == {"T:A", "T:B"}  # B is a near repeat; D only shares A's place and camera
    assert (
        keys(one, "Camera") == {"CAM-1"}
        and keys(one, "Plate") == {"AB-123-CD"}
        and keys(one, "Source") == {"T"}
    )
    assert keys(one, "Quartier") == set()
    two, _ = export(named, Selection(incident="T:A", depth=2))
    assert keys(two, "Incident") == {"T:A", "T:B", "T:D"}  # C and E only through the source T or N: hubs
    assert "PREFECTURE" in keys(two, "Quartier") and keys(two, "Arrondissement") == set()  # 3 steps away
    assert keys(two, "StreetAsset") == set()
    three, _ = export(named, Selection(incident="T:A", depth=3))
    # BS-1 through D, which damaged it; BS-2 and BN-1 stand in the same quartier, a hub not walked through
    assert keys(three, "StreetAsset") == {"BS-1"} and keys(three, "Incident") == {"T:A", "T:B", "T:D"}
    inside = {(r.label, r.key) for r in one}
    assert one_edges and all(e.source in inside and e.target in inside for e in one_edges)
    spring, _ = export(named, Selection(incident="T:A", depth=2, end=datetime(2025, 4, 1, tzinfo=UTC)))
    assert keys(spring, "Incident") == {"T:A", "T:B"}  # D, in June, is outside the period


def test_a_period_and_a_box_select_incidents_and_what_they_relate_to(
    named: Graph,
    extractor: Extractor,  # noqa: F811
) -> None:
    march, edges = export(
        named, Selection(start=datetime(2025, 3, 1, tzinfo=UTC), end=datetime(2025, 3, 10, tzinfo=UTC))
    )
    assert keys(march, "Incident") == {"T:A", "T:B", "T:C"}
    assert keys(march, "Camera") == {"CAM-1"} and keys(march, "Source") == {"T"}
    assert keys(march, "StreetAsset") == set()  # only D damaged one
    assert ("Incident", "T:D") not in {e.target for e in edges} | {e.source for e in edges}
    julien = extractor.geocoder.street("cours Julien")
    assert julien is not None
    box = (julien.lat - 0.001, julien.lon - 0.001, julien.lat + 0.001, julien.lon + 0.001)
    boxed, _ = export(named, Selection(bbox=box))
    assert keys(boxed, "Incident") == {"T:C"}


def test_a_bad_selection_is_refused(named: Graph) -> None:
    with pytest.raises(NotFound, match="no incident 'T:Z'"):
        export(named, Selection(incident="T:Z"))
    with pytest.raises(InvalidInput, match="depth 9"):
        export(named, Selection(incident="T:A", depth=9))
    with pytest.raises(InvalidInput, match="period is empty"):
        export(named, Selection(start=datetime(2025, 3, 2, tzinfo=UTC), end=datetime(2025, 3, 1, tzinfo=UTC)))
