"""The app's connections to the graph and its extractor: built on first use, kept in `app.extensions`, shared
by the requests of every thread."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Flask, current_app

from recoupe.web import runtime

if TYPE_CHECKING:  # neo4j and spaCy load with the first request that needs them, not with the app
    from recoupe.graph.connection import Graph
    from recoupe.nlp.extract import Extractor

GRAPHS, EXTRACTOR = "recoupe.api.graphs", "recoupe.api.extractor"
_graph_lock, _extractor_lock = threading.Lock(), threading.Lock()


def graph(read_only: bool = True) -> Graph:
    """The app's connection, opened on first use (a driver is thread-safe and pools its sockets); reads go
    through the read-only account where the embedded server has one."""
    with _graph_lock:
        graphs: dict[bool, Graph] = current_app.extensions.setdefault(GRAPHS, {})
        if read_only not in graphs:
            graphs[read_only] = runtime.open_graph(current_app.config, read_only=read_only)
        return graphs[read_only]


def close_graphs(app: Flask) -> None:
    """Close the app's connections; the next request opens them again."""
    with _graph_lock:
        for opened in app.extensions.pop(GRAPHS, {}).values():
            opened.close()


def extractor() -> Extractor:
    """The app's extractor: built with the first report (spaCy's model with its first text), then reused."""
    with _extractor_lock:
        if EXTRACTOR not in current_app.extensions:
            from recoupe.nlp.extract import Extractor

            current_app.extensions[EXTRACTOR] = Extractor()
        built: Extractor = current_app.extensions[EXTRACTOR]
        return built
