"""Export records as RDF, streamed: Turtle, N-Triples or JSON-LD written a node at a time to a binary file.

Terms come from the ontology (rcp: classes and properties; vocabulary codes as their SKOS concepts). Each node
gets a stable IRI `{base}{Label}/{key}`; points and polygons are GeoSPARQL geometries (WKT literals), an
incident's occurrence and a forecast's validity are OWL-Time intervals, and a relationship with properties is
described by an rdf:Statement — for EXTRACTED_FROM also a prov:Derivation (the incident or log a fact was
derived from, and the span of its mention). The writers escape every term themselves; no whole-export graph
is ever built. Records are duck-typed (`recoupe.graph.export` makes them; this package imports nothing else).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote

from rdflib.namespace import RDF, SKOS, XSD, Namespace
from rdflib.term import Literal, Node, URIRef

from recoupe.ontology.errors import InvalidInput, UnknownTerm
from recoupe.ontology.loader import GEO_WKT, RCP, SCHEMA, ontology
from recoupe.ontology.rdf_syntax import WRITERS, Triple

DEFAULT_BASE = "https://w3id.org/recoupe/data/"
FORMATS = {"turtle": "text/turtle", "nt": "application/n-triples", "json-ld": "application/ld+json"}
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
TIME = Namespace("http://www.w3.org/2006/time#")
PROV = Namespace("http://www.w3.org/ns/prov#")
PREFIXES = {
    "rcp": str(RCP), "cat": "https://w3id.org/recoupe/vocab/category/",
    "asset": "https://w3id.org/recoupe/vocab/asset-type/", "role": "https://w3id.org/recoupe/vocab/role/",
    "prec": "https://w3id.org/recoupe/vocab/precision/", "rdf": str(RDF), "xsd": str(XSD), "skos": str(SKOS),
    "geo": str(GEO), "time": str(TIME), "prov": str(PROV), "schema": str(SCHEMA),
}  # fmt: skip
# The pairs of properties that bound an interval, per class (OWL-Time).
INTERVALS = {"Incident": ("occurred_from", "occurred_to"), "Forecast": ("valid_from", "valid_to")}


class NodeLike(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def properties(self) -> dict[str, Any]: ...


class EdgeLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def source(self) -> tuple[str, str]: ...
    @property
    def target(self) -> tuple[str, str]: ...
    @property
    def properties(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Counts:
    triples: int
    nodes: int
    relationships: int


def check_base(base: str) -> str:
    """The base, if it is an absolute http(s) IRI ending with / or #."""
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+[/#]$", base):
        raise InvalidInput(
            f"the RDF base {base!r} is not an http(s) IRI ending with / or #",
            "set RECOUPE_RDF_BASE to e.g. https://w3id.org/recoupe/data/",
            {"base": "http(s) IRI ending with / or #"},
        )
    return base


def node_iri(base: str, label: str, key: str) -> URIRef:
    return URIRef(f"{base}{label}/{quote(str(key), safe='-_.~')}")


# ---------------------------------------------------------------- records → triples


def node_triples(record: NodeLike, base: str) -> list[Triple]:
    """The triples describing one node: its class, key, properties, geometry and interval."""
    model = ontology()
    node_type = model.node_type(record.label)
    me = node_iri(base, record.label, record.key)
    triples: list[Triple] = [(me, RDF.type, _term(node_type.iri)), (me, RCP.id, Literal(str(record.key)))]
    props = record.properties
    for name, value in props.items():
        if name == "id" or name not in model.properties:
            continue
        for one in value if isinstance(value, list | tuple) else [value]:
            if one is not None:
                triples.append((me, _term(model.properties[name].iri), _value(name, one)))
    triples += _geometry(me, props)
    if record.label in INTERVALS:
        triples += _interval(me, *(props.get(p) for p in INTERVALS[record.label]))
    return triples


def edge_triples(record: EdgeLike, base: str) -> list[Triple]:
    """The relationship as one triple; with properties, also an rdf:Statement (a prov:Derivation for
    EXTRACTED_FROM) that carries them."""
    model = ontology()
    predicate = _term(model.rel_type(record.type).iri)
    source, target = node_iri(base, *record.source), node_iri(base, *record.target)
    triples: list[Triple] = [(source, predicate, target)]
    props = {k: v for k, v in record.properties.items() if k in model.properties and v is not None}
    if not props:
        return triples
    digest = hashlib.sha1(
        "\x1f".join(
            [record.type, *record.source, *record.target, str(props.get("start")), str(props.get("end"))]
        ).encode()
    ).hexdigest()[:20]
    statement = URIRef(f"{base}statement/{digest}")
    triples += [
        (statement, RDF.type, RDF.Statement),
        (statement, RDF.subject, source),
        (statement, RDF.predicate, predicate),
        (statement, RDF.object, target),
    ]
    if record.type == "EXTRACTED_FROM":
        triples += [
            (statement, RDF.type, PROV.Derivation),
            (statement, PROV.entity, target),
            (source, PROV.qualifiedDerivation, statement),
        ]
    for name, value in props.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            triples.append((statement, _term(model.properties[name].iri), _value(name, one)))
    return triples


@functools.cache
def _term(iri: str) -> URIRef:
    """The ontology's IRIs, made once (millions of triples use a few hundred of them)."""
    return URIRef(iri)


def _value(name: str, value: Any) -> Node:
    """A property value as an RDF term of the property's datatype (a concept IRI for vocabulary codes)."""
    prop = ontology().properties[name]
    kind = prop.datatype
    if kind == "concept" and prop.vocabulary is not None:
        try:
            return _term(ontology().vocabularies[prop.vocabulary].concept(str(value)).iri)
        except UnknownTerm:
            return Literal(str(value))  # left as text, so that validation reports it
    if kind == "datetime" and isinstance(value, datetime):
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    if kind == "date" and isinstance(value, date):
        return Literal(value.isoformat(), datatype=XSD.date)
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return Literal(repr(float(value)), datatype=XSD.double)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return Literal(str(value), datatype=XSD.integer)
    if kind == "boolean" and isinstance(value, bool):
        return Literal("true" if value else "false", datatype=XSD.boolean)
    if kind == "wkt":
        return Literal(str(value), datatype=GEO_WKT)
    return Literal(str(value))  # strings, and values not of their declared type (validation reports them)


def _geometry(me: URIRef, props: dict[str, Any]) -> list[Triple]:
    lat, lon, shape = props.get("lat"), props.get("lon"), props.get("geometry")
    point = (
        f"POINT({float(lon)!r} {float(lat)!r})"
        if isinstance(lat, int | float) and isinstance(lon, int | float)
        else None
    )
    triples: list[Triple] = []
    parts = [("geometry", shape, GEO.hasGeometry), ("centroid", point, GEO.hasCentroid)]
    if not (isinstance(shape, str) and shape):
        parts = [("geometry", point, GEO.hasGeometry)]  # a point is the whole geometry of what has no polygon
    for kind, wkt, link in parts:
        if isinstance(wkt, str) and wkt:
            geometry = URIRef(f"{me}#{kind}")
            triples += [
                (me, link, geometry),
                (geometry, RDF.type, GEO.Geometry),
                (geometry, GEO.asWKT, Literal(wkt, datatype=GEO_WKT)),
            ]
    return triples


def _interval(me: URIRef, start: Any, end: Any) -> list[Triple]:
    if not isinstance(start, datetime):
        return []
    interval = URIRef(f"{me}#interval")
    triples: list[Triple] = [(me, TIME.hasTime, interval), (interval, RDF.type, TIME.Interval)]
    for kind, link, moment in (("beginning", TIME.hasBeginning, start), ("end", TIME.hasEnd, end)):
        if isinstance(moment, datetime):
            instant = URIRef(f"{me}#{kind}")
            triples += [
                (interval, link, instant),
                (instant, RDF.type, TIME.Instant),
                (instant, TIME.inXSDDateTimeStamp, Literal(moment.isoformat(), datatype=XSD.dateTimeStamp)),
            ]
    return triples


# ---------------------------------------------------------------- streaming


def write(
    out: BinaryIO,
    nodes: Iterable[NodeLike],
    relationships: Iterable[EdgeLike],
    fmt: str = "turtle",
    base: str = DEFAULT_BASE,
    on_node: Callable[[list[Triple]], None] | None = None,
) -> Counts:
    """Write the nodes then the relationships in `fmt` (turtle, nt, json-ld); `on_node` sees each node's
    triples (validation reads them there, in chunks). Relationships come grouped by source (as
    `recoupe.graph.export.relationships` gives them), so that a triple two of them share is written once.
    Returns what was written."""
    if fmt not in WRITERS:
        raise InvalidInput(
            f"unknown RDF format {fmt!r}", f"use one of: {', '.join(WRITERS)}", {"format": fmt}
        )
    writer = WRITERS[fmt](out, check_base(base), PREFIXES)
    triples = node_count = edge_count = 0
    for node in nodes:
        block = node_triples(node, base)
        writer.block(block)
        if on_node is not None:
            on_node(block)
        triples, node_count = triples + len(block), node_count + 1
    source, seen = ("", ""), set[Triple]()  # what the current source's relationships already said
    for edge in relationships:
        if edge.source != source:
            source, seen = edge.source, set()
        block = [t for t in edge_triples(edge, base) if t not in seen]  # parallel edges repeat a triple
        seen.update(block)
        writer.block(block)
        triples, edge_count = triples + len(block), edge_count + 1
    writer.close()
    return Counts(triples, node_count, edge_count)
