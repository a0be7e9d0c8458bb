"""Typed wrappers, one per query of `recoupe.graph.queries`; other packages call these, not `session.run`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j

from recoupe.graph import queries
from recoupe.graph.values import from_graph, to_graph


@dataclass(frozen=True)
class SourceRow:
    """A file or feed that facts came from."""

    id: str
    name: str
    kind: str
    ingested_at: datetime | None


def ping(session: neo4j.Session) -> bool:
    """True when the server runs a trivial statement on this database."""
    return bool(session.run(queries.PING).single(strict=True)["ok"] == 1)


def count_nodes(session: neo4j.Session) -> int:
    return int(session.run(queries.COUNT_NODES).single(strict=True)["count"])


def count_relationships(session: neo4j.Session) -> int:
    return int(session.run(queries.COUNT_RELATIONSHIPS).single(strict=True)["count"])


def node_counts_by_label(session: neo4j.Session) -> dict[str, int]:
    return {r["label"]: int(r["count"]) for r in session.run(queries.NODE_COUNTS_BY_LABEL)}


def relationship_counts_by_type(session: neo4j.Session) -> dict[str, int]:
    return {r["type"]: int(r["count"]) for r in session.run(queries.RELATIONSHIP_COUNTS_BY_TYPE)}


def show_indexes(session: neo4j.Session) -> list[dict[str, Any]]:
    return [r.data() for r in session.run(queries.SHOW_INDEXES)]


def merge_source(session: neo4j.Session, id: str, name: str, kind: str, ingested_at: datetime) -> str:
    """Create or update a Source node; returns its id."""
    record = session.run(queries.MERGE_SOURCE, id=id, name=name, kind=kind, ingested_at=to_graph(ingested_at))
    return str(record.single(strict=True)["id"])


def sources(session: neo4j.Session) -> list[SourceRow]:
    return [
        SourceRow(
            id=r["id"],
            name=r["name"],
            kind=r["kind"],
            ingested_at=from_graph(r["ingested_at"]),
        )
        for r in session.run(queries.SOURCES)
    ]
