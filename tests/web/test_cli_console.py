"""`recoupe query` and `recoupe analytics` as a user runs them, in a subprocess, against the session's server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from recoupe.graph import queries, store
from recoupe.graph.analytics import series_id
from recoupe.graph.connection import Graph
from recoupe.graph.server import EmbeddedServer
from tests.conftest import CliResult

PERSON = "0123456789abcdef01234567"
# Imports the commands' module itself, so that the test does not depend on cli.py registering it.
SCRIPT = "import recoupe.web.cli as cli, recoupe.web.cli_console; cli.main()"

Run = Callable[..., CliResult]


@pytest.fixture
def recoupe(cli_env: dict[str, str], graph_server: EmbeddedServer, tmp_path: Path) -> Run:
    """`recoupe …` on the session's embedded server (its data directory gives the URL and the passwords)."""
    env = {**cli_env, "RECOUPE_HOME": str(graph_server.home.path)}

    def run(*args: str, stdin: str | None = None) -> CliResult:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, *args],
            env=env, cwd=tmp_path, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


def small_city(graph: Graph) -> None:
    """log:1…log:12; log:1 and log:2 share a person and a plate, log:3 repeats log:2, log:4 has a plate alone."""
    with graph.session() as s:
        store.merge_incidents(s, [{"id": f"log:{n}", "props": {"category": "theft"}} for n in range(1, 13)])
        store.merge_entities(s, "Person", [{"id": PERSON, "pseudonym": "P-01234567"}])
        store.merge_entities(s, "Plate", [{"id": "AB-123-CD"}, {"id": "ZZ-999-ZZ"}])
        store.link_involved(
            s, "Person", [{"incident": f"log:{n}", "id": PERSON, "role": "suspect"} for n in (1, 2)]
        )
        plates = [("log:1", "AB-123-CD"), ("log:2", "AB-123-CD"), ("log:4", "ZZ-999-ZZ")]
        store.link_involved(s, "Plate", [{"incident": i, "id": p, "role": None} for i, p in plates])
        near = [{"a": "log:3", "b": "log:2", "props": {"rule": "near_repeat"}}]
        s.run(queries.create_links("NEAR_REPEAT"), rows=near).consume()


def one_line_error(result: CliResult) -> str:
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_query_prints_a_table(graph: Graph, recoupe: Run) -> None:
    small_city(graph)
    result = recoupe(
        "query", "MATCH (i:Incident)-[:INVOLVES]->(n) WHERE i.id = 'log:1' RETURN n ORDER BY n.id"
    )
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "n",
        "-----------------------------------",
        "(:Person {pseudonym: 'P-01234567'})",
        "(:Plate {id: 'AB-123-CD'})",
        result.stdout.splitlines()[-1],
    ]
    assert result.stdout.splitlines()[-1].startswith("(2 rows, ")
    assert PERSON not in result.stdout


def test_query_json_and_the_row_cap(graph: Graph, recoupe: Run) -> None:
    small_city(graph)
    result = recoupe("query", "MATCH (i:Incident) RETURN i.id AS id ORDER BY id", "--limit", "5", "--json")
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"columns", "rows", "truncated", "timed_out", "row_count", "seconds", "notices"}
    assert doc["columns"] == ["id"] and doc["rows"] == [
        ["log:1"],
        ["log:10"],
        ["log:11"],
        ["log:12"],
        ["log:2"],
    ]
    assert (doc["truncated"], doc["row_count"], doc["timed_out"]) == (True, 5, False)
    assert doc["notices"] == ["Truncated: the first 5 rows are shown, there are more (raise --limit)."]
    text = recoupe("query", "MATCH (i:Incident) RETURN i.id AS id", "--limit", "12")
    assert "(12 rows, " in text.stdout and "Truncated" not in text.stdout


def test_query_refuses_writes_in_one_line_and_changes_nothing(graph: Graph, recoupe: Run) -> None:
    small_city(graph)
    line = one_line_error(recoupe("query", "MATCH (n) /* tidy up */ DeTaCh DeLeTe n"))
    assert line == (
        "Error: Statement refused: DETACH, which writes to the graph (line 1, column 25) — the console only "
        "reads (MATCH … RETURN); changes go through `recoupe ingest` and `recoupe link`"
    )
    doc = recoupe("query", "CREATE (:Incident {id: 'x'})", "--json")
    assert doc.code == 1 and json.loads(doc.stdout)["error"]["code"] == "invalid_input"
    with graph.session() as s:
        assert (store.count_nodes(s), store.count_relationships(s)) == (15, 6)


def test_query_syntax_errors_are_one_line_with_a_hint(graph: Graph, recoupe: Run) -> None:
    line = one_line_error(recoupe("query", "MATCH (n:Incident RETURN n"))
    assert line.startswith("Error: Syntax error") and line.endswith(" — check the Cypher syntax")


def test_query_reads_a_statement_from_stdin(graph: Graph, recoupe: Run) -> None:
    result = recoupe("query", "-", "--json", stdin="RETURN 'CREATE' AS s;\n")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == [["CREATE"]]


def test_query_timeout_stops_fetching_and_says_so(graph: Graph, recoupe: Run) -> None:
    statement = "UNWIND range(1, 1000) AS x UNWIND range(1, 10000) AS y WITH x * y AS z WHERE z % 7 = 0 RETURN count(*) AS c"
    result = recoupe("query", statement, "--timeout", "0.5")
    assert result.code == 0, result.stderr
    assert "Stopped after 0.5 s (client time limit): 0 rows received" in result.stdout


def test_analytics_text_and_json(graph: Graph, recoupe: Run) -> None:
    small_city(graph)
    text = recoupe("analytics")
    assert text.code == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == (
        "Series: 1 (3 of 12 incidents, linked by 1 NEAR_REPEAT links and 5 people, plates and vehicles they involve)"
    )
    assert lines[1] == "Sizes (incidents ×series): 3 ×1"
    assert lines[3].split() == [series_id("log:1"), "3", "incidents", "theft", "3"]
    assert lines[5].split() == ["P-01234567", "2", "incidents", "0.1667"]
    assert lines[7].split() == ["AB-123-CD", "2", "incidents", "0.1667"]
    assert lines[-1].startswith("Written: 3 incidents' series set, 0 removed, 0 unchanged (")
    assert PERSON not in text.stdout
    doc = json.loads(recoupe("analytics", "--json", "--top", "1").stdout)
    assert (doc["series"], doc["written"], doc["unchanged"]) == (1, 0, 3)
    assert doc["people"] == [{"name": "P-01234567", "incidents": 2, "centrality": 0.166667}]
    assert doc["plates"] == [{"name": "AB-123-CD", "incidents": 2, "id": "AB-123-CD", "centrality": 0.166667}]
    assert PERSON not in json.dumps(doc)
