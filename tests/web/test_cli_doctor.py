"""`recoupe doctor` through the installed command (tests/conftest.py `run_cli`): a good deployment (the embedded
server started by `recoupe db start`) passes every check; each bad setting gives its FAIL line and its fix."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recoupe.graph.connection import connect
from recoupe.graph.home import ADMIN_USER, DataHome
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ontology.errors import GraphQueryError
from recoupe.web.cli_doctor import _address, defines, is_loopback, listening, server_settings
from tests.conftest import CliResult, free_port

Run = Callable[..., CliResult]
CHECKS = ["graph-bind", "durable-commits", "time-limit", "load-csv", "graph-account", "secret-key", "debug",
          "cookies", "file-modes"]  # fmt: skip


def lines(result: CliResult) -> dict[str, list[str]]:
    """The output's lines by check name: 'status message — fix: …'."""
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines()[:-1]:
        status, name, rest = line.split(maxsplit=2)
        found.setdefault(name, []).append(f"{status} {rest}")
    return found


@pytest.fixture
def started(run_cli: Run, cli_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The embedded graph server of `cli_env`'s data directory, running; stopped afterwards."""
    for _ in range(3):  # a free port can be taken by another test's server before ours binds it
        result = run_cli("db", "start", env=cli_env)
        if result.code == 0 or "already in use" not in result.stderr:
            break
        cli_env.update(RECOUPE_GRAPH_BOLT_PORT=str(free_port()), RECOUPE_GRAPH_HTTP_PORT=str(free_port()))
    assert result.code == 0, result.stderr
    try:
        yield cli_env
    finally:
        run_cli("db", "stop", env=cli_env)


def test_a_good_deployment_passes(run_cli: Run, started: dict[str, str]) -> None:
    result = run_cli("doctor", env=started)
    assert result.code == 0, result.stdout + result.stderr
    found = lines(result)
    assert list(found) == CHECKS and all(v[0].startswith("ok ") for v in found.values()), result.stdout
    ports = sorted(int(started[k]) for k in ("RECOUPE_GRAPH_BOLT_PORT", "RECOUPE_GRAPH_HTTP_PORT"))
    assert found["graph-bind"] == [f"ok the running graph server listens on loopback only (ports {ports[0]}, "
                                   f"{ports[1]})"]  # fmt: skip
    assert found["durable-commits"] == [
        "ok the graph server runs with arcadedb.txWalFlush=2: commits are synced"
    ]
    assert found["time-limit"] == ["ok statements stop after 300 s on the graph server"]
    assert result.stdout.splitlines()[-1] == "0 to fix, 0 to review"
    document = json.loads(run_cli("doctor", "--json", env=started).stdout)
    assert document["ok"] is True and [c["name"] for c in document["checks"]] == CHECKS
    pid = json.loads(run_cli("db", "status", "--json", env=started).stdout)["pid"]
    bound = listening(pid)  # the sockets the server's own process listens on: its two ports, nothing else
    assert {port for _, port in bound} == set(ports) and all(is_loopback(address) for address, _ in bound), (
        bound
    )


def test_a_reader_account_that_may_write_fails(run_cli: Run, started: dict[str, str]) -> None:
    groups_file = Path(started["RECOUPE_HOME"]) / "graph" / "config" / "server-groups.json"
    groups = json.loads(groups_file.read_text())
    reader = groups["databases"]["*"]["groups"]["recoupe_reader"]
    assert reader["types"]["*"]["access"] == ["readRecord"] and reader["access"] == []
    reader["types"]["*"]["access"].append("updateRecord")
    groups_file.write_text(json.dumps(groups))
    result = run_cli("doctor", env=started)
    assert result.code == 1 and lines(result)["graph-account"][0].startswith(
        "FAIL the viewer's read-only account recoupe_reader may updateRecord — fix: restore "
    ), result.stdout


def test_the_embedded_server_has_load_csv_but_reads_no_file_nor_url(started: dict[str, str]) -> None:
    """ArcadeDB does have LOAD CSV: the doctor's settings switch off both its file and its URL branches."""
    home = DataHome(Path(started["RECOUPE_HOME"]))
    server = EmbeddedServer(ServerSettings(home=home.path, bolt_port=int(started["RECOUPE_GRAPH_BOLT_PORT"]),
                                           http_port=int(started["RECOUPE_GRAPH_HTTP_PORT"])))  # fmt: skip
    with connect(server.target(ADMIN_USER)) as graph:
        for url, setting in (("file:///etc/passwd", "allowFileUrls"),
                             ("https://example.org/incidents.csv", "allowRemoteUrls")):  # fmt: skip
            with pytest.raises(GraphQueryError) as err, graph.session() as session:
                session.run(f"LOAD CSV FROM '{url}' AS line RETURN line").consume()
            assert "disabled" in err.value.message and setting in err.value.message, err.value.one_line()


def test_each_bad_setting_fails_with_its_fix(run_cli: Run, cli_env: dict[str, str]) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    (home / "secrets").mkdir(parents=True)
    os.chmod(home, 0o755)
    key = home / "secrets" / "pseudonym.key"
    key.write_text("00" * 32 + "\n")
    os.chmod(key, 0o644)
    env = {**cli_env, "RECOUPE_GRAPH_HOST": "0.0.0.0", "RECOUPE_GRAPH_COMMAND_TIMEOUT": "0",
           "RECOUPE_COOKIE_SECURE": "0", "FLASK_DEBUG": "1"}  # fmt: skip
    result = run_cli("doctor", env=env)
    assert result.code == 1, result.stdout + result.stderr
    found = lines(result)
    assert found["graph-bind"] == ["FAIL RECOUPE_GRAPH_HOST=0.0.0.0: the graph server would listen beyond this "
                                   "machine — fix: set RECOUPE_GRAPH_HOST=127.0.0.1"]  # fmt: skip
    assert (
        found["time-limit"][0].startswith("FAIL no command time limit")
        and "RECOUPE_GRAPH_COMMAND_TIMEOUT" in (found["time-limit"][0])
    )
    assert found["debug"] == ["FAIL Flask debug mode is on (FLASK_DEBUG): tracebacks and a debugger reach the "
                              "browser — fix: unset FLASK_DEBUG"]  # fmt: skip
    assert (
        found["cookies"][0].startswith("FAIL RECOUPE_COOKIE_SECURE=0")
        and "set RECOUPE_COOKIE_SECURE=1" in (found["cookies"][0])
    )
    assert found["file-modes"] == [
        f"FAIL {home} has mode 0755: other users of the machine can read it — fix: run `chmod 700 {home}`",
        f"FAIL {home / 'secrets'} has mode 0755: other users of the machine can read it — fix: run "
        f"`chmod 700 {home / 'secrets'}`",
        f"FAIL {key} has mode 0644: other users of the machine can read it — fix: run `chmod 600 {key}`",
    ]
    assert found["durable-commits"][0].startswith("ok ") and found["load-csv"][0].startswith("ok ")
    assert result.stdout.splitlines()[-1] == "7 to fix, 1 to review"
    document = json.loads(run_cli("doctor", "--json", env=env).stdout)
    failed = [c["name"] for c in document["checks"] if c["status"] == "fail"]
    assert document["ok"] is False and failed == ["graph-bind", "time-limit", "debug", "cookies", "file-modes",
                                                  "file-modes", "file-modes"]  # fmt: skip
    assert all(c["fix"] for c in document["checks"] if c["status"] == "fail")
    assert stat.S_IMODE(key.stat().st_mode) == 0o644  # the doctor says what to fix; it changes nothing


@pytest.mark.parametrize(
    ("url", "user", "bind", "account", "code"),
    [
        ("bolt://192.0.2.10:7687", "neo4j", "FAIL", "FAIL", 1),
        ("neo4j+s://graph.example.org:7687", "recoupe_app", "warn", "warn", 0),
        ("bolt://127.0.0.1:7687", "root", "ok", "FAIL", 1),
    ],
)
def test_an_external_graph(
    run_cli: Run, cli_env: dict[str, str], url: str, user: str, bind: str, account: str, code: int
) -> None:
    result = run_cli("doctor", env={**cli_env, "RECOUPE_GRAPH_URL": url, "RECOUPE_GRAPH_USER": user})
    found = lines(result)
    assert result.code == code and found["graph-bind"][0].split()[0] == bind, result.stdout
    assert found["graph-account"][0].split()[0] == account
    if account == "FAIL":
        assert f"as the administrator '{user}'" in found["graph-account"][0]
    assert all(found[name][0].startswith("warn not checked") for name in ("durable-commits", "load-csv"))


def test_addresses_as_proc_net_writes_them() -> None:
    assert _address("0100007F") == "127.0.0.1" and _address("00000000") == "0.0.0.0"
    assert _address("00000000000000000000000001000000") == "::1"
    assert _address("0000000000000000FFFF00000100007F") == "::ffff:7f00:1"  # ::ffff:127.0.0.1, as Java binds
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "::ffff:7f00:1", "localhost", "0.0.0.0", "::",
                                     "10.0.0.1", "graph.example.org")] == [True] * 4 + [False] * 4  # fmt: skip
    assert defines(["java", "-Da=1", "-Db=x=y", "-cp", "-D"]) == {"a": "1", "b": "x=y", "": ""}
    assert server_settings(os.getpid()) is not None and server_settings(2**22 + 1) is None
