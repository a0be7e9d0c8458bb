"""Composition root: `create_app()`, blueprints, the `recoupe` command line. Nothing imports this package."""

from recoupe.web.app import create_app

__all__ = ["create_app"]
