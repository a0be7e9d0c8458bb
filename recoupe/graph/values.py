"""Values crossing the driver: every datetime is written in UTC as a fixed offset and read back aware.

Observed (ArcadeDB 26.10, neo4j driver 6.4, CPython 3.11): a datetime with a `zoneinfo` zone can crash the
interpreter inside the driver (its DateTime type is handed to ZoneInfo.utcoffset, which expects a datetime),
and ArcadeDB stores a named-zone datetime as a zoned value but a fixed-offset one as a UTC local datetime,
which Cypher does not order against each other. So Recoupe writes one kind only: fixed-offset UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j.time

from recoupe.ontology.errors import InvalidInput

GRAPH_ZONE = UTC

try:  # the driver's wire value; without it every datetime takes the driver's own (slow) conversion
    from neo4j._codec.packstream import Structure as _Structure
except ImportError:  # pragma: no cover - a driver that moved it
    _Structure = None
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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


def packed(value: Any, protocol: tuple[int, ...]) -> Any:
    """`to_graph(value)` with each datetime already in its Bolt 5 form (a fixed-offset UTC datetime: epoch
    seconds, nanoseconds, offset 0), the bytes the driver would send itself.

    The driver's own conversion is pure Python and costs about 60 µs a datetime (pytz, its DateTime type); a
    batch of incidents carries four per log, written by a thread that then holds the interpreter's lock
    against extraction. Before Bolt 5 the wire form differs: there (or without the driver's Structure type),
    the datetimes are left to the driver. tests/graph/test_values.py proves the bytes identical."""
    if _Structure is None or protocol < (5, 0):
        return to_graph(value)
    return _packed(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})  # sent as they are: no call to look at them


def _packed(value: Any) -> Any:
    """`packed` on Bolt 5; a batch holds thousands of values, nearly all plain, so they are passed over
    without a call each."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _PLAIN else _packed(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _PLAIN else _packed(v) for v in value]
    if isinstance(value, datetime):
        micros = (to_graph(value) - _EPOCH) // _MICROSECOND
        seconds, micro = divmod(micros, 1_000_000)
        return _Structure(b"I", seconds, micro * 1000, 0)
    if isinstance(value, Mapping):
        return {k: _packed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_packed(v) for v in value]
    return value
