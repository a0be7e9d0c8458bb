"""Test harness on real components: one embedded graph server per test session, on a free loopback port.

The server's JVM is tied to this process (Linux PR_SET_PDEATHSIG), so it dies with pytest even when pytest is
killed; the session fixture also stops it normally. Each `graph` test starts from an empty graph with no schema.
With RECOUPE_TEST_NEO4J_URL set (and RECOUPE_TEST_NEO4J_USER / _PASSWORD / _DATABASE), graph tests also run
against that Neo4j.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from recoupe.graph.connection import Graph, Target, connect
from recoupe.graph.server import EmbeddedServer, ServerSettings

REPO = Path(__file__).resolve().parent.parent
RECOUPE = Path(sys.executable).with_name("recoupe")
NEO4J_URL = os.environ.get("RECOUPE_TEST_NEO4J_URL", "")
BACKENDS = ["arcadedb", *(["neo4j"] if NEO4J_URL else [])]


def settings_for(home: Path, **overrides: object) -> ServerSettings:
    """Server settings for a test: free ports, a small heap, a generous start timeout for a loaded machine."""
    values: dict[str, object] = {
        "home": home,
        "bolt_port": 0,
        "http_port": 0,
        "heap": "512m",
        "start_timeout_s": 120.0,
    }
    values.update(overrides)
    return ServerSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def graph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(settings_for(tmp_path_factory.mktemp("session") / "home"))
    server.start(tie_to_parent=True)
    try:
        yield server
    finally:
        server.stop()


def neo4j_target() -> Target:
    return Target(
        url=NEO4J_URL,
        user=os.environ.get("RECOUPE_TEST_NEO4J_USER", "neo4j"),
        password=os.environ.get("RECOUPE_TEST_NEO4J_PASSWORD", ""),
        database=os.environ.get("RECOUPE_TEST_NEO4J_DATABASE") or None,
        hint="check RECOUPE_TEST_NEO4J_URL",
    )


@pytest.fixture(params=BACKENDS)
def graph(request: pytest.FixtureRequest, graph_server: EmbeddedServer) -> Iterator[Graph]:
    """An admin connection to an empty graph without schema (isolated from the other tests)."""
    target = graph_server.target() if request.param == "arcadedb" else neo4j_target()
    with connect(target) as g:
        wipe(g)
        yield g


def wipe(g: Graph) -> None:
    """Delete every node and drop every constraint and index Recoupe could have made."""
    with g.session() as s:
        s.run("MATCH (n) DETACH DELETE n").consume()
        for row in s.run("SHOW CONSTRAINTS").data():
            s.run(f"DROP CONSTRAINT {row['name']} IF EXISTS").consume()
        for row in s.run("SHOW INDEXES").data():
            if row.get("type") != "LOOKUP" and not row.get("owningConstraint"):
                s.run(f"DROP INDEX {row['name']} IF EXISTS").consume()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment for `recoupe`: own data directory, free ports, no inherited RECOUPE_* (cwd has no recoupe.toml)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOUPE_")}
    env.update(
        RECOUPE_HOME=str(tmp_path / "home"),
        RECOUPE_GRAPH_BOLT_PORT=str(free_port()),
        RECOUPE_GRAPH_HTTP_PORT=str(free_port()),
        RECOUPE_GRAPH_HEAP="512m",
    )
    return env


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the installed `recoupe` command as a user would, in a temporary working directory."""

    def run(*args: str, env: dict[str, str], timeout: float = 180.0) -> CliResult:
        done = subprocess.run(
            [str(RECOUPE), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=timeout
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


def jvm_pids_for(home: Path) -> list[int]:
    """Live graph-server JVMs whose root is under `home` (to prove none was left behind)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if "ArcadeDBServer" in cmdline and f"rootPath={home}" in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids
