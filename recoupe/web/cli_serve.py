"""`recoupe serve`: the web viewer and the API under waitress (a production WSGI server), on loopback by
default."""

from __future__ import annotations

import ipaddress
import os

import click
from flask import current_app

from recoupe.ontology.errors import InvalidInput
from recoupe.web.cli import cli


def is_loopback(host: str) -> bool:
    """True for `localhost` and the loopback addresses (127.0.0.0/8, ::1); a name other than localhost is not
    resolved, so it counts as remote."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def default_threads() -> int:
    """2 per CPU core, at least 4: on 2 cores, 4 threads gave the lowest p95 at 20 clients (2, 3, 4, 6, 8 and
    20 measured with benchmarks/web_load.py; 20 threads more than doubled it)."""
    return max(4, 2 * (os.cpu_count() or 1))


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True,
              help="Port to listen on.")  # fmt: skip
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Requests served at once [default: 2 per CPU core, at least 4]. More threads than that "
                   "make the slowest answers slower: they take turns on Python's one interpreter lock "
                   "(docs/viewer.md).")  # fmt: skip
@click.option("--allow-remote", is_flag=True,
              help="Listen on an address other than loopback. Without it Recoupe refuses: waitress speaks "
                   "plain HTTP, so passwords, session cookies and police data would cross the network "
                   "unencrypted. Serve on 127.0.0.1 behind a reverse proxy that terminates HTTPS instead, "
                   "and use this flag only on a network you trust.")  # fmt: skip
def serve(host: str, port: int, threads: int | None, allow_remote: bool) -> None:
    """Serve the web viewer and the JSON API (waitress) until Ctrl+C."""
    import waitress

    threads = threads or default_threads()
    if not is_loopback(host) and not allow_remote:
        raise InvalidInput(
            f"Refusing to listen on {host}, which is not a loopback address: waitress speaks plain HTTP, and "
            "passwords, session cookies and police data would cross the network unencrypted",
            "serve on 127.0.0.1 behind a reverse proxy that terminates HTTPS, or pass --allow-remote on a "
            "network you trust",
            {"host": "not loopback"},
        )
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app the command group built
    click.echo(f"Recoupe on {url_of(host, port)} ({threads} threads; Ctrl+C to stop)")
    if app.config["RECOUPE_COOKIE_SECURE"] and not is_loopback(host):
        click.echo("Session cookies are Secure: browsers send them over HTTPS only (or to localhost).",
                   err=True)  # fmt: skip
    waitress.serve(app, host=host, port=port, threads=threads, ident="recoupe")
