"""Revealing what the vault holds (recoupe/ingest/vault.py): the names behind a pseudonym, or an incident's
original text (the graph's has pseudonyms in place of names). The `identity.reveal` permission (investigators
only), a motive, and a journal entry for every attempt, allowed or not.

`POST /api/persons/<pseudonym>/identity` and `POST /api/incidents/<id>/original` with {"motive": "...",
"case": "..."}; `recoupe identity reveal` and `recoupe identity original` are the operator's twins
(cli_identity.py). Nothing answers a name or a text without its journal entry written first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from recoupe.ingest.vault import Identity, Vault
from recoupe.ontology.errors import InvalidInput, RecoupeError
from recoupe.web import audit
from recoupe.web.api import log
from recoupe.web.endpoints import answer, api, endpoint, json_body
from recoupe.web.openapi import SCHEMAS, fields

PERMISSION = "identity.reveal"
ACTION, ORIGINAL = "identity.reveal", "identity.original"  # the journal's actions
# endpoint → its action, the kind of its journal object and the view argument that names it
REVEALS = {"api.reveal_identity": (ACTION, "person", "pseudonym"),
           "api.reveal_original": (ORIGINAL, "incident", "incident_id")}  # fmt: skip
MIN_MOTIVE, MAX_MOTIVE, MAX_CASE = 10, 1000, 200

SCHEMAS["IdentityRequest"] = fields("motive case", required="motive", closed=True)
SCHEMAS["IdentityName"] = fields("name incidents:string[]")
SCHEMAS["Identity"] = fields("pseudonym names:IdentityName[]")
SCHEMAS["OriginalText"] = fields("incident text")


def checked_motive(motive: Any, case: Any = None) -> tuple[str, str | None]:
    """The motive (at least MIN_MOTIVE characters) and the case reference, stripped; InvalidInput else."""
    problems = {}
    if not isinstance(motive, str) or not MIN_MOTIVE <= len(motive.strip()) <= MAX_MOTIVE:
        problems["motive"] = f"expected a motive of {MIN_MOTIVE} to {MAX_MOTIVE} characters"
    if case is not None and (not isinstance(case, str) or len(case.strip()) > MAX_CASE):
        problems["case"] = f"expected a case reference of at most {MAX_CASE} characters"
    if problems:
        raise InvalidInput("Un motif est exigé pour révéler une identité.",
                           f"donnez « motive » (au moins {MIN_MOTIVE} caractères) et, s'il y a lieu, "
                           "« case » (la référence de la procédure)", problems)  # fmt: skip
    return str(motive).strip(), (str(case).strip() or None) if case is not None else None


def objects(subject: str, case: str | None) -> list[str]:
    """The journal entry's objects: what was revealed (`person:P-…`, `incident:…`), and the case when one is
    given."""
    return [subject, *([f"case:{case}"] if case else [])]


def reveal(home: Path, pseudonym: str, motive: str, case: str | None, **actor: str) -> dict[str, Any]:
    """The names behind `pseudonym` (NotFound when the vault has none), journalled before they are given."""
    found: list[Identity] = Vault(home).reveal(pseudonym)
    audit.record(ACTION, objects(f"person:{pseudonym}", case), why=motive, **actor)
    return {"pseudonym": pseudonym, "names": [n for identity in found for n in identity.as_dict()["names"]]}


def original(home: Path, incident: str, motive: str, case: str | None, **actor: str) -> dict[str, Any]:
    """The original text of `incident` (NotFound when the vault has none), journalled before it is given."""
    text = Vault(home).original(incident)
    audit.record(ORIGINAL, objects(f"incident:{incident}", case), why=motive, **actor)
    return {"incident": incident, "text": text}


@endpoint("POST", "/persons/<pseudonym>/identity", "Révéler l'identité derrière un pseudonyme (enquêteur "
          "seulement) : les noms tels qu'écrits et leurs incidents. Un motif est exigé ; chaque tentative, "
          "permise ou non, est journalisée avec son motif.", (PERMISSION,), body="IdentityRequest",
          response="Identity", errors=(400, 401, 403, 404))  # fmt: skip
def reveal_identity(q: dict[str, Any], pseudonym: str) -> ResponseReturnValue:
    body = json_body(("motive", "case"))
    motive, case = checked_motive(body.get("motive"), body.get("case"))
    return answer(reveal(Path(current_app.config["RECOUPE_HOME"]), pseudonym, motive, case))


@endpoint("POST", "/incidents/<path:incident_id>/original", "Le texte original d'un incident, noms compris "
          "(enquêteur seulement ; le graphe n'en garde que la version pseudonymisée). Un motif est exigé ; "
          "chaque tentative, permise ou non, est journalisée avec son motif.", (PERMISSION,),
          body="IdentityRequest", response="OriginalText", errors=(400, 401, 403, 404))  # fmt: skip
def reveal_original(q: dict[str, Any], incident_id: str) -> ResponseReturnValue:
    body = json_body(("motive", "case"))
    motive, case = checked_motive(body.get("motive"), body.get("case"))
    return answer(original(Path(current_app.config["RECOUPE_HOME"]), incident_id, motive, case))


@api.after_request
def journal_refusals(response: Response) -> Response:
    """Journal a reveal that was not answered (no login, no permission, no motive, no such person or text):
    the answered ones journal themselves before the names or the text go out."""
    revealing = REVEALS.get(request.endpoint or "")
    if revealing is None or 200 <= response.status_code < 300:
        return response
    action, kind, argument = revealing
    body = request.get_json(silent=True) if request.is_json else None
    given = body if isinstance(body, dict) else {}
    motive, case = given.get("motive"), given.get("case")
    outcome = "denied." if response.status_code in (401, 403) else "refused."
    subject = f"{kind}:{(request.view_args or {}).get(argument, '')}"
    try:
        audit.record(outcome + action, objects(subject, case if isinstance(case, str) else None),
                     why=motive if isinstance(motive, str) else None)  # fmt: skip
    except (OSError, RecoupeError) as exc:
        log.error("audit journal not written (%s): refused %s", exc, action)
    return response
