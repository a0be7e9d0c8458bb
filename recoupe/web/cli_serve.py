"""`recoupe serve`: the web viewer and the API under gunicorn (a production WSGI server: worker processes,
each with its threads), on loopback by default."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from gunicorn.app.base import BaseApplication

from recoupe.ontology.errors import InvalidInput
from recoupe.web import cache, shared_cache
from recoupe.web.cli import cli
from recoupe.web.resources import close_graphs


def is_loopback(host: str) -> bool:
    """True for `localhost` and the loopback addresses (127.0.0.0/8, ::1); a name other than localhost is not
    resolved, so it counts as remote."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def default_workers() -> int:
    """One worker process per CPU core: a Python process runs one thread at a time (the interpreter lock), so
    one process stays on one core however many threads it has (benchmarks/web_load.py, docs/viewer.md)."""
    return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """4 threads per worker: each waits on the graph, the accounts file or the audit journal in turn."""
    return 4


def check_port(host: str, port: int) -> None:
    """InvalidInput when the address cannot be listened on (a port in use, an address not of this machine),
    said in one line before the server starts (gunicorn would retry for 5 s, then log its own words)."""
    address = host.strip().strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((address, port))
        except OSError as exc:
            raise InvalidInput(
                f"Cannot listen on {url_of(host, port)}: {exc.strerror or exc}",
                "stop what listens there (`ss -ltnp` names it), or choose another port with --port",
                {"port": "in use" if exc.errno == errno.EADDRINUSE else "cannot listen"},
            ) from exc


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True,
              help="Port to listen on.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes [default: one per CPU core]. Each has its own threads, connections and "
                   "cache: one Python process uses one core at a time.")  # fmt: skip
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Requests each worker serves at once [default: 4]. More threads than that make the "
                   "slowest answers slower: they take turns on Python's one interpreter lock "
                   "(docs/viewer.md).")  # fmt: skip
@click.option("--allow-remote", is_flag=True,
              help="Listen on an address other than loopback. Without it Recoupe refuses: the server speaks "
                   "plain HTTP, so passwords, session cookies and police data would cross the network "
                   "unencrypted. Serve on 127.0.0.1 behind a reverse proxy that terminates HTTPS instead, "
                   "and use this flag only on a network you trust.")  # fmt: skip
def serve(host: str, port: int, workers: int | None, threads: int | None, allow_remote: bool) -> None:
    """Serve the web viewer and the JSON API (gunicorn) until Ctrl+C."""
    workers, threads = workers or default_workers(), threads or default_threads()
    if not is_loopback(host) and not allow_remote:
        raise InvalidInput(
            f"Refusing to listen on {host}, which is not a loopback address: the server speaks plain HTTP, "
            "and passwords, session cookies and police data would cross the network unencrypted",
            "serve on 127.0.0.1 behind a reverse proxy that terminates HTTPS, or pass --allow-remote on a "
            "network you trust",
            {"host": "not loopback"},
        )
    check_port(host, port)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app the command group built
    click.echo(f"Recoupe on {url_of(host, port)} ({workers} workers × {threads} threads; Ctrl+C to stop)")
    if app.config["RECOUPE_COOKIE_SECURE"] and not is_loopback(host):
        click.echo("Session cookies are Secure: browsers send them over HTTPS only (or to localhost).",
                   err=True)  # fmt: skip
    sys.stdout.flush()
    close_graphs(app)  # a connection opened before (`recoupe demo --serve`) must not be shared by the workers
    memory: cache.Cache = app.extensions[cache.EXTENSION]
    memory.clear()
    shared = Path(app.config["RECOUPE_HOME"]) / "run" / shared_cache.FILE_NAME
    if workers > 1 and memory.ttl_s > 0:  # one read of an answer serves every worker (recoupe/web/cache.py)
        memory.shared = shared_cache.SharedAnswers.create(shared)
    master = os.getpid()
    try:
        Server(app, bind=url_of(host, port)[len("http://") : -1], workers=workers, threads=threads).run()
    finally:
        if os.getpid() == master:  # a worker leaves through here too (gunicorn ends each with SystemExit)
            shared_cache.remove(shared)


class Server(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn serving the app that the command line built (each worker gets a copy when it is forked: the
    graph driver, the accounts file and the journal are opened in the worker, on first use)."""

    def __init__(self, app: Flask, **options: Any) -> None:
        self.app, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        settings = {
            "worker_class": "gthread",
            "timeout": 120,  # a worker whose main loop is silent this long is replaced
            "graceful_timeout": 10,  # on SIGTERM, answers under way get this long
            "keepalive": 5,
            "loglevel": "warning",  # errors and restarts of workers; every request goes to the journal
            "accesslog": None,
            "control_socket_disable": True,  # no socket in the user's home; stop it with a signal
            "proc_name": "recoupe",
        }
        for key, value in (settings | self.options).items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app
