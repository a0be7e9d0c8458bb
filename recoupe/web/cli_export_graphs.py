"""`recoupe export graphml|gexf|csv|geojson` (the group is in cli_export.py): the graph, an incident's
neighbourhood or a period, for Gephi, spreadsheets and GIS tools (docs/exports.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app

from recoupe.web import audit
from recoupe.web.cli import emit, json_option
from recoupe.web.cli_export import export

F = TypeVar("F", bound=Callable[..., Any])
WHAT = {
    "graphml": "GraphML (Gephi, Cytoscape, yEd; networkx's writer)",
    "gexf": "GEXF (Gephi; networkx's writer)",
    "csv": "CSV: OUT is a folder that receives nodes.csv and relationships.csv",
    "geojson": "GeoJSON: incidents, cameras (their field-of-view wedge), street assets, forecast cells",
}


def selection_options(func: F) -> F:
    """--incident/--depth, --from/--to and --bbox, as every export command takes them."""
    for option in reversed((
        click.option("--incident", help="Only this incident's neighbourhood."),
        click.option("--depth", type=click.IntRange(1, 6), default=1, show_default=True,
                     help="With --incident: relationships away from it."),
        click.option("--from", "start", help="Incidents occurring from (ISO 8601 date or time, inclusive)."),
        click.option("--to", "end", help="Incidents occurring before (ISO 8601, exclusive)."),
        click.option("--bbox", help="Incidents inside south,west,north,east (degrees WGS84)."),
        click.option("--out", "out", required=True, type=click.Path(path_type=Path),
                     help="File to write (a folder for csv)."),
        json_option,
    )):  # fmt: skip
        func = option(func)
    return func


def selection(incident: str | None, depth: int, start: str | None, end: str | None, bbox: str | None) -> Any:
    """The export's Selection from the command's options; InvalidInput for an unreadable date or box."""
    from recoupe.graph.export import Selection
    from recoupe.ingest.readers import parse_time
    from recoupe.ontology.errors import InvalidInput

    try:
        low, high = (parse_time(v) if v else None for v in (start, end))
    except ValueError as exc:
        raise InvalidInput(str(exc), "give --from and --to as ISO 8601 dates or times") from None
    box = None
    if bbox:
        try:
            south, west, north, east = (float(part) for part in bbox.split(","))
        except ValueError:
            raise InvalidInput(f"--bbox {bbox!r} is not four numbers", "give south,west,north,east") from None
        box = (south, west, north, east)
    chosen = Selection(incident=incident, depth=depth, start=low, end=high, bbox=box)
    chosen.check()
    return chosen


def run(fmt: str, out: Path, as_json: bool, **options: Any) -> None:
    from recoupe.graph.export import nodes, relationships
    from recoupe.graph.formats import write_files
    from recoupe.web import runtime

    chosen = selection(**options)
    began = time.monotonic()
    with runtime.open_graph(current_app.config, read_only=True) as graph:
        written = write_files(fmt, nodes(graph, chosen), relationships(graph, chosen), out)
    seconds = round(time.monotonic() - began, 2)
    audit.record(f"export.{fmt}", [f"{k}={v}" for k, v in options.items() if v is not None])
    summary = {"format": fmt, **written.as_dict(), "seconds": seconds}
    held = (f"{written.features} features (of {written.nodes} nodes)" if fmt == "geojson"
            else f"{written.nodes} nodes, {written.relationships} relationships")  # fmt: skip
    text = f"{fmt}: {held} in {seconds:g} s → {', '.join(written.files)}"
    emit(as_json, summary, text)


def _command(fmt: str) -> None:
    @export.command(fmt, help=f"Write the graph (or a neighbourhood, or a period) as {WHAT[fmt]}.")
    @selection_options
    def command(out: Path, as_json: bool, **options: Any) -> None:
        run(fmt, out, as_json, **options)


for _fmt in WHAT:
    _command(_fmt)
