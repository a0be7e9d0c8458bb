"""Forecasts written back to the graph: `Cell` nodes with their geometry, and one `Forecast` per cell and
category for the next horizon (probability, rank, model version, validity) with an explanation an analyst can
read — the cell's own recent incidents, its neighbours, cameras out, and the features that drove the score
most (gradient × input on the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from recoupe.gnn.backtest import Prepared
from recoupe.gnn.frame import Units
from recoupe.gnn.model import TrainedModel, attribution, version_of
from recoupe.gnn.model import model_path as model_path  # where it used to live: `recoupe demo` imports it
from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.graph.links import LOCATED
from recoupe.graph.values import to_graph
from recoupe.ontology.geo import offset
from recoupe.ontology.loader import ontology
from recoupe.ontology.wkt import to_wkt

FRENCH = {  # how a feature reads in an explanation
    "near_repeat": "répétitions proches récentes",
    "cameras": "caméras dans la maille",
    "cameras_out": "caméras en panne",
    "assets": "mobilier urbain",
    "weekday_sin": "jour de la semaine",
    "weekday_cos": "jour de la semaine",
    "month_sin": "saison",
    "month_cos": "saison",
    "holiday": "jour férié",
}


@dataclass(frozen=True)
class ForecastRow:
    cell: str
    category: str
    probability: float
    rank: int
    explanation: str
    lat: float
    lon: float


def model_version(model: TrainedModel) -> str:
    return version_of(model.meta)


def forecast(model: TrainedModel, data: Prepared, origin: int, explain_top: int = 10) -> list[ForecastRow]:
    """Probabilities for every cell and category at `origin` (a step index of `data`), ranked per category;
    the `explain_top` first of each category get the attribution in their explanation."""
    probs = model.predict(data.x, data.edges, np.array([origin]))[0]  # [N, C]
    rows = []
    for c, category in enumerate(data.events.categories):
        order = np.lexsort((np.arange(data.units.n), -probs[:, c]))
        explained = [int(n) for n in order[:explain_top]]
        scores = attribution(model, data.x, data.edges, origin, explained, c) if explained else None
        for rank, n in enumerate(order, 1):
            text = (
                _explain(data, scores, origin, int(n), c)
                if scores is not None and rank <= explain_top
                else _facts(data, origin, int(n), c)
            )
            rows.append(
                ForecastRow(
                    data.units.keys[n],
                    category,
                    float(probs[n, c]),
                    rank,
                    text,
                    float(data.units.lat[n]),
                    float(data.units.lon[n]),
                )
            )
    return rows


def _facts(data: Prepared, origin: int, n: int, c: int) -> str:
    labels = ontology().vocabulary("IncidentCategory").concepts
    category = data.events.categories[c]
    days = data.step_days
    recent = data.counts[max(0, origin - max(1, 28 // days)) : origin, n, c].sum()
    week = data.counts[max(0, origin - max(1, 7 // days)) : origin, n, c].sum()
    edges = data.edges["adjacent"]
    neighbours = edges[1][edges[0] == n]
    around = (
        data.counts[max(0, origin - max(1, 7 // days)) : origin][:, neighbours].sum()
        if len(neighbours)
        else 0
    )
    before = (
        data.counts[max(0, origin - 2 * max(1, 7 // days)) : max(0, origin - max(1, 7 // days))][
            :, neighbours
        ].sum()
        if len(neighbours)
        else 0
    )
    label = labels[category].labels.fr.lower() if category in labels else category
    parts = [f"{label} : {int(week)} sur 7 jours, {int(recent)} sur 28 jours dans la maille"]
    if len(neighbours):
        trend = "en hausse" if around > before else ("en baisse" if around < before else "stable")
        parts.append(f"mailles voisines : {int(around)} incidents sur 7 jours ({trend})")
    if "cameras_out" in data.names:
        out = data.x[origin, n, data.names.index("cameras_out")]
        if out > 0:
            parts.append(f"{int(out)} caméra(s) en panne")
    return " ; ".join(parts)


def _explain(data: Prepared, scores: np.ndarray[Any, Any], origin: int, n: int, c: int) -> str:
    own = scores[n]
    top = [i for i in np.argsort(-own) if own[i] > 0][:3]
    drivers = ", ".join(_read(data.names[i]) for i in top)
    edges = data.edges["adjacent"]
    neighbours = edges[1][edges[0] == n]
    weight = scores[neighbours].sum(axis=1) if len(neighbours) else np.zeros(0)
    push = [int(neighbours[j]) for j in np.argsort(-weight)[:2] if weight[j] > 0]
    text = _facts(data, origin, n, c)
    if drivers:
        text += f" ; facteurs principaux : {drivers}"
    if push:
        text += " ; mailles voisines qui pèsent : " + ", ".join(data.units.keys[j] for j in push)
    return text


def _read(name: str) -> str:
    if name in FRENCH:
        return FRENCH[name]
    head, _, window = name.rpartition("_w")
    if head and window.isdigit():
        concepts = ontology().vocabulary("IncidentCategory").concepts
        label = (
            "tous incidents" if head == "all" else (concepts[head].labels.fr if head in concepts else head)
        )
        if head == "damage":
            label = "dégradations de mobilier"
        elif head == "neighbours":
            label = "mailles voisines"
        return f"{label} sur {window} j"
    return name


def cell_geometry(units: Units, n: int) -> str:
    """The cell's polygon as WKT: a square for a grid, the hexagon for H3."""
    if units.name.startswith("h3:"):
        import h3

        boundary = h3.cell_to_boundary(units.keys[n].split(":", 2)[2])
        return to_wkt([[[(lon, lat) for lat, lon in boundary]]])
    size = float(units.name.split(":")[1])
    lon, lat = float(units.lon[n]), float(units.lat[n])
    corners = [
        offset(lon, lat, dx * size / 2, dy * size / 2) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]
    return to_wkt([[corners]])


def write_forecasts(
    graph: Graph, model: TrainedModel, data: Prepared, origin: int, rows: list[ForecastRow], tz: str
) -> int:
    """Replace the forecasts of this unit and horizon with `rows`; returns how many were written."""
    zone = ZoneInfo(tz)
    start_day = data.events.start + timedelta(days=origin * data.step_days)
    valid_from = datetime(start_day.year, start_day.month, start_day.day, tzinfo=zone)
    valid_to = valid_from + timedelta(days=data.step_days)
    version = model_version(model)
    unit, horizon = data.units.name, f"{data.step_days}d"
    cells = [
        {
            "id": key,
            "unit": unit,
            "lat": float(data.units.lat[n]),
            "lon": float(data.units.lon[n]),
            "geometry": cell_geometry(data.units, n),
        }
        for n, key in enumerate(data.units.keys)
    ]
    issued = datetime.now(UTC)
    forecasts = [
        {
            "cell": r.cell,
            "id": f"{version}:{valid_from.date().isoformat()}:{r.category}:{r.cell}",
            "props": {
                "category": r.category,
                "probability": round(r.probability, 6),
                "rank": r.rank,
                "horizon": horizon,
                "unit": unit,
                "model_version": version,
                "issued_at": issued,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "explanation": r.explanation,
            },
        }
        for r in rows
    ]
    with graph.session() as session:
        for start in range(0, len(cells), 2000):
            session.execute_write(_write, queries.MERGE_CELLS, cells[start : start + 2000])
        session.run(queries.REMOVE_FORECASTS, unit=unit, horizon=horizon).consume()
        for start in range(0, len(forecasts), 2000):
            chunk = to_graph(forecasts[start : start + 2000])
            session.execute_write(_write, queries.CREATE_FORECASTS, chunk)
    return len(forecasts)


def link_cells(graph: Graph, units: Units) -> tuple[int, int]:
    """Places and incidents IN their cell of this unit: those located finely enough to be counted in one (an
    address, a street, a landmark), in a cell the forecasts wrote. Returns how many places and how many
    incidents were linked. The places' links are made again each time; an incident keeps its link (it goes
    when its facts are replaced), and only those without one are linked."""
    from recoupe.gnn.units import assign

    def cells_of(rows: list[Any]) -> list[tuple[str, str]]:
        found = assign(
            units, np.array([float(r["lat"]) for r in rows]), np.array([float(r["lon"]) for r in rows])
        )
        return [(str(r["id"]), units.keys[c]) for r, c in zip(rows, found, strict=True) if c >= 0]

    linked = {}
    with graph.session() as session:
        places = cells_of(list(session.run(queries.CELL_PLACE_POINTS, located=list(LOCATED))))
        incidents = cells_of(list(session.run(queries.CELL_INCIDENT_POINTS, unit=units.name)))
        session.run(queries.UNLINK_PLACE_CELLS, unit=units.name).consume()
        for query, key, pairs in (
            (queries.LINK_PLACES_TO_CELLS, "place", places),
            (queries.LINK_INCIDENTS_TO_CELLS, "incident", incidents),
        ):
            linked[key] = 0
            for start in range(0, len(pairs), 5000):
                chunk = [{key: node, "cell": cell} for node, cell in pairs[start : start + 5000]]
                linked[key] += session.execute_write(_linked, query, chunk)
    return linked["place"], linked["incident"]


def _linked(tx: Any, query: str, rows: list[dict[str, Any]]) -> int:
    return int(tx.run(query, rows=rows).single(strict=True)["linked"])


def _write(tx: Any, query: str, rows: list[dict[str, Any]]) -> None:
    tx.run(query, rows=rows).consume()
