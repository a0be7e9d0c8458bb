"""Declaring the JSON API's routes and answering them: the /api blueprint (its error handlers are in api.py),
`endpoint` (a login, permissions, parsed query parameters, an OpenAPI operation), JSON answers, pages of items
and a request's JSON object."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from recoupe.ontology.errors import InvalidInput
from recoupe.web import auth
from recoupe.web.cache import cached
from recoupe.web.openapi import Operation, Param, parse_args

PREFIX = "/api"
api = Blueprint("api", __name__, url_prefix=PREFIX)
OPERATIONS: list[Operation] = []
View = Callable[..., ResponseReturnValue]


def endpoint(
    method: str,
    rule: str,
    summary: str,
    permissions: tuple[str, ...],
    params: tuple[Param, ...] = (),
    **declared: Any,
) -> Callable[[View], View]:
    """Register a view under /api behind a login and its permissions, and declare it (`declared`: the
    Operation's body, response, status and errors); the view gets its query parameters parsed, as `q`."""
    op = Operation(method, PREFIX + rule, summary, permissions, params, **declared)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def parsed(**path: Any) -> ResponseReturnValue:
            return view(parse_args(op.params, request.args), **path)

        guarded: View = auth.require()(parsed)
        for permission in reversed(permissions):
            guarded = auth.require(permission)(guarded)
        api.add_url_rule(rule, view.__name__, guarded, methods=[method])
        OPERATIONS.append(op)
        return view

    return decorate


def as_json(value: Any) -> Any:
    """Dates and times as ISO 8601 strings, inside lists and dicts too."""
    if isinstance(value, date):  # datetimes included
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value


def answer(body: Mapping[str, Any], status: int = 200) -> ResponseReturnValue:
    return jsonify(as_json(dict(body))), status


def cached_answer(key: Hashable, build: Callable[[], Mapping[str, Any]]) -> ResponseReturnValue:
    """`answer(build())`, its JSON text kept in the cache: for large answers every role sees alike."""

    def encode() -> bytes:
        return current_app.json.dumps(as_json(dict(build())), separators=(",", ":")).encode()

    return current_app.response_class(cached(("json", key), encode), mimetype="application/json")


def page(items: list[Any], q: Mapping[str, Any], total: int, **extra: Any) -> ResponseReturnValue:
    return answer({**extra, "total": total, "limit": q["limit"], "offset": q["offset"], "items": items})


def window(items: list[Any], q: Mapping[str, Any]) -> list[Any]:
    return items[q["offset"] : q["offset"] + q["limit"]]


def json_body(allowed: Iterable[str]) -> dict[str, Any]:
    """The request's JSON object, refused when it holds a field outside `allowed`."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Le corps doit être un objet JSON.", "envoyez Content-Type: application/json",
                           {"body": "expected a JSON object"})  # fmt: skip
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(f"Champs inconnus : {', '.join(unknown)}.", f"champs admis : {', '.join(allowed)}",
                           dict.fromkeys(unknown, "unknown field"))  # fmt: skip
    return body
