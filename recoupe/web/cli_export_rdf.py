"""`recoupe export rdf` (the group is in cli_export.py): the graph, an incident's neighbourhood or a period as
Turtle, N-Triples or JSON-LD, streamed to a file, optionally validated against the SHACL shapes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from flask import current_app

from recoupe.web import audit
from recoupe.web.cli import emit
from recoupe.web.cli_export import export
from recoupe.web.cli_export_graphs import selection, selection_options


@export.command("rdf")
@click.option("--format", "fmt", type=click.Choice(["turtle", "json-ld", "nt"]), default="turtle",
              show_default=True, help="RDF syntax.")  # fmt: skip
@click.option("--validate", "check", is_flag=True, help="Check every node against shapes.ttl (pyshacl).")
@selection_options
def rdf_command(fmt: str, check: bool, out: Path, as_json: bool, **options: Any) -> None:
    """Write the graph (or a neighbourhood, or a period) as RDF with the ontology's terms; people by pseudonym
    only. With --validate, exit 1 when a node breaks a shape (each violation: node, path, constraint)."""
    from recoupe.graph.export import nodes, relationships
    from recoupe.ontology.rdf import write
    from recoupe.ontology.shacl import ChunkedValidation
    from recoupe.web import runtime

    chosen = selection(**options)
    base = str(current_app.config["RECOUPE_RDF_BASE"])
    validation = ChunkedValidation() if check else None
    began = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with runtime.open_graph(current_app.config, read_only=True) as graph, open(partial, "wb") as fh:
        counts = write(
            fh,
            nodes(graph, chosen),
            relationships(graph, chosen),
            fmt,
            base,
            on_node=validation.add if validation else None,
        )
    partial.replace(out)  # a reader never sees half a file under the final name
    audit.record("export.rdf", [f"{k}={v}" for k, v in options.items() if v is not None])
    summary: dict[str, Any] = {
        "format": fmt, "triples": counts.triples, "nodes": counts.nodes,
        "relationships": counts.relationships, "seconds": round(time.monotonic() - began, 2),
        "file": str(out), "bytes": out.stat().st_size,
    }  # fmt: skip
    text = (
        f"rdf ({fmt}): {counts.triples:,} triples, {counts.nodes:,} nodes, {counts.relationships:,} "
        f"relationships in {summary['seconds']:g} s → {out}"
    )
    if validation is not None:
        report = validation.report()
        summary["conforms"] = report.conforms
        summary["violations"] = [
            {
                "node": v.focus,
                "path": v.path,
                "constraint": v.constraint,
                "message": v.message,
                "value": v.value,
            }
            for v in report.violations
        ]
        lines = [f"  {v.one_line()}" for v in report.violations]
        verdict = "conforms to shapes.ttl" if report.conforms else f"{len(lines)} violations of shapes.ttl"
        text = "\n".join([text, f"validation: {verdict}", *lines])
    emit(as_json, summary, text)
    if validation is not None and not summary["conforms"]:
        click.get_current_context().exit(1)
