"""Datetimes sent already in their Bolt form (values.packed) are the driver's own bytes and the same stored values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from neo4j._codec.hydration.bolt.v2.hydration_handler import HydrationHandler
from neo4j._codec.packstream import Structure
from neo4j._codec.packstream.v1 import PackableBuffer, Packer

from recoupe.graph.connection import Graph
from recoupe.graph.values import from_graph, packed, to_graph

TIMES = [
    datetime(2024, 5, 1, 23, 15, 7, 123456, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2024, 10, 27, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),  # the hour played twice
    datetime(2017, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch: seconds and nanos floor
    datetime(1900, 1, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=14))),
]


def wire_bytes(value: object) -> bytes:
    """What the driver (Bolt 5 hooks) puts on the wire for `value`."""
    buffer = PackableBuffer()
    hooks = HydrationHandler().new_hydration_scope().dehydration_hooks
    Packer(buffer).pack(value, dehydration_hooks=hooks)
    return bytes(buffer.data)


def test_packed_datetimes_are_the_bytes_the_driver_sends() -> None:
    for value in TIMES:
        assert isinstance(packed(value, (5, 0)), Structure)
        assert wire_bytes(packed(value, (5, 0))) == wire_bytes(to_graph(value)), value
    rows = [
        {"id": "a", "props": {"at": TIMES[0], "n": 3, "tags": ["x", TIMES[1]]}},
        {
            "id": "b",
            "props": {"ok": True, "x": 1.5, "none": None, "pair": (TIMES[2], 7), "deep": [{"t": TIMES[3]}]},
        },
    ]
    assert wire_bytes(packed(rows, (5, 8))) == wire_bytes(to_graph(rows))
    assert packed(rows, (5, 8))[1]["props"]["pair"][1] == 7 and packed(rows, (5, 8))[0]["props"]["n"] == 3


def test_before_bolt_5_the_driver_converts() -> None:
    assert packed(TIMES[0], (4, 4)) == TIMES[0].astimezone(UTC)
    assert isinstance(packed([TIMES[0]], (4, 4))[0], datetime)


def test_packed_datetimes_store_the_same_values(graph: Graph) -> None:
    with graph.session() as s:
        for i, value in enumerate(TIMES):
            s.run(
                "CREATE (:Probe {id: $id, native: $native, wire: $wire})",
                id=i, native=to_graph(value), wire=packed(value, graph.protocol),
            ).consume()  # fmt: skip
        rows = s.run(
            "MATCH (p:Probe) RETURN p.id AS id, p.native AS native, p.wire AS wire, p.native = p.wire AS same, "
            "p.wire < $t AS before ORDER BY p.wire",
            t=to_graph(datetime(2017, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ).data()
    assert [r["id"] for r in rows] == [4, 3, 2, 0, 1, 5]
    assert all(r["same"] for r in rows)
    assert [from_graph(r["wire"]) for r in rows] == [from_graph(r["native"]) for r in rows]
    assert [from_graph(r["wire"]) for r in rows] == [TIMES[i].astimezone(UTC) for i in (4, 3, 2, 0, 1, 5)]
    assert [r["before"] for r in rows] == [True, True, False, False, False, False]
