"""The analysts' read-only Cypher console: a statement check, then a capped, timed read as a read-only user.

Read-only holds at three levels. `check_statement` refuses obvious writes before anything is sent: it reads
the statement as Cypher's lexer does (string literals with backslash escapes, backquoted names, `//` comments
up to any line break and `/* */` comments are not code) and refuses write clauses in any case, procedure
calls outside a short list of read procedures, and several statements. It also refuses look-alikes and
invisible characters (`_check_characters`): in code, only ASCII and the whitespace separators the lexer skips;
outside string literals, no invisible format or control character; anywhere, no bidirectional embedding,
override or isolate. The session asks for READ access, which Neo4j enforces and ArcadeDB does not. The real
guard is the account: callers pass the read-only user's target (`recoupe_reader`, whose group may only read
records, on the embedded server), so a write that slips past the check is refused.

Rows are fetched from the result cursor and the fetch stops after `limit + 1` records (wrapping the statement
as `CALL { … } RETURN * LIMIT n` would reorder `RETURN *` columns, and ArcadeDB materialises the subquery: a
3-million-row UNWIND inside one dropped the connection). A statement still running after `timeout_s` is
abandoned client-side with what it returned so far; the embedded server's own limit
(RECOUPE_GRAPH_COMMAND_TIMEOUT) ends it there.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import neo4j
import neo4j.graph
import neo4j.spatial
import neo4j.time

from recoupe.graph.connection import Target, connect
from recoupe.ontology.errors import InvalidInput

# Clauses that write data or schema, or administer the server (Neo4j 5 and ArcadeDB; INSERT is GQL's CREATE;
# TRANSACTIONS catches `CALL { … } IN TRANSACTIONS`, which only makes sense for writes).
WRITE_WORDS = frozenset(
    {
        "CREATE", "MERGE", "INSERT", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "FOREACH", "LOAD",
        "ALTER", "GRANT", "DENY", "REVOKE", "RENAME", "TERMINATE", "TRANSACTIONS",
    }
)  # fmt: skip
# Procedures that only describe the graph; names are compared exactly, as servers do.
READ_PROCEDURES = frozenset(
    {"db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization", "dbms.components"}
)
MAX_STATEMENT_CHARS = 100_000
MAX_LIMIT = 100_000
CELL_WIDTH = 60
READ_HINT = "the console only reads (MATCH … RETURN); changes go through `recoupe ingest` and `recoupe link`"

_FETCHER = "recoupe-console"  # the name of the threads that fetch rows


class _QuietWhenCut(logging.Filter):
    """Drops the driver's warning that a session could not read the rest of a result the console cut off."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName == _FETCHER and str(record.msg).startswith("Failed to consume"))


logging.getLogger("neo4j.session").addFilter(_QuietWhenCut())

_WORD = re.compile(r"[^\W\d]\w*")
_DIGITS = re.compile(r"\d+")
# What ends a // comment: any line break (ArcadeDB ends one at \r, \u2028, \x85… too, and reads what follows
# as code), so that nothing the check skips as a comment is code to the server.
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# Explicit bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI): they make
# an editor show text in another order than the lexer reads it ("Trojan Source"): refused everywhere.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
CHARACTER_HINT = (
    "write names with non-ASCII letters between backquotes (`catégorie`) and text between quotes; "
    "remove invisible characters"
)


@dataclass(frozen=True)
class Token:
    """A piece of a statement outside strings and comments: a word, a backquoted name or one symbol."""

    kind: str  # "word", "name" (backquoted), "string", "number" or "symbol"
    text: str
    start: int


def tokenize(statement: str) -> list[Token]:
    """Cypher's lexical pieces; comments and whitespace dropped; unterminated strings or comments refused, and
    look-alike or invisible characters (`_check_characters`)."""
    tokens: list[Token] = []
    n, end = 0, len(statement)
    while n < end:
        char = statement[n]
        if char.isspace():
            n += 1
        elif statement.startswith("//", n):
            newline = _LINE_BREAK.search(statement, n)
            stop = end if newline is None else newline.end()
            _check_characters(statement, n, stop, "comment")
            n = stop
        elif statement.startswith("/*", n):
            close = statement.find("*/", n + 2)
            if close < 0:
                raise _refusal(statement, n, "an unterminated /* comment", "close it with */")
            _check_characters(statement, n, close + 2, "comment")
            n = close + 2
        elif char in "'\"":
            m = n + 1
            while m < end and statement[m] != char:
                m += 2 if statement[m] == "\\" else 1  # a backslash escapes the next character, as in Cypher
            if m >= end:
                raise _refusal(statement, n, "an unterminated string", f"close it with {char}")
            _check_characters(statement, n, m + 1, "string")
            tokens.append(Token("string", statement[n : m + 1], n))
            n = m + 1
        elif char == "`":
            m = n + 1
            while True:  # a doubled backquote stands for one inside a backquoted name
                m = statement.find("`", m)
                if m < 0:
                    raise _refusal(statement, n, "an unterminated `name`", "close it with `")
                if statement.startswith("``", m):
                    m += 2
                    continue
                break
            _check_characters(statement, n, m + 1, "name")
            tokens.append(Token("name", statement[n + 1 : m].replace("``", "`"), n))
            n = m + 1
        elif (word := _WORD.match(statement, n)) is not None:
            _check_characters(statement, n, word.end(), "code")
            tokens.append(Token("word", word.group(), n))
            n = word.end()
        elif (digits := _DIGITS.match(statement, n)) is not None:
            # digits alone: in "1CREATE" the word that follows is still read as a word (stricter than Cypher)
            _check_characters(statement, n, digits.end(), "code")
            tokens.append(Token("number", digits.group(), n))
            n = digits.end()
        else:
            _check_characters(statement, n, n + 1, "code")
            tokens.append(Token("symbol", char, n))
            n += 1
    return tokens


def _check_characters(statement: str, start: int, stop: int, part: str) -> None:
    """Refuse look-alike and invisible characters in statement[start:stop], a piece of `part`.

    - code (outside string literals, backquoted names and comments): ASCII only (the whitespace the lexer
      skips, no-break and other unicode spaces included, never reaches here). A keyword spelt with a
      fullwidth, Greek or Cyrillic letter, a ligature or a zero-width character is refused here rather than
      left to the server's syntax error; as NFKC leaves ASCII unchanged, what NFKC would change is refused;
    - backquoted names and comments: any letter (`catégorie`, `// vols à la tire`), but no invisible format
      character (category Cf: zero-width space and joiners, word joiner, soft hyphen, byte-order mark…) and no
      control character other than whitespace;
    - string literals are data (a value copied from a log may hold a soft hyphen or a zero-width space):
      anything but the bidirectional controls, which are refused everywhere (BIDI_CONTROLS).
    """
    for n in range(start, stop):
        char = statement[n]
        if char in BIDI_CONTROLS:
            what = f"an invisible bidirectional control {_describe(char)}"
        elif part == "string" or (char.isascii() and (char.isprintable() or char.isspace())):
            continue
        elif unicodedata.category(char) in ("Cf", "Cc") and not char.isspace():
            what = f"an invisible character {_describe(char)}"
        elif part == "code":
            what = f"a non-ASCII character {_describe(char)} outside strings, backquoted names and comments"
        else:
            continue
        raise _refusal(statement, n, what, CHARACTER_HINT)


def _describe(char: str) -> str:
    """U+0421 (CYRILLIC CAPITAL LETTER ES): the code point and its name, never the character itself."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def check_statement(statement: str) -> str:
    """The statement to send (without a trailing ';') when it is one statement with no obvious write; raises
    InvalidInput naming the offending word, line and column otherwise."""
    if len(statement) > MAX_STATEMENT_CHARS:
        raise InvalidInput(
            f"The statement is {len(statement):,} characters long (at most {MAX_STATEMENT_CHARS:,})",
            "shorten it; pass long lists as parameters",
            {"statement": "too long"},
        )
    tokens = tokenize(statement)
    if tokens and tokens[-1].text == ";" and tokens[-1].kind == "symbol":
        statement, tokens = statement[: tokens[-1].start], tokens[:-1]
    if not tokens:
        raise InvalidInput(
            "The statement is empty", "write a Cypher statement such as MATCH (n) RETURN n LIMIT 5"
        )
    for k, token in enumerate(tokens):
        if token.kind == "symbol" and token.text == ";":
            raise _refusal(
                statement, token.start, "several statements",
                "send one statement at a time, without ';' between statements",
            )  # fmt: skip
        if token.kind != "word" or _is_name_position(statement, tokens, k):
            continue
        word = token.text.upper()
        if word in WRITE_WORDS:
            raise _refusal(statement, token.start, f"{word}, which writes to the graph", READ_HINT)
        if word == "CALL":
            _check_call(statement, tokens, k)
    return statement.strip()


def _is_name_position(statement: str, tokens: list[Token], k: int) -> bool:
    """A word right after '.', '$' or ':' (property, parameter, label or type) or after AS (an alias) is a
    name, not a clause."""
    start = tokens[k].start
    if start > 0 and statement[start - 1] in ".$:":
        return True
    return k > 0 and tokens[k - 1].kind == "word" and tokens[k - 1].text.upper() == "AS"


def _check_call(statement: str, tokens: list[Token], k: int) -> None:
    """CALL { … } and CALL (…) { … } subqueries pass (their clauses are checked like the rest); a procedure
    must be on the read list."""
    following = tokens[k + 1 : k + 2]
    if following and following[0].kind == "symbol" and following[0].text in "{(":
        return
    parts: list[str] = []
    m = k + 1
    while m < len(tokens) and tokens[m].kind in ("word", "name"):
        parts.append(tokens[m].text)
        if m + 1 < len(tokens) and tokens[m + 1].text == "." and tokens[m + 1].kind == "symbol":
            m += 2
        else:
            break
    name = ".".join(parts)
    if name not in READ_PROCEDURES:
        raise _refusal(
            statement, tokens[k].start, f"CALL {name or '…'}, which is not an allowed read procedure",
            f"the console allows CALL {{ … }} subqueries that read and {', '.join(sorted(READ_PROCEDURES))}",
        )  # fmt: skip


def _refusal(statement: str, offset: int, what: str, hint: str) -> InvalidInput:
    line = statement.count("\n", 0, offset) + 1
    column = offset - (statement.rfind("\n", 0, offset) + 1) + 1
    return InvalidInput(
        f"Statement refused: {what} (line {line}, column {column})", hint, {"statement": what}
    )


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
