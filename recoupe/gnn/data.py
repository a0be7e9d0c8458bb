"""What forecasting reads from the graph: located incidents, cameras and their outages, street assets and the
damage done to them, as the arrays of `frame.py`. Days are local calendar days in the city's time zone.

Only incidents whose place locates them (address, landmark, street: those with a `geo_key`) are counted: a
quartier's or the city's centroid would pile imprecise incidents into one cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from recoupe.gnn.frame import Events, Floats, Sensors
from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.graph.links import camera_points
from recoupe.graph.values import from_graph
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.loader import ontology


def load_events(graph: Graph, tz: str = "Europe/Paris", categories: Sequence[str] | None = None) -> Events:
    """Every located incident; `categories` keeps those (in that order), else every category the graph holds,
    in the ontology's order."""
    zone = ZoneInfo(tz)
    rows: list[tuple[float, float, date, str]] = []
    with graph.session() as session:
        for r in session.run(queries.FORECAST_INCIDENTS):
            when = from_graph(r["starts"])
            if isinstance(when, datetime) and r["lat"] is not None and r["category"]:
                rows.append(
                    (float(r["lat"]), float(r["lon"]), when.astimezone(zone).date(), str(r["category"]))
                )
    if not rows:
        raise InvalidInput(
            "the graph holds no located incident to forecast from",
            "ingest logs or events first (recoupe ingest logs|events FILE)",
        )
    present = {r[3] for r in rows}
    if categories:
        unknown = [c for c in categories if c not in ontology().vocabulary("IncidentCategory").notations]
        if unknown:
            raise InvalidInput(f"unknown category {unknown[0]!r}", "use the ontology's incident categories")
        chosen = tuple(categories)
    else:
        chosen = tuple(c for c in ontology().vocabulary("IncidentCategory").notations if c in present)
    index = {c: n for n, c in enumerate(chosen)}
    kept = [r for r in rows if r[3] in index]
    start = min(r[2] for r in rows)
    end = max(r[2] for r in rows)
    return Events(
        lat=np.array([r[0] for r in kept], dtype=np.float64),
        lon=np.array([r[1] for r in kept], dtype=np.float64),
        day=np.array([(r[2] - start).days for r in kept], dtype=np.int64),
        category=np.array([index[r[3]] for r in kept], dtype=np.int64),
        categories=chosen,
        start=start,
        n_days=(end - start).days + 1,
    )


def load_sensors(graph: Graph, events: Events, tz: str = "Europe/Paris") -> Sensors:
    """Cameras (outages as day intervals relative to `events.start`), assets, and damage (DAMAGED links)."""
    zone = ZoneInfo(tz)

    def day(epoch: float) -> int:
        return (datetime.fromtimestamp(epoch, zone).date() - events.start).days

    cameras = camera_points(graph)
    out: list[tuple[int, int, int]] = []
    for n, camera in enumerate(cameras):
        for first, last in camera.outages:
            out.append((n, day(first), day(last) if last is not None else events.n_days + 3650))
    with graph.session() as session:
        assets = [(float(r["lat"]), float(r["lon"])) for r in session.run(queries.FORECAST_ASSETS)]
    damage = load_damage(graph, events, tz)
    return Sensors(
        camera_lat=np.array([c.lat for c in cameras], dtype=np.float64),
        camera_lon=np.array([c.lon for c in cameras], dtype=np.float64),
        camera_out=tuple(out),
        asset_lat=np.array([a[0] for a in assets], dtype=np.float64),
        asset_lon=np.array([a[1] for a in assets], dtype=np.float64),
        asset_damaged_day=damage[:, 2].astype(np.int64),
    )


def load_damage(graph: Graph, events: Events, tz: str = "Europe/Paris") -> Floats:
    """[K, 3] rows of (lat, lon, day) of the assets damaged (DAMAGED links), days from `events.start`."""
    zone = ZoneInfo(tz)
    rows = []
    with graph.session() as session:
        for r in session.run(queries.FORECAST_DAMAGE):
            when = from_graph(r["starts"])
            if isinstance(when, datetime):
                rows.append(
                    (float(r["lat"]), float(r["lon"]), (when.astimezone(zone).date() - events.start).days)
                )
    return np.array(rows, dtype=np.float64).reshape(-1, 3)


def load_relations(graph: Graph, cutoff: datetime) -> dict[str, Floats]:
    """Pairs of incident positions [K, 4] (lat1, lon1, lat2, lon2) per relation, both incidents before
    `cutoff`: "NEAR_REPEAT" (near-repeat links) and "INVOLVES" (a person, plate or vehicle in common)."""
    from recoupe.graph.values import to_graph

    found: dict[str, list[tuple[float, float, float, float]]] = {"NEAR_REPEAT": [], "INVOLVES": []}
    with graph.session() as session:
        queries_by_kind = [("NEAR_REPEAT", queries.FORECAST_NEAR_REPEAT_PAIRS)] + [
            ("INVOLVES", q) for q in queries.FORECAST_SHARED_PAIRS.values()
        ]
        for kind, query in queries_by_kind:
            for r in session.run(query, cutoff=to_graph(cutoff)):
                found[kind].append((float(r["lat1"]), float(r["lon1"]), float(r["lat2"]), float(r["lon2"])))
    return {kind: np.array(rows, dtype=np.float64).reshape(-1, 4) for kind, rows in found.items()}
