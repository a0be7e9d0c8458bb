"""The `recoupe` command: a Flask CLI group; human output by default, one JSON document with `--json`.

Errors that Recoupe raises on purpose print one line (what happened — what to do) on stderr and exit 1;
`--debug` shows the traceback instead. Heavy modules (neo4j, rdflib) load inside the commands that need them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from recoupe import __version__
from recoupe.ontology.errors import RecoupeError
from recoupe.web import runtime
from recoupe.web.app import create_app
from recoupe.web.config import describe, markdown_table

F = TypeVar("F", bound=Callable[..., Any])
JSON_KEY = "recoupe.json"
DEBUG_KEY = "recoupe.debug"
EXIT_NOT_RUNNING = 3  # as LSB init scripts and pg_ctl: "program is not running"


class RecoupeGroup(AppGroup):
    """Runs commands in an app context and turns RecoupeErrors into one line and exit code 1."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        extra.setdefault(
            "obj", ScriptInfo(create_app=create_app, set_debug_flag=False, load_dotenv_defaults=False)
        )
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RecoupeError as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            if ctx.meta.get(JSON_KEY):
                click.echo(json.dumps({"error": exc.as_dict()}, ensure_ascii=False))
            click.echo(f"Error: {exc.one_line()}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _remember(key: str) -> Callable[[click.Context, click.Parameter, bool], bool]:
    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.meta[key] = ctx.meta.get(key) or value
        return value

    return callback


def json_option(func: F) -> F:
    """`--json`: print one JSON document on stdout instead of text (diagnostics stay on stderr)."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=True,
        is_eager=True,
        callback=_remember(JSON_KEY),
        help="Print one JSON document on stdout instead of text.",
    )(func)


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2) if as_json else text)


@click.group(cls=RecoupeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--debug",
    is_flag=True,
    callback=_remember(DEBUG_KEY),
    expose_value=False,
    help="Show tracebacks instead of one-line errors.",
)
@click.version_option(__version__, prog_name="recoupe")
def cli() -> None:
    """Recoupe: a knowledge graph of linked public-safety incidents."""


# ---------------------------------------------------------------------------- db


@cli.group()
def db() -> None:
    """Start, stop and inspect the embedded graph server."""


def _refuse_external(action: str) -> None:
    if runtime.is_external(current_app.config):
        raise RecoupeError(
            f"RECOUPE_GRAPH_URL is set ({current_app.config['RECOUPE_GRAPH_URL']}): "
            f"Recoupe uses that server and does not {action} one",
            "unset RECOUPE_GRAPH_URL to use the embedded server",
        )


@db.command("start")
@json_option
def db_start(as_json: bool) -> None:
    """Start the embedded graph server (creating the data directory on first use)."""
    _refuse_external("start")
    server = runtime.embedded_server(current_app.config)
    was_running = server.state().running
    began = time.monotonic()
    state = server.start()
    seconds = round(time.monotonic() - began, 2)
    data = {
        "status": "already_running" if was_running else "started",
        "url": state.url,
        "database": state.database,
        "home": str(state.home),
        "pid": state.pid,
        "seconds": None if was_running else seconds,
    }
    verb = "already running" if was_running else f"started in {seconds} s"
    emit(
        as_json,
        data,
        f"Graph server {verb}: {state.url} (database {state.database}, pid {state.pid}, data {state.home})",
    )


@db.command("stop")
@json_option
def db_stop(as_json: bool) -> None:
    """Stop the embedded graph server."""
    _refuse_external("stop")
    server = runtime.embedded_server(current_app.config)
    pid = server.state().pid
    stopped = server.stop()
    emit(
        as_json,
        {"status": "stopped" if stopped else "not_running", "pid": pid, "home": str(server.home.path)},
        f"Graph server stopped (pid {pid})." if stopped else "Graph server was not running.",
    )


@db.command("status")
@json_option
def db_status(as_json: bool) -> None:
    """Show where the graph is and how much it holds; exit code 3 when the embedded server is not running."""
    from recoupe.graph import store

    config = current_app.config
    data: dict[str, Any] = {"embedded": not runtime.is_external(config)}
    if data["embedded"]:
        state = runtime.embedded_server(config).state()
        data.update(
            running=state.running,
            url=state.url,
            database=state.database,
            home=str(state.home),
            pid=state.pid,
            started_at=state.started_at,
            stale_pid_removed=state.stale_pid,
        )
        if not state.running:
            note = f" (removed a stale pid file naming {state.stale_pid})" if state.stale_pid else ""
            emit(
                as_json,
                data,
                f"Graph server not running{note}. Data directory: {state.home}\n"
                "Start it with `recoupe db start`.",
            )
            raise click.exceptions.Exit(EXIT_NOT_RUNNING)
    with runtime.open_graph(config) as graph, graph.session() as session:
        data.update(
            running=True,
            url=graph.target.url,
            database=graph.target.database,
            server=graph.dialect.agent,
            nodes=store.count_nodes(session),
            relationships=store.count_relationships(session),
            labels=store.node_counts_by_label(session),
            types=store.relationship_counts_by_type(session),
        )
    lines = [
        f"Graph server:  running ({data['server']})",
        f"URL:           {data['url']}",
        f"Database:      {data['database'] or '(server default)'}",
    ]
    if data["embedded"]:
        lines += [
            f"Data dir:      {data['home']}",
            f"PID:           {data['pid']}",
            f"Started at:    {data['started_at']}",
        ]
    lines += [f"Nodes:         {data['nodes']}", *(f"  {k}: {n}" for k, n in data["labels"].items())]
    lines += [f"Relationships: {data['relationships']}", *(f"  {k}: {n}" for k, n in data["types"].items())]
    emit(as_json, data, "\n".join(lines))


# ---------------------------------------------------------------------------- schema and demo


@cli.command("init")
@json_option
def init(as_json: bool) -> None:
    """Create the graph's constraints and indexes from the ontology (idempotent)."""
    data = _init(current_app.config)
    emit(
        as_json,
        data,
        f"Schema: {len(data['created'])} created, {len(data['present'])} already present "
        f"({data['node_labels']} node labels, {data['relationship_types']} relationship types).",
    )


def _init(config: Any) -> dict[str, Any]:
    from recoupe.graph.schema import apply_schema
    from recoupe.ontology.loader import ontology

    model = ontology()
    with runtime.open_graph(config) as graph:
        report = apply_schema(graph, model)
    return {
        "created": list(report.created),
        "present": list(report.present),
        "node_labels": len(model.node_types),
        "relationship_types": len(model.rel_types),
    }


@cli.command("demo")
@click.option(
    "--logs",
    type=click.IntRange(0, 1_000_000),
    default=2000,
    show_default=True,
    help="Demo-city logs to generate once (in RECOUPE_HOME) and ingest; 0: none.",
)
@click.option("--serve", "serve", is_flag=True, help="Then serve the viewer (recoupe serve) until Ctrl+C.")
@click.pass_context
def demo(ctx: click.Context, logs: int, serve: bool) -> None:
    """Start the embedded server, create the schema, load a synthetic demo city (quartiers, cameras, outages,
    street assets, logs, all linked), forecast it, show the status and the demo login."""

    from recoupe.web.cli_data import (
        demo_data,
        ingest_assets,
        ingest_cameras,
        ingest_logs,
        ingest_outages,
        ingest_quartiers,
    )

    if not runtime.is_external(current_app.config):
        ctx.invoke(db_start)
    ctx.invoke(init)
    if logs:
        city = Path(current_app.config["RECOUPE_HOME"]) / "demo-city"
        if not (city / "logs.csv").exists():
            ctx.invoke(demo_data, out=city, logs=logs)
        # idempotent, layer by layer: a second demo changes nothing
        ctx.invoke(ingest_quartiers, file=city / "quartiers.geojson")
        ctx.invoke(ingest_cameras, file=city / "cameras.csv")
        ctx.invoke(ingest_outages, file=city / "camera_outages.csv")
        ctx.invoke(ingest_assets, file=city / "assets.csv")
        ctx.invoke(ingest_logs, file=city / "logs.csv")
        _demo_forecast(ctx)
    ctx.invoke(db_status)
    login = _demo_login()
    click.echo(
        f"Viewer: recoupe serve, then http://127.0.0.1:5000 — login {login[0]} / {login[1]} "
        f"(kept in {login[2]})"
    )
    if serve:
        from recoupe.web.cli_serve import serve as serve_command

        ctx.invoke(serve_command)


def _demo_forecast(ctx: click.Context) -> None:
    """Train once (weekly steps, 500 m cells) and write the forecasts the dashboard and the map show."""
    from recoupe.gnn.forecast import model_path
    from recoupe.web.cli_forecast import forecast_command, train_command

    if not model_path(Path(current_app.config["RECOUPE_HOME"]), "grid:500", 7).exists():
        ctx.invoke(train_command, horizon="7d", unit="grid:500", epochs=20)
    ctx.invoke(forecast_command, horizon="7d", unit="grid:500", top=5)


def _demo_login() -> tuple[str, str, Path]:
    """The demo's analyst account, created once with a random password kept in the data directory (0600)."""
    import secrets as random_secrets

    from recoupe.graph.home import DataHome
    from recoupe.web.auth import accounts

    kept = DataHome(Path(current_app.config["RECOUPE_HOME"])).secrets_dir / "demo-login"
    store = accounts(current_app._get_current_object())  # type: ignore[attr-defined]
    exists = any(user.username == "demo" for user in store.users())
    if kept.exists() and exists:
        username, password = kept.read_text(encoding="utf-8").split()
        return username, password, kept
    password = random_secrets.token_urlsafe(12)
    if not exists:
        store.add_user("demo", password, "analyst", "Démonstration")
    else:
        store.set_password("demo", password)
    kept.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"demo {password}\n")
    return "demo", password, kept


@cli.command("settings")
@json_option
@click.option(
    "--markdown", is_flag=True, help="Print the table of all settings and defaults (for the README)."
)
def settings(as_json: bool, markdown: bool) -> None:
    """Show the effective settings and where each comes from (passwords masked)."""
    if markdown:
        click.echo(markdown_table(), nl=False)
        return
    rows = describe(current_app.config)
    emit(
        as_json,
        {"settings": rows},
        "\n".join(f"{r['name']:<30} {r['value']!s:<24} ({r['origin']})" for r in rows),
    )


def main() -> NoReturn:
    """Console-script entry point."""
    cli.main(prog_name="recoupe")
    sys.exit(0)


from recoupe.web import (  # noqa: E402, F401
    cli_audit,
    cli_console,
    cli_data,
    cli_doctor,
    cli_export,
    cli_forecast,
    cli_identity,
    cli_links,
    cli_retention,
    cli_serve,
    cli_users,
)
