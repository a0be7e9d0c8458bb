"""The domain model as plain frozen dataclasses, built once from the ontology files by `loader`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeVar

from recoupe.ontology.errors import UnknownTerm

K = TypeVar("K")
V = TypeVar("V")

Datatype = Literal["string", "integer", "float", "boolean", "datetime", "date", "wkt", "concept"]

# Names become Cypher identifiers: these patterns are what keeps them safe to splice into DDL.
NODE_LABEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
REL_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Labels:
    """A term's French and English labels and definitions."""

    fr: str
    en: str
    definition_fr: str
    definition_en: str


@dataclass(frozen=True)
class Property:
    """A property of nodes and/or relationships, with one datatype wherever it appears."""

    name: str
    iri: str
    datatype: Datatype
    labels: Labels
    vocabulary: str | None = None
    node_types: tuple[str, ...] = ()
    rel_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeType:
    """A node label: an ontology class."""

    name: str
    iri: str
    labels: Labels
    properties: tuple[str, ...]
    required: tuple[str, ...]
    key: str | None
    indexed: tuple[str, ...]
    aligned_with: tuple[str, ...]


@dataclass(frozen=True)
class RelType:
    """A relationship type: an ontology object property."""

    name: str
    iri: str
    labels: Labels
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    properties: tuple[str, ...]
    indexed: tuple[str, ...]
    aligned_with: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    """A vocabulary term; `notation` is the code stored in the graph."""

    notation: str
    iri: str
    labels: Labels
    alt_labels_fr: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """A SKOS concept scheme: incident categories, asset types, person roles, place precisions."""

    name: str
    iri: str
    labels: Labels
    concepts: Mapping[str, Concept]

    @property
    def notations(self) -> tuple[str, ...]:
        """The stored codes, in file order."""
        return tuple(self.concepts)

    def concept(self, notation: str) -> Concept:
        """The concept with this code, or UnknownTerm."""
        try:
            return self.concepts[notation]
        except KeyError:
            raise UnknownTerm(
                f"'{notation}' is not a term of the vocabulary {self.name}",
                f"use one of: {', '.join(self.concepts)}",
            ) from None


@dataclass(frozen=True)
class Ontology:
    """Everything the ontology defines, keyed by name."""

    iri: str
    node_types: Mapping[str, NodeType]
    rel_types: Mapping[str, RelType]
    properties: Mapping[str, Property]
    vocabularies: Mapping[str, Vocabulary]
    sources: tuple[str, ...] = field(default=())

    def node_type(self, label: str) -> NodeType:
        """The node type with this label, or UnknownTerm."""
        try:
            return self.node_types[label]
        except KeyError:
            raise UnknownTerm(
                f"'{label}' is not a node label of the ontology", f"use one of: {', '.join(self.node_types)}"
            ) from None

    def rel_type(self, name: str) -> RelType:
        """The relationship type with this name, or UnknownTerm."""
        try:
            return self.rel_types[name]
        except KeyError:
            raise UnknownTerm(
                f"'{name}' is not a relationship type of the ontology",
                f"use one of: {', '.join(self.rel_types)}",
            ) from None

    def property(self, name: str) -> Property:
        """The property with this name, or UnknownTerm."""
        try:
            return self.properties[name]
        except KeyError:
            raise UnknownTerm(f"'{name}' is not a property of the ontology") from None

    def vocabulary(self, name: str) -> Vocabulary:
        """The vocabulary with this name, or UnknownTerm."""
        try:
            return self.vocabularies[name]
        except KeyError:
            raise UnknownTerm(
                f"'{name}' is not a vocabulary of the ontology", f"use one of: {', '.join(self.vocabularies)}"
            ) from None

    def vocabulary_of(self, property_name: str) -> Vocabulary:
        """The vocabulary a concept-valued property takes its values from."""
        prop = self.property(property_name)
        if prop.vocabulary is None:
            raise UnknownTerm(f"property '{property_name}' is not vocabulary-valued")
        return self.vocabularies[prop.vocabulary]


def frozen_map(items: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only view of a dict, so that a loaded model cannot be changed by accident."""
    return MappingProxyType(dict(items))
