"""Retention command of `recoupe`: erase incidents past the retention period (see docs/retention.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app

from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option


@cli.group("retention")
def retention() -> None:
    """Retention of incidents (RECOUPE_RETENTION)."""


@retention.command("purge")
@click.option("--older-than", help="Retention period: 90d, 18m, 3y (default: RECOUPE_RETENTION).")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
@click.option("--now", "now", hidden=True, type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Pretend today is this UTC day (tests).")  # fmt: skip
@json_option
def purge_command(older_than: str | None, dry_run: bool, now: datetime | None, as_json: bool) -> None:
    """Erase incidents older than the period and the people, plates, places… only they involved."""
    from recoupe.graph.retention import parse_period, purge
    from recoupe.ingest.vault import Vault
    from recoupe.web import runtime

    period = parse_period(older_than or str(current_app.config["RECOUPE_RETENTION"]))
    cutoff = period.before((now.replace(tzinfo=UTC) if now else datetime.now(UTC)).replace(microsecond=0))
    with runtime.open_graph(current_app.config) as graph:
        summary = purge(graph, cutoff, dry_run, Vault(Path(current_app.config["RECOUPE_HOME"])))
    if not dry_run:
        audit.record("retention.purge", [f"period={period}", *summary.audit_objects()])
    verb = "would erase" if dry_run else "erased"
    lines = [
        f"{verb} {summary.incidents} incident(s) older than {period} (before {cutoff:%Y-%m-%d %H:%M} UTC)",
        *(f"  {label:<13} {count:>7}" for label, count in summary.nodes.items()),
        *(f"  [{kind}] {count:>7}" for kind, count in summary.relationships.items()),
        f"  sources       {summary.sources:>7}",
        *(f"  vault {kind:<15} {count:>7}" for kind, count in summary.vault.items()),
    ]
    if summary.undated:
        lines.append(f"{summary.undated} incident(s) without any date are kept")
    if summary.forecasts:
        lines.append(
            f"{summary.forecasts} forecast(s) {'would be ' if dry_run else ''}removed: they were computed "
            "from the erased history; run `recoupe train` then `recoupe forecast`"
        )
    if summary.analytics_recomputed:
        lines.append("series and centrality recomputed")
    emit(as_json, {"period": str(period), **summary.as_dict()}, "\n".join(lines))
