"""The analysts' read-only Cypher console: a statement check, then a capped, timed read as a read-only user.

Read-only holds at three levels. `check_statement` (recoupe/graph/statement_check.py) refuses obvious writes,
several statements, and look-alike and invisible characters before anything is sent. The session asks for
READ access, which Neo4j enforces and ArcadeDB does not. The real guard is the account: callers pass the
read-only user's target (`recoupe_reader`, whose group may only read records, on the embedded server), so a
write that slips past the check is refused.

Rows are fetched from the result cursor and the fetch stops after `limit + 1` records (wrapping the statement
as `CALL { … } RETURN * LIMIT n` would reorder `RETURN *` columns, and ArcadeDB materialises the subquery: a
3-million-row UNWIND inside one dropped the connection). A statement still running after `timeout_s` is
abandoned client-side with what it returned so far; the embedded server's own limit
(RECOUPE_GRAPH_COMMAND_TIMEOUT) ends it there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import neo4j
import neo4j.graph
import neo4j.spatial
import neo4j.time

from recoupe.graph.connection import Target, connect
from recoupe.graph.statement_check import check_statement
from recoupe.ontology.errors import InvalidInput

MAX_LIMIT = 100_000
CELL_WIDTH = 60

_FETCHER = "recoupe-console"  # the name of the threads that fetch rows


class _QuietWhenCut(logging.Filter):
    """Drops the driver's warning that a session could not read the rest of a result the console cut off."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == _FETCHER and str(record.msg).startswith("Failed to consume"))


logging.getLogger("neo4j.session").addFilter(_QuietWhenCut())


# ---------------------------------------------------------------- running a statement


@dataclass
class ConsoleResult:
    """Rows as the driver returned them (nodes, relationships, paths, temporal values…), at most `limit`."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool
    timed_out: bool
    seconds: float
    limit: int
    timeout_s: float
    notices: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "rows": [[plain(value) for value in row] for row in self.rows],
            "truncated": self.truncated,
            "timed_out": self.timed_out,
            "row_count": self.row_count,
            "seconds": round(self.seconds, 3),
            "notices": self.notices,
        }


def run_query(
    target: Target,
    statement: str,
    limit: int = 1000,
    timeout_s: float = 60.0,
    parameters: Mapping[str, Any] | None = None,
) -> ConsoleResult:
    """Check the statement, then run it on `target` (the read-only user's) with a row cap and a time limit."""
    return execute(target, check_statement(statement), limit, timeout_s, parameters)


def execute(
    target: Target,
    statement: str,
    limit: int = 1000,
    timeout_s: float = 60.0,
    parameters: Mapping[str, Any] | None = None,
) -> ConsoleResult:
    """Run a statement without the check: fetch at most `limit + 1` rows, stop waiting after `timeout_s`.

    A thread of its own connects, fetches and closes its connection: the driver cannot be used from two
    threads, and it cannot cancel a statement. A result cut at the limit is not read to its end (ArcadeDB
    would read all of it to discard it: 1.5 s for 3 million rows after the first 11); a statement still
    running at the time limit is left to its thread, which ends when the server's own limit ends it
    (RECOUPE_GRAPH_COMMAND_TIMEOUT on the embedded server)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"The row limit {limit} is out of range", f"give a limit from 1 to {MAX_LIMIT:,}")
    if timeout_s <= 0:
        raise InvalidInput(f"The time limit {timeout_s:g} s is not positive", "give a number of seconds > 0")
    columns: list[str] = []
    rows: list[list[Any]] = []
    failures: list[BaseException] = []
    stop, done = threading.Event(), threading.Event()

    def fetch() -> None:
        try:
            _fetch(target, statement, dict(parameters or {}), limit, timeout_s, columns, rows, stop, done)
        except BaseException as exc:  # handed to the caller's thread unless the rows were already complete
            if not done.is_set():
                failures.append(exc)
        finally:
            done.set()

    began = time.monotonic()
    worker = threading.Thread(target=fetch, name=_FETCHER, daemon=True)
    worker.start()
    timed_out = not done.wait(timeout_s)
    stop.set()
    received = list(rows)
    seconds = time.monotonic() - began
    if not timed_out:
        worker.join(5.0)  # it is closing its connection
        if failures:
            raise failures[0]
    result = ConsoleResult(
        columns=list(columns), rows=received[:limit], truncated=len(received) > limit, timed_out=timed_out,
        seconds=seconds, limit=limit, timeout_s=timeout_s,
    )  # fmt: skip
    if result.truncated:
        result.notices.append(
            f"Truncated: the first {limit:,} rows are shown, there are more (raise --limit)."
        )
    if timed_out:
        result.notices.append(
            f"Stopped after {timeout_s:g} s (client time limit): {result.row_count:,} rows received, "
            "the result is incomplete; narrow the statement or raise --timeout."
        )
    return result


def _fetch(
    target: Target,
    statement: str,
    parameters: dict[str, Any],
    limit: int,
    timeout_s: float,
    columns: list[str],
    rows: list[list[Any]],
    stop: threading.Event,
    done: threading.Event,
) -> None:
    with connect(target) as graph:
        query: str | neo4j.Query = statement
        if graph.dialect.honours_driver_timeout:  # Neo4j ends the transaction itself; ArcadeDB ignores it
            query = neo4j.Query(statement, timeout=timeout_s)
        session_config = {"default_access_mode": neo4j.READ_ACCESS, "fetch_size": min(limit + 1, 10_000)}
        with graph.session(**session_config) as session:
            result = session.run(query, parameters)
            columns.extend(result.keys())
            for record in result:
                if stop.is_set():
                    return
                rows.append(list(record.values()))
                if len(rows) > limit:
                    break
            done.set()
            graph.close()  # ends the connection rather than reading the rest of a result cut at the limit


# ---------------------------------------------------------------- showing values


def node_text(node: neo4j.graph.Node) -> str:
    """`(:Label {id: '…'})`; a person by pseudonym, never by id."""
    labels = "".join(f":{label}" for label in sorted(node.labels))
    if "Person" in node.labels:
        return f"({labels} {{pseudonym: {_quote(node.get('pseudonym'))}}})"
    if node.get("id") is not None:
        return f"({labels} {{id: {_quote(node.get('id'))}}})"
    return f"({labels})"


def cell_text(value: Any) -> str:
    """One value as a table cell: nodes `(:Label {id})`, relationships `[:TYPE]`, paths, lists and maps."""
    if value is None:
        return "null"
    if isinstance(value, neo4j.graph.Node):
        return node_text(value)
    if isinstance(value, neo4j.graph.Relationship):
        return f"[:{value.type}]"
    if isinstance(value, neo4j.graph.Path):
        nodes, text = value.nodes, node_text(value.start_node)
        for n, rel in enumerate(value.relationships):
            forward = rel.start_node is not None and rel.start_node.element_id == nodes[n].element_id
            text += f"-[:{rel.type}]->" if forward else f"<-[:{rel.type}]-"
            text += node_text(nodes[n + 1])
        return text
    if isinstance(value, neo4j.spatial.Point):
        return "point({" + ", ".join(f"{k}: {v}" for k, v in plain(value).items()) + "})"
    if isinstance(value, str):
        return value.replace("\n", "\\n")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inner(v)}" for k, v in value.items()) + "}"
    return str(plain(value))


def _inner(value: Any) -> str:
    return _quote(value) if isinstance(value, str) else cell_text(value)


def _quote(value: Any) -> str:
    if value is None:
        return "null"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def plain(value: Any) -> Any:
    """A value as JSON: nodes {labels, properties} (a person without its id), relationships {type,
    properties}, paths {nodes, relationships}, temporal values in ISO 8601, points {srid, x, y}."""
    if isinstance(value, neo4j.graph.Node):
        props = {k: plain(v) for k, v in value.items() if not ("Person" in value.labels and k == "id")}
        return {"labels": sorted(value.labels), "properties": props}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, "properties": {k: plain(v) for k, v in value.items()}}
    if isinstance(value, neo4j.graph.Path):
        return {"nodes": [plain(n) for n in value.nodes], "relationships": [plain(r) for r in value]}
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time):
        return value.iso_format()
    if isinstance(value, neo4j.time.Duration):
        return value.iso_format()
    if isinstance(value, neo4j.spatial.Point):
        return {"srid": value.srid, **dict(zip("xyz", value, strict=False))}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return value


def table(result: ConsoleResult) -> str:
    """The result as a text table, then the row count and any notice."""
    cells = [[_clip(cell_text(v)) for v in row] for row in result.rows]
    widths = [max([len(c), *(len(row[n]) for row in cells)]) for n, c in enumerate(result.columns)]
    lines = []
    if result.columns:
        lines.append(" | ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip())
        lines.append("-+-".join("-" * w for w in widths))
        lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    rows = "row" if result.row_count == 1 else "rows"
    lines.append(f"({result.row_count:,} {rows}, {result.seconds:.2f} s)")
    return "\n".join([*lines, *result.notices])


def _clip(text: str) -> str:
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"
