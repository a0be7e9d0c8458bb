"""Explorateur — the interactive graph explorer (Cytoscape.js)."""

from __future__ import annotations

from flask import Blueprint

explorer = Blueprint("explorer", __name__)
