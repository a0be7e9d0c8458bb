"""SHACL validation of RDF data against shapes.ttl (the only pyshacl user)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, SH, SKOS
from rdflib.term import Node, URIRef

from recoupe.ontology.loader import SHAPES_FILE, ontology


@dataclass(frozen=True)
class Violation:
    """One failed constraint: the node, the property path, the constraint and the validator's message."""

    focus: str
    path: str | None
    constraint: str
    message: str
    value: str | None = None

    def one_line(self) -> str:
        """`node path: Constraint — message`, for a report a person reads."""
        where = f"{self.focus} {self.path}" if self.path else self.focus
        return f"{where}: {self.constraint} — {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    violations: tuple[Violation, ...]


def validate(data: rdflib.Graph, shapes_file: Path = SHAPES_FILE) -> ValidationReport:
    """Validate `data` (not modified) with the shapes; the vocabularies' concepts count as skos:Concept."""
    checked = _with_concepts()
    checked += data
    return _validated(checked, shapes_file)


def _with_concepts() -> rdflib.Graph:
    """A graph holding only the statements that each vocabulary term is a skos:Concept."""
    graph = rdflib.Graph()
    for vocabulary in ontology().vocabularies.values():
        for concept in vocabulary.concepts.values():
            graph.add((URIRef(concept.iri), RDF.type, SKOS.Concept))
    return graph


def _validated(checked: rdflib.Graph, shapes_file: Path) -> ValidationReport:
    from pyshacl import validate as run_shacl

    conforms, report, _text = run_shacl(checked, shacl_graph=_shapes(shapes_file), inference="none")
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path, value = report.value(result, SH.resultPath), report.value(result, SH.value)
        violations.append(
            Violation(
                focus=str(report.value(result, SH.focusNode)),
                path=str(path) if path is not None else None,
                constraint=str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                message=str(report.value(result, SH.resultMessage)),
                value=str(value) if value is not None else None,
            )
        )
    return ValidationReport(bool(conforms), tuple(sorted(violations, key=lambda v: (v.focus, v.path or ""))))


@functools.cache
def _shapes(shapes_file: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(shapes_file, format="turtle")


class ChunkedValidation:
    """Validates an export a chunk of nodes at a time, so that memory stays flat: every shape looks only at a
    node's own triples (its properties, geometry and interval) and at the vocabularies' concepts."""

    def __init__(self, nodes_per_chunk: int = 2000, shapes_file: Path = SHAPES_FILE) -> None:
        self.size, self.shapes_file = nodes_per_chunk, shapes_file
        self.chunk, self.count = _with_concepts(), 0
        self.violations: list[Violation] = []

    def add(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """One node's triples."""
        for triple in triples:
            self.chunk.add(triple)
        self.count += 1
        if self.count >= self.size:
            self._check()

    def report(self) -> ValidationReport:
        self._check()
        found = tuple(sorted(self.violations, key=lambda v: (v.focus, v.path or "")))
        return ValidationReport(not found, found)

    def _check(self) -> None:
        if self.count:
            self.violations += _validated(self.chunk, self.shapes_file).violations
        self.chunk, self.count = _with_concepts(), 0
