"""Typed wrappers, one per query of `recoupe.graph.queries`; other packages call these, not `session.run`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j

from recoupe.graph import queries
from recoupe.graph.values import from_graph, to_graph


@dataclass(frozen=True)
class SourceRow:
    """A file or feed that facts came from."""

    id: str
    name: str
    kind: str
    ingested_at: datetime | None


def ping(session: neo4j.Session) -> bool:
    """True when the server runs a trivial statement on this database."""
    return bool(session.run(queries.PING).single(strict=True)["ok"] == 1)


def count_nodes(session: neo4j.Session) -> int:
    return int(session.run(queries.COUNT_NODES).single(strict=True)["count"])


def count_relationships(session: neo4j.Session) -> int:
    return int(session.run(queries.COUNT_RELATIONSHIPS).single(strict=True)["count"])


def node_counts_by_label(session: neo4j.Session) -> dict[str, int]:
    return {r["label"]: int(r["count"]) for r in session.run(queries.NODE_COUNTS_BY_LABEL)}


def relationship_counts_by_type(session: neo4j.Session) -> dict[str, int]:
    return {r["type"]: int(r["count"]) for r in session.run(queries.RELATIONSHIP_COUNTS_BY_TYPE)}


def show_indexes(session: neo4j.Session) -> list[dict[str, Any]]:
    return [r.data() for r in session.run(queries.SHOW_INDEXES)]


def merge_source(session: neo4j.Session, id: str, name: str, kind: str, ingested_at: datetime) -> str:
    """Create or update a Source node; returns its id."""
    record = session.run(queries.MERGE_SOURCE, id=id, name=name, kind=kind, ingested_at=to_graph(ingested_at))
    return str(record.single(strict=True)["id"])


def sources(session: neo4j.Session) -> list[SourceRow]:
    return [
        SourceRow(
            id=r["id"],
            name=r["name"],
            kind=r["kind"],
            ingested_at=from_graph(r["ingested_at"]),
        )
        for r in session.run(queries.SOURCES)
    ]


# ---------------------------------------------------------------- incidents (a session or a transaction)

Runner = neo4j.Session | neo4j.ManagedTransaction


def incident_hashes(runner: Runner, ids: list[str]) -> dict[str, str | None]:
    """The stored text hash of each incident that exists (absent ids are new)."""
    return {r["id"]: r["text_hash"] for r in runner.run(queries.INCIDENT_HASHES, ids=ids)}


def detach_incident_facts(runner: Runner, ids: list[str]) -> int:
    """Remove what these incidents' earlier versions linked, and the nodes left with no link; returns them."""
    return int(runner.run(queries.DETACH_INCIDENT_FACTS, ids=ids).single(strict=True)["orphans"])


# The writes of an incident batch (graph/incidents.write_batch) take rows already as the wire sends them:
# write_batch packs the incidents' datetimes itself, and the other rows hold only strings and numbers, so a
# second walk over every row here (to_graph) would only cost the writing thread the interpreter's lock.


def merge_incidents(runner: Runner, rows: list[dict[str, Any]]) -> None:
    runner.run(queries.MERGE_INCIDENTS, rows=rows).consume()


def link_sources(runner: Runner, rows: list[dict[str, Any]], ingested_at: Any) -> None:
    runner.run(queries.LINK_SOURCES, rows=rows, ingested_at=ingested_at).consume()


def merge_places(runner: Runner, rows: list[dict[str, Any]]) -> None:
    runner.run(queries.MERGE_PLACES, rows=rows).consume()


def link_places(runner: Runner, rows: list[dict[str, Any]]) -> None:
    runner.run(queries.LINK_PLACES, rows=rows).consume()


def place_evidence(runner: Runner, rows: list[dict[str, Any]]) -> None:
    runner.run(queries.EVIDENCE_PLACES, rows=rows).consume()


ENTITY_QUERIES = {
    "Person": (queries.MERGE_PERSONS, queries.INVOLVES_PERSONS, queries.EVIDENCE_PERSONS),
    "Plate": (queries.MERGE_PLATES, queries.INVOLVES_PLATES, queries.EVIDENCE_PLATES),
    "Vehicle": (queries.MERGE_VEHICLES, queries.INVOLVES_VEHICLES, queries.EVIDENCE_VEHICLES),
    "Object": (queries.MERGE_OBJECTS, queries.INVOLVES_OBJECTS, queries.EVIDENCE_OBJECTS),
    "Organisation": (
        queries.MERGE_ORGANISATIONS,
        queries.INVOLVES_ORGANISATIONS,
        queries.EVIDENCE_ORGANISATIONS,
    ),
}


def merge_entities(runner: Runner, label: str, rows: list[dict[str, Any]]) -> None:
    runner.run(ENTITY_QUERIES[label][0], rows=rows).consume()


def link_involved(runner: Runner, label: str, rows: list[dict[str, Any]]) -> None:
    runner.run(ENTITY_QUERIES[label][1], rows=rows).consume()


def link_evidence(runner: Runner, label: str, rows: list[dict[str, Any]]) -> None:
    runner.run(ENTITY_QUERIES[label][2], rows=rows).consume()


def link_plates_to_vehicles(runner: Runner, rows: list[dict[str, Any]]) -> None:
    runner.run(queries.LINK_PLATES_TO_VEHICLES, rows=rows).consume()


def node_properties(runner: Runner, label: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """id → stored properties (as plain Python) of the nodes of a label that exist among `ids`."""
    rows = runner.run(queries.NODE_PROPERTIES[label], ids=ids)
    return {r["id"]: {k: from_graph(v) for k, v in dict(r["props"]).items()} for r in rows}


def merge_nodes(runner: Runner, label: str, rows: list[dict[str, Any]]) -> None:
    """Create or update nodes of an inventory label: rows of {"id", "props"}."""
    runner.run(queries.MERGE_NODES[label], rows=to_graph(rows)).consume()


def quartiers_in_arrondissements(runner: Runner, rows: list[dict[str, Any]]) -> None:
    runner.run(queries.QUARTIERS_IN_ARRONDISSEMENTS, rows=rows).consume()


# ---- console and analytics (recoupe/graph/analytics.py)


def analytics_count_incidents(session: neo4j.Session) -> int:
    return int(session.run(queries.ANALYTICS_COUNT_INCIDENTS).single(strict=True)["count"])


def analytics_near_repeats(session: neo4j.Session) -> Iterator[tuple[str, str]]:
    """(later, earlier) incident ids of every NEAR_REPEAT link, streamed (read them inside the session)."""
    for record in session.run(queries.ANALYTICS_NEAR_REPEATS):
        yield record[0], record[1]


def analytics_members(session: neo4j.Session, label: str) -> Iterator[tuple[str, str]]:
    """(incident id, entity id) of each INVOLVES to a Person, Plate or Vehicle, or OCCURRED_AT a Place."""
    for record in session.run(queries.ANALYTICS_MEMBERS[label]):
        yield record[0], record[1]


def analytics_held_series(session: neo4j.Session) -> dict[str, tuple[str, int | None]]:
    """incident id → (series id, series size) as the graph holds them."""
    return {r[0]: (r[1], r[2]) for r in session.run(queries.ANALYTICS_HELD_SERIES)}


def analytics_set_series(runner: Runner, rows: list[dict[str, Any]]) -> None:
    """Rows of {"id", "series_id", "series_size"}."""
    runner.run(queries.ANALYTICS_SET_SERIES, rows=rows).consume()


def analytics_clear_series(runner: Runner, ids: list[str]) -> None:
    runner.run(queries.ANALYTICS_CLEAR_SERIES, ids=ids).consume()


def analytics_categories(session: neo4j.Session, ids: list[str]) -> dict[str, str | None]:
    return {r[0]: r[1] for r in session.run(queries.ANALYTICS_CATEGORIES, ids=ids)}


def analytics_pseudonyms(session: neo4j.Session, ids: list[str]) -> dict[str, str | None]:
    """Person id → pseudonym (the id is for lookups only: it is never shown)."""
    return {r[0]: r[1] for r in session.run(queries.ANALYTICS_PSEUDONYMS, ids=ids)}


def analytics_place_names(session: neo4j.Session, ids: list[str]) -> dict[str, str | None]:
    return {r[0]: r[1] for r in session.run(queries.ANALYTICS_PLACE_NAMES, ids=ids)}


# ---- web API (recoupe/web/api.py)


def _plain(record: neo4j.Record) -> dict[str, Any]:
    return {k: from_graph(v) for k, v in dict(record).items()}


def _incident_filter(
    low: datetime | None,
    high: datetime | None,
    category: str | None,
    quartier: str | None,
    source: str | None,
) -> dict[str, Any]:
    params = {"low": low, "high": high, "category": category, "quartier": quartier, "source": source}
    return dict(to_graph(params))


def api_count_incidents(
    session: neo4j.Session,
    low: datetime | None = None,
    high: datetime | None = None,
    category: str | None = None,
    quartier: str | None = None,
    source: str | None = None,
) -> int:
    """How many incidents began in [low, high) with this category, quartier (name, any case) and source."""
    params = _incident_filter(low, high, category, quartier, source)
    return int(session.run(queries.API_COUNT_INCIDENTS, params).single(strict=True)["total"])


def api_incidents(
    session: neo4j.Session,
    offset: int,
    limit: int,
    low: datetime | None = None,
    high: datetime | None = None,
    category: str | None = None,
    quartier: str | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """One page of those incidents, latest first: id, category, interval, precision, point, source and
    quartier."""
    params = _incident_filter(low, high, category, quartier, source) | {"offset": offset, "limit": limit}
    return [_plain(r) for r in session.run(queries.API_INCIDENTS, params)]


def api_incident(session: neo4j.Session, id: str) -> dict[str, Any] | None:
    """An incident's record in one read, or None: its facts with their provenance (place, quartier, source),
    and as lists `mentions` (what the text names, with its span and role; persons as `entity` = pseudonym, in
    text order), `damaged` (assets, nearest first), `near_repeats` (in time order) and `cameras` (the rows of
    investigate.camera_views)."""
    record = session.run(queries.API_INCIDENT, id=id).single()
    if record is None:
        return None
    facts = _plain(record)
    facts["mentions"] = sorted(
        map(_plain_map, facts["mentions"]), key=lambda m: (*_last(m["start"]), *_last(m["end"]), m["label"])
    )
    facts["damaged"] = sorted(
        map(_plain_map, facts["damaged"]), key=lambda d: (*_last(d["distance_m"]), d["id"])
    )
    facts["near_repeats"] = sorted(
        map(_plain_map, facts["near_repeats"]), key=lambda n: (*_last(n["occurred_from"]), n["id"])
    )
    facts["cameras"] = list(map(_plain_map, facts["cameras"]))
    return facts


def _plain_map(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: from_graph(v) for k, v in value.items()}


def _last(value: Any) -> tuple[bool, Any]:
    """A sort key that puts None after every value (as Cypher's ORDER BY does)."""
    return (value is None, value if value is not None else 0)


def api_camera_labels(session: neo4j.Session) -> dict[str, str | None]:
    return {r["id"]: r["label"] for r in session.run(queries.API_CAMERA_LABELS)}


def top_forecasts(session: neo4j.Session, category: str | None, limit: int) -> list[dict[str, Any]]:
    """The most probable forecasts (of one category, or all): cell, point, probability, rank, explanation."""
    return [_plain(r) for r in session.run(queries.TOP_FORECASTS, category=category, limit=limit)]


def api_count_forecasts(session: neo4j.Session, category: str | None) -> int:
    return int(session.run(queries.API_COUNT_FORECASTS, category=category).single(strict=True)["total"])


# ---- web pages (recoupe/web/pages.py)


def web_category_counts(session: neo4j.Session, low: datetime, high: datetime) -> dict[str, int]:
    """How many incidents of each category began in [low, high)."""
    rows = session.run(queries.WEB_CATEGORY_COUNTS, low=to_graph(low), high=to_graph(high))
    return {r["category"]: int(r["count"]) for r in rows if r["category"] is not None}


def web_incidents_by_source(session: neo4j.Session) -> dict[str, int]:
    """How many incidents each source brought."""
    return {r["source"]: int(r["count"]) for r in session.run(queries.WEB_INCIDENTS_BY_SOURCE)}


# ---- map (recoupe/web/map_page.py)


def map_quartiers(session: neo4j.Session) -> list[dict[str, Any]]:
    """Every quartier: id, name, arrondissement's name and geometry (WKT)."""
    return [_plain(r) for r in session.run(queries.MAP_QUARTIERS)]


Box = tuple[float, float, float, float]  # west, south, east, north (degrees)


def _box(box: Box) -> dict[str, float]:
    return dict(zip(("west", "south", "east", "north"), box, strict=True))


def map_count_assets(session: neo4j.Session, box: Box) -> int:
    return int(session.run(queries.MAP_COUNT_ASSETS, _box(box)).single(strict=True)["total"])


def map_assets(session: neo4j.Session, box: Box, limit: int) -> list[dict[str, Any]]:
    """The street assets in the box with how many incidents damaged each, the most damaged first."""
    return [_plain(r) for r in session.run(queries.MAP_ASSETS, _box(box), limit=limit)]


def map_count_forecast_cells(session: neo4j.Session, box: Box, category: str | None) -> int:
    params = _box(box) | {"category": category}
    return int(session.run(queries.MAP_COUNT_FORECAST_CELLS, params).single(strict=True)["total"])


def map_forecast_cells(
    session: neo4j.Session, box: Box, category: str | None, limit: int
) -> list[dict[str, Any]]:
    """The latest forecasts' cells in the box, each with its most probable forecast, most probable first."""
    params = _box(box) | {"category": category, "limit": limit}
    return [_plain(r) for r in session.run(queries.MAP_FORECAST_CELLS, params)]


# ---- forecasts page (recoupe/web/forecast_page.py)


def web_forecast_runs(session: neo4j.Session) -> list[dict[str, Any]]:
    """The forecasts held, per unit, horizon and model version: when issued, the period, how many."""
    return [_plain(r) for r in session.run(queries.WEB_FORECAST_RUNS)]


def web_count_forecasts(
    session: neo4j.Session, category: str | None, horizon: str | None, cell: str | None
) -> int:
    found = session.run(queries.WEB_COUNT_FORECASTS, category=category, horizon=horizon, cell=cell)
    return int(found.single(strict=True)["total"])


def web_forecasts(
    session: neo4j.Session,
    category: str | None,
    horizon: str | None,
    cell: str | None,
    offset: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Forecasts, most probable first (ties by cell then category), with their explanation."""
    rows = session.run(queries.WEB_FORECASTS, category=category, horizon=horizon, cell=cell, offset=offset,
                       limit=limit)  # fmt: skip
    return [_plain(r) for r in rows]


def web_forecast_cells(
    session: neo4j.Session, category: str | None, horizon: str | None
) -> list[dict[str, Any]]:
    """Every forecast of the filters with its cell's geometry (WKT) and centre, in no order."""
    rows = session.run(queries.WEB_FORECAST_CELLS, category=category, horizon=horizon, cell=None)
    return [_plain(r) for r in rows]


def web_cell_incidents(
    session: neo4j.Session, cells: list[str], categories: list[str], low: datetime, high: datetime
) -> list[dict[str, Any]]:
    """The incidents of `categories` that began in [low, high) at a place in one of `cells`, latest first."""
    rows = session.run(queries.WEB_CELL_INCIDENTS, cells=cells, categories=categories, low=to_graph(low),
                       high=to_graph(high))  # fmt: skip
    return [_plain(r) for r in rows]


def analytics_set_centrality(runner: Runner, label: str, rows: list[dict[str, Any]]) -> None:
    """Write `centrality` on the entities of a label: rows of {"id", "centrality"}."""
    runner.run(queries.ANALYTICS_SET_CENTRALITY[label], rows=rows).consume()
