"""What the viewer's benchmarks share (web_load.py, page_weight.py): a demo city in its own data directory, or
an existing one (`--home`), an analyst account, and `recoupe serve` waited for until it answers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RECOUPE = str(Path(sys.executable).with_name("recoupe"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def demo_city(home: Path | None, logs: int, prefix: str) -> Iterator[dict[str, str]]:
    """The environment of a demo city of `logs` logs, built in a temporary data directory and stopped and
    removed afterwards — or of the existing data directory `home`, used as it is and left running."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOUPE_")}
    env.update(
        RECOUPE_HOME=str(home or work / "home"),
        RECOUPE_GRAPH_BOLT_PORT=os.environ.get("RECOUPE_GRAPH_BOLT_PORT", str(free_port())),
        RECOUPE_GRAPH_HTTP_PORT=os.environ.get("RECOUPE_GRAPH_HTTP_PORT", str(free_port())),
        RECOUPE_COOKIE_SECURE="0",
    )
    try:
        if home is None:
            subprocess.run([RECOUPE, "demo", "--logs", str(logs)], env=env, check=True, capture_output=True)
        yield env
    finally:
        if home is None:
            subprocess.run([RECOUPE, "db", "stop"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def add_analyst(env: dict[str, str], username: str, password: str, existing_home: bool) -> None:
    """An analyst account (an existing home may hold it from an earlier run: then its failure is ignored)."""
    command = [RECOUPE, "users", "add", username, "--role", "analyst", "--password-stdin"]
    subprocess.run(command, env=env, input=password, text=True, capture_output=True, check=not existing_home)


def serve(env: dict[str, str], port: int, *options: str) -> subprocess.Popen[bytes]:
    """`recoupe serve` on a loopback port, once it answers /api/health."""
    server = subprocess.Popen(
        [RECOUPE, "serve", "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"recoupe serve exited with {server.returncode}: run it by hand to see why")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"recoupe serve on port {port} did not answer within 60 s")
