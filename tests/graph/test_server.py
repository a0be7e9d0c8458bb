"""The embedded server: loopback only, secrets 0600, a read-only user that cannot write, durable commits,
stale pid files, and failures that leave no process and no half-written data directory."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recoupe.graph import store
from recoupe.graph.connection import connect
from recoupe.graph.home import ADMIN_USER, READER_USER, DataHome
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.errors import DataDirError, GraphQueryError, InvalidInput, ServerError
from tests.conftest import jvm_pids_for, settings_for


def _listening(port: int) -> list[str]:
    """Local addresses listening on `port`, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.append(address)
    return found


def test_listens_on_loopback_only(graph_server: EmbeddedServer) -> None:
    state = graph_server.state()
    assert state.running and state.bolt_port and state.http_port
    for port in (state.bolt_port, state.http_port):
        addresses = _listening(port)
        # 127.0.0.1 in /proc's little-endian hex, alone or mapped into IPv6 (::ffff:127.0.0.1)
        assert addresses and all(a in ("0100007F", "0000000000000000FFFF00000100007F") for a in addresses), (
            addresses
        )


def test_server_runs_with_durable_commits_and_no_file_urls(graph_server: EmbeddedServer) -> None:
    pid = graph_server.state().pid
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    assert "-Darcadedb.txWalFlush=2" in args
    assert "-Darcadedb.opencypher.loadCsv.allowFileUrls=false" in args
    assert "-Xmx512m" in args
    assert not any("rootPassword" in a for a in args), "no password on the command line"


def test_load_csv_cannot_read_local_files_even_as_admin(graph_server: EmbeddedServer) -> None:
    with connect(graph_server.target()) as admin, pytest.raises(GraphQueryError), admin.session() as s:
        s.run("LOAD CSV FROM 'file:///etc/hostname' AS row RETURN row").consume()


def test_secrets_are_private(graph_server: EmbeddedServer) -> None:
    home = graph_server.home
    assert stat.S_IMODE(home.path.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.secrets_dir.stat().st_mode) == 0o700
    for user in (ADMIN_USER, READER_USER):
        path = home.secret_path(user)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(home.password(user)) >= 32
    assert home.password(ADMIN_USER) != home.password(READER_USER)


def test_read_only_user_cannot_change_anything(graph_server: EmbeddedServer) -> None:
    with connect(graph_server.target()) as admin, admin.session() as s:
        s.run("MERGE (:Source {id: 'ro-check', name: 'before'})").consume()
        before = store.count_nodes(s)
    writes = [
        "CREATE (:Incident {id: 'ro-write'})",
        "MATCH (s:Source {id: 'ro-check'}) SET s.name = 'after'",
        "MATCH (s:Source {id: 'ro-check'}) DETACH DELETE s",
        "CREATE INDEX ro_index IF NOT EXISTS FOR (n:Incident) ON (n.text)",
        "LOAD CSV FROM 'file:///etc/passwd' AS row CREATE (:Object {id: row[0]})",
    ]
    with connect(graph_server.target(READER_USER)) as reader:
        for statement in writes:
            with pytest.raises(GraphQueryError), reader.session() as s:
                s.run(statement).consume()
        with reader.session() as s:
            assert store.count_nodes(s) == before  # reading works
    with connect(graph_server.target()) as admin, admin.session() as s:
        assert store.count_nodes(s) == before
        assert s.run("MATCH (s:Source {id: 'ro-check'}) RETURN s.name AS name").single()["name"] == "before"
        assert not [r for r in store.show_indexes(s) if r["name"] == "ro_index"]
        s.run("MATCH (s:Source {id: 'ro-check'}) DETACH DELETE s").consume()


@pytest.mark.slow
def test_committed_data_survives_kill_9(tmp_path: Path) -> None:
    server = EmbeddedServer(settings_for(tmp_path / "home"))
    server.start(tie_to_parent=True)
    try:
        with connect(server.target()) as g, g.session() as s:
            s.run("UNWIND range(1, 500) AS i CREATE (:Incident {id: 'k' + toString(i)})").consume()
        pid = server.state().pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while jvm_pids_for(server.home.path) and time.monotonic() < deadline:
            time.sleep(0.1)
        after = server.state()
        assert not after.running and after.stale_pid == pid  # the pid file named a dead server
        server.start(tie_to_parent=True)
        with connect(server.target()) as g, g.session() as s:
            assert store.node_counts_by_label(s) == {"Incident": 500}
    finally:
        server.stop()
    assert jvm_pids_for(server.home.path) == []


def test_pid_file_naming_another_process_is_stale(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = EmbeddedServer(settings_for(home))
    home.mkdir()
    (home / "run").mkdir()
    sleeper = subprocess.Popen(["sleep", "30"])  # a live process that is not a graph server
    try:
        record = {"pid": sleeper.pid, "host": "127.0.0.1", "bolt_port": 1, "http_port": 2,
                  "database": "recoupe", "started_at": "2026-01-01T00:00:00+00:00"}  # fmt: skip
        DataHome(home).pid_file.write_text(json.dumps(record))
        state = server.state()
        assert not state.running and state.stale_pid == sleeper.pid
        assert not DataHome(home).pid_file.exists()
        assert server.stop() is False  # and the unrelated process is untouched
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_port_in_use_fails_cleanly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        home = tmp_path / "home"
        with pytest.raises(ServerError, match=f"Port {port} on 127.0.0.1 is already in use") as err:
            EmbeddedServer(settings_for(home, bolt_port=port)).start()
        assert "RECOUPE_GRAPH_BOLT_PORT" in err.value.hint
    assert not home.exists()  # nothing half-written
    assert jvm_pids_for(home) == []


@pytest.mark.slow
def test_server_not_ready_in_time_is_stopped_and_rolled_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()  # an existing empty directory is kept, and left empty
    with pytest.raises(ServerError, match=r"did not become ready within 0\.3 s") as err:
        EmbeddedServer(settings_for(home, start_timeout_s=0.3)).start()
    assert "RECOUPE_GRAPH_START_TIMEOUT" in err.value.hint
    assert home.is_dir() and list(home.iterdir()) == []
    assert jvm_pids_for(home) == []


def test_the_viewers_accounts_may_precede_the_first_start(tmp_path: Path) -> None:
    """`recoupe users add` before `recoupe db start` creates accounts.db: the first start must still work, and
    a rolled-back first start must not take the accounts with it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "accounts.db").write_bytes(b"SQLite format 3\x00")
    assert DataHome(home).state() is None
    with pytest.raises(ServerError, match="did not become ready"):
        EmbeddedServer(settings_for(home, start_timeout_s=0.3)).start()
    assert [p.name for p in home.iterdir()] == ["accounts.db"]
    server = EmbeddedServer(settings_for(home))
    server.start(tie_to_parent=True)
    try:
        assert DataHome(home).state() == "ready"
    finally:
        server.stop()


def test_refuses_a_directory_that_is_not_recoupes(tmp_path: Path) -> None:
    home = tmp_path / "photos"
    home.mkdir()
    (home / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(DataDirError, match="is not a Recoupe data directory"):
        EmbeddedServer(settings_for(home)).start()
    assert [p.name for p in home.iterdir()] == ["holiday.jpg"]


def test_refuses_a_corrupt_marker(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "recoupe-home.json").write_text("{not json")
    with pytest.raises(DataDirError, match="is corrupt") as err:
        EmbeddedServer(settings_for(home)).start()
    assert "move it aside" in err.value.hint


def test_refuses_a_ready_directory_that_lost_its_secrets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    DataHome(home).write_marker("ready")
    with pytest.raises(DataDirError, match=r"is incomplete: missing secrets/graph-root\.password"):
        EmbeddedServer(settings_for(home)).start()


def test_refuses_a_password_file_others_can_read(graph_server: EmbeddedServer) -> None:
    path = graph_server.home.secret_path(READER_USER)
    os.chmod(path, 0o644)
    try:
        with pytest.raises(DataDirError, match=r"readable by other users \(mode 0644\)") as err:
            graph_server.home.password(READER_USER)
        assert err.value.hint == f"run `chmod 600 {path}`"
    finally:
        os.chmod(path, 0o600)


def test_bad_heap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Heap size '2 GB' is not valid"):
        EmbeddedServer(settings_for(tmp_path, heap="2 GB"))


@pytest.mark.slow
def test_interrupted_first_start_is_redone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    DataHome(home).create("recoupe")  # as if a first start died before the server answered
    stale_password = DataHome(home).password(ADMIN_USER)
    server = EmbeddedServer(settings_for(home))
    try:
        assert server.start(tie_to_parent=True).running
        assert DataHome(home).state() == "ready"
        assert DataHome(home).password(ADMIN_USER) != stale_password
    finally:
        server.stop()


@pytest.mark.slow
def test_no_jvm_outlives_a_killed_test_process(tmp_path: Path) -> None:
    """The harness's promise: kill -9 the process that started the server, and the JVM goes too."""
    home = tmp_path / "home"
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from recoupe.graph.server import EmbeddedServer, ServerSettings\n"
        f"s = EmbeddedServer(ServerSettings(home=Path({str(home)!r}), bolt_port=0, http_port=0, heap='256m'))\n"
        "s.start(tie_to_parent=True)\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert len(jvm_pids_for(home)) == 1
        child.kill()
        child.wait()
        deadline = time.monotonic() + 30
        while jvm_pids_for(home) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert jvm_pids_for(home) == []
    finally:
        child.kill()
        for pid in jvm_pids_for(home):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_concurrent_starts_share_one_server(tmp_path: Path) -> None:
    """Two `db start` at once on one data directory: one server, both callers see it."""
    from concurrent.futures import ThreadPoolExecutor

    home = tmp_path / "home"
    servers = [EmbeddedServer(settings_for(home)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            # not tied to the parent: PR_SET_PDEATHSIG fires when the starting *thread* ends
            states = list(pool.map(lambda s: s.start(), servers))
        assert states[0].running and states[0].pid == states[1].pid
        assert jvm_pids_for(home) == [states[0].pid]
    finally:
        servers[0].stop()
    assert jvm_pids_for(home) == []


@pytest.mark.slow
def test_restart_on_the_same_ports_right_after_a_stop(tmp_path: Path) -> None:
    """Connections left in TIME_WAIT, or a JVM still exiting, must not make the next start fail."""
    from tests.conftest import free_port

    server = EmbeddedServer(settings_for(tmp_path / "home", bolt_port=free_port(), http_port=free_port()))
    try:
        for _ in range(2):
            server.start(tie_to_parent=True)
            with connect(server.target()) as g, g.session() as s:
                assert store.ping(s)
            assert server.stop() is True
        assert server.start(tie_to_parent=True).running
    finally:
        server.stop()
