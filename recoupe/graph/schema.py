"""Constraints and indexes derived from the ontology, applied idempotently on ArcadeDB or Neo4j."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from recoupe.graph import store
from recoupe.graph.connection import Graph
from recoupe.graph.dialect import SchemaEntry
from recoupe.ontology.model import Ontology


@dataclass(frozen=True)
class SchemaItem:
    """One constraint or index the ontology asks for."""

    name: str
    kind: Literal["unique", "index"]
    entity: Literal["node", "relationship"]
    label: str
    prop: str

    def matches(self, entry: SchemaEntry) -> bool:
        return (self.kind, self.entity, self.label, (self.prop,)) == (
            entry.kind,
            entry.entity,
            entry.label,
            entry.properties,
        )


@dataclass(frozen=True)
class SchemaReport:
    """What `apply_schema` did: names created now and names already present."""

    created: tuple[str, ...]
    present: tuple[str, ...]


def planned_schema(ontology: Ontology) -> tuple[SchemaItem, ...]:
    """Unique constraints on keys; lookup indexes on indexed node and relationship properties."""
    items: list[SchemaItem] = []
    for node in ontology.node_types.values():
        if node.key:
            items.append(
                SchemaItem(f"{_snake(node.name)}_{node.key}_key", "unique", "node", node.name, node.key)
            )
        items.extend(
            SchemaItem(f"{_snake(node.name)}_{prop}", "index", "node", node.name, prop)
            for prop in node.indexed
        )
    for rel in ontology.rel_types.values():
        items.extend(
            SchemaItem(f"{rel.name.lower()}_{prop}", "index", "relationship", rel.name, prop)
            for prop in rel.indexed
        )
    return tuple(items)


def current_schema(graph: Graph) -> list[SchemaEntry]:
    """The constraints and indexes the server reports."""
    with graph.session() as session:
        rows = store.show_indexes(session)
    return [entry for row in rows if (entry := graph.dialect.parse_index_row(row)) is not None]


def apply_schema(graph: Graph, ontology: Ontology) -> SchemaReport:
    """Create what is missing, one auto-commit statement each (ArcadeDB's DDL is not transactional)."""
    existing = current_schema(graph)
    created, present = [], []
    for item in planned_schema(ontology):
        if any(item.matches(entry) for entry in existing):
            present.append(item.name)
            continue
        if item.kind == "unique":
            statement = graph.dialect.unique_constraint(item.name, item.label, item.prop)
        elif item.entity == "node":
            statement = graph.dialect.node_index(item.name, item.label, item.prop)
        else:
            statement = graph.dialect.relationship_index(item.name, item.label, item.prop)
        with graph.session() as session:
            session.run(statement).consume()  # built from ontology-checked names
        created.append(item.name)
    return SchemaReport(tuple(created), tuple(present))


def missing_schema(graph: Graph, ontology: Ontology) -> tuple[SchemaItem, ...]:
    """Items of the planned schema the server lacks (empty after `apply_schema`)."""
    existing = current_schema(graph)
    return tuple(item for item in planned_schema(ontology) if not any(item.matches(e) for e in existing))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
