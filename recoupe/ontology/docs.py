"""What the /ontologie page needs beyond the loaded model: each term's alignments to public vocabularies, and
the ontology files serialised for content negotiation (Turtle as written, JSON-LD through rdflib)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDFS, SKOS
from rdflib.term import URIRef

OWN = "https://w3id.org/recoupe/"
# The alignment predicates, as the page names them.
PREDICATES = {
    RDFS.subClassOf: "rdfs:subClassOf",
    OWL.equivalentClass: "owl:equivalentClass",
    RDFS.subPropertyOf: "rdfs:subPropertyOf",
    OWL.equivalentProperty: "owl:equivalentProperty",
    SKOS.exactMatch: "skos:exactMatch",
    SKOS.closeMatch: "skos:closeMatch",
    SKOS.broadMatch: "skos:broadMatch",
    SKOS.narrowMatch: "skos:narrowMatch",
}
# Prefixes for compact names of the public vocabularies Recoupe aligns with.
PREFIXES = {
    "schema": "https://schema.org/",
    "sosa": "http://www.w3.org/ns/sosa/",
    "ssn": "http://www.w3.org/ns/ssn/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "time": "http://www.w3.org/2006/time#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": str(SKOS),
    "owl": str(OWL),
    "rdfs": str(RDFS),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dcterms": "http://purl.org/dc/terms/",
}
MEDIA_TYPES = {"turtle": "text/turtle", "json-ld": "application/ld+json"}


@dataclass(frozen=True)
class Alignment:
    """One statement relating a Recoupe term to a public vocabulary's term."""

    predicate: str  # "rdfs:subClassOf", "owl:equivalentClass", …
    iri: str
    curie: str  # "schema:Event"; the IRI itself when no prefix fits


def curie(iri: str) -> str:
    """`https://schema.org/Event` → `schema:Event`; the IRI when no known prefix fits."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def alignments(ontology_file: Path) -> Mapping[str, tuple[Alignment, ...]]:
    """Each Recoupe term's IRI → its alignments to terms outside Recoupe, in a stable order."""
    return _alignments(ontology_file, _stamp(ontology_file))


def serialise(path: Path, syntax: str) -> bytes:
    """An ontology file as Turtle (its own bytes) or as JSON-LD (through rdflib, with the file's prefixes)."""
    if syntax == "turtle":
        return path.read_bytes()
    if syntax != "json-ld":
        raise ValueError(f"unknown syntax {syntax!r}; known: {', '.join(MEDIA_TYPES)}")
    return _jsonld(path, _stamp(path))


def _stamp(path: Path) -> float:
    return path.stat().st_mtime  # a changed file is read again, without restarting


@functools.lru_cache(maxsize=8)
def _alignments(path: Path, stamp: float) -> Mapping[str, tuple[Alignment, ...]]:
    graph = rdflib.Graph().parse(path, format="turtle")
    found: dict[str, list[Alignment]] = defaultdict(list)
    for predicate, name in PREDICATES.items():
        for subject, target in graph.subject_objects(predicate):
            if not isinstance(subject, URIRef) or not str(subject).startswith(OWN):
                continue
            if isinstance(target, URIRef) and not str(target).startswith(OWN):
                found[str(subject)].append(Alignment(name, str(target), curie(str(target))))
    return {term: tuple(sorted(items, key=lambda a: (a.predicate, a.iri))) for term, items in found.items()}


@functools.lru_cache(maxsize=8)
def _jsonld(path: Path, stamp: float) -> bytes:
    graph = rdflib.Graph(bind_namespaces="none").parse(path, format="turtle")  # only the file's prefixes
    context = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix}
    return graph.serialize(format="json-ld", context=context, indent=1).encode("utf-8")
