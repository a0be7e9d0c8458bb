"""Link rules: declarative, explained, incremental.

Each rule has a name and parameters with defaults, reads what it needs from the graph, computes its links in
Python (a spatial grid, no scan of pairs) and writes the difference with what the graph holds: a rerun with
nothing new creates and removes nothing. Every relationship carries the rule's name and its reasons (distance,
angle, time gap, evidence span). The choices are explained in docs/linking.md.

- `seen_by`: SEEN_BY incident → camera when the place lies within the camera's range and inside its
  field-of-view wedge, and the camera was installed and working at some moment of the occurrence interval;
  MISSED_BY when it was out for the whole interval (it would have seen it).
- `damaged`: DAMAGED incident → street asset when a damage incident's text names an asset type and an asset of
  that type stands within a radius of the place (nearest wins; the distance and the mention's span are kept).
- `near_repeat`: NEAR_REPEAT later incident → earlier incident of a related category within R metres and T
  days.
- `in`: IN place, camera, asset → quartier (point in polygon); quartier → arrondissement is written when the
  quartiers are loaded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.graph.linkrules import (
    DAMAGE_CATEGORIES as DAMAGE_CATEGORIES,
)
from recoupe.graph.linkrules import (  # the rules; re-exported for the callers of links
    LOCATED as LOCATED,
)
from recoupe.graph.linkrules import (
    NEAR_REPEAT_GROUPS as NEAR_REPEAT_GROUPS,
)
from recoupe.graph.linkrules import (
    AssetPoint as AssetPoint,
)
from recoupe.graph.linkrules import (
    CameraPoint as CameraPoint,
)
from recoupe.graph.linkrules import (
    Containment as Containment,
)
from recoupe.graph.linkrules import (
    Damaged as Damaged,
)
from recoupe.graph.linkrules import (
    IncidentPoint as IncidentPoint,
)
from recoupe.graph.linkrules import (
    Link as Link,
)
from recoupe.graph.linkrules import (
    NearRepeat as NearRepeat,
)
from recoupe.graph.linkrules import (
    QuartierArea as QuartierArea,
)
from recoupe.graph.linkrules import (
    SeenBy as SeenBy,
)
from recoupe.graph.linkrules import (
    in_wedge as in_wedge,
)
from recoupe.graph.linkrules import (
    working as working,
)
from recoupe.graph.values import from_graph
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.wkt import parse_wkt

# ---------------------------------------------------------------- running rules against the graph

RULES = ("seen_by", "damaged", "near_repeat", "in")


@dataclass
class RuleResult:
    rule: str
    created: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # relationship type → links now held

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "created": self.created, "removed": self.removed, "unchanged": self.unchanged,
            "seconds": round(self.seconds, 2), "counts": self.counts,
        }  # fmt: skip


@dataclass(frozen=True)
class LinkSettings:
    seen_by: SeenBy = field(default_factory=SeenBy)
    damaged: Damaged = field(default_factory=Damaged)
    near_repeat: NearRepeat = field(default_factory=NearRepeat)
    containment: Containment = field(default_factory=Containment)


def run_rules(
    graph: Graph,
    rules: Sequence[str] = RULES,
    scope: Sequence[str] | None = None,
    settings: LinkSettings = LinkSettings(),
) -> list[RuleResult]:
    """Run the named rules over every incident (scope None) or over the given incidents only, and write the
    difference. Idempotent."""
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise InvalidInput(f"unknown link rule {unknown[0]!r}", f"use one of: {', '.join(RULES)}")
    results = []
    wanted = set(scope) if scope is not None else None
    if scope is not None and not scope:
        return [RuleResult(rule) for rule in rules]
    incidents: list[IncidentPoint] | None = None
    for rule in rules:
        began = time.perf_counter()
        if rule == "in":
            kinds = ("IN:Place", "IN:Camera", "IN:StreetAsset")
            result = _apply(graph, rule, _containment_links(graph, settings.containment), kinds, None)
        else:
            if incidents is None:
                incidents = _incidents(graph, scope)
            if rule == "seen_by":
                links = settings.seen_by.links(incidents, camera_points(graph))
                result = _apply(graph, rule, links, ("SEEN_BY", "MISSED_BY"), wanted)
            elif rule == "damaged":
                links = settings.damaged.links(incidents, _assets(graph))
                result = _apply(graph, rule, links, ("DAMAGED",), wanted)
            else:
                universe = (
                    incidents if scope is None else _neighbourhood(graph, incidents, settings.near_repeat)
                )
                links = settings.near_repeat.links(universe, wanted)
                result = _apply(graph, rule, links, ("NEAR_REPEAT",), wanted)
        result.seconds = time.perf_counter() - began
        results.append(result)
    return results


def _epoch(value: Any) -> float | None:
    native = from_graph(value)
    return native.timestamp() if isinstance(native, datetime) else None


def _incident(row: Any) -> IncidentPoint | None:
    start = _epoch(row["starts"])
    if row["lat"] is None or row["lon"] is None or start is None:
        return None
    end = _epoch(row["ends"]) or start
    return IncidentPoint(
        row["id"], float(row["lat"]), float(row["lon"]), start, max(end, start), row["category"] or "other",
        row["precision"] or "city", tuple(row["asset_types"] or ()), tuple(row["asset_spans"] or ()),
    )  # fmt: skip


def _incidents(graph: Graph, scope: Sequence[str] | None) -> list[IncidentPoint]:
    with graph.session() as session:
        if scope is None:
            rows = session.run(queries.LINK_INCIDENTS)
        else:
            rows = session.run(queries.LINK_INCIDENTS_BY_ID, ids=list(scope))
        return [p for p in (_incident(r) for r in rows) if p is not None]


def _neighbourhood(graph: Graph, incidents: list[IncidentPoint], rule: NearRepeat) -> list[IncidentPoint]:
    """The scope's incidents and every incident whose start lies within the rule's window of theirs."""
    if not incidents:
        return []
    window = rule.days * 86_400
    low = min(i.start for i in incidents) - window
    high = max(i.start for i in incidents) + window
    with graph.session() as session:
        rows = session.run(
            queries.LINK_INCIDENTS_BETWEEN,
            low=datetime.fromtimestamp(low, UTC),
            high=datetime.fromtimestamp(high, UTC),
        )
        found = {p.id: p for p in (_incident(r) for r in rows) if p is not None}
    found.update({i.id: i for i in incidents})
    return list(found.values())


def camera_points(graph: Graph) -> list[CameraPoint]:
    """Every camera with its wedge, service dates and outages."""
    cameras = []
    with graph.session() as session:
        for row in session.run(queries.LINK_CAMERAS):
            outages = []
            for interval in row["outages"] or ():
                first, _, last = str(interval).partition("/")
                outages.append(
                    (
                        datetime.fromisoformat(first).timestamp(),
                        datetime.fromisoformat(last).timestamp() if last else None,
                    )
                )
            cameras.append(
                CameraPoint(
                    row["id"],
                    float(row["lat"]),
                    float(row["lon"]),
                    float(row["bearing_deg"]),
                    float(row["fov_deg"]),
                    float(row["range_m"]),
                    _epoch(row["installed_at"]),
                    _epoch(row["removed_at"]),
                    tuple(outages),
                )
            )
    return cameras


def _assets(graph: Graph) -> list[AssetPoint]:
    with graph.session() as session:
        return [
            AssetPoint(
                row["id"],
                row["asset_type"],
                float(row["lat"]),
                float(row["lon"]),
                _epoch(row["installed_at"]),
                _epoch(row["removed_at"]),
            )
            for row in session.run(queries.LINK_ASSETS)
        ]


def _containment_links(graph: Graph, rule: Containment) -> Iterator[Link]:
    with graph.session() as session:
        quartiers = []
        for row in session.run(queries.LINK_QUARTIERS):
            polygons = parse_wkt(row["geometry"])
            xs = [x for polygon in polygons for x, _ in polygon[0]]
            ys = [y for polygon in polygons for _, y in polygon[0]]
            quartiers.append(QuartierArea(row["id"], polygons, (min(xs), min(ys), max(xs), max(ys))))
        if not quartiers:  # another city without its quartiers loaded: nothing to contain
            return
        points = [
            (r["label"], r["id"], float(r["lat"]), float(r["lon"]))
            for query in queries.LINK_POINTS.values()
            for r in session.run(query)
        ]
    yield from rule.links(points, quartiers)


def _apply(
    graph: Graph, rule: str, links: Iterable[Link], types: tuple[str, ...], scope: set[str] | None
) -> RuleResult:
    """Write the difference between the computed links and those the graph holds (within the scope)."""
    result = RuleResult(rule)
    wanted: dict[tuple[str, str, str], dict[str, Any]] = {(t, a, b): props for t, a, b, props in links}
    with graph.session() as session:
        held: dict[tuple[str, str, str], dict[str, Any]] = {}
        for kind in types:
            for query in queries.held_links(kind, scoped=scope is not None):
                for row in session.run(query, ids=sorted(scope or ())):
                    props = {k: v for k, v in dict(row["props"]).items() if v is not None}
                    held[(kind, row["a"], row["b"])] = props
        remove = [key for key, props in held.items() if wanted.get(key) != props]
        create = [key for key, props in wanted.items() if held.get(key) != props]
        for kind in types:
            gone = [{"a": a, "b": b} for t, a, b in remove if t == kind]
            new = [{"a": a, "b": b, "props": wanted[(t, a, b)]} for t, a, b in create if t == kind]
            for query, rows in ((queries.remove_links(kind), gone), (queries.create_links(kind), new)):
                for chunk in _chunks(rows):
                    session.execute_write(_run_write, query, chunk)
    result.created = len(create)
    result.removed = len(remove)
    result.unchanged = len(wanted) - len(create)
    for kind in types:
        result.counts[kind] = sum(1 for t, _, _ in wanted if t == kind)
    return result


def _run_write(tx: Any, query: str, rows: list[dict[str, Any]]) -> None:
    tx.run(query, rows=rows).consume()


def _chunks(rows: list[dict[str, Any]], size: int = 5_000) -> Iterator[list[dict[str, Any]]]:
    for n in range(0, len(rows), size):
        yield rows[n : n + size]
