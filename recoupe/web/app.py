"""The Flask app factory: configuration, blueprints, and one error shape for the API."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from markupsafe import escape

from recoupe import __version__
from recoupe.ontology.errors import GraphUnavailable, InvalidInput, NotFound, RecoupeError
from recoupe.web.config import load_config

STATUS: dict[type[RecoupeError], int] = {InvalidInput: 400, NotFound: 404, GraphUnavailable: 503}


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, instance file, RECOUPE_* environment, then `test_config`."""
    app = Flask("recoupe.web")
    app.config.update(load_config(os.environ, test_config))

    @app.get("/api/health")
    def health() -> ResponseReturnValue:
        return jsonify({"status": "ok", "version": __version__})

    @app.errorhandler(RecoupeError)
    def recoupe_error(exc: RecoupeError) -> ResponseReturnValue:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
        if request.path.startswith("/api/"):
            return jsonify({"error": exc.as_dict()}), status
        return f"<!doctype html><title>Erreur</title><p>{escape(exc.message)}</p>", status

    return app
