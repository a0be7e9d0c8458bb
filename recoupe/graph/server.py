"""The embedded graph server: ArcadeDB from `arcadedb-embedded`'s bundled JRE and jars, Bolt on loopback.

`EmbeddedServer(settings).start()` lays out the data directory on first use (generated passwords, a read-only
user), starts the JVM detached, waits until Bolt answers, and records a pid file; `stop()` ends it; `state()`
says whether it runs, detecting a stale pid file (a dead process, or a pid reused by another program).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from recoupe.graph.connection import Target, connect
from recoupe.graph.home import ADMIN_USER, READER_USER, SERVER_MAIN_CLASS, DataHome, PidRecord
from recoupe.ontology.errors import GraphAuthError, GraphUnavailable, InvalidInput, RecoupeError, ServerError
from recoupe.ontology.lifetime import die_with_parent

HEAP = re.compile(r"^[1-9][0-9]*[mMgG]$")
LOG_KEEP_BYTES = 5_000_000


@dataclass(frozen=True)
class ServerSettings:
    """How to run the embedded server; port 0 picks a free port (used by the tests)."""

    home: Path
    host: str = "127.0.0.1"
    bolt_port: int = 7687
    http_port: int = 2480
    database: str = "recoupe"
    heap: str = "1g"
    start_timeout_s: float = 90.0
    command_timeout_s: float = 300.0


@dataclass(frozen=True)
class ServerState:
    """What `recoupe db status` reports about the embedded server."""

    running: bool
    home: Path
    database: str
    pid: int | None = None
    host: str | None = None
    bolt_port: int | None = None
    http_port: int | None = None
    started_at: str | None = None
    stale_pid: int | None = None

    @property
    def url(self) -> str | None:
        return f"bolt://{self.host}:{self.bolt_port}" if self.running else None


class EmbeddedServer:
    """Lifecycle of one data directory's graph server."""

    def __init__(self, settings: ServerSettings) -> None:
        if not HEAP.match(settings.heap):
            raise InvalidInput(f"Heap size {settings.heap!r} is not valid", "write it like 512m or 2g")
        self.settings = settings
        self.home = DataHome(settings.home)
        self._process: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ state

    def state(self) -> ServerState:
        """Running or not, from the pid file; a stale pid file is removed and reported."""
        record = self.home.read_pid()
        base = ServerState(running=False, home=self.home.path, database=self.settings.database)
        if record is None:
            return base
        if not self.home.owns_process(record.pid):
            self.home.clear_pid()
            return ServerState(False, self.home.path, self.settings.database, stale_pid=record.pid)
        return ServerState(
            True,
            self.home.path,
            record.database,
            pid=record.pid,
            host=record.host,
            bolt_port=record.bolt_port,
            http_port=record.http_port,
            started_at=record.started_at,
        )

    def target(self, user: str = ADMIN_USER) -> Target:
        """Connection details for the running server, as the admin or as the read-only user."""
        state = self.state()
        hint = "run `recoupe db start`, or set RECOUPE_GRAPH_URL to use another server"
        if not state.running:
            raise GraphUnavailable(
                f"The embedded graph server is not running (data directory {self.home.path})", hint
            )
        return Target(
            f"bolt://{state.host}:{state.bolt_port}", user, self.home.password(user), state.database, hint
        )

    # ------------------------------------------------------------------ start

    def start(self, tie_to_parent: bool = False) -> ServerState:
        """Start the server if it is not running and wait until it answers; idempotent.

        With `tie_to_parent` the JVM gets SIGTERM when the calling thread ends, as when this process dies
        (the test harness uses it, from the main thread, so that no JVM outlives a crashed test run).
        """
        existed = self.home.path.exists()
        with self.home.locked():  # one start or stop at a time per data directory
            state = self.state()
            if state.running:
                return state
            home_state = self.home.state()
            fresh = home_state in (None, "initialising")
            try:
                if home_state == "initialising":
                    # An earlier first start died before the directory held any data: begin again.
                    self.home.discard(keep_dir=True)
                if not fresh:
                    self.home.check_complete(self.settings.database)
                bolt_port = _port(self.settings.host, self.settings.bolt_port, "RECOUPE_GRAPH_BOLT_PORT")
                http_port = _port(self.settings.host, self.settings.http_port, "RECOUPE_GRAPH_HTTP_PORT")
                if fresh:
                    self.home.create(self.settings.database)
                self._spawn(bolt_port, http_port, tie_to_parent)
                self._await_ready(fresh)
            except BaseException:
                self._kill()
                if fresh:
                    self.home.discard(keep_dir=existed)
                raise
            if fresh:
                self.home.write_marker("ready")
            return self.state()

    def _command(self, bolt_port: int, http_port: int) -> list[str]:
        java, jars = runtime_paths()
        root = self.home.graph_root
        props = {
            "arcadedb.server.rootPath": root,
            "arcadedb.server.databaseDirectory": root / "databases",
            "arcadedb.server.defaultDatabases": f"{self.settings.database}[{ADMIN_USER}]",
            "arcadedb.server.mode": "development",
            "arcadedb.server.plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "arcadedb.bolt.host": self.settings.host,
            "arcadedb.bolt.port": bolt_port,
            "arcadedb.server.httpIncomingHost": self.settings.host,
            "arcadedb.server.httpIncomingPort": http_port,
            "arcadedb.txWalFlush": 2,  # flush and sync the WAL at each commit: committed means on disk
            "arcadedb.opencypher.loadCsv.allowFileUrls": "false",  # no LOAD CSV FROM 'file:///etc/…'
            "arcadedb.opencypher.loadCsv.allowRemoteUrls": "false",  # nor from http(s)://anywhere
            "arcadedb.command.timeout": int(self.settings.command_timeout_s * 1000),
        }
        return [
            str(java),
            f"-Xmx{self.settings.heap}",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            *(f"-D{key}={value}" for key, value in props.items()),
            "-cp",
            f"{jars}{os.sep}*",
            SERVER_MAIN_CLASS,
        ]

    def _spawn(self, bolt_port: int, http_port: int, tie_to_parent: bool) -> None:
        log = self.home.log_file
        log.parent.mkdir(parents=True, exist_ok=True)
        if log.exists() and log.stat().st_size > LOG_KEEP_BYTES:
            log.replace(log.with_suffix(".log.1"))
        with open(log, "ab") as out:
            out.write(f"\n--- recoupe: starting graph server {datetime.now(UTC).isoformat()}\n".encode())
            out.flush()
            self._process = subprocess.Popen(
                self._command(bolt_port, http_port),
                cwd=self.home.graph_root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal that ran `recoupe db start` must not stop it
                preexec_fn=_die_with_parent if tie_to_parent else None,
            )
        self.home.write_pid(
            PidRecord(
                pid=self._process.pid,
                host=self.settings.host,
                bolt_port=bolt_port,
                http_port=http_port,
                database=self.settings.database,
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        )

    def _await_ready(self, fresh: bool) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.settings.start_timeout_s
        target = self.target()
        while True:
            code = self._process.poll()
            if code is not None:
                raise ServerError(
                    f"The graph server stopped during start-up (exit code {code}): {self.log_excerpt()}",
                    f"see {self.home.log_file}",
                )
            try:
                connect(target, connection_timeout_s=2.0).close()
                break
            except GraphAuthError:
                raise
            except RecoupeError:
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"The graph server did not become ready within {self.settings.start_timeout_s:g} s",
                        f"see {self.home.log_file}; raise RECOUPE_GRAPH_START_TIMEOUT on a slow machine",
                    ) from None
                time.sleep(0.2)
        if fresh:  # prove the read-only account works before declaring the directory ready
            connect(self.target(READER_USER), connection_timeout_s=5.0).close()

    # ------------------------------------------------------------------ stop

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop the server (SIGTERM, then SIGKILL after `timeout_s`); False when it was not running."""
        if not self.home.path.is_dir():
            return False
        with self.home.locked():
            state = self.state()
            if not state.running or state.pid is None:
                return False
            _signal(state.pid, signal.SIGTERM)
            if not self._wait_gone(state.pid, timeout_s):
                _signal(state.pid, signal.SIGKILL)
                self._wait_gone(state.pid, 10.0)
            self.home.clear_pid()
            return True

    def _wait_gone(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.pid == pid:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._process.wait(timeout=0.1)  # reap our own child, or it lingers as a zombie
            if not _exists(pid):  # not merely "no longer looks like the server": an exiting JVM
                return True  # loses its command line before it lets go of its port and database lock
            time.sleep(0.1)
        return False

    def _kill(self) -> None:
        """End a server that failed to start, and forget it."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=30)
        self.home.clear_pid()

    def log_excerpt(self, lines: int = 200) -> str:
        """The most telling line of the server log's tail (an error if there is one)."""
        try:
            tail = self.home.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            return "no server log"
        errors = [line for line in tail if re.search(r"SEVER|ERROR|Exception|Error:", line)]
        chosen = (errors or [line for line in tail if line.strip()] or ["empty server log"])[-1]
        return chosen.strip()[:300]


def runtime_paths() -> tuple[Path, Path]:
    """The bundled `java` and jar directory of the arcadedb-embedded package, without importing it."""
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError(
            "The package arcadedb-embedded is not installed", "run `make demo` to install Recoupe"
        )
    base = Path(next(iter(spec.submodule_search_locations)))
    java, jars = base / "jre" / "bin" / "java", base / "jars"
    if not os.access(java, os.X_OK) or not any(jars.glob("arcadedb-server-*.jar")):
        raise ServerError(
            f"The arcadedb-embedded package at {base} lacks its Java runtime or server jars",
            "reinstall it: .venv/bin/pip install --force-reinstall arcadedb-embedded",
        )
    return java, jars


def _port(host: str, port: int, setting: str) -> int:
    """The port to use: a free one for 0, else `port` after checking nothing else listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the JVM does: connections of a server just stopped (TIME_WAIT) must not block a restart,
        # while a program still listening there does
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise ServerError(
                f"Port {port} on {host} is already in use by another program",
                f"stop that program, or choose another port with {setting}",
            ) from None
        return int(sock.getsockname()[1])


def _exists(pid: int) -> bool:
    """A process with this pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies."""
    die_with_parent(signal.SIGTERM)
