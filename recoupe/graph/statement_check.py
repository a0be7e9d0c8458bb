"""The console's statement check: one Cypher statement that only reads, refused before it is sent otherwise.

`check_statement` refuses obvious writes before anything is sent: it reads the statement as Cypher's lexer
does (string literals with backslash escapes, backquoted names, `//` comments up to any line break and `/* */`
comments are not code) and refuses write clauses in any case, procedure calls outside a short list of read
procedures, and several statements. It also refuses look-alikes and invisible characters
(`_check_characters`): in code, only ASCII and the whitespace separators the lexer skips; outside string
literals, no invisible format or control character; anywhere, no bidirectional embedding, override or isolate.
It is the first of the console's three guards (recoupe/graph/console.py): the real one is the read-only
account.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
READ_HINT = "the console only reads (MATCH … RETURN); changes go through `recoupe ingest` and `recoupe link`"

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
