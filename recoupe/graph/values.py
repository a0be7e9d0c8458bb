"""Values crossing the driver: every datetime is written in UTC as a fixed offset and read back aware.

Observed (ArcadeDB 26.10, neo4j driver 6.4, CPython 3.11): a datetime with a `zoneinfo` zone can crash the
interpreter inside the driver (its DateTime type is handed to ZoneInfo.utcoffset, which expects a datetime),
and ArcadeDB stores a named-zone datetime as a zoned value but a fixed-offset one as a UTC local datetime,
which Cypher does not order against each other. So Recoupe writes one kind only: fixed-offset UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import neo4j.time

from recoupe.ontology.errors import InvalidInput

GRAPH_ZONE = UTC


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
