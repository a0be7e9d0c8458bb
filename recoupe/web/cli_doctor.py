"""`recoupe doctor`: checks the deployment against what a police data system needs and says what to fix.

One line per check (ok, warn or FAIL, then the fix); exit code 1 when any check fails. It reads the settings,
the data directory and, when the embedded graph server runs, that process's own settings and the sockets it
listens on (Linux /proc); it does not connect to the graph.
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app

from recoupe.web import runtime
from recoupe.web.cli import cli, emit, json_option

OK, WARN, FAIL = "ok", "warn", "fail"
ADMIN_USERS = frozenset({"root", "neo4j", "admin"})  # ArcadeDB's and Neo4j's administrators
WEAK_KEYS = frozenset({"", "dev", "secret", "changeme", "change-me", "development", "test"})
TRUE = frozenset({"1", "true", "yes", "on"})
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp
# The embedded server's JVM settings that the checks read, and the value each must have.
DURABLE = ("arcadedb.txWalFlush", "2")
LOAD_CSV = (
    ("arcadedb.opencypher.loadCsv.allowFileUrls", "false"),
    ("arcadedb.opencypher.loadCsv.allowRemoteUrls", "false"),
)
RESTART = "restart the graph server with this Recoupe (`recoupe db stop`, then `recoupe db start`)"


@dataclass(frozen=True)
class Check:
    """One check's verdict: its name, ok/warn/fail, what was seen, and the fix (empty when ok)."""

    name: str
    status: str
    message: str
    fix: str = ""

    def line(self) -> str:
        fix = f" — fix: {self.fix}" if self.fix else ""
        status = self.status.upper() if self.status == FAIL else self.status
        return f"{status:<5} {self.name:<16} {self.message}{fix}"


@cli.command("doctor")
@json_option
def doctor(as_json: bool) -> None:
    """Check the deployment (graph bound to loopback, durable commits, time limit, LOAD CSV off, no admin
    account for the app, secrets, debug, Secure cookies, file modes) and say what to fix; exit 1 on a FAIL."""
    checks = list(run_checks(current_app.config, current_app.debug, os.environ.get("FLASK_DEBUG", "")))
    failed = any(c.status == FAIL for c in checks)
    count = {status: sum(c.status == status for c in checks) for status in (FAIL, WARN)}
    summary = f"{count[FAIL]} to fix, {count[WARN]} to review"
    emit(
        as_json,
        {"ok": not failed, "checks": [asdict(c) for c in checks]},
        "\n".join([*(c.line() for c in checks), summary]),
    )
    if failed:
        raise click.exceptions.Exit(1)


def run_checks(config: Mapping[str, Any], app_debug: bool, flask_debug: str) -> Iterator[Check]:
    """Every check, in the order they print."""
    if runtime.is_external(config):
        yield from _external(config)
    else:
        yield from _embedded(config)
    yield _secrets(config)
    if app_debug or flask_debug.strip().lower() in TRUE:
        yield Check(
            "debug",
            FAIL,
            "Flask debug mode is on (FLASK_DEBUG): tracebacks and a debugger reach the browser",
            "unset FLASK_DEBUG",
        )
    else:
        yield Check("debug", OK, "debug mode is off")
    if config["RECOUPE_COOKIE_SECURE"] == 1:
        yield Check("cookies", OK, "session cookies are Secure (sent over HTTPS only) and __Host- prefixed")
    else:
        yield Check(
            "cookies",
            FAIL,
            "RECOUPE_COOKIE_SECURE=0: session cookies also travel over plain HTTP",
            "set RECOUPE_COOKIE_SECURE=1 and serve the viewer over HTTPS",
        )
    yield from _modes(Path(config["RECOUPE_HOME"]))


# ---------------------------------------------------------------- the graph


def _external(config: Mapping[str, Any]) -> Iterator[Check]:
    url = urlsplit(config["RECOUPE_GRAPH_URL"])
    host, encrypted = url.hostname or "", url.scheme.endswith(("+s", "+ssc"))
    if is_loopback(host):
        yield Check("graph-bind", OK, f"the external graph is on this machine ({host})")
    elif encrypted:
        yield Check(
            "graph-bind",
            WARN,
            f"the external graph is reached over the network ({host}, encrypted)",
            "keep its ports closed to all but this machine (firewall)",
        )
    else:
        yield Check(
            "graph-bind",
            FAIL,
            f"the external graph is reached over the network unencrypted ({url.scheme}://{host})",
            f"use {url.scheme}+s://, or run the graph on this machine",
        )
    other = "on an external server (Recoupe cannot read its settings)"
    yield Check(
        "durable-commits",
        WARN,
        f"not checked {other}",
        "Neo4j: keep the transaction log (the default); ArcadeDB: arcadedb.txWalFlush=2",
    )
    yield Check(
        "time-limit",
        WARN,
        f"not checked {other}",
        "Neo4j: set db.transaction.timeout; ArcadeDB: arcadedb.command.timeout",
    )
    yield Check(
        "load-csv",
        WARN,
        f"not checked {other}",
        "Neo4j: dbms.security.allow_csv_import_from_file_urls=false; ArcadeDB: "
        "arcadedb.opencypher.loadCsv.allowFileUrls=false and allowRemoteUrls=false",
    )
    user = config["RECOUPE_GRAPH_USER"]
    if user.lower() in ADMIN_USERS:
        yield Check(
            "graph-account",
            FAIL,
            f"the app connects to the external graph as the administrator '{user}'",
            "create a user that may read and write data, not administer; set RECOUPE_GRAPH_USER",
        )
    else:
        yield Check(
            "graph-account",
            WARN,
            f"the app connects as '{user}' for reads and writes alike",
            "make sure that user cannot administer the server",
        )


def _embedded(config: Mapping[str, Any]) -> Iterator[Check]:
    server = runtime.embedded_server(config)
    state = server.state()
    settings = server_settings(state.pid) if state.running and state.pid else None
    host = config["RECOUPE_GRAPH_HOST"]
    if not is_loopback(host):
        then = f", then {RESTART}" if state.running else ""
        yield Check(
            "graph-bind",
            FAIL,
            f"RECOUPE_GRAPH_HOST={host}: the graph server would listen beyond this machine",
            f"set RECOUPE_GRAPH_HOST=127.0.0.1{then}",
        )
    elif state.running:
        bound = listening(state.pid) or [
            (a, p) for a, p in listening() if p in (state.bolt_port, state.http_port)
        ]
        ports = {port for _, port in bound}
        exposed = sorted(f"{address}:{port}" for address, port in bound if not is_loopback(address))
        if exposed:
            yield Check("graph-bind", FAIL, f"the graph server listens on {', '.join(exposed)}", RESTART)
        else:
            yield Check(
                "graph-bind",
                OK,
                f"the running graph server listens on loopback only (ports "
                f"{', '.join(map(str, sorted(ports)))})",
            )
    else:
        yield Check("graph-bind", OK, f"the graph server will listen on {host} (it is not running now)")
    if settings is None:  # not running: what it will be started with
        settings = defines(server._command(0, 0))  # the one list of them
        seen = "will be started with"
    else:
        seen = "runs with"
    key, want = DURABLE
    if settings.get(key) == want:
        yield Check("durable-commits", OK, f"the graph server {seen} {key}={want}: commits are synced")
    else:
        yield Check(
            "durable-commits",
            FAIL,
            f"the graph server {seen} {key}={settings.get(key, '(unset)')}: "
            "a crash can lose acknowledged commits",
            RESTART,
        )
    timeout_ms = int(settings.get("arcadedb.command.timeout", "0") or 0)
    if timeout_ms <= 0 or config["RECOUPE_GRAPH_COMMAND_TIMEOUT"] <= 0:
        yield Check(
            "time-limit",
            FAIL,
            "no command time limit: one statement can hold the server forever",
            f"set RECOUPE_GRAPH_COMMAND_TIMEOUT to some seconds (300 by default), then {RESTART}",
        )
    else:
        yield Check("time-limit", OK, f"statements stop after {timeout_ms / 1000:g} s on the graph server")
    wrong = [f"{k}={settings.get(k, '(unset: true)')}" for k, v in LOAD_CSV if settings.get(k) != v]
    if wrong:
        yield Check("load-csv", FAIL, f"ArcadeDB's LOAD CSV can read {' and '.join(wrong)}", RESTART)
    else:
        yield Check("load-csv", OK, "ArcadeDB's LOAD CSV can read neither local files nor remote URLs")
    yield _reader_account(Path(config["RECOUPE_HOME"]))


def _reader_account(home: Path) -> Check:
    """The viewer reads as READER_USER: its group in the server's security files must only read records."""
    from recoupe.graph.home import READER_USER

    config = home / "graph" / "config"
    try:
        users = [
            json.loads(line) for line in (config / "server-users.jsonl").read_text().splitlines() if line
        ]
        groups = json.loads((config / "server-groups.json").read_text())["databases"]
    except (OSError, ValueError, KeyError):
        return Check("graph-account", WARN, f"no graph security files under {config} yet",
                     "run `recoupe db start` (it writes them)")  # fmt: skip
    reader = next((u for u in users if u.get("name") == READER_USER), None)
    granted: set[str] = set()
    for database, names in (reader or {}).get("databases", {}).items():
        for name in names:
            group = groups.get(database, groups.get("*", {})).get("groups", {}).get(name, {})
            granted |= set(group.get("access", ["?"]))
            granted |= {a for t in group.get("types", {}).values() for a in t.get("access", [])}
    if reader is None or granted - {"readRecord"}:
        what = "is missing" if reader is None else f"may {', '.join(sorted(granted - {'readRecord'}))}"
        return Check("graph-account", FAIL, f"the viewer's read-only account {READER_USER} {what}",
                     f"restore {config} from a backup (or a new data directory), then {RESTART}")  # fmt: skip
    return Check("graph-account", OK, f"the viewer reads as {READER_USER}, which may only read records; only "
                 "citizen reports and the command line write as root")  # fmt: skip


def server_settings(pid: int) -> dict[str, str] | None:
    """The `-D` settings of a running process, from /proc; None when they cannot be read."""
    try:
        return defines(Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0"))
    except OSError:
        return None


def defines(args: list[str]) -> dict[str, str]:
    """The `-Dname=value` system properties of a java command line."""
    return {name: value for name, _, value in (a[2:].partition("=") for a in args if a.startswith("-D"))}


def listening(pid: int | None = None) -> list[tuple[str, int]]:
    """(address, port) of the TCP sockets listening on this machine, from /proc/net/tcp and tcp6: only those
    of process `pid` when given (and its descriptors can be read)."""
    inodes = _socket_inodes(pid) if pid else None
    found = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        try:
            lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == LISTEN and (inodes is None or fields[9] in inodes):
                address, _, port = fields[1].partition(":")
                found.append((_address(address) if len(address) == width else address, int(port, 16)))
    return found


def _socket_inodes(pid: int) -> set[str] | None:
    """The inodes of the sockets process `pid` holds open; None when its descriptors cannot be read."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return None
    return {link[8:-1] for link in links if link.startswith("socket:[")}


def _address(hex_address: str) -> str:
    """/proc/net's address: 32-bit words in the machine's (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    ordered = b"".join(raw[n : n + 4][::-1] for n in range(0, len(raw), 4))
    return str(ipaddress.ip_address(ordered))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


# ---------------------------------------------------------------- secrets and files


def _secrets(config: Mapping[str, Any]) -> Check:
    key = config.get("SECRET_KEY")
    if key is not None and (len(str(key)) < 16 or str(key).lower() in WEAK_KEYS):
        return Check(
            "secret-key",
            FAIL,
            "a weak Flask SECRET_KEY is set",
            "remove it (Recoupe signs nothing with it) or use 32 random bytes",
        )
    return Check(
        "secret-key",
        OK,
        "no signing key to leave at a default: sessions are random ids kept "
        "hashed on the server; the login form's and the pseudonyms' keys are random per data directory",
    )


def _modes(home: Path) -> Iterator[Check]:
    if not home.is_dir():
        yield Check(
            "file-modes",
            WARN,
            f"the data directory {home} does not exist yet",
            "run `recoupe db start` (it creates it with mode 0700)",
        )
        return
    wrong = []
    for path in (home, home / "secrets"):
        if path.is_dir() and _mode(path) & 0o077:
            wrong.append((path, _mode(path), 0o700))
    secret_files = sorted((home / "secrets").glob("*")) if (home / "secrets").is_dir() else []
    for path in [*secret_files, *sorted(home.glob("accounts.db*"))]:
        if path.is_file() and _mode(path) & 0o077:
            wrong.append((path, _mode(path), 0o600))
    if not wrong:
        yield Check("file-modes", OK, f"{home} is 0700, its secrets and accounts 0600")
    for path, mode, want in wrong:
        yield Check(
            "file-modes",
            FAIL,
            f"{path} has mode {mode:04o}: other users of the machine can read it",
            f"run `chmod {want:o} {path}`",
        )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
