"""The console's write attempts through the web API: `POST /api/query` with an analyst's token, the app reading
as the embedded server's read-only account (as it does in production). Every attempt of
tests/graph/test_console.py and tests/graph/test_console_corpus.py is a 400 in the API's error shape and the
graph's content fingerprint is unchanged; Cypher in parameter values stays data; a long query stops at the
time limit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask

from recoupe.graph.connection import Graph, connect
from recoupe.graph.home import READER_USER
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.loader import ontology
from recoupe.web import api, create_app, resources
from recoupe.web.auth import accounts
from tests.conftest import wipe
from tests.graph import test_console, test_console_corpus
from tests.graph.test_console import build, snapshot
from tests.web.test_api import checked
from tests.web.test_auth import PASSWORD, HttpsClient

ATTEMPTS = test_console.OFFLINE + test_console_corpus.ATTEMPTS
SLOW = (  # about 5 s of work on the server before its one row (tests/graph/test_console.py)
    "UNWIND range(1, 1000) AS x UNWIND range(1, 10000) AS y WITH x * y AS z WHERE z % 7 = 0 RETURN count(*) AS c"
)


@dataclass
class Console:
    app: Flask
    graph: Graph  # the admin's connection, for the fingerprint
    server: EmbeddedServer
    tokens: dict[str, str]
    before: tuple[int, int, str, list[str], str]

    def post(self, body: dict[str, Any], role: str = "analyst", status: int = 200) -> Any:
        with self.app.test_client() as client:
            response = client.post(
                "/api/query", json=body, headers={"Authorization": f"Bearer {self.tokens[role]}"}
            )
            return checked(response, status)


@pytest.fixture(scope="module")
def corpus(graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    home: Path = tmp_path_factory.mktemp("console-api") / "home"
    target = graph_server.target()
    with connect(target) as graph:
        wipe(graph)
        apply_schema(graph, ontology())
        build(graph)
        app = create_app({"TESTING": True, "RECOUPE_HOME": str(home), "RECOUPE_COOKIE_SECURE": 1,
                          "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": READER_USER,
                          "RECOUPE_GRAPH_PASSWORD": graph_server.home.password(READER_USER),
                          "RECOUPE_GRAPH_DATABASE": target.database or ""})  # fmt: skip
        app.test_client_class = HttpsClient
        users = accounts(app)
        users.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        tokens = {}
        for role in ("analyst", "admin"):
            users.add_user(role, PASSWORD, role)
            tokens[role] = users.create_token(role, "tests")[1]
        yield Console(app, graph, graph_server, tokens, snapshot(graph, graph_server))
        resources.close_graphs(app)


def test_the_app_reads_as_the_read_only_account(corpus: Console) -> None:
    assert corpus.app.config["RECOUPE_GRAPH_USER"] == READER_USER == "recoupe_reader"
    assert corpus.before[:2] == (8, 5)
    assert corpus.post({"statement": "MATCH (i:Incident) RETURN count(i) AS n"})["rows"] == [[6]]


@pytest.mark.parametrize("statement", ATTEMPTS)
def test_each_attempt_is_a_400_and_changes_nothing(corpus: Console, statement: str) -> None:
    error = corpus.post({"statement": statement, "parameters": test_console_corpus.PARAMETERS}, status=400)
    assert error["error"]["code"] == "invalid_input" and "statement" in error["error"]["fields"]
    by_server = error["error"]["fields"]["statement"] == "refused by the graph server"
    assert not by_server, error  # the check refuses every attempt, look-alikes included
    assert "Incident" not in error["error"]["message"]  # no statement nor server message echoed
    assert snapshot(corpus.graph, corpus.server) == corpus.before


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_the_corpus_is_refused_for_every_role_with_the_console(corpus: Console, role: str) -> None:
    for statement in ATTEMPTS:
        corpus.post({"statement": statement}, role=role, status=400)
    assert snapshot(corpus.graph, corpus.server) == corpus.before


@pytest.mark.parametrize(("statement", "parameters", "rows"), test_console_corpus.CYPHER_VALUES)
def test_cypher_in_parameter_values_is_only_data(
    corpus: Console, statement: str, parameters: dict[str, Any], rows: list[list[Any]]
) -> None:
    body = corpus.post({"statement": statement, "parameters": parameters})
    assert body["rows"] == rows and body["truncated"] is False
    assert snapshot(corpus.graph, corpus.server) == corpus.before


@pytest.mark.parametrize(
    ("parameters", "field"),
    [({"a b": 1}, "parameters"), ({"x; CREATE (n)": 1}, "parameters"), (["CREATE (n)"], "parameters")],
)
def test_parameter_names_must_be_names(corpus: Console, parameters: Any, field: str) -> None:
    error = corpus.post({"statement": "RETURN 1 AS one", "parameters": parameters}, status=400)["error"]
    assert error["fields"] == {field: "expected an object of $name: value"}


def test_a_long_query_stops_at_the_time_limit(corpus: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "CONSOLE_TIMEOUT_S", 0.5)
    body = corpus.post({"statement": SLOW})
    assert body["timed_out"] is True and body["rows"] == [] and body["row_count"] == 0
    assert body["seconds"] < 3.0
    assert body["notices"][0].startswith("Stopped after 0.5 s (client time limit): 0 rows received")
    assert corpus.post({"statement": "RETURN 1 AS ok"})["rows"] == [[1]]  # the server still answers
