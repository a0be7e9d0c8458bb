"""The `recoupe` command as a user runs it: start, status, stop, init, and one-line errors for bad situations."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from recoupe.graph.home import ADMIN_USER
from recoupe.graph.server import EmbeddedServer
from tests.conftest import CliResult, free_port, jvm_pids_for

Run = Callable[..., CliResult]


def _one_line_error(result: CliResult) -> str:
    assert result.code == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.mark.slow
def test_start_status_init_stop(run_cli: Run, cli_env: dict[str, str]) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    port = cli_env["RECOUPE_GRAPH_BOLT_PORT"]
    try:
        before = run_cli("db", "status", env=cli_env)
        assert before.code == 3 and "Graph server not running" in before.stdout

        started = run_cli("db", "start", "--json", env=cli_env)
        assert started.code == 0, started.stderr
        info = json.loads(started.stdout)
        assert info["status"] == "started" and info["url"] == f"bolt://127.0.0.1:{port}"
        assert info["database"] == "recoupe" and info["home"] == str(home) and info["seconds"] > 0

        again = run_cli("db", "start", env=cli_env)
        assert again.code == 0 and again.stdout.startswith("Graph server already running")

        init = json.loads(run_cli("init", "--json", env=cli_env).stdout)
        assert (len(init["created"]), len(init["present"]), init["node_labels"]) == (31, 0, 14)
        assert json.loads(run_cli("init", "--json", env=cli_env).stdout)["created"] == []

        status = run_cli("db", "status", env=cli_env)
        assert status.code == 0
        assert f"URL:           bolt://127.0.0.1:{port}" in status.stdout
        assert f"Data dir:      {home}" in status.stdout
        assert "Nodes:         0" in status.stdout and "Relationships: 0" in status.stdout
        doc = json.loads(run_cli("db", "status", "--json", env=cli_env).stdout)
        assert doc["running"] and doc["nodes"] == 0 and doc["pid"] == info["pid"]

        stopped = run_cli("db", "stop", env=cli_env)
        assert stopped.code == 0 and stopped.stdout.strip() == f"Graph server stopped (pid {info['pid']})."
        assert run_cli("db", "stop", env=cli_env).stdout.strip() == "Graph server was not running."
        assert run_cli("db", "status", env=cli_env).code == 3
    finally:
        run_cli("db", "stop", env=cli_env)
    assert jvm_pids_for(home) == []


def test_unreachable_graph_url(run_cli: Run, cli_env: dict[str, str]) -> None:
    url = f"bolt://127.0.0.1:{free_port()}"
    result = run_cli("db", "status", env={**cli_env, "RECOUPE_GRAPH_URL": url})
    assert _one_line_error(result) == (
        f"Error: Cannot reach the graph at {url} — check that the server at RECOUPE_GRAPH_URL is up and reachable"
    )


def test_debug_shows_the_traceback(run_cli: Run, cli_env: dict[str, str]) -> None:
    url = f"bolt://127.0.0.1:{free_port()}"
    result = run_cli("--debug", "init", env={**cli_env, "RECOUPE_GRAPH_URL": url})
    assert result.code == 1 and "Traceback" in result.stderr and "GraphUnavailable" in result.stderr


def test_init_without_a_running_server_says_what_to_do(
    run_cli: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "never-started"
    line = _one_line_error(run_cli("init", env={**cli_env, "RECOUPE_HOME": str(home)}))
    assert line == (
        f"Error: The embedded graph server is not running (data directory {home}) — "
        "run `recoupe db start`, or set RECOUPE_GRAPH_URL to use another server"
    )


def test_wrong_password(run_cli: Run, cli_env: dict[str, str], graph_server: EmbeddedServer) -> None:
    url = graph_server.target().url
    env = {
        **cli_env,
        "RECOUPE_GRAPH_URL": url,
        "RECOUPE_GRAPH_USER": ADMIN_USER,
        "RECOUPE_GRAPH_PASSWORD": "wrong",
    }
    line = _one_line_error(run_cli("db", "status", env=env))
    assert line == (
        f"Error: The graph at {url} refused the credentials of user 'root' — "
        "check RECOUPE_GRAPH_USER and RECOUPE_GRAPH_PASSWORD"
    )


def test_external_graph_status_and_refusal_to_start(
    run_cli: Run, cli_env: dict[str, str], graph_server: EmbeddedServer
) -> None:
    target = graph_server.target()
    env = {**cli_env, "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
           "RECOUPE_GRAPH_PASSWORD": target.password, "RECOUPE_GRAPH_DATABASE": "recoupe"}  # fmt: skip
    doc = json.loads(run_cli("db", "status", "--json", env=env).stdout)
    assert doc["embedded"] is False and doc["url"] == target.url and "ArcadeDB" in doc["server"]
    line = _one_line_error(run_cli("db", "start", env=env))
    assert "Recoupe uses that server and does not start one" in line
    assert not Path(cli_env["RECOUPE_HOME"]).exists()


def test_malformed_graph_url(run_cli: Run, cli_env: dict[str, str]) -> None:
    line = _one_line_error(
        run_cli("db", "status", env={**cli_env, "RECOUPE_GRAPH_URL": "http://example:7474"})
    )
    assert "is not a Bolt URL" in line and "use bolt://host:port" in line


def test_port_in_use(run_cli: Run, cli_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(cli_env["RECOUPE_GRAPH_BOLT_PORT"])))
        busy.listen()
        line = _one_line_error(run_cli("db", "start", env=cli_env))
    assert f"Port {cli_env['RECOUPE_GRAPH_BOLT_PORT']} on 127.0.0.1 is already in use" in line
    assert not Path(cli_env["RECOUPE_HOME"]).exists()


def test_corrupt_data_directory(run_cli: Run, cli_env: dict[str, str]) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    home.mkdir()
    (home / "recoupe-home.json").write_text("garbage")
    line = _one_line_error(run_cli("db", "start", env=cli_env))
    assert f"The data directory {home} is corrupt" in line and "move it aside" in line
    assert jvm_pids_for(home) == []


def test_json_errors_are_one_document_on_stdout(run_cli: Run, cli_env: dict[str, str]) -> None:
    result = run_cli("db", "status", "--json", env={**cli_env, "RECOUPE_GRAPH_URL": "bolt://127.0.0.1:1"})
    assert result.code == 1
    assert json.loads(result.stdout)["error"]["code"] == "graph_unavailable"


def test_bad_setting_value(run_cli: Run, cli_env: dict[str, str]) -> None:
    line = _one_line_error(run_cli("db", "status", env={**cli_env, "RECOUPE_GRAPH_BOLT_PORT": "seven"}))
    assert line == (
        "Error: RECOUPE_GRAPH_BOLT_PORT = 'seven' (from the environment) is not an integer — "
        "fix RECOUPE_GRAPH_BOLT_PORT in the environment"
    )


def test_help_lists_the_commands(run_cli: Run, cli_env: dict[str, str]) -> None:
    result = run_cli("--help", env=cli_env)
    assert result.code == 0
    for command in ("db", "init", "demo", "settings"):
        assert f"\n  {command} " in result.stdout
    assert run_cli("db", "--help", env=cli_env).stdout.count("\n  ") >= 3  # start, status, stop


def test_demo_data_command(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "city"
    result = run_cli(
        "demo-data", "--out", str(out), "--logs", "300", "--days", "30", "--seed", "9", "--json", env=cli_env
    )
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (
        summary["logs"] == 300 and summary["cameras"] == 300 and sum(summary["by_category"].values()) == 300
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "README.txt", "assets.csv", "camera_outages.csv", "cameras.csv", "logs.csv", "quartiers.geojson", "truth.jsonl",
    ]  # fmt: skip
    assert len((out / "truth.jsonl").read_text(encoding="utf-8").splitlines()) == 300
    refused = run_cli("demo-data", "--out", str(out), "--logs", "0", env=cli_env)
    assert refused.code == 2 and "--logs" in refused.stderr


def test_extract_command(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    logs = tmp_path / "logs.csv"
    logs.write_text(
        "id;reported_at;text\n"
        "PM-1;14/03/2025 23:40;Tapage nocturne au 3 rue Paradis vers 23h15, requérant M. Jean L.\n"
        ";14/03/2025 23:50;sans identifiant\n",
        encoding="utf-8",
    )
    result = run_cli("extract", str(logs), "--source", "PM", env=cli_env)
    assert result.code == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    record = json.loads(line)
    assert record["id"] == "PM-1" and record["category"] == "noise"
    assert (
        record["place"]["name"] == "3 Rue Paradis" and record["occurred_from"] == "2025-03-14T23:00:00+01:00"
    )
    assert {"label": "PERSON", "start": 58, "end": 65, "role": "complainant"} in record[
        "entities"
    ]  # "Jean L."
    assert "rejected (no id): missing id" in result.stderr and "1 logs extracted, 1 rejected" in result.stderr


def test_the_progress_bar_shows_share_rate_and_eta() -> None:
    from recoupe.web.cli_data import progress_bar

    assert progress_bar(500, 2000, 25.0, width=20) == (
        "[#####...............]  25 % · 500/2,000 logs · 25 logs/s · ETA 1:00 "
    )
    assert progress_bar(0, 2000, 0.0, width=10).startswith(
        "[..........]   0 % · 0/2,000 logs · 0 logs/s · ETA ?"
    )
    assert progress_bar(2100, 2000, 40.0, width=10).startswith(
        "[##########] 100 % · 2,100/2,100"
    )  # estimate low
