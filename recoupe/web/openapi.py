"""The JSON API's declarations — query parameters that parse and check themselves, the schemas of bodies and
answers, operations with their permissions — and the OpenAPI 3.1 document built from them, so that what the
document says is what the routes enforce."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from recoupe import __version__
from recoupe.ingest.readers import parse_time
from recoupe.ontology.errors import InvalidInput

MAX_LIMIT = 500
MIN_YEAR, MAX_YEAR = 1900, 2200  # dates the API takes: far from datetime's limits, wide for any record
# A '+' left unencoded in a query string arrives as a space: "2025-03-01T10:00:00 01:00".
_SPACE_FOR_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class Param:
    """A query parameter: its type ("integer", "number", "string", "date-time"), bounds, choices (or the
    ontology vocabulary they come from) and default."""

    name: str
    kind: str
    description: str
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    vocabulary: str | None = None  # e.g. "IncidentCategory": its notations, read when first needed

    @property
    def allowed(self) -> tuple[str, ...]:
        if self.vocabulary is None:
            return self.choices
        from recoupe.ontology.loader import ontology  # rdflib: not when the app is built (`recoupe --help`)

        return tuple(ontology().vocabulary(self.vocabulary).notations)

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "format": "date-time"} if self.kind == "date-time" else {}
        schema.setdefault("type", self.kind)
        for key, value in (("minimum", self.minimum), ("maximum", self.maximum), ("default", self.default)):
            if value is not None:
                schema[key] = value
        if self.allowed:
            schema["enum"] = list(self.allowed)
        return schema

    def parse(self, raw: str | None) -> Any:
        """The value from the query string (the default when absent), or InvalidInput naming the parameter."""
        if raw is None or not raw.strip():
            if self.required:
                raise self._refused("required")
            return self.default
        raw = raw.strip()
        if self.kind == "date-time":
            try:
                moment = parse_time(_SPACE_FOR_PLUS.sub(r"\1+\2", raw))
            except ValueError:
                raise self._refused("not an ISO 8601 date or time") from None
            if not MIN_YEAR <= moment.year <= MAX_YEAR:  # also keeps "the period before" on the calendar
                raise self._refused(f"outside the years {MIN_YEAR} to {MAX_YEAR}")
            return moment
        value: Any = raw
        if self.kind in ("integer", "number"):
            try:
                value = int(raw) if self.kind == "integer" else float(raw)
            except ValueError:
                raise self._refused("not an integer" if self.kind == "integer" else "not a number") from None
            if value != value or (self.minimum is not None and value < self.minimum):
                raise self._refused("not a number" if value != value else f"below {self.minimum:g}")
            if self.maximum is not None and value > self.maximum:
                raise self._refused(f"above {self.maximum:g}")
        if self.allowed and value not in self.allowed:
            raise self._refused(f"not one of {', '.join(self.allowed)}")
        return value

    def _refused(self, problem: str) -> InvalidInput:
        return InvalidInput(f"Paramètre « {self.name} » invalide.", self.description, {self.name: problem})


def parse_args(params: Iterable[Param], args: Mapping[str, str]) -> dict[str, Any]:
    """Every declared parameter parsed; the bad ones reported together, each with its problem."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for param in params:
        try:
            values[param.name] = param.parse(args.get(param.name))
        except InvalidInput as exc:
            problems.update(exc.fields)
    if problems:
        raise InvalidInput(
            f"Paramètres invalides : {', '.join(problems)}.", "voir /api/openapi.json", problems
        )
    return values


LIMIT = Param("limit", "integer", f"Éléments par page, de 1 à {MAX_LIMIT}.", 50, minimum=1, maximum=MAX_LIMIT)
OFFSET = Param("offset", "integer", "Éléments à sauter (pagination).", 0, minimum=0, maximum=10**6)
PAGE = (LIMIT, OFFSET)
FROM = Param("from", "date-time", "Début de période, inclus (ISO 8601 ; sans décalage : heure de Paris).")
TO = Param("to", "date-time", "Fin de période, exclue (ISO 8601).")
CATEGORY = Param(
    "category", "string", "Catégorie d'incident (de l'ontologie).", vocabulary="IncidentCategory"
)
FILTERS = (
    FROM,
    TO,
    CATEGORY,
    Param("quartier", "string", "Nom du quartier (casse indifférente)."),
    Param("source", "string", "Source des incidents (« citizen » : les signalements)."),
)
CONNECTIONS = (
    Param("radius", "number", "Rayon du lien lieu-temps, en mètres.", 300.0, minimum=1, maximum=5000),
    Param("hours", "number", "Fenêtre du lien lieu-temps, en heures.", 72.0, minimum=0.1, maximum=8760),
)
HOTSPOTS = (
    dataclasses.replace(FROM, required=True),
    dataclasses.replace(TO, required=True),
    CATEGORY,
    Param("unit", "string", "Quartier, ou carreau (cell).", "quartier", choices=("quartier", "cell")),
    Param("cell", "number", "Côté du carreau en mètres (unit=cell).", 500.0, minimum=50, maximum=10_000),
)


# ---------------------------------------------------------------- schemas


def fields(spec: str, required: str = "", closed: bool = False) -> dict[str, Any]:
    """An object schema from "name:type …": string when no type is given; number, integer, boolean,
    date-time, any, a|b|c (one of these), or a schema's name (capitalised); `[]` after a type: a list."""
    properties: dict[str, Any] = {}
    for item in spec.split():
        name, _, kind = item.partition(":")
        properties[name] = _field(kind or "string")
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required.split()
    if closed:
        schema["additionalProperties"] = False
    return schema


def _field(kind: str) -> dict[str, Any]:
    if kind.endswith("[]"):
        return {"type": "array", "items": _field(kind[:-2])}
    if kind[0].isupper():
        return {"$ref": f"#/components/schemas/{kind}"}
    if "|" in kind:
        return {"enum": kind.split("|")}
    if kind == "date-time":
        return {"type": ["string", "null"], "format": "date-time"}
    return {} if kind == "any" else {"type": [kind, "null"]}


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": fields("code message hint fields:any", required="code message")},
    },
    "IncidentRow": fields(
        "id category occurred_from:date-time occurred_to:date-time precision lat:number lon:number source "
        "quartier"
    ),
    "Incident": fields(
        "id text source source_id reported_at:date-time category classifier_category "
        "category_confidence:number category_source occurred_from:date-time occurred_to:date-time "
        "time_source series_id series_size:integer place:Place mentions:Mention[] cameras:CameraView[] "
        "damaged:DamagedAsset[] near_repeats:NearRepeat[]"
    ),
    "Place": fields("id name precision lat:number lon:number postcode quartier place_source"),
    "Mention": fields("label entity start:integer end:integer role name description"),
    "CameraView": fields("camera label state:seen|out distance_m:number angle_deg:number"),
    "DamagedAsset": fields(
        "id asset_type label lat:number lon:number distance_m:number start:integer end:integer"
    ),
    "NearRepeat": fields("id category occurred_from:date-time metres:number hours:number"),
    "Connection": fields("id category occurred_from:date-time precision score:number reasons:any[]"),
    "TimelineItem": fields(
        "id category occurred_from:date-time occurred_to:date-time precision relation role"
    ),
    "Hotspot": fields("unit count:integer previous:integer change:number lat:number lon:number"),
    "Forecast": fields(
        "id cell lat:number lon:number category probability:number rank:integer horizon explanation "
        "valid_from:date-time valid_to:date-time model_version"
    ),
    "Camera": fields(
        "id label lat:number lon:number bearing_deg:number fov_deg:number range_m:number "
        "installed_at:date-time removed_at:date-time status:ok|out|inactive"
    ),
    "ConsoleQuery": fields("statement limit:integer parameters:object", required="statement", closed=True),
    "ConsoleResult": fields(
        "columns:string[] rows:any[] truncated:boolean timed_out:boolean row_count:integer seconds:number "
        "notices:string[]"
    ),
    "Report": fields("id text reported_at lat:number lon:number address", "id text reported_at", closed=True),
    "ReportAccepted": fields("id url summary:any"),
    "Health": fields("status version"),
    "Me": fields("username name role permissions:string[] csrf_token"),
}
# A report's id may be a number, and its coordinates strings with a decimal comma, as in a CSV file.
SCHEMAS["Report"]["properties"] |= {
    "id": {"type": ["string", "integer"]},
    "lat": {"type": ["number", "string", "null"]},
    "lon": {"type": ["number", "string", "null"]},
}


# ---------------------------------------------------------------- operations and the document


@dataclass(frozen=True)
class Operation:
    """One route as the document shows it: `rule` in Flask's syntax (`<path:incident_id>`); `response` a
    schema's name, `Name[]` for a page of them."""

    method: str
    rule: str
    summary: str
    permissions: tuple[str, ...]
    params: tuple[Param, ...] = ()
    body: str | None = None
    response: str | None = None
    status: int = 200
    errors: tuple[int, ...] = (400, 401, 403)
    public: bool = False
    path_choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    media_type: str = "application/json"  # of the success answer; errors are always JSON

    @property
    def path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.rule)


ERRORS = {
    400: "Paramètres ou corps invalides (`fields` nomme chacun).",
    401: "Connexion requise : cookie de session, ou « Authorization: Bearer <jeton> ».",
    403: "Le rôle n'a pas la permission, ou le jeton CSRF manque (requête avec cookie).",
    404: "Introuvable.",
    500: "Erreur interne (les détails restent dans le journal du serveur).",
    503: "Graphe indisponible.",
}
ENCODED = "URL-encodé : les identifiants contiennent « : » et des espaces."


def _response(name: str | None) -> dict[str, Any]:
    if name is None:
        return {"type": "object"}
    if not name.endswith("[]"):
        return _field(name)
    count = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "required": ["total", "limit", "offset", "items"],
        "properties": {"total": count, "limit": count, "offset": count, "items": _field(name)},
    }


def document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations`."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters: list[dict[str, Any]] = []
        for name in op.path_params:
            choices = op.path_choices.get(name)
            schema = {"type": "string", "enum": list(choices)} if choices else {"type": "string"}
            about = "Un de : " + ", ".join(choices) + "." if choices else ENCODED
            parameters.append(
                {"name": name, "in": "path", "required": True, "schema": schema, "description": about}
            )
        parameters += [
            {"name": p.name, "in": "query", "required": p.required, "description": p.description,
             "schema": p.schema(), **({} if p.required else {"allowEmptyValue": True})}  # empty: absent
            for p in op.params
        ]  # fmt: skip
        if op.media_type.endswith("json"):  # application/json, application/geo+json
            content = {op.media_type: {"schema": _response(op.response)}}
        else:  # a download (GraphML, a zip…): its bytes
            content = {op.media_type: {"schema": {"type": "string", "format": "binary"}}}
        responses: dict[str, Any] = {
            str(op.status): {"description": "Créé" if op.status == 201 else "OK", "content": content}
        }
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for code in op.errors if op.public else sorted({*op.errors, 401, 500, 503}):
            responses[str(code)] = {"description": ERRORS[code], "content": error}
        path = op.path.lower()
        operation: dict[str, Any] = {
            "operationId": op.method.lower() + re.sub(r"[^a-z0-9]+", "_", path).rstrip("_"),
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
        }
        if op.public:
            operation["security"] = []
        elif op.permissions:
            operation["description"] = "Permissions requises : " + ", ".join(op.permissions) + "."
            operation["x-permissions"] = list(op.permissions)
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _field(op.body)}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Recoupe API",
            "version": __version__,
            "description": "Incidents, entités, caméras et prévisions du graphe Recoupe. Heures en "
            "ISO 8601 ; personnes sous pseudonyme seulement ; réponses jamais mises en cache.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "__Host-recoupe_session",
                    "description": "Session du navigateur ; une écriture exige l'en-tête X-CSRF-Token.",
                },
                "bearer": {"type": "http", "scheme": "bearer", "description": "Jeton d'API (rcp_…)."},
            },
        },
        "security": [{"session": []}, {"bearer": []}],
    }
