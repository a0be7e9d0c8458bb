"""Data commands of `recoupe`: the demo city generator (ingestion commands join here)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from recoupe.web.cli import cli, emit, json_option


@cli.command("demo-data")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write.",
)
@click.option(
    "--days", type=click.IntRange(7, 3650), default=730, show_default=True, help="Length of the period."
)
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), default="2024-01-01", show_default=True, help="First day."
)
@click.option(
    "--logs", type=click.IntRange(1, 10_000_000), default=20_000, show_default=True, help="Number of logs."
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same files, byte for byte.")
@json_option
def demo_data(out: Path, days: int, start: date, logs: int, seed: int, as_json: bool) -> None:
    """Write a synthetic Marseille (labelled as such): logs, cameras, outages, assets, quartiers, truth."""
    from recoupe.ingest.democity.writer import DemoSettings, generate

    summary = generate(
        DemoSettings(
            out=out, days=days, start=start.date() if hasattr(start, "date") else start, logs=logs, seed=seed
        )
    )
    top = ", ".join(f"{k} {v}" for k, v in summary.by_category.most_common(5))
    emit(
        as_json,
        summary.as_dict(),
        f"Demo city written to {out} (synthetic data, seed {seed}):\n"
        f"  {summary.logs:,} logs over {days} days from {start:%Y-%m-%d}"
        f" — {summary.rate:,.0f} logs/s, {summary.seconds:.1f} s\n"
        f"  {summary.cameras} cameras, {summary.outages} outages, {summary.assets:,} street assets\n"
        f"  top categories: {top}\n"
        f"  {summary.distinct_templates} distinct sentence structures used",
    )
