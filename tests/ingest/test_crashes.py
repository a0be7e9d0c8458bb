"""Crashes: `kill -9` of `recoupe ingest logs` at seeded random points, and of the graph server during an
ingestion; each rerun converges to the graph of an uninterrupted ingestion (counts and a content fingerprint),
acknowledged writes survive, and the web app answers 503 while the graph is down and recovers by itself.

The module runs its own graph server (fixed loopback ports, so a restarted server is where the app expects it)
and one data directory for all its runs, so that every run pseudonymises with the same key.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from recoupe.graph.connection import Graph, Target, connect
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.ontology.loader import ontology
from recoupe.web import create_app, resources
from recoupe.web.auth import accounts
from tests.conftest import RECOUPE, CliResult, free_port, settings_for, wipe

RUNS = 10
SEED = 9
LOGS = 80  # a small demo-city file: the runs' size is cut, not their number
BATCH = "8"
# Properties that say when, not what: the time of the source's last ingestion (set at every commit).
VOLATILE = {"Source": {"ingested_at"}}
Run = Callable[..., CliResult]
Fingerprint = tuple[int, int, str]
REFERENCE: dict[str, tuple[Fingerprint, list[str], float]] = {}  # computed once, by the first test needing it


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    home = tmp_path_factory.mktemp("crashes") / "graph"
    graph_server = EmbeddedServer(settings_for(home, bolt_port=free_port(), http_port=free_port()))
    graph_server.start(tie_to_parent=True)
    try:
        yield graph_server
    finally:
        graph_server.stop()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crash-city")
    generate(DemoSettings(out=out, logs=LOGS, days=20, seed=SEED))
    return out / "logs.csv"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash-home") / "home"


@pytest.fixture
def env(cli_env: dict[str, str], home: Path, server: EmbeddedServer) -> dict[str, str]:
    target = server.target()
    return {**cli_env, "RECOUPE_HOME": str(home), "RECOUPE_GRAPH_URL": target.url,
            "RECOUPE_GRAPH_USER": target.user, "RECOUPE_GRAPH_PASSWORD": target.password,
            "RECOUPE_GRAPH_DATABASE": target.database or ""}  # fmt: skip


def content(graph: Graph) -> tuple[Fingerprint, list[str]]:
    """Node and relationship counts and a checksum of every label and property (volatile ones left out)."""
    with graph.session() as s:
        nodes = [
            json.dumps([sorted(r["labels"]), _stable(r["labels"], r["props"])], sort_keys=True, default=str)
            for r in s.run("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
        ]
        rels = [
            json.dumps([r["a"], r["type"], r["b"], r["props"]], sort_keys=True, default=str)
            for r in s.run(
                "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b, properties(r) AS props"
            )
        ]
    lines = sorted(nodes) + sorted(rels)
    return (len(nodes), len(rels), hashlib.sha256("\n".join(lines).encode()).hexdigest()), lines


def _stable(labels: list[str], props: dict[str, object]) -> dict[str, object]:
    volatile = set().union(*(VOLATILE.get(label, set()) for label in labels))
    return {k: v for k, v in props.items() if k not in volatile}


def _empty(target: Target) -> None:
    with connect(target) as g:
        wipe(g)
        apply_schema(g, ontology())


def _ingest(logs: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(RECOUPE), "ingest", "logs", str(logs), "--batch-size", BATCH], env=env, cwd=cwd,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _rerun(run_cli: Run, logs: Path, env: dict[str, str]) -> dict[str, object]:
    done = run_cli("ingest", "logs", str(logs), "--batch-size", BATCH, "--json", env=env)
    assert done.code == 0, done.stderr
    summary: dict[str, object] = json.loads(done.stdout)
    return summary


def reference(
    server: EmbeddedServer, run_cli: Run, logs: Path, env: dict[str, str], cwd: Path
) -> tuple[Fingerprint, list[str], float]:
    """The graph of one uninterrupted ingestion, and how long its writes took (from the first batch seen to
    the last; the link rules come after)."""
    if "graph" not in REFERENCE:
        _empty(server.target())
        with connect(server.target()) as g:
            child = _ingest(logs, env, cwd)
            first = _first_batch(g, child)
            while child.poll() is None and len(_incident_ids(g)) < LOGS:
                time.sleep(0.02)
            writes = time.monotonic() - first
            assert child.wait(timeout=300) == 0, child.stderr.read() if child.stderr else ""
            assert len(_incident_ids(g)) == LOGS
            REFERENCE["graph"] = (*content(g), writes)
    return REFERENCE["graph"]


def _first_batch(graph: Graph, child: subprocess.Popen[bytes]) -> float:
    """When the child's first batch became visible (extraction's start-up is over)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        with graph.session() as s:
            if s.run("MATCH (i:Incident) RETURN count(i) AS n").single(strict=True)["n"]:
                break
        time.sleep(0.05)
    return time.monotonic()


def _same(graph: Graph, expected: tuple[Fingerprint, list[str], float], what: str) -> Fingerprint:
    found, lines = content(graph)
    if found != expected[0]:
        missing, extra = sorted(set(expected[1]) - set(lines)), sorted(set(lines) - set(expected[1]))
        pytest.fail(f"{what}: {found[:2]} != {expected[0][:2]}; missing {missing[:3]}; extra {extra[:3]}")
    return found


def _incident_ids(graph: Graph) -> set[str]:
    with graph.session() as s:
        return {r["id"] for r in s.run("MATCH (i:Incident) RETURN i.id AS id")}


# ten ingestions, each killed then run again: 250 s on a quiet machine, over 300 s on a busy one
@pytest.mark.timeout(600)
def test_kill_9_of_the_ingestion_at_random_points(
    server: EmbeddedServer, run_cli: Run, logs: Path, env: dict[str, str], tmp_path: Path
) -> None:
    expected = reference(server, run_cli, logs, env, tmp_path)
    draw = random.Random(SEED)
    partials, killed = [], 0
    for n in range(RUNS):
        _empty(server.target())
        with connect(server.target()) as g:
            child = _ingest(logs, env, tmp_path)
            _first_batch(g, child)
            time.sleep(draw.uniform(0.0, 1.2) * expected[2])  # mostly during the writes, else the link rules
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                killed += 1
            child.wait()
            partials.append(len(_incident_ids(g)))
            summary = _rerun(run_cli, logs, env)
            assert summary["created"] == LOGS - partials[-1]
            _same(g, expected, f"run {n} (killed with {partials[-1]} incidents written)")
    print(f"fingerprint {expected[0]}, writes {expected[2]:.1f} s; {killed} killed with {partials} incidents")
    assert killed >= RUNS // 2
    # kills land mid-file (whole batches only) or after the last batch, during the link rules
    assert sum(0 < p < LOGS for p in partials) >= 3 and all(p % int(BATCH) == 0 for p in partials), partials


def test_kill_9_of_the_graph_server_during_an_ingestion(
    server: EmbeddedServer, run_cli: Run, logs: Path, env: dict[str, str], tmp_path: Path
) -> None:
    expected = reference(server, run_cli, logs, env, tmp_path)
    _empty(server.target())
    child = _ingest(logs, env, tmp_path)
    acknowledged: set[str] = set()
    with connect(server.target()) as g:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None and len(acknowledged) < LOGS // 3:
            acknowledged = _incident_ids(g)  # committed: another connection reads them
            time.sleep(0.1)
    assert child.poll() is None and 0 < len(acknowledged) < LOGS, "the ingestion was not caught mid-file"
    pid = server.state().pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    child.wait(timeout=180)  # the driver gives up (or, if the server is back in time, finishes)
    server.start(tie_to_parent=True)
    with connect(server.target()) as g:
        assert acknowledged <= _incident_ids(g)  # acknowledged writes survived the kill
        _rerun(run_cli, logs, env)
        found = _same(g, expected, "after the server's kill -9 and restart")
    print(f"server killed with {len(acknowledged)} incidents acknowledged; fingerprint {found}")


def test_the_app_answers_503_while_the_graph_is_down_and_recovers(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    target = server.target()
    app = create_app({"TESTING": True, "RECOUPE_HOME": str(tmp_path / "web"), "RECOUPE_CACHE_SECONDS": 0.0,
                      "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
                      "RECOUPE_GRAPH_PASSWORD": target.password,
                      "RECOUPE_GRAPH_DATABASE": target.database or ""})  # fmt: skip
    users = accounts(app)
    users.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    users.add_user("viewer", "correct horse battery staple", "viewer")
    headers = {"Authorization": f"Bearer {users.create_token('viewer', 'tests')[1]}"}
    client = app.test_client()

    def incidents() -> tuple[int, dict[str, object]]:
        response = client.get("/api/incidents", headers=headers, base_url="https://localhost")
        body: dict[str, object] = response.get_json()
        return response.status_code, body

    try:
        status, body = incidents()
        assert status == 200 and "total" in body, body
        server.stop()
        status, body = incidents()
        assert status == 503, body
        assert body == {"error": {"code": "graph_unavailable",
                                  "message": "Graphe indisponible : réessayez dans un instant."}}  # fmt: skip
        server.start(tie_to_parent=True)
        status, body = incidents()  # the same app, not restarted
        assert status == 200 and "total" in body, body
    finally:
        if not server.state().running:
            server.start(tie_to_parent=True)
        resources.close_graphs(app)
