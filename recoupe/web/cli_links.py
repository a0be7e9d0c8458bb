"""Link and investigation commands of `recoupe`: link rules, connections, cameras, timelines, paths, hotspots,
the read-only console and graph analytics."""

from __future__ import annotations

import click
from flask import current_app

from recoupe.web.cli import cli, emit, json_option
from recoupe.web.cli_data import _rule_text


@cli.command("link")
@click.option(
    "--rule",
    "rules",
    multiple=True,
    type=click.Choice(["seen_by", "damaged", "near_repeat", "in"]),
    help="Rule to recompute (repeatable; default: all).",
)
@click.option("--near-repeat-radius", type=click.FloatRange(1, 5000), default=200.0, show_default=True,
              help="NEAR_REPEAT: metres.")  # fmt: skip
@click.option("--near-repeat-days", type=click.FloatRange(0.01, 365), default=14.0, show_default=True,
              help="NEAR_REPEAT: days.")  # fmt: skip
@click.option("--damaged-radius", type=click.FloatRange(1, 5000), default=150.0, show_default=True,
              help="DAMAGED: metres from the incident's place to the asset.")  # fmt: skip
@json_option
def link(
    rules: tuple[str, ...],
    near_repeat_radius: float,
    near_repeat_days: float,
    damaged_radius: float,
    as_json: bool,
) -> None:
    """Recompute links over the whole graph (idempotent: a rerun creates and removes nothing)."""
    from recoupe.graph.links import RULES, Damaged, LinkSettings, NearRepeat, run_rules
    from recoupe.web import runtime

    settings = LinkSettings(
        damaged=Damaged(radius_m=damaged_radius),
        near_repeat=NearRepeat(radius_m=near_repeat_radius, days=near_repeat_days),
    )
    with runtime.open_graph(current_app.config) as graph:
        results = run_rules(graph, rules or RULES, None, settings)
    emit(
        as_json,
        {"rules": [r.as_dict() for r in results]},
        "\n".join(_rule_text(r).strip() for r in results),
    )
