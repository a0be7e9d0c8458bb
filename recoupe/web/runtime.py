"""From settings to live objects: the embedded server and graph connections, built only where needed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # neo4j loads only when a command talks to the graph: `recoupe --help` stays fast
    from recoupe.graph.connection import Graph, Target
    from recoupe.graph.server import EmbeddedServer


def is_external(config: Mapping[str, Any]) -> bool:
    """True when RECOUPE_GRAPH_URL names a server: Recoupe then never starts one."""
    return bool(config["RECOUPE_GRAPH_URL"])


def embedded_server(config: Mapping[str, Any]) -> EmbeddedServer:
    from recoupe.graph.server import EmbeddedServer, ServerSettings

    return EmbeddedServer(
        ServerSettings(
            home=Path(config["RECOUPE_HOME"]),
            host=config["RECOUPE_GRAPH_HOST"],
            bolt_port=config["RECOUPE_GRAPH_BOLT_PORT"],
            http_port=config["RECOUPE_GRAPH_HTTP_PORT"],
            database=config["RECOUPE_GRAPH_DATABASE"] or "recoupe",
            heap=config["RECOUPE_GRAPH_HEAP"],
            start_timeout_s=config["RECOUPE_GRAPH_START_TIMEOUT"],
            command_timeout_s=config["RECOUPE_GRAPH_COMMAND_TIMEOUT"],
        )
    )


def graph_target(config: Mapping[str, Any], read_only: bool = False) -> Target:
    """The external server when RECOUPE_GRAPH_URL is set, else the embedded one (admin or read-only user)."""
    from recoupe.graph.connection import Target
    from recoupe.graph.home import ADMIN_USER, READER_USER

    if is_external(config):
        return Target(
            url=config["RECOUPE_GRAPH_URL"],
            user=config["RECOUPE_GRAPH_USER"],
            password=config["RECOUPE_GRAPH_PASSWORD"],
            database=config["RECOUPE_GRAPH_DATABASE"] or None,
            hint="check that the server at RECOUPE_GRAPH_URL is up and reachable",
        )
    return embedded_server(config).target(READER_USER if read_only else ADMIN_USER)


def open_graph(config: Mapping[str, Any], read_only: bool = False) -> Graph:
    from recoupe.graph.connection import connect

    return connect(graph_target(config, read_only))
