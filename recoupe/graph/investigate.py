"""The investigators' questions, answered from the linked graph: connections of an incident with their
reasons, the cameras that saw it (or were out), an entity's timeline, the shortest path between two things,
and hotspots against the previous period.

People are shown by pseudonym only; the ids of Person nodes (keyed hashes) never leave this module.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.graph.links import LOCATED, camera_points, in_wedge, working
from recoupe.graph.values import from_graph, to_graph
from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.ontology.geo import distance_m, geo_keys_near, planar
from recoupe.ontology.plates import normalise_plate

# What one shared thing weighs in the ranking: a person or a plate in common says more than a camera.
WEIGHTS = {
    "Person": 5.0, "Plate": 5.0, "Vehicle": 4.0, "Organisation": 0.5, "Object": 1.0,
    "near_repeat": 3.0, "asset": 3.0, "camera": 1.0, "place_time": 2.0,
}  # fmt: skip


@dataclass
class Connection:
    id: str
    category: str | None = None
    occurred_from: datetime | None = None
    precision: str | None = None
    score: float = 0.0
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, weight: float, **detail: Any) -> None:
        self.score += weight
        self.reasons.append({"kind": kind, **detail})

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "category": self.category,
            "occurred_from": self.occurred_from.isoformat() if self.occurred_from else None,
            "precision": self.precision, "score": round(self.score, 2), "reasons": self.reasons,
        }  # fmt: skip


def _brief(session: Any, incident_id: str) -> dict[str, Any]:
    row = session.run(queries.INCIDENT_BRIEF, id=incident_id).single()
    if row is None:
        raise NotFound(
            f"no incident {incident_id!r}", "give an id as `recoupe ingest` reports it (source:id)"
        )
    return {k: from_graph(v) for k, v in dict(row).items()}


def connections(
    graph: Graph, incident_id: str, radius_m: float = 300.0, hours: float = 72.0
) -> list[Connection]:
    """Every incident connected to this one by a shared person, plate, vehicle or organisation, a near repeat,
    a camera that saw both within the time window, a damaged asset, or place and time (within `radius_m` and
    `hours`), each with its reasons; ranked by the sum of the reasons' weights."""
    if radius_m <= 0 or hours <= 0:
        raise InvalidInput("radius and hours must be positive", "give --radius and --hours above 0")
    found: dict[str, Connection] = {}

    def hit(row: Any) -> Connection:
        other = found.get(row["id"])
        if other is None:
            other = Connection(row["id"], row["category"], from_graph(row["starts"]), row["precision"])
            found[row["id"]] = other
        return other

    with graph.session() as session:  # two round trips: the shared things, then place and time
        me = session.run(queries.CONNECTED, id=incident_id, seconds=hours * 3600).single()
        if me is None:
            raise NotFound(
                f"no incident {incident_id!r}", "give an id as `recoupe ingest` reports it (source:id)"
            )
        for row in me["entities"]:
            label = row["label"]
            shown = row["pseudonym"] if label == "Person" else row["entity"]
            roles = {"here": row["role_here"], "there": row["role_there"]} if label == "Person" else {}
            hit(row).add(label.lower(), WEIGHTS.get(label, 1.0), entity=shown, **roles)
        for row in me["near_repeats"]:
            hit(row).add("near_repeat", WEIGHTS["near_repeat"], metres=row["metres"], hours=row["hours"])
        for row in me["cameras"]:  # seen by one camera within `hours` of this one
            hit(row).add("camera", WEIGHTS["camera"], camera=row["camera"])
        for row in me["assets"]:
            hit(row).add("asset", WEIGHTS["asset"], asset=row["asset"], asset_type=row["asset_type"])
        if me["precision"] in LOCATED and me["lat"] is not None:
            start: datetime = from_graph(me["starts"])
            end: datetime = from_graph(me["ends"]) or start
            low, high = start - timedelta(hours=hours), end + timedelta(hours=hours)
            keys = geo_keys_near(me["lat"], me["lon"], radius_m, low.timestamp(), high.timestamp())
            for row in session.run(queries.INCIDENTS_BY_GEO_KEY, keys=keys):
                if row["id"] == incident_id:
                    continue
                other_start = from_graph(row["starts"])
                other_end = from_graph(row["ends"]) or other_start
                gap = _gap_hours(start, end, other_start, other_end)
                metres = distance_m(me["lon"], me["lat"], row["lon"], row["lat"])
                if metres <= radius_m and gap <= hours:
                    closeness = (1 - metres / radius_m) * (1 - gap / hours)
                    hit(row).add(
                        "place_time", WEIGHTS["place_time"] * (0.5 + 0.5 * closeness),
                        distance_m=round(metres, 1), hours=round(gap, 2),
                    )  # fmt: skip
    return sorted(found.values(), key=lambda c: (-c.score, c.id))


def _gap_hours(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    """Hours between two intervals (0 when they overlap)."""
    seconds = max(0.0, (b0 - a1).total_seconds(), (a0 - b1).total_seconds())
    return seconds / 3600


@dataclass(frozen=True)
class CameraView:
    camera: str
    label: str | None
    state: str  # "seen" (working, in view) or "out" (in view, out of service)
    distance_m: float
    angle_deg: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "camera": self.camera, "label": self.label, "state": self.state,
            "distance_m": self.distance_m, "angle_deg": self.angle_deg,
        }  # fmt: skip


def cameras_for(graph: Graph, incident_id: str) -> list[CameraView]:
    """The cameras that saw the incident (SEEN_BY) and those that would have but were out (MISSED_BY)."""
    with graph.session() as session:
        _brief(session, incident_id)
        return incident_cameras(session, incident_id)


def incident_cameras(session: Any, incident_id: str) -> list[CameraView]:
    """`cameras_for` in an open session, for an incident known to exist (none for one that does not)."""
    return camera_views(session.run(queries.CAMERAS_OF_INCIDENT, id=incident_id))


def camera_views(rows: Iterable[Mapping[str, Any]]) -> list[CameraView]:
    """Rows of camera, label, kind (SEEN_BY or MISSED_BY), distance_m and angle_deg as views: those that saw
    it first, then those that were out, nearest first in each."""
    views = [
        CameraView(r["camera"], r["label"], "seen" if r["kind"] == "SEEN_BY" else "out", r["distance_m"],
                   r["angle_deg"])
        for r in rows
    ]  # fmt: skip
    return sorted(views, key=lambda v: (v.state != "seen", v.distance_m is None, v.distance_m or 0.0))


def cameras_at(graph: Graph, lat: float, lon: float, at: datetime) -> list[CameraView]:
    """The cameras whose wedge holds a point, working or out at a moment (no incident needed)."""
    views = []
    moment = at.timestamp()
    for camera in camera_points(graph):
        seen = in_wedge(camera, lat, lon)
        state = working(camera, moment, moment) if seen else None
        if seen is not None and state is not None:
            views.append(
                CameraView(camera.id, None, "seen" if state else "out", round(seen[0], 1), round(seen[1], 1))
            )
    return sorted(views, key=lambda v: (v.state != "seen", v.distance_m))


# ---------------------------------------------------------------- entities

ENTITY_HELP = (
    "give a pseudonym (P-…), a plate, a camera or asset id, a place or quartier name, or an incident id"
)


def resolve(graph: Graph, entity: str) -> tuple[str, str]:
    """What a user types ('P-1A2B3C4D', 'AB-123-CD', 'CAM-0042', 'Noailles', 'MC:2024-17') → (label, id)."""

    value = entity.strip()
    with graph.session() as session:
        if value.upper().startswith("P-"):
            row = session.run(queries.PERSON_BY_PSEUDONYM, value=value.upper()).single()
            if row is not None:
                return "Person", str(row["id"])
        for label in ("Incident", "Camera", "StreetAsset", "Place", "Quartier"):
            row = session.run(queries.NODE_EXISTS[label], value=value).single()
            if row is not None:
                return label, str(row["id"])
        plate = normalise_plate(value)
        if plate and session.run(queries.NODE_EXISTS["Plate"], value=plate).single() is not None:
            return "Plate", plate
        for label, query in (("Place", queries.PLACE_BY_NAME), ("Quartier", queries.QUARTIER_BY_NAME)):
            row = session.run(query, value=value).single()
            if row is None and label == "Quartier":
                row = session.run(query, value=value.upper()).single()
            if row is not None:
                return label, str(row["id"])
    raise NotFound(f"nothing in the graph is called {entity!r}", ENTITY_HELP)


def timeline(graph: Graph, entity: str, limit: int = 1000) -> tuple[str, list[dict[str, Any]]]:
    """An entity's incidents in time order, with how each involves it."""
    label, node_id = resolve(graph, entity)
    if label not in queries.TIMELINE:
        raise InvalidInput(f"{entity!r} is an {label}, which has no timeline", ENTITY_HELP)
    with graph.session() as session:
        rows = session.run(queries.TIMELINE[label], id=node_id, limit=limit)
        items = [
            {
                "id": r["id"],
                "category": r["category"],
                "occurred_from": _iso(r["starts"]),
                "occurred_to": _iso(r["ends"]),
                "precision": r["precision"],
                "relation": r["relation"],
                **({"role": r["role"]} if r["role"] else {}),
            }
            for r in rows
        ]
    return label, items


def _iso(value: Any) -> str | None:
    native = from_graph(value)
    return native.isoformat() if isinstance(native, datetime) else None


def path(graph: Graph, a: str, b: str, max_hops: int = 4) -> list[dict[str, Any]]:
    """The shortest chain of relationships between two entities or incidents: nodes and the types between them
    (people by pseudonym). Empty when none within `max_hops`."""
    if not 1 <= max_hops <= 8:
        raise InvalidInput("max hops must be between 1 and 8", "give --max-hops 1 to 8")
    (_, first), (_, second) = resolve(graph, a), resolve(graph, b)
    with graph.session() as session:
        row = session.run(queries.SHORTEST_PATH[max_hops], a=first, b=second).single()
    if row is None or row["nodes"] is None:
        return []
    steps: list[dict[str, Any]] = []
    for n, (label, node_id, pseudonym, name) in enumerate(row["nodes"]):
        shown = pseudonym if label == "Person" else (name or node_id)
        steps.append({"label": label, "id": None if label == "Person" else node_id, "shown": shown})
        if n < len(row["types"]):
            steps.append({"relationship": row["types"][n]})
    return steps


# ---------------------------------------------------------------- hotspots


def hotspots(
    graph: Graph,
    start: datetime,
    end: datetime,
    category: str | None = None,
    unit: str = "quartier",
    cell_m: float = 500.0,
    top: int = 20,
) -> list[dict[str, Any]]:
    """Incident counts per quartier (or square cell of `cell_m`) in [start, end), with the previous period of
    the same length and the change."""
    if end <= start:
        raise InvalidInput("the period is empty", "give --to after --from")
    if unit not in ("quartier", "cell"):
        raise InvalidInput(f"unknown unit {unit!r}", "use quartier or cell")
    before = start - (end - start)
    now, then = (
        _counts(graph, start, end, category, unit, cell_m),
        _counts(graph, before, start, category, unit, cell_m),
    )
    rows: list[dict[str, Any]] = []
    for key in set(now) | set(then):
        count, previous = now.get(key, (0, 0.0, 0.0))[0], then.get(key, (0, 0.0, 0.0))[0]
        lat, lon = (now.get(key) or then[key])[1:]
        change = None if previous == 0 else round((count - previous) / previous, 3)
        rows.append({"unit": key, "count": count, "previous": previous, "change": change,
                     "lat": round(lat, 6), "lon": round(lon, 6)})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["count"], -(r["count"] - r["previous"]), r["unit"]))[:top]


def _counts(
    graph: Graph, low: datetime, high: datetime, category: str | None, unit: str, cell_m: float
) -> dict[str, tuple[int, float, float]]:
    params = {"low": to_graph(low), "high": to_graph(high), "category": category}
    with graph.session() as session:
        if unit == "quartier":
            return {
                r["unit"]: (int(r["count"]), float(r["lat"] or 0), float(r["lon"] or 0))
                for r in session.run(queries.HOTSPOT_QUARTIERS, **params)
            }
        counts: Counter[tuple[int, int]] = Counter()
        for r in session.run(queries.HOTSPOT_POINTS, **params):
            x, y = planar(r["lat"], r["lon"], 45.0)
            counts[(math.floor(x / cell_m), math.floor(y / cell_m))] += 1
    scale = 111_320.0
    result = {}
    for (cx, cy), n in counts.items():
        lat = (cy + 0.5) * cell_m / scale
        lon = (cx + 0.5) * cell_m / (scale * math.cos(math.radians(45.0)))
        result[f"cell {cx}:{cy}"] = (n, lat, lon)
    return result
