"""The Flask app factory: configuration, blueprints, and one error shape for the API."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from recoupe import __version__
from recoupe.ontology.errors import GraphUnavailable, InvalidInput, NotFound, RecoupeError
from recoupe.web import (
    api,  # noqa: F401  (declares its API routes and the API's error handlers when imported)
    audit,
    auth,
    cache,
    compress,
    console_page,
    endpoints,
    explorer,
    exports,
    forecast_page,
    identity,  # noqa: F401  (declares its API route when imported)
    map_page,
    ontology_page,
    pages,
    vendor,
)
from recoupe.web.config import load_config

STATUS: dict[type[RecoupeError], int] = {
    InvalidInput: 400,
    auth.Unauthenticated: 401,
    auth.Forbidden: 403,
    NotFound: 404,
    GraphUnavailable: 503,
}
# Secure defaults for every answer: no framing, no inline script or style, no sniffing, nothing cached.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def template_url_for(endpoint: str, **values: Any) -> str:
    """Flask's `url_for` for the templates, each address built once per application root (a page has dozens of
    links, and werkzeug's URL building is a good part of a page's time). Options (`_external` …) and values
    that cannot be a key go to `url_for` as they are."""
    if any(name[0] == "_" for name in values):
        return url_for(endpoint, **values)
    try:
        return _built(request.script_root, endpoint, tuple(values.items()))
    except TypeError:  # a value that cannot be a key (a list)
        return url_for(endpoint, **values)


@functools.lru_cache(maxsize=8192)
def _built(root: str, endpoint: str, values: tuple[tuple[str, Any], ...]) -> str:
    """The address of `endpoint` with `values` under the application root `root` (the same rules in every
    Recoupe app: the blueprints are the same)."""
    return url_for(endpoint, **dict(values))


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance file, RECOUPE_* environment, then `test_config`."""
    app = Flask("recoupe.web")
    app.config.update(load_config(os.environ, test_config))
    auth.init_app(app)
    cache.init_app(app)
    compress.init_app(app)
    app.context_processor(pages.helpers)  # the navigation bar's words, on every page
    app.jinja_env.globals["url_for"] = template_url_for
    # a configured tile server: its images (and Leaflet's blank data: image for a tile it drops)
    tiles = map_page.tile_origin(app.config["RECOUPE_TILE_URL"])
    headers = HEADERS | {"Content-Security-Policy": f"{HEADERS['Content-Security-Policy']}; img-src 'self' "
                         f"data: {tiles}"} if tiles else HEADERS  # fmt: skip
    for blueprint in (endpoints.api, pages.pages, map_page.map_page, explorer.explorer,
                      console_page.console_page, forecast_page.forecast_page, exports.exports,
                      ontology_page.ontology_page, vendor.vendor):  # fmt: skip
        app.register_blueprint(blueprint)

    @app.get("/api/health")
    def health() -> ResponseReturnValue:
        return jsonify({"status": "ok", "version": __version__})

    @app.errorhandler(RecoupeError)
    def recoupe_error(exc: RecoupeError) -> ResponseReturnValue:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.as_dict()}), status
        page = (
            '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Erreur</title>'
            f"<p>{escape(exc.message)}</p>"
        )
        return page, status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        """Routing errors (unknown path, wrong method …): the API's error shape under /api/, else a page."""
        status = exc.code or 500
        message = {404: "introuvable", 405: "méthode non permise"}.get(status, exc.name.lower())
        if request.path.startswith("/api/"):
            return jsonify(
                {"error": {"code": exc.name.lower().replace(" ", "_"), "message": message}}
            ), status
        page = (
            '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Erreur</title>'
            f"<p>{escape(message)}</p>"
        )
        return page, status

    @app.after_request
    def secure_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    audit.init_app(app)  # after secure_headers: its hook runs first, so a refusal gets the headers
    return app
