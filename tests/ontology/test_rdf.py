"""Records → RDF without a graph: the three syntaxes parse back to the same triples, terms come from the
ontology (concepts, GeoSPARQL, OWL-Time, PROV-O), hard strings survive, the shapes catch a broken record with
its node and constraint, and an OWL-RL closure draws the alignments' conclusions."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import rdflib
from rdflib.term import Literal, URIRef

from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.rdf import GEO, PROV, TIME, Counts, edge_triples, node_triples, write
from recoupe.ontology.reasoning import owl_rl_closure
from recoupe.ontology.shacl import ChunkedValidation, validate

BASE = "https://example.org/city/"
RCP = rdflib.Namespace("https://w3id.org/recoupe/ontology#")
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")  # open namespaces: pytest probes
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")  # module attributes, closed ones warn
SCHEMA = rdflib.Namespace("https://schema.org/")
SOSA = rdflib.Namespace("http://www.w3.org/ns/sosa/")
CAT = rdflib.Namespace("https://w3id.org/recoupe/vocab/category/")
PARSERS = {"turtle": "turtle", "nt": "nt", "json-ld": "json-ld"}
HARD_TEXT = "Tag « ACAB » sur l'abribus ; dit \"c'est pas moi\" \\ puis\nretour à la ligne\tet tab — ✓ 🚲"


@dataclass(frozen=True)
class Node:
    label: str
    key: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    type: str
    source: tuple[str, str]
    target: tuple[str, str]
    properties: dict[str, Any] = field(default_factory=dict)


def at(hour: int) -> datetime:
    return datetime(2025, 3, 3, hour, 0, tzinfo=UTC)


NODES = [
    Node("Incident", "T:D", {
        "source": "T", "source_id": "D", "text": HARD_TEXT, "category": "vandalism", "precision": "street",
        "occurred_from": at(9), "occurred_to": at(10), "lat": 43.2951, "lon": 5.3775,
        "asset_types": ["bus_shelter"], "asset_spans": ["8:16"], "series_size": 2,
    }),
    Node("Person", "P-1A2B3C4D", {"pseudonym": "P-1A2B3C4D"}),
    Node("Camera", "CAM-1", {"lat": 43.2949, "lon": 5.3775, "bearing_deg": 0.0, "fov_deg": 90.0, "range_m": 60.0}),
    Node("StreetAsset", "BS-1", {"asset_type": "bus_shelter", "lat": 43.2951, "lon": 5.3780}),
    Node("Quartier", "13001-BELSUNCE", {"name": "Belsunce", "geometry": "POLYGON((5.37 43.29, 5.38 43.29, 5.38 43.30, 5.37 43.29))"}),
    Node("Source", "T", {"name": "T", "kind": "logs"}),
]  # fmt: skip
EDGES = [
    Edge("INVOLVES", ("Incident", "T:D"), ("Person", "P-1A2B3C4D"), {"role": "suspect"}),
    Edge("EXTRACTED_FROM", ("Person", "P-1A2B3C4D"), ("Incident", "T:D"), {"start": 40, "end": 50}),
    Edge("EXTRACTED_FROM", ("Incident", "T:D"), ("Source", "T")),
    Edge("SEEN_BY", ("Incident", "T:D"), ("Camera", "CAM-1"), {"distance_m": 22.2, "angle_deg": 0.0, "rule": "seen_by"}),
    Edge("DAMAGED", ("Incident", "T:D"), ("StreetAsset", "BS-1"), {"distance_m": 40.0, "start": 8, "end": 16}),
]  # fmt: skip


def exported(
    fmt: str, nodes: list[Node] = NODES, edges: list[Edge] = EDGES
) -> tuple[rdflib.Graph, Counts, bytes]:
    out = io.BytesIO()
    counts = write(out, nodes, edges, fmt, BASE)
    return rdflib.Graph().parse(data=out.getvalue(), format=PARSERS[fmt]), counts, out.getvalue()


def iri(label: str, key: str) -> URIRef:
    return URIRef(f"{BASE}{label}/{key}")


def expected() -> rdflib.Graph:
    graph = rdflib.Graph()
    for node in NODES:
        for triple in node_triples(node, BASE):
            graph.add(triple)
    for edge in EDGES:
        for triple in edge_triples(edge, BASE):
            graph.add(triple)
    return graph


@pytest.mark.parametrize("fmt", ["turtle", "nt", "json-ld"])
def test_each_syntax_parses_back_to_the_same_triples(fmt: str) -> None:
    graph, counts, _ = exported(fmt)
    assert (counts.nodes, counts.relationships) == (6, 5)
    assert len(graph) == counts.triples == len(expected())
    assert set(graph) == set(expected())  # no blank nodes: equal sets of triples
    incident = iri("Incident", "T%3AD")
    assert (incident, RDF.type, RCP.Incident) in graph
    assert (incident, RCP.id, Literal("T:D")) in graph
    assert (incident, RCP.text, Literal(HARD_TEXT)) in graph
    assert (incident, RCP.category, CAT.vandalism) in graph
    assert (incident, RCP.occurred_from, Literal("2025-03-03T09:00:00+00:00", datatype=XSD.dateTime)) in graph
    assert (incident, RCP.series_size, Literal(2)) in graph
    assert (incident, RCP.INVOLVES, iri("Person", "P-1A2B3C4D")) in graph


def test_geometries_intervals_and_provenance() -> None:
    graph, _, _ = exported("turtle")
    incident = iri("Incident", "T%3AD")
    wkt = graph.value(graph.value(incident, GEO.hasGeometry), GEO.asWKT)
    assert wkt == Literal("POINT(5.3775 43.2951)", datatype=GEO.wktLiteral)
    quartier = iri("Quartier", "13001-BELSUNCE")
    assert str(graph.value(graph.value(quartier, GEO.hasGeometry), GEO.asWKT)).startswith(
        "POLYGON((5.37 43.29"
    )
    assert graph.value(graph.value(quartier, GEO.hasCentroid), GEO.asWKT) is None  # no lat/lon given
    interval = graph.value(incident, TIME.hasTime)
    assert (interval, RDF.type, TIME.Interval) in graph
    end = graph.value(graph.value(interval, TIME.hasEnd), TIME.inXSDDateTimeStamp)
    assert end == Literal("2025-03-03T10:00:00+00:00", datatype=XSD.dateTimeStamp)
    person = iri("Person", "P-1A2B3C4D")
    derivation = graph.value(person, PROV.qualifiedDerivation)
    assert (derivation, RDF.type, PROV.Derivation) in graph
    assert graph.value(derivation, PROV.entity) == incident
    assert (graph.value(derivation, RCP.start), graph.value(derivation, RCP.end)) == (
        Literal(40),
        Literal(50),
    )
    roles = [graph.value(s, RCP.role) for s in graph.subjects(RDF.predicate, RCP.INVOLVES)]
    assert roles == [URIRef("https://w3id.org/recoupe/vocab/role/suspect")]


def test_json_ld_is_one_json_document_with_a_context() -> None:
    _, _, data = exported("json-ld")
    document = json.loads(data)
    assert document["@context"]["rcp"] == str(RCP) and document["@context"]["@base"] == BASE
    assert {"@id": "Incident/T%3AD", "@type": ["rcp:Incident"]}.items() <= document["@graph"][0].items()


def test_an_export_conforms_and_a_broken_record_is_caught_with_node_and_constraint() -> None:
    graph, _, _ = exported("nt")
    assert validate(graph).conforms
    broken = Node("Camera", "CAM-9", {"lat": 43.3, "lon": 5.37, "bearing_deg": 400.0, "fov_deg": 90.0})
    unknown = Node("Incident", "T:E", {"source": "T", "category": "jaywalking", "occurred_from": at(9),
                                       "occurred_to": at(8)})  # fmt: skip
    checker = ChunkedValidation(nodes_per_chunk=2)
    write(io.BytesIO(), [*NODES, broken, unknown], [], "nt", BASE, on_node=checker.add)
    report = checker.report()
    assert not report.conforms
    found = {
        (v.focus.removeprefix(BASE), (v.path or "").rsplit("#")[-1], v.constraint) for v in report.violations
    }
    assert found == {
        ("Camera/CAM-9", "bearing_deg", "MaxInclusiveConstraintComponent"),
        ("Camera/CAM-9", "range_m", "MinCountConstraintComponent"),
        ("Incident/T%3AE", "category", "ClassConstraintComponent"),  # not a concept of the vocabulary
        ("Incident/T%3AE", "occurred_from", "LessThanOrEqualsConstraintComponent"),
    }
    bearing = next(v for v in report.violations if v.path and v.path.endswith("bearing_deg"))
    assert bearing.value == "400.0" and "Camera/CAM-9 " in bearing.one_line()


def test_owl_rl_closure_draws_the_alignments() -> None:
    graph, _, _ = exported("turtle")
    closed = owl_rl_closure(graph)
    incident, camera = iri("Incident", "T%3AD"), iri("Camera", "CAM-1")
    assert (incident, RCP.category, CAT.vandalism) in closed
    assert (incident, RDF.type, SCHEMA.Event) in closed
    assert (incident, RDF.type, PROV.Entity) in closed
    assert (camera, RDF.type, SOSA.Sensor) in closed
    assert (iri("StreetAsset", "BS-1"), RDF.type, SOSA.FeatureOfInterest) in closed
    assert (iri("Person", "P-1A2B3C4D"), PROV.wasDerivedFrom, incident) in closed  # EXTRACTED_FROM ⊑ it
    assert (incident, SCHEMA.startDate, Literal("2025-03-03T09:00:00+00:00", datatype=XSD.dateTime)) in closed


def test_a_bad_format_or_base_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown RDF format 'rdfxml'"):
        write(io.BytesIO(), [], [], "rdfxml", BASE)
    with pytest.raises(InvalidInput, match="not an http"):
        write(io.BytesIO(), [], [], "nt", "urn:x")


def test_parallel_relationships_write_their_shared_triple_once() -> None:
    twice = [
        Edge("EXTRACTED_FROM", ("Person", "P-1A2B3C4D"), ("Incident", "T:D"), {"start": 40, "end": 50}),
        Edge("EXTRACTED_FROM", ("Person", "P-1A2B3C4D"), ("Incident", "T:D"), {"start": 60, "end": 70}),
        Edge("EXTRACTED_FROM", ("Incident", "T:D"), ("Source", "T")),
    ]
    graph, counts, _ = exported("nt", NODES, twice)
    assert len(graph) == counts.triples  # nothing written twice
    person = iri("Person", "P-1A2B3C4D")
    assert len(list(graph.objects(person, RCP.EXTRACTED_FROM))) == 1
    spans = {(graph.value(d, RCP.start), graph.value(d, RCP.end))
             for d in graph.objects(person, PROV.qualifiedDerivation)}  # fmt: skip
    assert spans == {(Literal(40), Literal(50)), (Literal(60), Literal(70))}
