"""Writing incidents and what they involve, one batch per transaction (all of it or none of it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import neo4j

from recoupe.graph import store
from recoupe.graph.connection import Graph
from recoupe.graph.values import packed


@dataclass
class IncidentBatch:
    """Rows for one transaction; `replaced` are incidents whose earlier facts must go first."""

    incidents: list[dict[str, Any]] = field(default_factory=list)  # {"id", "source", "props": {...}}
    places: list[dict[str, Any]] = field(
        default_factory=list
    )  # {"id", "name", "precision", "lat", "lon", "postcode"}
    place_links: list[dict[str, Any]] = field(default_factory=list)  # {"incident", "id"}
    place_evidence: list[dict[str, Any]] = field(default_factory=list)  # {"incident", "id", "start", "end"}
    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # label → node rows
    involved: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict
    )  # label → {"incident", "id", "role"}
    evidence: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict
    )  # label → {"incident", "id", "start", "end"}
    vehicle_plates: list[dict[str, Any]] = field(default_factory=list)  # {"vehicle", "plate"}
    replaced: list[str] = field(default_factory=list)


def existing_hashes(graph: Graph, ids: list[str]) -> dict[str, str | None]:
    with graph.session() as session:
        return store.incident_hashes(session, ids)


def write_batch(graph: Graph, batch: IncidentBatch) -> int:
    """Write the batch in one transaction; returns how many orphaned nodes the replaced incidents left."""

    # Only the incidents carry datetimes (packed below); the other rows are strings and numbers, sent as
    # they are (graph_rows builds them).
    def work(tx: neo4j.ManagedTransaction) -> int:
        orphans = store.detach_incident_facts(tx, batch.replaced) if batch.replaced else 0
        store.merge_incidents(tx, wire(batch.incidents))
        now = datetime.now(UTC)  # the source's last ingestion, shown on the dashboard
        store.link_sources(tx, [{"id": r["id"], "source": r["source"]} for r in batch.incidents], wire(now))
        if batch.places:
            store.merge_places(tx, batch.places)
            store.link_places(tx, batch.place_links)
            store.place_evidence(tx, batch.place_evidence)
        for label, rows in batch.nodes.items():
            if rows:
                store.merge_entities(tx, label, rows)
                store.link_involved(tx, label, batch.involved[label])
                store.link_evidence(tx, label, batch.evidence[label])
        if batch.vehicle_plates:
            store.link_plates_to_vehicles(tx, batch.vehicle_plates)
        return orphans

    def wire(value: Any) -> Any:  # datetimes converted here, not in the driver (see values.packed)
        return packed(value, graph.protocol)

    with graph.session() as session:
        return int(session.execute_write(work))
