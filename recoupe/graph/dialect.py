"""Where the embedded ArcadeDB server and Neo4j 5 differ: detection, schema statements, capabilities.

Both accept Neo4j 5's `CREATE CONSTRAINT|INDEX … IF NOT EXISTS` syntax (observed on ArcadeDB 26.10), so the
statements are shared; what differs is what the servers list back and what they enforce
(see ../shared/notes/arcadedb-bolt.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.model import NODE_LABEL, PROPERTY_NAME, REL_TYPE

Flavour = Literal["arcadedb", "neo4j"]


@dataclass(frozen=True)
class SchemaEntry:
    """One constraint or index as the server reports it."""

    kind: Literal["unique", "index"]
    entity: Literal["node", "relationship"]
    label: str
    properties: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class Dialect:
    """What Recoupe must know about the server it talks to."""

    flavour: Flavour
    agent: str

    @property
    def explain_classifies_writes(self) -> bool:
        """Neo4j's EXPLAIN reports a read as 'r'; ArcadeDB reports every statement as a write."""
        return self.flavour == "neo4j"

    @property
    def enforces_read_access_mode(self) -> bool:
        """ArcadeDB commits writes sent in READ mode: read-only must come from a read-only user."""
        return self.flavour == "neo4j"

    @property
    def honours_driver_timeout(self) -> bool:
        """ArcadeDB ignores Query(timeout=…); its time limit is the JVM-wide arcadedb.command.timeout."""
        return self.flavour == "neo4j"

    def unique_constraint(self, name: str, label: str, prop: str) -> str:
        _check(name, PROPERTY_NAME, "schema name")
        _check(label, NODE_LABEL, "label")
        _check(prop, PROPERTY_NAME, "property")
        return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"

    def node_index(self, name: str, label: str, prop: str) -> str:
        _check(name, PROPERTY_NAME, "schema name")
        _check(label, NODE_LABEL, "label")
        _check(prop, PROPERTY_NAME, "property")
        return f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"

    def relationship_index(self, name: str, rel_type: str, prop: str) -> str:
        _check(name, PROPERTY_NAME, "schema name")
        _check(rel_type, REL_TYPE, "relationship type")
        _check(prop, PROPERTY_NAME, "property")
        return f"CREATE INDEX {name} IF NOT EXISTS FOR ()-[r:{rel_type}]-() ON (r.{prop})"

    def parse_index_row(self, row: Mapping[str, Any]) -> SchemaEntry | None:
        """A SHOW INDEXES row as a SchemaEntry; None for the server's own token-lookup indexes."""
        if row.get("type") == "LOOKUP" or not row.get("labelsOrTypes"):
            return None
        kind: Literal["unique", "index"] = "unique" if row.get("owningConstraint") else "index"
        entity: Literal["node", "relationship"] = (
            "relationship" if row.get("entityType") == "RELATIONSHIP" else "node"
        )
        # ArcadeDB names a constraint's backing index "Label[prop]"; report the constraint's own name.
        name = str(row.get("owningConstraint") or row.get("name"))
        return SchemaEntry(
            kind, entity, str(row["labelsOrTypes"][0]), tuple(row.get("properties") or ()), name
        )


def dialect_for(agent: str) -> Dialect:
    """Recognise the server from the agent string it sends at connection ('… (ArcadeDB 26.10.2)')."""
    return Dialect("arcadedb" if "arcadedb" in agent.lower() else "neo4j", agent)


def _check(value: str, pattern: Any, what: str) -> None:
    if not pattern.match(value):
        raise InvalidInput(f"{what} {value!r} cannot be used in a schema statement")
