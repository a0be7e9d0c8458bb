"""The console's write attempts beyond tests/graph/test_console.py: unicode look-alikes, invisible characters,
other separators and line breaks, parameters, and several statements with comments between; each refused, the
graph unchanged.

The check refuses look-alikes and invisible characters itself: in code (outside string literals, backquoted
names and comments) only ASCII and whitespace; outside string literals no invisible format character; anywhere no
bidirectional control. The server is the second layer (`test_look_alikes_are_not_keywords_to_the_server`): to
the session's ArcadeDB a fullwidth or Cyrillic letter, or a zero-width character inside a keyword, makes a
syntax error even for the admin account. A no-break or other unicode space *is* a separator to it
(`CREATE\\u00a0(…)` writes), and the check treats every unicode space as one too; a `//` comment ends at a
carriage return or a unicode line separator as well as at a newline (`// x\\rCREATE (…)` writes), and so it
does for the check.
"""

from __future__ import annotations

import contextlib
import unicodedata

import pytest

from recoupe.graph import console, statement_check
from recoupe.graph.connection import Graph, Target
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.errors import GraphQueryError, InvalidInput
from recoupe.ontology.loader import ontology
from tests.graph.test_console import build, reader, snapshot

__all__ = ["reader"]  # the read-only user's target, a fixture of tests/graph/test_console.py

# Keywords spelt with look-alike characters: refused by the check (a non-ASCII or invisible character in code),
# and not keywords to the server either (a syntax error).
LOOK_ALIKES = [
    "\uff23\uff32\uff25\uff21\uff34\uff25 (:Incident {id: 'x'})",  # fullwidth ＣＲＥＡＴＥ
    "MATCH (i:Incident) \uff33\uff25\uff34 i.category = 'noise'",  # ＳＥＴ
    "MATCH (n) \uff24\uff25\uff34\uff21\uff23\uff28 \uff24\uff25\uff2c\uff25\uff34\uff25 n",  # ＤＥＴＡＣＨ ＤＥＬＥＴＥ
    "\u0421REATE (:Incident {id: 'x'})",  # Cyrillic С
    "M\u0415RGE (:Incident {id: 'x'})",  # Cyrillic Е
    "MATCH (n) D\u0415TACH D\u0415LETE n",
    "MATCH (i:Incident) R\u0415MOVE i.category",
    "CRE\u200dATE (:Incident {id: 'x'})",  # zero-width joiner
    "CRE\u200bATE (:Incident {id: 'x'})",  # zero-width space
    "MATCH (i:Incident) SE\u200cT i.category = 'noise'",  # zero-width non-joiner
    "MER\u2060GE (:Incident {id: 'x'})",  # word joiner
    "MATCH (i:Incident) DEL\u00adETE i",  # soft hyphen
]
# More look-alikes and invisible characters, refused by the check (what the server makes of them is not tested).
UNICODE_TRICKS = [
    "MATCH (n) \u202eETELED HCATED\u202c n",  # a right-to-left override in code ("Trojan Source")
    "MATCH (n) RETURN n /* \u202e } */ CREATE (:Incident {id: 'x'})",  # … in a comment
    "MATCH (n) WHERE n.id = 'log:1\u202e' DETACH DELETE n",  # … in a string
    "MATCH (n) DETACH D\u0395LETE n",  # Greek Ε
    "\u039cERGE (:Incident {id: 'x'})",  # Greek Μ
    "MATCH (i:Incident) \u0405ET i.category = 'noise'",  # Cyrillic Ѕ
    "MATCH \uff08n\uff09 DETACH DELETE n",  # fullwidth parentheses
    "MATCH (i:Incident) SET i.\ufb01eld = 'noise'",  # the ligature ﬁ (NFKC: fi)
    "\U0001d402\U0001d411\U0001d404\U0001d400\U0001d413\U0001d404 (:Incident {id: 'x'})",  # mathematical bold CREATE
    "\u2102REATE (:Incident {id: 'x'})",  # double-struck ℂ
    "CRE\u0000ATE (:Incident {id: 'x'})",  # a control character
    "\ufeffCREATE (:Incident {id: 'x'})",  # a byte-order mark first
    "\u200bCREATE (:Incident {id: 'x'})",  # a zero-width space beside the keyword
    "MATCH (n) DE\u200bTACH DELETE n",
    "MATCH (n) DETACH DELETE n // \u200d",  # an invisible character in a comment
    "MATCH (n) RETURN n AS `n\u200b` DETACH DELETE n",  # … in a backquoted name
]
# A real keyword with a unicode space beside it: the check sees the keyword.
SEPARATED = [
    "CREATE\u00a0(:Incident {id: 'x'})",  # no-break space
    "MATCH (n)\u00a0DETACH\u00a0DELETE\u00a0n",
    "MERGE\u202f(:Incident {id: 'x'})",  # narrow no-break space
    "CREATE\u2028(:Incident {id: 'x'})",  # line separator
    "CREATE\u3000(:Incident {id: 'x'})",  # ideographic space
    "MATCH (i:Incident)\u2003SET\u2003i.category = 'noise'",  # em space
]
# A // comment ends at any line break: what follows is code to the server, so it is to the check.
COMMENT_ENDS = [
    "RETURN 1 AS one // x\rCREATE (:Incident {id: 'x'})",
    "RETURN 1 AS one // x\u2028CREATE (:Incident {id: 'x'})",
    "RETURN 1 AS one // x\u2029MATCH (n) DETACH DELETE n",
    "RETURN 1 AS one // x\x85CREATE (:Incident {id: 'x'})",
    "RETURN 1 AS one // x\x0bCREATE (:Incident {id: 'x'})",
]
# Statements that take $parameters to write: refused for their clauses, whatever the parameters hold.
PARAMETER_WRITES = [
    "MATCH (i:Incident {id: $id}) SET i += $props",
    "MATCH (i:Incident {id: $id}) SET i = $props",
    "CREATE (:Incident $props)",
    "MERGE (:Plate {id: $plate})",
    "MATCH (i:Incident) WHERE i.id = $id DETACH DELETE i",
    "UNWIND $rows AS row CREATE (:Incident {id: row.id})",
    "MATCH (i:Incident) FOREACH (x IN $ids | SET i.category = x)",
    "WITH $statement AS create CREATE (:Incident {id: create})",
    "CALL apoc.cypher.doIt($statement, {})",
    "CALL apoc.cypher.runWrite($statement, $props)",
    "LOAD CSV FROM $url AS line RETURN line",
]
# Several statements, with comments around the ';' (each refused as several statements).
SEVERAL = [
    "RETURN 1 AS one /* x */ ; /* y */ CREATE (:Incident {id: 'x'})",
    "RETURN 1 AS one // the end\n;\n// the next one\nMATCH (n) DETACH DELETE n",
    "MATCH (n) RETURN n;/**/CREATE (:Incident {id: 'x'})",
    "RETURN '/*' AS a; CREATE (:Incident {id: '*/'})",
    "RETURN 1 AS one;\n/* ; */\nRETURN 2 AS two",
    "RETURN 1 AS one ; ;",
    "CALL { RETURN 1 AS one ; CREATE (:Incident {id: 'x'}) } RETURN one",
]
PARAMETERS = {
    "id": "log:1",
    "props": {"category": "noise"},
    "plate": "ZZ-999-ZZ",
    "rows": [{"id": "x"}],
    "ids": ["noise"],
    "statement": "CREATE (:Incident {id: 'x'})",
    "url": "file:///etc/passwd",
}
# Reads whose parameter values are Cypher: the values are data, returned as given, and nothing runs.
CYPHER_VALUES = [
    ("RETURN $q AS q", {"q": "x'}) DETACH DELETE n //"}, [["x'}) DETACH DELETE n //"]]),
    ("MATCH (i:Incident {id: $id}) RETURN i.id AS id", {"id": "log:1'}) DETACH DELETE i //"}, []),
    ("MATCH (i:Incident) WHERE i.category = $c RETURN count(i) AS n",
     {"c": "burglary' OR true CREATE (:Incident {id: 'x'}) //"}, [[0]]),
    ("RETURN $m.a AS a, $m.b AS b", {"m": {"a": "MATCH (n) DETACH DELETE n", "b": ["CREATE (:X)"]}},
     [["MATCH (n) DETACH DELETE n", ["CREATE (:X)"]]]),
    ("RETURN $create AS create", {"create": "CREATE (:Incident {id: 'x'}); DROP INDEX incident_category"},
     [["CREATE (:Incident {id: 'x'}); DROP INDEX incident_category"]]),
]  # fmt: skip
ATTEMPTS = LOOK_ALIKES + UNICODE_TRICKS + SEPARATED + COMMENT_ENDS + PARAMETER_WRITES + SEVERAL
# What the check still lets through: non-ASCII letters in strings, backquoted names and comments, invisible
# characters other than bidirectional controls in strings (data), unicode spaces and line breaks between words.
ACCEPTED = [
    "MATCH (i:Incident) WHERE i.address = 'Cours Belsunce' RETURN count(i) AS n",
    "MATCH (i:Incident) WHERE i.text CONTAINS 'vol à l\\'arraché' RETURN count(i) AS n",
    'MATCH (i:Incident) WHERE i.text CONTAINS "Cambriolage à Noailles" RETURN count(i) AS n',
    "MATCH (i:Incident) RETURN i.`catégorie` AS `catégorie` LIMIT 1",
    "MATCH (i:Incident) // vols à la tire\nRETURN count(i) AS n /* déjà vus */",
    "RETURN 'coupure\u00adde\u200bmot' AS s",  # a soft hyphen and a zero-width space in a value
    "RETURN 'ΔЕＣ（）ﬁ\ufeff' AS s",  # look-alikes in a value are data
    "MATCH (i:Incident)\u00a0RETURN\u3000count(i) AS n",
    "MATCH (i:Incident)\r\nRETURN count(i) AS n // compte\r\n",
]


def test_the_corpus_is_large_enough() -> None:
    assert len(ATTEMPTS) == len(set(ATTEMPTS)) >= 55


def _expected_refusal(statement: str) -> str:
    if statement in SEVERAL:
        return "several statements"
    if statement in LOOK_ALIKES + UNICODE_TRICKS:
        return " U+"
    return "which writes to the graph"


@pytest.mark.parametrize("statement", ATTEMPTS)
def test_the_check_refuses(statement: str) -> None:
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement(statement)
    what, expected = err.value.fields["statement"], _expected_refusal(statement)
    procedure = statement in PARAMETER_WRITES and "not an allowed read procedure" in what
    assert expected in what or procedure, what
    if expected == " U+":
        assert err.value.hint == statement_check.CHARACTER_HINT
        assert "remove invisible characters" in err.value.hint and "between backquotes" in err.value.hint


def test_a_character_refusal_says_which_and_where() -> None:
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement("MATCH (n)\n  D\u0415TACH DELETE n")
    assert err.value.message == (
        "Statement refused: a non-ASCII character U+0415 (CYRILLIC CAPITAL LETTER IE) outside strings, "
        "backquoted names and comments (line 2, column 4)"
    )
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement("RETURN 'x' AS x // \u202e")
    assert err.value.message == (
        "Statement refused: an invisible bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) (line 1, column 20)"
    )
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement("MATCH (i:Incident) DEL\u00adETE i")
    assert err.value.message.endswith("an invisible character U+00AD (SOFT HYPHEN) (line 1, column 23)")
    assert "\u00ad" not in err.value.message  # named, never echoed


@pytest.mark.parametrize("statement", ACCEPTED)
def test_the_check_lets_non_ascii_data_names_and_comments_through(statement: str) -> None:
    assert statement_check.check_statement(statement) == statement.strip()
    code = [t.text for t in statement_check.tokenize(statement) if t.kind in ("word", "number", "symbol")]
    assert all(text.isascii() and unicodedata.normalize("NFKC", text) == text for text in code)


def test_every_character_nfkc_reads_as_ascii_is_refused_in_code() -> None:
    """Fullwidth forms, ligatures, mathematical and circled letters, superscripts…: none is code; the unicode
    spaces NFKC makes ' ' are separators, as to the server."""
    tricky = [
        chr(c) for c in range(0x80, 0x110000)
        if not chr(c).isspace() and any(x.isascii() for x in unicodedata.normalize("NFKC", chr(c)))
    ]  # fmt: skip
    assert len(tricky) > 1000
    for char in tricky:
        with pytest.raises(InvalidInput, match="character U\\+"):
            statement_check.check_statement(f"RETURN 1 AS a{char}")
        assert statement_check.check_statement(f"RETURN '{char}' AS a, 1 AS `{char}`")


def test_bidirectional_controls_are_refused_everywhere() -> None:
    for char in sorted(statement_check.BIDI_CONTROLS):
        for statement in (f"RETURN 1 AS a{char}", f"RETURN '{char}' AS a", f"RETURN 1 AS `{char}`",
                          f"RETURN 1 AS a // {char}", f"RETURN 1 AS a /* {char} */"):  # fmt: skip
            with pytest.raises(InvalidInput, match="bidirectional control"):
                statement_check.check_statement(statement)


def test_look_alikes_are_not_keywords_to_the_server(graph: Graph, graph_server: EmbeddedServer) -> None:
    """The second layer: with the check off and the admin account, each is a syntax error and nothing changes
    (the check refuses them first: test_the_check_refuses)."""
    if graph.dialect.flavour != "arcadedb":
        pytest.skip("the look-alikes' reading was checked on the embedded ArcadeDB only")
    apply_schema(graph, ontology())
    build(graph)
    before = snapshot(graph, graph_server)
    for statement in LOOK_ALIKES:
        with pytest.raises(GraphQueryError) as err:
            console.execute(graph.target, statement, parameters=PARAMETERS)
        assert err.value.hint == "check the Cypher syntax", (statement, err.value.one_line())
    assert snapshot(graph, graph_server) == before


def test_a_separated_keyword_writes_for_the_admin(graph: Graph) -> None:
    """Why the check must treat unicode spaces as separators: the server does."""
    if graph.dialect.flavour != "arcadedb":
        pytest.skip("checked on the embedded ArcadeDB")
    console.execute(graph.target, "CREATE\u00a0(:Incident {id: 'nbsp'})")
    assert console.execute(graph.target, "MATCH (i:Incident) RETURN i.id AS id").rows == [["nbsp"]]


def test_a_comment_ends_at_a_carriage_return_for_the_admin(graph: Graph) -> None:
    """Why a // comment ends at any line break for the check: the server reads what follows as code."""
    if graph.dialect.flavour != "arcadedb":
        pytest.skip("checked on the embedded ArcadeDB")
    console.execute(graph.target, "RETURN 1 AS one // x\rCREATE (:Incident {id: 'cr'})")
    assert console.execute(graph.target, "MATCH (i:Incident) RETURN i.id AS id").rows == [["cr"]]


@pytest.mark.parametrize("statement", ACCEPTED)
def test_the_accepted_forms_run(graph: Graph, reader: Target, statement: str) -> None:
    build(graph)
    result = console.run_query(reader, statement)
    assert len(result.rows) == 1 and not result.truncated


def test_every_attempt_is_refused_and_changes_nothing(
    graph: Graph, reader: Target, graph_server: EmbeddedServer
) -> None:
    apply_schema(graph, ontology())
    build(graph)
    before = snapshot(graph, graph_server)
    for statement in ATTEMPTS:
        with pytest.raises((InvalidInput, GraphQueryError)):
            console.run_query(reader, statement, parameters=PARAMETERS)
    for statement in ATTEMPTS:  # the check off: the read-only account is the guard
        if "LOAD CSV" not in statement:
            with contextlib.suppress(GraphQueryError):
                console.execute(reader, statement, parameters=PARAMETERS)
    assert snapshot(graph, graph_server) == before


@pytest.mark.parametrize(("statement", "parameters", "rows"), CYPHER_VALUES)
def test_cypher_in_parameter_values_is_only_data(
    graph: Graph, reader: Target, graph_server: EmbeddedServer, statement: str, parameters: dict[str, object],
    rows: list[list[object]],
) -> None:  # fmt: skip
    build(graph)
    before = snapshot(graph, graph_server)
    assert console.run_query(reader, statement, parameters=parameters).rows == rows
    assert snapshot(graph, graph_server) == before
