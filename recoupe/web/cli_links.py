"""Link and investigation commands of `recoupe`: link rules, connections, cameras, timelines, paths, hotspots,
the read-only console and graph analytics."""

from __future__ import annotations

import click
from flask import current_app

from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option


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
    from recoupe.web.cli_data import _rule_text

    settings = LinkSettings(
        damaged=Damaged(radius_m=damaged_radius),
        near_repeat=NearRepeat(radius_m=near_repeat_radius, days=near_repeat_days),
    )
    with runtime.open_graph(current_app.config) as graph:
        results = run_rules(graph, rules or RULES, None, settings)
    audit.record("link.run", [f"rule:{r.rule}" for r in results])
    emit(
        as_json,
        {"rules": [r.as_dict() for r in results]},
        "\n".join(_rule_text(r).strip() for r in results),
    )


@cli.command("connections")
@click.argument("incident_id")
@click.option("--radius", type=click.FloatRange(1, 5000), default=300.0, show_default=True, help="Metres.")
@click.option("--hours", type=click.FloatRange(0.1, 24 * 365), default=72.0, show_default=True, help="Hours.")
@click.option("--top", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Rows shown.")
@json_option
def connections_command(incident_id: str, radius: float, hours: float, top: int, as_json: bool) -> None:
    """Incidents connected to INCIDENT_ID by place and time, person, plate, vehicle, camera, asset; ranked."""
    from recoupe.graph.investigate import connections
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config, read_only=True) as graph:
        found = connections(graph, incident_id, radius, hours)
    audit.record("view.connections", [f"incident:{incident_id}"])
    lines = [f"{len(found)} incidents connected to {incident_id} (radius {radius:g} m, {hours:g} h)"]
    for c in found[:top]:
        when = c.occurred_from.strftime("%Y-%m-%d %H:%M") if c.occurred_from else "?"
        lines.append(f"{c.score:6.2f}  {c.id:<28} {when}  {c.category or '?':<18} {_reasons(c.reasons)}")
    emit(
        as_json,
        {"incident": incident_id, "radius_m": radius, "hours": hours, "count": len(found),
         "connections": [c.as_dict() for c in found[:top]]},
        "\n".join(lines),
    )  # fmt: skip


def _reasons(reasons: list[dict[str, object]]) -> str:
    parts = []
    for r in reasons:
        detail = {k: v for k, v in r.items() if k != "kind" and v is not None}
        parts.append(f"{r['kind']}(" + ", ".join(f"{k}={v}" for k, v in detail.items()) + ")")
    return "; ".join(parts)


@cli.command("cameras-for")
@click.argument("incident_id", required=False)
@click.option("--at", "at", help="LAT,LON of a point instead of an incident.")
@click.option("--time", "moment", help="ISO 8601 time, with --at.")
@json_option
def cameras_for_command(incident_id: str | None, at: str | None, moment: str | None, as_json: bool) -> None:
    """Which cameras saw an incident (or a point at a time), and which would have but were out."""
    from recoupe.graph.investigate import cameras_at, cameras_for
    from recoupe.ingest.readers import parse_point, parse_time
    from recoupe.ontology.errors import InvalidInput
    from recoupe.web import runtime

    if (incident_id is None) == (at is None):
        raise InvalidInput("give an incident id or --at LAT,LON --time T", "one of the two, not both")
    with runtime.open_graph(current_app.config, read_only=True) as graph:
        if incident_id is not None:
            views = cameras_for(graph, incident_id)
            subject = incident_id
        else:
            if not moment:
                raise InvalidInput("--at needs --time", "give --time 2025-03-14T23:15")
            try:
                point = parse_point(*(at or "").split(",", 1)) if "," in (at or "") else None
                when = parse_time(moment)
            except ValueError as exc:
                raise InvalidInput(str(exc), "give --at LAT,LON and --time as ISO 8601") from None
            if point is None:
                raise InvalidInput(f"--at {at!r} is not LAT,LON", "give --at 43.2965,5.3698")
            views = cameras_at(graph, point[0], point[1], when)
            subject = f"{point[0]},{point[1]} at {when.isoformat()}"
    audit.record("view.cameras", [subject if incident_id is None else f"incident:{incident_id}"])
    seen = [v for v in views if v.state == "seen"]
    out = [v for v in views if v.state == "out"]
    lines = [f"{subject}: seen by {len(seen)} camera(s), {len(out)} out of service"]
    lines += [
        f"  {'vu' if v.state == 'seen' else 'en panne':<9} {v.camera:<14} {v.distance_m:6.1f} m  "
        f"{v.angle_deg:5.1f}° off axis  {v.label or ''}"
        for v in views
    ]
    emit(as_json, {"subject": subject, "cameras": [v.as_dict() for v in views]}, "\n".join(lines))


@cli.command("timeline")
@click.argument("entity")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@json_option
def timeline_command(entity: str, limit: int, as_json: bool) -> None:
    """An entity's incidents in time order: a pseudonym, plate, place, quartier, camera or asset."""
    from recoupe.graph.investigate import timeline
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config, read_only=True) as graph:
        label, items = timeline(graph, entity, limit)
    audit.record("view.timeline", [f"{label}:{entity}"])
    lines = [f"{entity} ({label}): {len(items)} incident(s)"]
    lines += [
        f"  {(i['occurred_from'] or '?')[:16]}  {i['id']:<28} {i['category'] or '?':<18} {i['relation']}"
        + (f" ({i['role']})" if i.get("role") else "")
        for i in items
    ]
    emit(as_json, {"entity": entity, "label": label, "incidents": items}, "\n".join(lines))


@cli.command("path")
@click.argument("a")
@click.argument("b")
@click.option("--max-hops", type=click.IntRange(1, 8), default=4, show_default=True)
@json_option
def path_command(a: str, b: str, max_hops: int, as_json: bool) -> None:
    """The shortest chain of relationships between two entities or incidents."""
    from recoupe.graph.investigate import path
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config, read_only=True) as graph:
        steps = path(graph, a, b, max_hops)
    audit.record("view.path", [a, b])
    if not steps:
        text = f"no path between {a} and {b} within {max_hops} hops"
    else:
        text = " ".join(
            f"({s['label']} {s['shown']})" if "label" in s else f"-[{s['relationship']}]-" for s in steps
        )
    emit(as_json, {"a": a, "b": b, "max_hops": max_hops, "path": steps}, text)


@cli.command("hotspots")
@click.option("--from", "start", required=True, help="First day (ISO 8601 date or time).")
@click.option("--to", "end", required=True, help="Day after the last (ISO 8601).")
@click.option("--category", help="One incident category (ontology notation).")
@click.option("--unit", type=click.Choice(["quartier", "cell"]), default="quartier", show_default=True)
@click.option("--cell", "cell_m", type=click.FloatRange(50, 10_000), default=500.0, show_default=True,
              help="Cell size in metres, with --unit cell.")  # fmt: skip
@click.option("--top", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
def hotspots_command(
    start: str, end: str, category: str | None, unit: str, cell_m: float, top: int, as_json: bool
) -> None:
    """Incident counts per quartier or cell over a period, and the change against the previous period."""
    from recoupe.graph.investigate import hotspots
    from recoupe.ingest.readers import parse_time
    from recoupe.ontology.errors import InvalidInput
    from recoupe.ontology.loader import ontology
    from recoupe.web import runtime

    try:
        low, high = parse_time(start), parse_time(end)
    except ValueError as exc:
        raise InvalidInput(str(exc), "give --from and --to as ISO 8601 dates") from None
    if category is not None and category not in ontology().vocabulary("IncidentCategory").notations:
        raise InvalidInput(
            f"unknown category {category!r}", "use a category of the ontology (theft, noise, …)"
        )
    with runtime.open_graph(current_app.config, read_only=True) as graph:
        rows = hotspots(graph, low, high, category, unit, cell_m, top)
    audit.record("view.hotspots", [f"from={start}", f"to={end}", f"unit={unit}"])
    lines = [f"{'unit':<34} {'count':>6} {'before':>6} {'change':>7}"]
    for r in rows:
        change = "new" if r["change"] is None else f"{100 * r['change']:+.0f} %"
        lines.append(f"{r['unit']:<34} {r['count']:>6} {r['previous']:>6} {change:>7}")
    emit(
        as_json,
        {"from": low.isoformat(), "to": high.isoformat(), "unit": unit, "rows": rows},
        "\n".join(lines),
    )
