"""The JSON API under /api: incidents with their provenance, connections, timelines, hotspots, forecasts,
cameras, the read-only console and citizen reports.

Every route needs a login (session cookie or bearer token) and the permissions it declares; what a route
declares (parameters, body, answer, permissions) is what /api/openapi.json shows and what is enforced. Errors
come in one shape, `{"error": {"code", "message", "hint"?, "fields"?}}`; a failing graph statement or a bug
answers a bare 500 and leaves the details to the server's log, so a client never sees Cypher or a traceback.
People appear by pseudonym only, and only to roles that may read entities.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from recoupe.ingest.redact import pseudonymised_incident
from recoupe.ontology.errors import GraphQueryError, GraphUnavailable, InvalidInput, NotFound, RecoupeError
from recoupe.web import auth, runtime
from recoupe.web.cache import cached, forget
from recoupe.web.endpoints import OPERATIONS, answer, api, cached_answer, endpoint, json_body, page, window
from recoupe.web.openapi import CATEGORY, CONNECTIONS, FILTERS, HOTSPOTS, MAX_LIMIT, PAGE, Operation, document
from recoupe.web.resources import close_graphs, extractor, graph

if TYPE_CHECKING:  # neo4j loads with the first request that needs it, not with the app
    from recoupe.graph.investigate import CameraView
    from recoupe.graph.links import CameraPoint

log = logging.getLogger(__name__)
_ingest_lock = threading.Lock()
CONSOLE_TIMEOUT_S = 30.0
SEE_ENTITIES = "read.entities"  # people (by pseudonym), plates and vehicles
NO_PERSON = "[personne]"  # a person's name in a text, for a role that sees no person (not even a pseudonym)
ENTITY_LABELS = ("Person", "Plate", "Vehicle")
ENTITY_KINDS = {"person": "Person", "plate": "Plate", "camera": "Camera", "asset": "StreetAsset",
                "place": "Place", "quartier": "Quartier"}  # fmt: skip
PLACE_FIELDS = {"place_id": "id", "place_name": "name", "precision": "precision", "lat": "lat", "lon": "lon",
                "postcode": "postcode", "quartier": "quartier", "place_source": "place_source"}  # fmt: skip
REPORT_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str, int), "text": (str,), "reported_at": (str,), "lat": (int, float, str),
    "lon": (int, float, str), "address": (str,),
}  # fmt: skip
JSON_TYPES = {str: "string", int: "integer", float: "number"}
# Which field a rejection by the ingestion's row check is about, from how its reason begins.
REPORT_REASONS = (("missing id", "id"), ("missing text", "text"), ("NUL", "text"), ("text", "text"),
                  ("unreadable date", "reported_at"), ("absurd coordinates", "lat"))  # fmt: skip


# ---------------------------------------------------------------- errors, for the /api blueprint's routes


def error(code: str, message: str, status: int) -> ResponseReturnValue:
    return jsonify({"error": {"code": code, "message": message}}), status


@api.errorhandler(RecoupeError)
def recoupe_error(exc: RecoupeError) -> ResponseReturnValue:
    if isinstance(exc, InvalidInput | NotFound | auth.Unauthenticated | auth.Forbidden):
        from recoupe.web.app import STATUS  # (app.py imports this module)

        status = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
        return jsonify({"error": exc.as_dict()}), status
    if isinstance(exc, GraphUnavailable):  # its message names the server: for the log, not the client
        log.error("graph unavailable on %s %s: %s", request.method, request.path, exc.one_line())
        close_graphs(current_app)
        return error("graph_unavailable", "Graphe indisponible : réessayez dans un instant.", 503)
    log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.path, exc.one_line())
    return error("internal", "erreur interne", 500)


@api.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    french = {400: "Requête illisible.", 404: "Introuvable.", 405: "Méthode non permise.",
              413: "Requête trop volumineuse."}  # fmt: skip
    return error((exc.name or "error").lower().replace(" ", "_"), french.get(status, exc.name), status)


@api.errorhandler(Exception)
def unexpected(exc: Exception) -> ResponseReturnValue:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error("internal", "erreur interne", 500)


# ---------------------------------------------------------------- incidents


def _period(q: Mapping[str, Any]) -> None:
    if q["from"] is not None and q["to"] is not None and q["to"] <= q["from"]:
        raise InvalidInput("La période est vide.", "donnez « to » après « from »", {"to": "not after from"})


@endpoint("GET", "/incidents", "Incidents, les plus récents d'abord, filtrés et paginés.",
          ("read.incidents",), (*FILTERS, *PAGE), response="IncidentRow[]")  # fmt: skip
def incidents(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import store

    _period(q)
    filters = {"low": q["from"], "high": q["to"], "category": q["category"], "quartier": q["quartier"],
               "source": q["source"]}  # fmt: skip

    def body() -> dict[str, Any]:
        with graph().session() as session:
            total = store.api_count_incidents(session, **filters)
            paged = total > q["offset"]
            items = store.api_incidents(session, q["offset"], q["limit"], **filters) if paged else []
        return {"total": total, "limit": q["limit"], "offset": q["offset"], "items": items}

    # the same for every role (no entity in a row): kept encoded, as the map asks for it on every screen
    return cached_answer(("incidents", *filters.values(), q["offset"], q["limit"]), body)


@endpoint("GET", "/incidents/<path:incident_id>", "Un incident : ses faits et leur provenance (ce que le "
          "texte nomme, avec ses positions ; caméras ; mobilier endommagé ; répétitions proches).",
          ("read.incidents",), response="Incident", errors=(401, 403, 404))  # fmt: skip
def incident(q: dict[str, Any], incident_id: str) -> ResponseReturnValue:
    record = incident_record(incident_id)
    if record is None:
        raise NotFound(f"Aucun incident « {incident_id} ».", "voir GET /api/incidents")
    facts, mentions, damaged = record.facts, record.mentions, record.damaged
    identity = auth.current_identity()
    if identity is None or not auth.allowed(identity.user.role, SEE_ENTITIES):
        facts, mentions, damaged = pseudonymised_incident(facts, mentions, damaged, NO_PERSON)
        mentions = [m for m in mentions if m["label"] not in ENTITY_LABELS]
    body = {k: v for k, v in facts.items() if k not in PLACE_FIELDS}
    body["place"] = {name: facts[k] for k, name in PLACE_FIELDS.items()}
    body["mentions"], body["damaged"], body["near_repeats"] = mentions, damaged, record.near_repeats
    body["cameras"] = [view.as_dict() for view in record.cameras]
    return answer(body)


@dataclass(frozen=True)
class IncidentRecord:
    """What the graph holds about one incident, for its page and its API answer (shared through the cache:
    copy before changing)."""

    facts: dict[str, Any]
    mentions: list[dict[str, Any]]
    damaged: list[dict[str, Any]]
    near_repeats: list[dict[str, Any]]
    cameras: list[CameraView]


def incident_record(incident_id: str) -> IncidentRecord | None:
    """The incident's facts, mentions, damaged assets, near repeats and cameras, through the cache; None when
    there is none."""
    return cached(("incident", incident_id), lambda: read_incident_record(incident_id))


def read_incident_record(incident_id: str) -> IncidentRecord | None:
    """`incident_record` read from the graph (one read)."""
    from recoupe.graph import store
    from recoupe.graph.investigate import camera_views

    with graph().session() as session:
        facts = store.api_incident(session, incident_id)  # facts and every list
    if facts is None:
        return None
    mentions, damaged = facts.pop("mentions"), facts.pop("damaged")
    near_repeats, cameras = facts.pop("near_repeats"), camera_views(facts.pop("cameras"))
    # names never shown: each person's pseudonym in the text (every span moved to match), and for a role that
    # sees no person, NO_PERSON in its place (`incident` and pages.incident)
    facts, mentions, damaged = pseudonymised_incident(facts, mentions, damaged)
    return IncidentRecord(facts, mentions, damaged, near_repeats, cameras)


@endpoint("GET", "/incidents/<path:incident_id>/connections", "Incidents liés (personne, plaque, véhicule, "
          "répétition proche, caméra, mobilier, lieu et temps) avec leurs raisons, par score décroissant.",
          (SEE_ENTITIES, "explorer"), (*CONNECTIONS, *PAGE), response="Connection[]",
          errors=(400, 401, 403, 404))  # fmt: skip
def incident_connections(q: dict[str, Any], incident_id: str) -> ResponseReturnValue:
    from recoupe.graph.investigate import connections

    def body() -> dict[str, Any]:
        found = connections(graph(), incident_id, q["radius"], q["hours"])
        return {"incident": incident_id, "total": len(found), "limit": q["limit"], "offset": q["offset"],
                "items": [c.as_dict() for c in window(found, q)]}  # fmt: skip

    # the same for every role allowed here (pseudonyms, never names): kept encoded
    return cached_answer(("connections", incident_id, q["radius"], q["hours"], q["offset"], q["limit"]), body)


@endpoint("GET", "/entities/<kind>/<path:key>/timeline", "Les incidents d'une entité dans l'ordre du temps ; "
          "kind : person (clé : pseudonyme P-…), plate, camera, asset, place ou quartier.",
          (SEE_ENTITIES, "explorer"), PAGE, response="TimelineItem[]", errors=(400, 401, 403, 404),
          path_choices={"kind": tuple(ENTITY_KINDS)})  # fmt: skip
def entity_timeline(q: dict[str, Any], kind: str, key: str) -> ResponseReturnValue:
    from recoupe.graph.investigate import resolve, timeline

    if kind not in ENTITY_KINDS:
        kinds = ", ".join(ENTITY_KINDS)
        raise InvalidInput(
            f"Type d'entité inconnu « {kind} ».", f"utilisez {kinds}", {"kind": f"not one of {kinds}"}
        )
    label, _ = resolve(graph(), key)  # the node's id stays here: a person's is a keyed hash of the name
    if label != ENTITY_KINDS[kind]:
        raise NotFound(f"Aucun(e) {kind} « {key} ».", "une personne se désigne par son pseudonyme (P-…)")
    _, items = timeline(graph(), key, limit=10_000)
    return page(window(items, q), q, len(items), kind=kind, key=key)


@endpoint("GET", "/hotspots", "Incidents par quartier (ou carreau) sur la période, et l'évolution depuis la "
          "période précédente de même durée.", ("read.incidents",), (*HOTSPOTS, *PAGE),
          response="Hotspot[]")  # fmt: skip
def hotspots(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import investigate

    _period(q)
    rows = investigate.hotspots(graph(), q["from"], q["to"], q["category"], q["unit"], q["cell"], top=10**9)
    return page(window(rows, q), q, len(rows), unit=q["unit"], **{"from": q["from"], "to": q["to"]})


@endpoint("GET", "/forecasts", "Les prévisions de risque les plus probables, avec leur explication.",
          ("forecasts",), (CATEGORY, *PAGE), response="Forecast[]")  # fmt: skip
def forecasts(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import store

    with graph().session() as session:
        total = store.api_count_forecasts(session, q["category"])
        rows = store.top_forecasts(session, q["category"], q["offset"] + q["limit"])
    return page(window(rows, q), q, total)


@endpoint("GET", "/cameras", "Les caméras, leur champ de vision et leur état maintenant : ok, out (en panne) "
          "ou inactive (pas encore ou plus en service).", ("read.incidents",), PAGE,
          response="Camera[]")  # fmt: skip
def cameras(q: dict[str, Any]) -> ResponseReturnValue:
    def read() -> list[dict[str, Any]]:  # the whole fleet's state now, JSON-ready, kept as long as any read
        from recoupe.graph.links import working

        now = datetime.now(UTC).timestamp()
        points, labels = fleet()
        status = {True: "ok", False: "out", None: "inactive"}
        return [
            {"id": c.id, "label": labels.get(c.id), "lat": c.lat, "lon": c.lon, "bearing_deg": c.bearing_deg,
             "fov_deg": c.fov_deg, "range_m": c.range_m, "installed_at": _iso(c.installed),
             "removed_at": _iso(c.removed), "status": status[working(c, now, now)]}
            for c in points
        ]  # fmt: skip

    def body() -> dict[str, Any]:
        items = cached(("camera-states",), read)
        return {"total": len(items), "limit": q["limit"], "offset": q["offset"], "items": window(items, q)}

    return cached_answer(("cameras", q["offset"], q["limit"]), body)  # the same for every role: kept encoded


def _iso(epoch: float | None) -> str | None:
    moment = _moment(epoch)
    return None if moment is None else moment.isoformat()


def fleet() -> tuple[list[CameraPoint], dict[str, str | None]]:
    """Every camera (wedge, service dates, outages) in id order, and their labels, through the cache."""

    def read() -> tuple[list[CameraPoint], dict[str, str | None]]:
        from recoupe.graph import store
        from recoupe.graph.links import camera_points

        points = sorted(camera_points(graph()), key=lambda c: c.id)
        with graph().session() as session:
            return points, store.api_camera_labels(session)

    return cached(("cameras",), read)


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


# ---------------------------------------------------------------- console and reports


@endpoint("POST", "/query", "La console Cypher en lecture seule (compte de lecture, lignes plafonnées, temps "
          "limité) ; une écriture est refusée avant d'être envoyée.", ("console",), body="ConsoleQuery",
          response="ConsoleResult")  # fmt: skip
def console(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph.console import run_query

    body = json_body(("statement", "limit", "parameters"))
    statement, limit, parameters = body.get("statement"), body.get("limit", 100), body.get("parameters") or {}
    problems = {}
    if not isinstance(statement, str) or not statement.strip():
        problems["statement"] = "expected a non-empty string"
    if not isinstance(parameters, dict) or not all(str(name).isidentifier() for name in parameters):
        problems["parameters"] = "expected an object of $name: value"
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        problems["limit"] = f"expected an integer from 1 to {MAX_LIMIT}"
    if problems:
        raise InvalidInput("Requête de console invalide.", "voir /api/openapi.json", problems)
    target = runtime.graph_target(current_app.config, read_only=True)
    try:
        result = run_query(target, str(statement), limit, CONSOLE_TIMEOUT_S, parameters)
    except GraphQueryError as exc:  # the analyst's own statement: a 400, but not in the server's words
        log.info("console statement refused by the graph server: %s", exc.one_line())
        raise InvalidInput("Le serveur du graphe a refusé la requête.", exc.hint,
                           {"statement": "refused by the graph server"}) from None  # fmt: skip
    return answer(result.as_dict())


@endpoint("POST", "/reports", "Un signalement citoyen, extrait et versé au graphe comme une main courante "
          "(source « citizen ») : 201 s'il est nouveau, 200 s'il remplace ou répète celui de même id.",
          ("ingest.reports",), body="Report", response="ReportAccepted", status=201)  # fmt: skip
def report(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph.home import DataHome
    from recoupe.ingest.pipeline import Ingestor
    from recoupe.ingest.vault import Vault

    body = json_body(REPORT_TYPES)  # nothing else: a "source" or "category" would pass for an official log
    problems = {
        name: "expected " + " or ".join(JSON_TYPES[t] for t in types)
        for name, types in REPORT_TYPES.items()
        if body.get(name) is not None and (isinstance(body[name], bool) or not isinstance(body[name], types))
    }
    if problems:
        raise InvalidInput("Signalement invalide.", "voir /api/openapi.json", problems)
    home = Path(current_app.config["RECOUPE_HOME"])
    key = DataHome(home).pseudonym_key()
    with _ingest_lock:  # one report at a time through the one spaCy pipeline
        ingestor = Ingestor(graph(read_only=False), extractor(), key, vault=Vault(home))
        try:
            incident_id, summary = ingestor.ingest_report(body, source="citizen")
        except InvalidInput as exc:
            reason = exc.fields.get("report", exc.message)
            field = next((name for start, name in REPORT_REASONS if reason.startswith(start)), "report")
            raise InvalidInput(f"Signalement refusé : {reason}.", exc.hint, {field: reason}) from None
    forget()  # the graph changed: what the cache holds may be stale
    url = url_for("api.incident", incident_id=incident_id)
    response = jsonify({"id": incident_id, "url": url, "summary": summary.as_dict()})
    response.headers["Location"] = url
    return response, 201 if summary.created else 200


# ---------------------------------------------------------------- the document

OTHERS = (  # the API's routes that other modules serve
    Operation("GET", "/api/health", "État du service (sans connexion).", (), response="Health", errors=(),
              public=True),
    Operation("GET", "/api/me", "L'utilisateur connecté, son rôle et ses permissions (et, pour une session, "
              "son jeton CSRF).", (), response="Me", errors=(401,)),
)  # fmt: skip


@endpoint("GET", "/openapi.json", "Ce document (OpenAPI 3.1).", (), errors=(401,))
def openapi(q: dict[str, Any]) -> ResponseReturnValue:
    return answer(document([*OTHERS, *OPERATIONS]))
