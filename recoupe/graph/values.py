"""Values crossing the driver: every datetime is written as UTC in a named zone and read back timezone-aware.

Observed on ArcadeDB 26.10: a datetime with a fixed offset is stored as a naive UTC LocalDateTime, one with a
named zone as a zoned DateTime, and Cypher does not order the two kinds against each other. Writing one kind
only (named zone "UTC") keeps comparisons right on ArcadeDB and on Neo4j.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import neo4j.time

from recoupe.ontology.errors import InvalidInput

GRAPH_ZONE = ZoneInfo("UTC")


def to_graph(value: Any) -> Any:
    """A parameter value as the graph should store it (aware datetimes in UTC; naive ones refused)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(
                f"datetime {value.isoformat()} has no timezone", "give times with their timezone"
            )
        return value.astimezone(GRAPH_ZONE)
    if isinstance(value, Mapping):
        return {k: to_graph(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_graph(v) for v in value]
    return value


def from_graph(value: Any) -> Any:
    """A value read from the graph as plain Python (temporal values become aware datetimes)."""
    if isinstance(value, neo4j.time.DateTime):
        native = value.to_native()
        return native.replace(tzinfo=UTC) if native.tzinfo is None else native.astimezone(UTC)
    if isinstance(value, neo4j.time.Date):
        return value.to_native()
    return value
