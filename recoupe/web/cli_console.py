"""Analysts' commands of `recoupe`: the read-only Cypher console (`query`) and graph analytics."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask import current_app

from recoupe.web import audit, runtime
from recoupe.web.audit import statement_objects
from recoupe.web.cli import cli, emit, json_option

if TYPE_CHECKING:  # neo4j loads only when a command runs
    from recoupe.graph.analytics import AnalyticsReport, Central

SIZES_SHOWN = 15


@cli.command("query")
@click.argument("statement")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Rows to show at most; a longer result is cut and says so.")  # fmt: skip
@click.option("--timeout", "timeout_s", type=click.FloatRange(0.1, 3600), default=60.0, show_default=True,
              help="Seconds to wait for rows (the embedded server also stops any statement after "
                   "RECOUPE_GRAPH_COMMAND_TIMEOUT).")  # fmt: skip
@json_option
def query(statement: str, limit: int, timeout_s: float, as_json: bool) -> None:
    """Run one read-only Cypher STATEMENT as the read-only user and print its rows ('-' reads it from stdin).

    Writes (CREATE, MERGE, SET, DELETE, REMOVE, DROP, LOAD CSV, FOREACH, procedures other than db.labels and
    the like, several statements) are refused before they are sent, and the read-only account refuses any
    that would slip through."""
    from recoupe.graph.console import run_query, table

    if statement == "-":
        statement = sys.stdin.read()
    target = runtime.graph_target(current_app.config, read_only=True)
    result = run_query(target, statement, limit=limit, timeout_s=timeout_s)
    audit.record("console.query", statement_objects(statement))
    emit(as_json, result.as_dict(), table(result))


@cli.command("analytics")
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many series, people, plates and places to list.")  # fmt: skip
@json_option
def analytics(top: int, as_json: bool) -> None:
    """Find series of linked incidents (near repeats, shared people, plates, vehicles), write each incident's
    series id and size, and list the largest series and the most central people, plates and places."""
    from recoupe.graph.analytics import analyse

    with runtime.open_graph(current_app.config) as graph:
        report = analyse(graph, top=top, largest=top)
    audit.record("analytics.run", [f"top={top}"])
    emit(as_json, report.as_dict(), analytics_text(report))


def analytics_text(report: AnalyticsReport) -> str:
    """The report as an analyst reads it; people by pseudonym only."""
    lines = [
        f"Series: {report.series:,} ({report.in_series:,} of {report.incidents:,} incidents, linked by "
        f"{report.near_repeats:,} NEAR_REPEAT links and {report.shared_links:,} people, plates and vehicles "
        "they involve)",
    ]
    if report.sizes:
        sizes = [f"{size} ×{count:,}" for size, count in list(report.sizes.items())[:SIZES_SHOWN]]
        more = " …" if len(report.sizes) > SIZES_SHOWN else ""
        lines.append("Sizes (incidents ×series): " + ", ".join(sizes) + more)
    if report.largest:
        lines.append("Largest series:")
        for s in report.largest:
            categories = ", ".join(f"{c} {n:,}" for c, n in list(s.categories.items())[:5])
            lines.append(f"  {s.id}  {s.size:>6,} incidents  {categories}")
    for title, entries in (("people", report.people), ("plates", report.plates), ("places", report.places)):
        if entries:
            lines.append(f"Most central {title} (degree centrality: share of all incidents):")
            lines += [_central_line(c) for c in entries]
    took = report.seconds
    lines.append(
        f"Written: {report.written:,} incidents' series set, {report.removed:,} removed, "
        f"{report.unchanged:,} unchanged ({took['total']:.1f} s: load {took['load']:.1f}, "
        f"compute {took['compute']:.1f}, describe {took['describe']:.1f}, write {took['write']:.1f})"
    )
    return "\n".join(lines)


def _central_line(entry: Central) -> str:
    name = entry.name if entry.id is None or entry.id == entry.name else f"{entry.name} ({entry.id})"
    return f"  {name[:70]:<70}  {entry.incidents:>6,} incidents  {entry.centrality:.4f}"
