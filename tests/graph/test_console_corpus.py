"""The console's write attempts beyond tests/graph/test_console.py: unicode look-alikes, other separators,
parameters, and several statements with comments between; each refused, the graph unchanged.

What the session's ArcadeDB does with them (checked by `test_look_alikes_are_not_keywords_to_the_server`): a
fullwidth or Cyrillic letter, or a zero-width character inside a keyword, makes a syntax error even for the
admin account, so the check may let them through; a no-break or other unicode space *is* a separator to it
(`CREATE\\u00a0(…)` writes), and the check treats every unicode space as one too.
"""

from __future__ import annotations

import contextlib

import pytest

from recoupe.graph import console
from recoupe.graph.connection import Graph, Target
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.errors import GraphQueryError, InvalidInput
from recoupe.ontology.loader import ontology
from tests.graph.test_console import build, reader, snapshot

__all__ = ["reader"]  # the read-only user's target, a fixture of tests/graph/test_console.py

# Keywords spelt with look-alike characters: not keywords to the check, nor to the server (a syntax error).
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
# A real keyword with a zero-width character or a unicode space beside it: the check sees the keyword.
SEPARATED = [
    "CREATE\u00a0(:Incident {id: 'x'})",  # no-break space
    "MATCH (n)\u00a0DETACH\u00a0DELETE\u00a0n",
    "MERGE\u202f(:Incident {id: 'x'})",  # narrow no-break space
    "CREATE\u2028(:Incident {id: 'x'})",  # line separator
    "CREATE\u3000(:Incident {id: 'x'})",  # ideographic space
    "MATCH (i:Incident)\u2003SET\u2003i.category = 'noise'",  # em space
    "\ufeffCREATE (:Incident {id: 'x'})",  # a byte-order mark first
    "\u200bCREATE (:Incident {id: 'x'})",
    "MATCH (n) DE\u200bTACH DELETE n",
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
REFUSED_BY_THE_CHECK = SEPARATED + PARAMETER_WRITES + SEVERAL
ATTEMPTS = LOOK_ALIKES + REFUSED_BY_THE_CHECK


def test_the_corpus_is_large_enough() -> None:
    assert len(ATTEMPTS) == len(set(ATTEMPTS)) >= 35


@pytest.mark.parametrize("statement", REFUSED_BY_THE_CHECK)
def test_the_check_refuses(statement: str) -> None:
    with pytest.raises(InvalidInput) as err:
        console.check_statement(statement)
    what = err.value.fields["statement"]
    if statement in SEVERAL:
        assert what == "several statements"
    else:
        assert what.endswith("which writes to the graph") or "not an allowed read procedure" in what, what


def test_look_alikes_are_not_keywords_to_the_server(graph: Graph, graph_server: EmbeddedServer) -> None:
    """With the check off and the admin account: each is a syntax error, and nothing changes. Were the server
    ever to read one as its keyword, the check would have to normalise (NFKC, zero-width characters out)."""
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
