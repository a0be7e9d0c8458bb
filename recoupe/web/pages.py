"""The viewer's server-rendered pages: the dashboard, an incident with the provenance of its facts, an
entity's timeline.

Pages read the graph through the API's connection (the read-only account) and the graph's wrappers, need a
browser session (`auth.require`), and show people by pseudonym only, to roles that may read entities. Texts
from logs are rendered by Jinja's autoescaping, never as markup: the highlighted text is a list of pieces
(text, opening mark, closing mark) that the template writes out one by one. No script, no inline style.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from recoupe.ingest.redact import pseudonymised_incident
from recoupe.ontology.errors import GraphUnavailable, InvalidInput, NotFound, RecoupeError
from recoupe.web import auth
from recoupe.web.api import (
    ENTITY_KINDS,
    ENTITY_LABELS,
    NO_PERSON,
    SEE_ENTITIES,
    _moment,
    fleet,
    read_incident_record,
)
from recoupe.web.cache import cached
from recoupe.web.french import PARIS, SHORT_MONTHS, change, day, interval, number, reason, term, when
from recoupe.web.highlight import MARKS, highlight, mention_mark
from recoupe.web.resources import close_graphs, graph

if TYPE_CHECKING:  # neo4j loads with the first page that reads the graph
    from recoupe.graph.links import CameraPoint

pages = Blueprint("pages", __name__)
log = logging.getLogger(__name__)

WEEKS, HOTSPOT_DAYS, LATEST, TOP, TOP_CONNECTIONS, TIMELINE_LIMIT, LOADS = 12, 30, 20, 10, 50, 1000, 8
HISTORICAL_AFTER = timedelta(days=7)  # a latest incident older than this: the data is an archive, not a feed
LOAD_KINDS = {"logs": "mains courantes", "events": "événements", "cameras": "caméras", "outages": "pannes",
              "assets": "mobilier urbain", "quartiers": "quartiers"}  # fmt: skip
ROLE_NAMES = {"viewer": "lecteur", "analyst": "analyste", "investigator": "enquêteur",
              "admin": "administrateur", "auditor": "auditeur"}  # fmt: skip
KIND_NAMES = {"person": "Personne", "plate": "Plaque", "camera": "Caméra", "asset": "Mobilier urbain",
              "place": "Lieu", "quartier": "Quartier"}  # fmt: skip
SOURCES_OF = {
    "category": {"classifier": "classifieur", "source": "donnée par la source"},
    "time": {"text": "lu dans le texte", "reported": "heure du signalement (le texte n'en donne pas)",
             "source": "donnée par la source"},
    "place": {"text": "lu dans le texte", "source": "donné par la source (adresse ou coordonnées)"},
}  # fmt: skip
RELATIONS = {"INVOLVES": "impliqué", "SEEN_BY": "vu par la caméra", "MISSED_BY": "caméra en panne",
             "DAMAGED": "mobilier endommagé", "OCCURRED_AT": "survenu ici"}  # fmt: skip
# The navigation bar: (endpoint, label, permission); an entry shows when its page exists and the role may
# open it.
NAV = (("pages.dashboard", "Tableau de bord", "read.incidents"),
       ("map_page.carte", "Carte", "read.incidents"), ("explorer.page", "Explorateur", "explorer"),
       ("console_page.page", "Console", "console"),
       ("forecast_page.page", "Prévisions", "forecasts"),
       ("pages.api_docs", "API", "read.incidents"),
       ("ontology_page.page", "Ontologie", "read.incidents"),
       ("journal_page.page", "Journal", "audit.read"))  # fmt: skip
STATUS: dict[type[RecoupeError], int] = {InvalidInput: 400, auth.Forbidden: 403, NotFound: 404}


# ---------------------------------------------------------------- what every template may use


def can(permission: str) -> bool:
    identity = auth.current_identity()
    return identity is not None and auth.allowed(identity.user.role, permission)


def navigation() -> list[tuple[str, str]]:
    """The navigation bar's (endpoint, label) for the current user."""
    views = current_app.view_functions
    return [(endpoint, label) for endpoint, label, permission in NAV if endpoint in views and can(permission)]


def helpers() -> dict[str, Any]:
    """The words and helpers every template may use (an app-wide context processor)."""
    return {"navigation": navigation, "identity": auth.current_identity(), "can": can, "term": term,
            "number": number, "day": day, "when": when, "interval": interval, "change": change,
            "reason": reason, "roles": ROLE_NAMES, "load_kinds": LOAD_KINDS, "relations": RELATIONS,
            "sources_of": SOURCES_OF, "SEE_ENTITIES": SEE_ENTITIES}  # fmt: skip


# ---------------------------------------------------------------- the dashboard's chart


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    category: str
    count: int
    title: str


@dataclass(frozen=True)
class Chart:
    """A stacked bar per week, one rect per (week, category) with incidents; axes and labels in SVG units."""

    width: int
    height: int
    left: int
    base: float
    bars: list[Bar]
    ticks: list[tuple[float, int]]
    weeks: list[tuple[float, str]]
    categories: list[str]
    table: list[tuple[str, dict[str, int], int]]


def weekly_chart(weeks: Sequence[tuple[datetime, Mapping[str, int]]], order: Sequence[str]) -> Chart:
    """The chart of incidents per week (Monday, counts by category), categories stacked in `order`."""
    width, height, left, right, top, bottom = 720, 260, 44, 8, 12, 30
    base = float(height - bottom)
    peak = max((sum(counts.values()) for _, counts in weeks), default=0)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10**4, 10**5, 10**6, 10**9)
                if peak <= 5 * s)  # fmt: skip
    ceiling = max(step, -(-peak // step) * step)
    scale = (base - top) / ceiling
    slot = (width - left - right) / max(len(weeks), 1)
    bars, labels, table = [], [], []
    present = [c for c in order if any(counts.get(c) for _, counts in weeks)]
    present += sorted({c for _, counts in weeks for c in counts if counts[c] and c not in order})
    for n, (monday, counts) in enumerate(weeks):
        x, stacked = left + n * slot + slot * 0.15, 0.0
        local = monday.astimezone(PARIS)
        label = f"{local.day} {SHORT_MONTHS[local.month - 1]}"
        labels.append((round(left + (n + 0.5) * slot, 1), label))
        for category in present:
            count = counts.get(category, 0)
            if count:
                h = count * scale
                title = f"Semaine du {day(monday)} — {term('IncidentCategory', category)} : {count}"
                bars.append(Bar(round(x, 1), round(base - stacked - h, 1), round(slot * 0.7, 1), round(h, 1),
                                category, count, title))  # fmt: skip
                stacked += h
        table.append((day(monday), dict(counts), sum(counts.values())))
    ticks = [(round(base - v * scale, 1), v) for v in range(0, ceiling + 1, step)]
    return Chart(width, height, left, base, bars, ticks, labels, present, table)


def week_starts(end: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The Mondays (midnight, Paris) of the `weeks` weeks that end with the one holding `end`."""
    last = (end - timedelta(microseconds=1)).astimezone(PARIS).date()
    monday = last - timedelta(days=last.weekday())
    return [datetime.combine(monday - timedelta(weeks=k), time(), PARIS) for k in range(weeks - 1, -1, -1)]


def data_now(clock: datetime, latest: Sequence[Mapping[str, Any]]) -> tuple[datetime, datetime, bool]:
    """(now, end of the counted periods, historical): the clock for a live feed; for an archive (demo city,
    Chicago) the latest incident's time, and its periods end at the midnight after it."""
    first = latest[0]["occurred_from"] if latest else None
    if first is None or first >= clock - HISTORICAL_AFTER:
        return clock, clock, False
    after = first.astimezone(PARIS).date() + timedelta(days=1)
    return first, datetime.combine(after, time(), PARIS), True


def cameras_out(
    cameras: Iterable[CameraPoint], labels: Mapping[str, str | None], at: datetime
) -> list[dict[str, Any]]:
    """The cameras in service but out at `at`, with the outage that holds it."""
    from recoupe.graph.links import working

    moment, out = at.timestamp(), []
    for camera in sorted(cameras, key=lambda c: c.id):
        if working(camera, moment, moment) is False:
            holding = (o for o in camera.outages if o[0] <= moment and (o[1] is None or o[1] >= moment))
            since, until = next(holding, (None, None))
            out.append({"id": camera.id, "label": labels.get(camera.id), "since": _moment(since),
                        "until": _moment(until)})  # fmt: skip
    return out


# ---------------------------------------------------------------- the pages


@pages.get("/")
@auth.require("read.incidents")
def dashboard() -> ResponseReturnValue:
    from recoupe.ingest import journal

    board = dict(cached(("dashboard",), dashboard_data))  # the same for every user; the role's filters below
    if not can("forecasts"):
        board["forecasts"] = None
    board["loads"] = journal.latest(Path(current_app.config["RECOUPE_HOME"]), LOADS)
    return render_template("dashboard.html", hotspot_days=HOTSPOT_DAYS, **board)


def dashboard_data() -> dict[str, Any]:
    """What the dashboard shows, read from the graph (kept by the cache: every screen asks the same)."""
    from recoupe.graph import investigate, store
    from recoupe.ontology.loader import ontology

    clock = datetime.now(UTC)
    with graph().session() as session:
        latest = store.api_incidents(session, 0, LATEST, high=clock)  # a date in the future is a typo
        now, end, historical = data_now(clock, latest)
        weeks = [(m, store.web_category_counts(session, m, min(m + timedelta(weeks=1), end)))
                 for m in week_starts(end)]  # fmt: skip
        sources = store.sources(session)
        per_source = store.web_incidents_by_source(session)
        forecasts = store.top_forecasts(session, None, TOP)
    hotspots = investigate.hotspots(graph(), end - timedelta(days=HOTSPOT_DAYS), end, top=TOP)
    chart = weekly_chart(weeks, ontology().vocabulary("IncidentCategory").notations)
    points, labels = fleet()
    out = cameras_out(points, labels, now)
    sources.sort(key=lambda s: (s.ingested_at is None, -(s.ingested_at or clock).timestamp(), s.name))
    return {"now": now, "end": end, "historical": historical, "chart": chart, "hotspots": hotspots,
            "latest": latest, "sources": sources, "per_source": per_source, "forecasts": forecasts,
            "out": out}  # fmt: skip


@pages.get("/incidents/<path:incident_id>")
@auth.require("read.incidents")
def incident(incident_id: str) -> ResponseReturnValue:
    entities, explorer = can(SEE_ENTITIES), can("explorer")
    # the content as this role sees it, kept rendered: the same for every user of the role (not the header),
    # per application root (its links carry it)
    body = cached(("incident-page", incident_id, entities, explorer, request.script_root),
                  lambda: incident_content(incident_id, entities, explorer))  # fmt: skip
    if body is None:
        raise NotFound(f"Aucun incident « {incident_id} ».", "revenez au tableau de bord")
    return render_template("incident.html", incident_id=incident_id, body=Markup(body))


def incident_content(incident_id: str, entities: bool, explorer: bool) -> str | None:
    """The incident page's content (incident_body.html), read from the graph and not through the cache (the
    page is kept whole), or None when there is no such incident."""
    from recoupe.graph.investigate import connections

    record = read_incident_record(incident_id)
    if record is None:
        return None
    facts, damaged = record.facts, record.damaged
    mentions = [dict(m) for m in record.mentions]
    if not entities:  # not even a pseudonym in the text (api.incident does the same)
        facts, mentions, damaged = pseudonymised_incident(facts, mentions, damaged, NO_PERSON)
    text = facts["text"] or ""
    spans = [mention_mark(m, entities) for m in mentions]
    spans += [(d["start"], d["end"], "ASSET", f"mobilier urbain {d['id']}") for d in damaged]
    shown = [m for m in mentions if entities or m["label"] not in ENTITY_LABELS]
    for m in shown:
        m["written"] = text[m["start"] : m["end"]] if m["start"] is not None else None
        m["kind"] = MARKS.get(m["label"], ("", m["label"]))[1]
    found = connections(graph(), incident_id) if entities and explorer else None
    return render_template("incident_body.html", facts=facts, pieces=highlight(text, spans), mentions=shown,
                           damaged=damaged, near_repeats=record.near_repeats, cameras=record.cameras,
                           connections=None if found is None else found[:TOP_CONNECTIONS],
                           connections_total=len(found or ()))  # fmt: skip


@pages.get("/docs/api")
@auth.require("read.incidents")
def api_docs() -> ResponseReturnValue:
    """The API's interactive documentation (Swagger UI on /api/openapi.json, from npm, served by /vendor/)."""
    from recoupe.web import vendor
    from recoupe.web.app import HEADERS

    installed = vendor.installed("swagger-ui-dist/swagger-ui-bundle.js")
    response = make_response(render_template("api_docs.html", installed=installed))
    # Swagger UI draws its icons as data: SVG images; this page alone allows them (scripts stay 'self')
    policy = HEADERS["Content-Security-Policy"] + "; img-src 'self' data:"
    response.headers["Content-Security-Policy"] = policy
    return response


@pages.get("/entites/<kind>/<path:key>")
@auth.require(SEE_ENTITIES)
@auth.require("explorer")  # timelines are the explorer's, as in the API; every role with one has both
def entity(kind: str, key: str) -> ResponseReturnValue:
    from recoupe.graph.investigate import resolve, timeline

    if kind not in ENTITY_KINDS:
        kinds = ", ".join(ENTITY_KINDS)
        raise NotFound(f"Type d'entité inconnu « {kind} ».", f"les types sont : {kinds}")
    missing = NotFound(f"Aucun(e) {KIND_NAMES[kind].lower()} « {key} ».",
                       "une personne se désigne par son pseudonyme (P-…)")  # fmt: skip
    try:
        label, node_id = resolve(graph(), key)  # a person's node id (a keyed hash) stays here
    except NotFound:
        raise missing from None
    if label != ENTITY_KINDS[kind]:
        raise missing
    _, items = timeline(graph(), key, limit=TIMELINE_LIMIT)
    shown = key.strip().upper() if kind == "person" else (node_id if kind == "plate" else key)
    return render_template("entity.html", kind=kind, kind_name=KIND_NAMES[kind], shown=shown, items=items,
                           limit=TIMELINE_LIMIT)  # fmt: skip


@pages.errorhandler(RecoupeError)
def page_error(exc: RecoupeError) -> ResponseReturnValue:
    """A French page for what the pages raise; a graph failure or a bug shows no details (they go to the
    log)."""
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    message, hint = exc.message, exc.hint
    if isinstance(exc, GraphUnavailable):
        log.error("graph unavailable on a page: %s", exc.one_line())
        close_graphs(current_app)
        status, message, hint = 503, "Graphe indisponible : réessayez dans un instant.", ""
    elif status == 500:
        log.error("%s on a page: %s", type(exc).__name__, exc.one_line())
        message, hint = "Erreur interne.", ""
    return render_template("error.html", status=status, message=message, hint=hint), status
