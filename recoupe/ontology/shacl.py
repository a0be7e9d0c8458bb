"""SHACL validation of RDF data against shapes.ttl (the only pyshacl user)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, SH, SKOS
from rdflib.term import URIRef

from recoupe.ontology.loader import SHAPES_FILE, ontology


@dataclass(frozen=True)
class Violation:
    """One failed constraint: the node, the property path, the constraint and the validator's message."""

    focus: str
    path: str | None
    constraint: str
    message: str


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    violations: tuple[Violation, ...]


def validate(data: rdflib.Graph, shapes_file: Path = SHAPES_FILE) -> ValidationReport:
    """Validate `data` (not modified) with the shapes; the vocabularies' concepts count as skos:Concept."""
    from pyshacl import validate as run_shacl

    shapes = rdflib.Graph().parse(shapes_file, format="turtle")
    checked = rdflib.Graph()
    checked += data
    for vocabulary in ontology().vocabularies.values():
        for concept in vocabulary.concepts.values():
            checked.add((URIRef(concept.iri), RDF.type, SKOS.Concept))
    conforms, report, _text = run_shacl(checked, shacl_graph=shapes, inference="none")
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        violations.append(
            Violation(
                focus=str(report.value(result, SH.focusNode)),
                path=str(path) if path is not None else None,
                constraint=str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                message=str(report.value(result, SH.resultMessage)),
            )
        )
    return ValidationReport(bool(conforms), tuple(sorted(violations, key=lambda v: (v.focus, v.path or ""))))
