"""The read-only console: the statement check, the read-only account behind it, the row cap and the time limit,
on the session's real graph server."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from recoupe.graph import console, queries, statement_check, store
from recoupe.graph.connection import Graph, Target
from recoupe.graph.home import READER_USER
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.errors import GraphQueryError, InvalidInput, RecoupeError
from recoupe.ontology.loader import ontology

# Each is refused by the check; with the check off, by the read-only account (or it changes nothing).
WRITES = [
    "CREATE (:Incident {id: 'x'})",
    "create (:Incident {id: 'x'})",
    "cReAtE (:Incident {id: 'x'})",
    "/*x*/CREATE (:Incident {id: 'x'})",
    "CREATE/**/(:Incident {id: 'x'})",
    "// a comment first\nCREATE (:Incident {id: 'x'})",
    "\t \n CREATE\n(:Incident {id: 'x'})",
    "MATCH (n)\u00a0DETACH\u00a0DELETE n",
    "CREATE (n:Incident {id: 'x'}) RETURN n",
    "UNWIND range(1, 3) AS n CREATE (:Incident {id: toString(n)})",
    "MATCH (i:Incident) WITH i LIMIT 1 CREATE (i)-[:NEAR_REPEAT]->(i)",
    "OPTIONAL MATCH (n:Camera) CREATE (:Incident {id: 'x'})",
    "WITH 1 AS create CREATE (:Incident {id: 'x'})",
    "INSERT (:Incident {id: 'x'})",
    "MERGE (:Incident {id: 'x'})",
    "MATCH (i:Incident {id: 'log:1'}) MERGE (i)-[:INVOLVES]->(:Plate {id: 'ZZ-999-ZZ'})",
    "MERGE (i:Incident {id: 'log:1'}) ON MATCH SET i.category = 'noise'",
    "MATCH (i:Incident {id: 'log:1'}) SET i.category = 'noise'",
    "MATCH (i:Incident) SET i += {category: 'noise'}",
    "MATCH (i:Incident) SET i = {}",
    "MATCH (i:Incident) SET i:Person",
    "MATCH (i:Incident) WITH i AS x SET x.category = 'noise'",
    "MATCH ()-[r:NEAR_REPEAT]->() SET r.metres = 0",
    "PROFILE MATCH (i:Incident) SET i.category = 'noise'",
    "MATCH (i:Incident) REMOVE i.category",
    "MATCH (i:Incident) REMOVE i:Incident",
    "MATCH (i:Incident {id: 'log:5'}) DELETE i",
    "MATCH ()-[r]->() DELETE r",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) detach\ndelete n",
    "MATCH (i:Incident) FOREACH (x IN [1] | SET i.category = 'noise')",
    "MATCH (i:Incident) FOREACH (x IN [1] | CREATE (:Plate {id: 'ZZ-000-ZZ'}))",
    "CALL { CREATE (:Incident {id: 'x'}) }",
    "CALL { CREATE (:Incident {id: 'x'}) RETURN 1 AS one } RETURN one",
    "MATCH (i:Incident) CALL { WITH i SET i.category = 'noise' } RETURN count(*) AS n",
    "MATCH (i:Incident) CALL (i) { DETACH DELETE i }",
    "MATCH (i:Incident) CALL { WITH i DETACH DELETE i } IN TRANSACTIONS OF 10 ROWS",
    "CALL apoc.create.node(['Incident'], {id: 'x'})",
    "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {})",
    "CALL db.createLabel('Evil')",
    "CALL dbms.security.createUser('evil', 'evil-password', false)",
    "CALL db.clearQueryCaches()",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "LOAD CSV WITH HEADERS FROM 'file:///etc/passwd' AS row CREATE (:Incident {id: row.x})",
    "load csv from 'file:///tmp/x.csv' as line return line",
    "LOAD CSV FROM 'https://example.org/incidents.csv' AS line RETURN line",
    "LOAD CSV FROM 'http://127.0.0.1:2480/api/v1/server' AS line RETURN line",
    "CREATE INDEX evil IF NOT EXISTS FOR (n:Incident) ON (n.text)",
    "CREATE CONSTRAINT evil IF NOT EXISTS FOR (n:Object) REQUIRE n.name IS UNIQUE",
    "DROP INDEX incident_category",
    "DROP INDEX incident_category IF EXISTS",
    "DROP CONSTRAINT plate_id_key",
    "CREATE USER evil SET PASSWORD 'evil-password'",
    "DROP USER recoupe_reader",
    "ALTER USER recoupe_reader SET PASSWORD 'evil-password'",
    "GRANT ROLE admin TO recoupe_reader",
    "MATCH (n) RETURN n; MATCH (n) DETACH DELETE n",
    "RETURN 'a;b' AS s; CREATE (:Incident {id: 'x'})",
    "RETURN 'it\\'s' AS s CREATE (:Incident {id: 'x'})",
    'RETURN "/*" AS s CREATE (:Incident {id: \'x\'}) RETURN "*/" AS t',
    "RETURN 1 AS `a``b` CREATE (:Incident {id: 'x'})",
    "EXPLAIN CREATE (:Incident {id: 'x'})",
]
# What the network must not be asked for while testing (the check alone is tested on them).
OFFLINE = [w for w in WRITES if "http" not in w]
# Statements the read-only account must refuse outright (not merely fail to do anything).
SERVER_REFUSES = [
    "CREATE (:Incident {id: 'x'})",
    "MERGE (:Incident {id: 'x'})",
    "MATCH (i:Incident {id: 'log:1'}) SET i.category = 'noise'",
    "MATCH (i:Incident) REMOVE i.category",
    "MATCH (i:Incident {id: 'log:5'}) DELETE i",
    "MATCH (n) DETACH DELETE n",
    "MATCH (i:Incident) FOREACH (x IN [1] | SET i.category = 'noise')",
    "CALL { CREATE (:Incident {id: 'x'}) RETURN 1 AS one } RETURN one",
    "CREATE INDEX evil IF NOT EXISTS FOR (n:Incident) ON (n.text)",
    "DROP INDEX incident_category",
    "DROP CONSTRAINT plate_id_key",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CREATE USER evil SET PASSWORD 'evil-password'",
]
READS = [
    "RETURN 'CREATE' AS s",
    'RETURN "DETACH DELETE" AS s',
    "RETURN 'it\\'s; CREATE' AS s",
    "/* CREATE */ RETURN 1 AS one",
    "RETURN 1 AS one // CREATE (n)",
    "RETURN 1 AS `CREATE`",
    "RETURN 1 AS delete",
    "RETURN $set AS value",
    "MATCH (i:Incident) RETURN i.set AS s LIMIT 1",
    "RETURN 1 AS one;",
    "CALL db.labels()",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.relationshipTypes()",
    "CALL { MATCH (i:Incident) RETURN i.id AS id } RETURN id",
    "MATCH (i:Incident) CALL (i) { RETURN i.category AS c } RETURN c",
    "EXPLAIN MATCH (n) RETURN n",
]


@pytest.fixture
def reader(graph: Graph, graph_server: EmbeddedServer) -> Target:
    """The read-only user on the embedded server (Neo4j enforces the console's READ sessions itself)."""
    return graph_server.target(READER_USER) if graph.dialect.flavour == "arcadedb" else graph.target


def build(graph: Graph, incidents: int = 6) -> None:
    """Incidents log:1…, a person and a plate two of them involve, one near repeat; through the store."""
    rows = [
        {"id": f"log:{n}", "source": "test", "props": {"category": "burglary", "text": f"Cambriolage {n}"}}
        for n in range(1, incidents + 1)
    ]
    with graph.session() as s:
        store.merge_incidents(s, rows)
        store.merge_entities(s, "Person", [{"id": "a1b2c3d4e5f6a7b8c9d0e1f2", "pseudonym": "P-A1B2C3D4"}])
        store.merge_entities(s, "Plate", [{"id": "AB-123-CD"}])
        for label, entity in (("Person", "a1b2c3d4e5f6a7b8c9d0e1f2"), ("Plate", "AB-123-CD")):
            links = [{"incident": f"log:{n}", "id": entity, "role": "suspect"} for n in (1, 2)]
            store.link_involved(s, label, links)
        near = [{"a": "log:2", "b": "log:1", "props": {"metres": 40.0}}]
        s.run(queries.create_links("NEAR_REPEAT"), rows=near).consume()


def snapshot(graph: Graph, server: EmbeddedServer) -> tuple[int, int, str, list[str], str]:
    """Node and relationship counts, a checksum of every label and property, the schema, the server's users."""
    with graph.session() as s:
        nodes = sorted(
            json.dumps([sorted(r["labels"]), r["props"]], sort_keys=True, default=str)
            for r in s.run("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
        )
        rels = sorted(
            json.dumps([r["a"], r["type"], r["b"], r["props"]], sort_keys=True, default=str)
            for r in s.run(
                "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b, properties(r) AS props"
            )
        )
        schema = sorted(
            f"{r.get('name')} {r.get('labelsOrTypes')} {r.get('properties')}" for r in store.show_indexes(s)
        )
        counts = store.count_nodes(s), store.count_relationships(s)
    checksum = hashlib.sha256("\n".join(nodes + rels).encode()).hexdigest()
    config = server.home.graph_root / "config"
    assert (config / "server-users.jsonl").is_file()
    users = "".join(hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(config.glob("server-*")))
    return counts[0], counts[1], checksum, schema, users


# ---------------------------------------------------------------- the check alone


@pytest.mark.parametrize("statement", WRITES)
def test_the_check_refuses_each_write(statement: str) -> None:
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement(statement)
    assert err.value.message.startswith("Statement refused: ") and "(line " in err.value.message
    assert err.value.hint


@pytest.mark.parametrize("statement", READS)
def test_the_check_lets_reads_through(statement: str) -> None:
    assert statement_check.check_statement(statement) == statement.rstrip(";")


def test_refusals_name_the_word_line_and_column() -> None:
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement("MATCH (i:Incident)\nWITH i\n  /* x */ sEt i.category = 'noise'")
    assert err.value.message == "Statement refused: SET, which writes to the graph (line 3, column 11)"
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement("RETURN 1 AS one; RETURN 2 AS two")
    assert err.value.message == "Statement refused: several statements (line 1, column 16)"
    with pytest.raises(InvalidInput) as err:
        statement_check.check_statement("CALL apoc.meta.graph()")
    assert err.value.message.startswith("Statement refused: CALL apoc.meta.graph, which is not an allowed")
    assert "db.labels" in err.value.hint


def test_unterminated_strings_and_comments_and_empty_statements_are_refused() -> None:
    for statement, what in (("RETURN 'x", "an unterminated string"), ("RETURN 1 /* x", "an unterminated /*")):
        with pytest.raises(InvalidInput, match=what):
            statement_check.check_statement(statement)
    for empty in ("", "  ;", "// only a comment"):
        with pytest.raises(InvalidInput, match="The statement is empty"):
            statement_check.check_statement(empty)


def test_the_tokenizer_reads_strings_names_and_comments_as_cypher_does() -> None:
    tokens = statement_check.tokenize("RETURN 'a\\'b' AS `x``y`, \"c\" /* CREATE */ // DELETE\n, 1CREATE")
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "RETURN"), ("string", "'a\\'b'"), ("word", "AS"), ("name", "x`y"), ("symbol", ","),
        ("string", '"c"'), ("symbol", ","), ("number", "1"), ("word", "CREATE"),
    ]  # fmt: skip
    # a // comment ends at any line break, as the server's does (tests/graph/test_console_corpus.py)
    for line_break in ("\n", "\r", "\r\n", "\u2028", "\x85"):
        tokens = statement_check.tokenize(f"RETURN 1 // x{line_break}DELETE")
        assert [t.text for t in tokens] == ["RETURN", "1", "DELETE"]


# ---------------------------------------------------------------- against the server


def test_write_attempts_are_refused_and_change_nothing(
    graph: Graph, reader: Target, graph_server: EmbeddedServer
) -> None:
    apply_schema(graph, ontology())
    build(graph)
    before = snapshot(graph, graph_server)
    assert before[:2] == (8, 5)
    for statement in OFFLINE:
        with pytest.raises(InvalidInput):
            console.run_query(reader, statement)
    slipped = []
    for statement in OFFLINE:  # the check off: the account is the guard
        try:
            console.execute(reader, statement)
        except RecoupeError:
            continue
        slipped.append(statement)
    assert snapshot(graph, graph_server) == before
    # those the server accepted did nothing (a DROP … IF EXISTS of nothing, an EXPLAIN, a failed CALL …)
    assert not set(slipped) & set(SERVER_REFUSES), slipped


@pytest.mark.parametrize("statement", SERVER_REFUSES)
def test_a_write_past_the_check_is_refused_by_the_server(
    graph: Graph, reader: Target, graph_server: EmbeddedServer, statement: str
) -> None:
    apply_schema(graph, ontology())
    build(graph)
    before = snapshot(graph, graph_server)
    with pytest.raises(GraphQueryError) as err:
        console.execute(reader, statement)
    if graph.dialect.flavour == "arcadedb":
        assert err.value.hint.startswith("this account may only read"), err.value.one_line()
    assert snapshot(graph, graph_server) == before


def test_reads_show_nodes_relationships_and_paths(graph: Graph, reader: Target) -> None:
    build(graph)
    result = console.run_query(
        reader,
        "MATCH p = (a:Incident)-[r:NEAR_REPEAT]->(b:Incident) RETURN a, r, b.id AS b, p, r.metres AS metres",
    )
    assert result.columns == ["a", "r", "b", "p", "metres"]
    assert [console.cell_text(v) for v in result.rows[0]] == [
        "(:Incident {id: 'log:2'})", "[:NEAR_REPEAT]", "log:1",
        "(:Incident {id: 'log:2'})-[:NEAR_REPEAT]->(:Incident {id: 'log:1'})", "40.0",
    ]  # fmt: skip
    back = console.run_query(
        reader, "MATCH p = (:Incident {id: 'log:1'})<-[:NEAR_REPEAT]-(:Incident) RETURN p"
    )
    assert (
        console.cell_text(back.rows[0][0])
        == "(:Incident {id: 'log:1'})<-[:NEAR_REPEAT]-(:Incident {id: 'log:2'})"
    )
    doc = result.as_dict()
    assert doc["rows"][0][0] == {
        "labels": ["Incident"],
        "properties": {"id": "log:2", "category": "burglary", "text": "Cambriolage 2"},
    }
    assert doc["rows"][0][1] == {"type": "NEAR_REPEAT", "properties": {"metres": 40.0}}
    assert (doc["truncated"], doc["timed_out"], doc["row_count"]) == (False, False, 1)
    text = console.table(result)
    header, rule, row, count = text.splitlines()
    assert [c.strip() for c in header.split(" | ")] == ["a", "r", "b", "p", "metres"]
    assert set(rule) == {"-", "+"} and len(rule) == len(header)
    assert [c.strip() for c in row.split(" | ")] == [
        "(:Incident {id: 'log:2'})", "[:NEAR_REPEAT]", "log:1",
        "(:Incident {id: 'log:2'})-[:NEAR_REPEAT]->(:Incident {id: 'log:1'})"[:59] + "…", "40.0",
    ]  # fmt: skip
    assert count.startswith("(1 row, ")


def test_a_person_is_shown_by_pseudonym_never_by_id(graph: Graph, reader: Target) -> None:
    build(graph)
    result = console.run_query(reader, "MATCH (i:Incident {id: 'log:1'})-[:INVOLVES]->(p:Person) RETURN p")
    assert console.cell_text(result.rows[0][0]) == "(:Person {pseudonym: 'P-A1B2C3D4'})"
    assert result.as_dict()["rows"][0][0] == {"labels": ["Person"], "properties": {"pseudonym": "P-A1B2C3D4"}}
    assert "a1b2c3d4e5f6" not in console.table(result) + json.dumps(result.as_dict())


def test_the_row_cap_truncates_at_exactly_the_limit(graph: Graph, reader: Target) -> None:
    build(graph, incidents=25)
    statement = "MATCH (i:Incident) RETURN i.id AS id ORDER BY id"
    cut = console.run_query(reader, statement, limit=10)
    assert cut.row_count == 10 and cut.truncated
    assert [r[0] for r in cut.rows] == sorted(f"log:{n}" for n in range(1, 26))[:10]
    assert cut.notices == ["Truncated: the first 10 rows are shown, there are more (raise --limit)."]
    exact = console.run_query(reader, statement, limit=25)
    assert exact.row_count == 25 and not exact.truncated and exact.notices == []
    assert not console.run_query(reader, statement, limit=26).truncated


def test_a_huge_result_is_cut_quickly(graph: Graph, reader: Target) -> None:
    began = time.monotonic()
    result = console.run_query(reader, "UNWIND range(1, 3000000) AS x RETURN x", limit=5)
    assert [r[0] for r in result.rows] == [1, 2, 3, 4, 5] and result.truncated
    assert time.monotonic() - began < 1.0  # the rest is abandoned, not read to its end


def test_the_client_time_limit_stops_fetching_and_says_so(graph: Graph, reader: Target) -> None:
    statement = (  # about 5 s of work on the server before its one row
        "UNWIND range(1, 1000) AS x UNWIND range(1, 10000) AS y WITH x * y AS z WHERE z % 7 = 0 RETURN count(*) AS c"
    )
    began = time.monotonic()
    result = console.run_query(reader, statement, timeout_s=0.5)
    assert time.monotonic() - began < 3.0
    assert result.timed_out and result.rows == [] and not result.truncated
    assert result.notices[0].startswith("Stopped after 0.5 s (client time limit): 0 rows received")
    assert console.run_query(reader, "RETURN 1 AS ok").rows == [[1]]  # the server still answers


def test_a_syntax_error_is_one_line_with_a_hint(graph: Graph, reader: Target) -> None:
    with pytest.raises(GraphQueryError) as err:
        console.run_query(reader, "MATCH (n:Incident RETURN n")
    assert "\n" not in err.value.message and err.value.hint == "check the Cypher syntax"


def test_limits_are_checked(reader: Target) -> None:
    with pytest.raises(InvalidInput, match="row limit 0"):
        console.execute(reader, "RETURN 1", limit=0)
    with pytest.raises(InvalidInput, match="not positive"):
        console.execute(reader, "RETURN 1", timeout_s=0)


def test_values_become_json() -> None:
    from neo4j.spatial import WGS84Point
    from neo4j.time import Date, DateTime

    assert console.plain([DateTime(2024, 5, 1, 22, 30, 0), Date(2024, 5, 1), WGS84Point((5.37, 43.29))]) == [
        "2024-05-01T22:30:00.000000000", "2024-05-01", {"srid": 4326, "x": 5.37, "y": 43.29},
    ]  # fmt: skip
    assert console.cell_text({"a": [1, "x", None, True]}) == "{a: [1, 'x', null, true]}"
    assert console.cell_text("two\nlines") == "two\\nlines"
