"""The audit journal: every consultation, change and login, one hash-chained JSON line each, in
RECOUPE_HOME/audit/journal.jsonl (apart from the graph), read by the `auditor` role only (docs/audit.md).

The web side writes it from one `after_request` hook that maps each endpoint to an action (CONSULTATIONS);
logins and logouts come from auth.py, changes from the commands that make them. The file itself (the chain,
group commit, `journal.head`, `verify`) is recoupe/web/audit_file.py.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pwd
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, has_request_context, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from recoupe.ontology.errors import InvalidInput, RecoupeError
from recoupe.web import auth
from recoupe.web.audit_file import MAX_TEXT
from recoupe.web.audit_file import Journal as Journal  # the journal's file, as `audit.Journal` to its users
from recoupe.web.audit_file import digest as digest
from recoupe.web.endpoints import answer, endpoint
from recoupe.web.openapi import PAGE, SCHEMAS, Param, fields, parse_args

EXTENSION = "recoupe.audit"
UNAVAILABLE = "Journal d'audit indisponible : rien n'est servi."
log = logging.getLogger(__name__)
journal_page = Blueprint("journal_page", __name__)


# ---------------------------------------------------------------- filters (CLI and web)


@dataclass(frozen=True)
class Filters:
    """`show`'s filters: an actor, an action (or its prefix: `view` for `view.*`), an object (a substring),
    a period [start, end)."""

    actor: str | None = None
    action: str | None = None
    object: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def keep(self, entry: Mapping[str, Any]) -> bool:
        action = str(entry.get("action", ""))
        at = datetime.fromisoformat(entry["at"])
        return (
            (self.actor is None or entry.get("actor") == self.actor)
            and (self.action is None or action == self.action or action.startswith(self.action + "."))
            and (self.object is None or any(self.object in str(o) for o in entry.get("objects", ())))
            and (self.start is None or at >= self.start)
            and (self.end is None or at < self.end)
        )

    def described(self) -> list[str]:
        """The filters as the `audit.read` entry's objects."""
        names = {"start": "from", "end": "to"}
        return [f"{names.get(k, k)}={v.isoformat() if isinstance(v, datetime) else v}"
                for k, v in asdict(self).items() if v is not None]  # fmt: skip


def moment(raw: str | datetime | date | None, end: bool = False, name: str = "from") -> datetime | None:
    """A bound in UTC: a day (its midnight; for `end`, the next midnight: the day is included) or a time."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"Date illisible : {raw!r}.", "AAAA-MM-JJ ou ISO 8601",
                               {name: "expected YYYY-MM-DD or ISO 8601"}) from None  # fmt: skip
    if not isinstance(raw, datetime):
        raw = datetime.combine(raw + timedelta(days=1) if end else raw, time(), UTC)
    return raw if raw.tzinfo else raw.replace(tzinfo=UTC)


def show(journal: Journal, filters: Filters) -> list[dict[str, Any]]:
    """The matching entries, latest first."""
    return [e for e in journal.entries() if filters.keep(e)][::-1]


# ---------------------------------------------------------------- writing from the app and the CLI


def journal(app: Flask | None = None) -> Journal:
    """The app's journal (in its RECOUPE_HOME)."""
    app = app or current_app
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = Journal(Path(app.config["RECOUPE_HOME"]))
    found: Journal = app.extensions[EXTENSION]
    return found


def motive() -> str | None:
    """The request's motive or case reference: `motif` (query or form) or the X-Recoupe-Motive header."""
    given = request.args.get("motif") or request.headers.get("X-Recoupe-Motive")
    if not given and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        given = request.form.get("motif")
    return given.strip() or None if given else None


def os_user() -> str:
    """The account running this process, from the system (not from $USER, which anyone may set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def record(action: str, objects: Iterable[str] = (), *, actor: str | None = None,
           role: str | None = None, why: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Journal `action` by the request's user (or `actor`), or by `cli:<os user>` outside a request; `why`:
    a motive given otherwise than as `motif` (an identity reveal's JSON body)."""
    if not has_request_context():
        return journal().append(actor or f"cli:{os_user()}", role, action, objects, why, "local")
    identity = auth.current_identity()
    if actor is None and identity is not None:
        actor, role = identity.user.username, identity.user.role
    return journal().append(actor or "anonymous", role, action, objects, why or motive(), request.remote_addr)


# ---------------------------------------------------------------- what each endpoint consults

Objects = Callable[[Mapping[str, Any], Mapping[str, str], Any], list[str]]


def _args(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"{k}={args[k]}" for k in sorted(args) if k != "motif" and args[k]][:12]


def _incident(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"incident:{view['incident_id']}"]


def _entity(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"{view['kind']}:{view['key']}"]


def _statement(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return statement_objects(str(body.get("statement", "")) if isinstance(body, dict) else "")


def statement_objects(text: str) -> list[str]:
    """A console statement as journalled: its SHA-256 and its beginning."""
    return [f"sha256:{hashlib.sha256(text.encode('utf-8')).hexdigest()}", text[:MAX_TEXT]]


def _report(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"report:{body.get('id')}"] if isinstance(body, dict) else []


# endpoint → (action, its objects): the consultations (and the one web change, a citizen report)
CONSULTATIONS: dict[str, tuple[str, Objects]] = {
    "pages.dashboard": ("view.dashboard", _args),
    "pages.incident": ("view.incident", _incident),
    "pages.entity": ("view.entity", _entity),
    "api.incidents": ("view.incidents", _args),
    "api.incident": ("view.incident", _incident),
    "api.incident_connections": ("view.connections", _incident),
    "api.entity_timeline": ("view.timeline", _entity),
    "api.hotspots": ("view.hotspots", _args),
    "map_page.carte": ("view.map", _args),
    "forecast_page.page": ("view.forecasts", _args),
    "api.forecasts": ("view.forecasts", _args),
    "api.forecast_cells": ("view.forecasts", _args),
    "api.map_forecasts": ("view.forecasts", _args),
    "api.console": ("console.query", _statement),
    "explorer.page": ("explorer.search", _args),
    "api.graph_search": ("explorer.search", _args),
    "api.graph_neighbours": ("explorer.expand", _args),
    **{f"api.export_{fmt}": (f"export.{fmt}", _args) for fmt in ("csv", "geojson", "gexf", "graphml")},
    "api.report": ("ingest.report", _report),
    "api.audit": ("audit.read", _args),
    "journal_page.page": ("audit.read", _args),
}
# Endpoints that consult no incident, person or forecast (or journal themselves: the login and logout).
NOT_CONSULTATIONS = frozenset({
    "static", "vendor.file", "health", "api.openapi", "pages.api_docs", "auth.me", "auth.login_page",
    "auth.login_submit", "auth.logout", "console_page.page", "api.saved_queries", "api.quartiers",
    "api.map_streets", "api.map_assets", "api.cameras", "forecast_page.chart", "ontology_page.page",
    "ontology_page.turtle", "ontology_page.jsonld", "ontology_page.shapes", "ontology_page.shapes_turtle",
    "ontology_page.shapes_jsonld", "api.reveal_identity",
    "api.reveal_original",  # the last two journal themselves (identity.py)
})  # fmt: skip


def consulted(response: Response) -> Response:
    """Journal a consultation answered (2xx) or refused (403); an answer that cannot be journalled is not
    given."""
    known = CONSULTATIONS.get(request.endpoint or "")
    status = response.status_code
    if known is None or not (200 <= status < 300 or status == 403):
        return response
    action, objects = known
    body = request.get_json(silent=True) if request.is_json else None
    try:
        record(action if status != 403 else f"denied.{action}",
               objects(request.view_args or {}, request.args, body))  # fmt: skip
    except (OSError, RecoupeError) as exc:
        log.error("audit journal not written (%s): %s %s refused", exc, request.method, request.path)
        if request.path.startswith("/api/"):
            failed = jsonify({"error": {"code": "audit_unavailable", "message": UNAVAILABLE}})
            failed.status_code = 503
            return failed
        return Response(UNAVAILABLE, 503, mimetype="text/plain")
    return response


def init_app(app: Flask) -> None:
    """Open the app's journal, journal its consultations, and serve the journal to the auditor."""
    journal(app)
    app.after_request(consulted)
    app.register_blueprint(journal_page)


# ---------------------------------------------------------------- reading it: the API and the page

SCHEMAS["AuditEntry"] = fields(
    "seq:integer at:date-time actor role action objects:string[] motive client prev hash"
)
FILTER_PARAMS = (
    Param("actor", "string", "Le compte (ou « cli:<utilisateur> », « anonymous »)."),
    Param("action", "string", "L'action, ou son début : « view » pour view.incident, view.entity…"),
    Param("object", "string", "Un objet, ou une partie de son nom (incident:T:A, plate:AB-123-CD…)."),
    Param("from", "string", "Depuis ce jour (AAAA-MM-JJ) ou cet instant (ISO 8601), inclus."),
    Param("to", "string", "Jusqu'à ce jour inclus (AAAA-MM-JJ), ou cet instant exclu (ISO 8601)."),
)


def filters_of(q: Mapping[str, Any]) -> Filters:
    start, end = moment(q["from"]), moment(q["to"], end=True, name="to")
    return Filters(q["actor"] or None, q["action"] or None, q["object"] or None, start, end)


@endpoint("GET", "/audit", "Le journal d'audit (auditeur seulement), le plus récent d'abord, filtré et "
          "paginé ; chaque lecture est elle-même journalisée.", ("audit.read",), (*FILTER_PARAMS, *PAGE),
          response="AuditEntry[]")  # fmt: skip
def audit(q: dict[str, Any]) -> ResponseReturnValue:
    found = show(journal(), filters_of(q))
    return answer({"total": len(found), "limit": q["limit"], "offset": q["offset"],
                   "items": found[q["offset"] : q["offset"] + q["limit"]]})  # fmt: skip


@journal_page.get("/journal")
@auth.require("audit.read")
def page() -> ResponseReturnValue:
    """The journal, latest first, with its filters (a plain form: no script)."""
    q = parse_args((*FILTER_PARAMS, *PAGE), request.args)
    found = show(journal(), filters_of(q))
    return render_template("journal.html", q=q, total=len(found), limit=q["limit"], offset=q["offset"],
                           items=found[q["offset"] : q["offset"] + q["limit"]])  # fmt: skip
