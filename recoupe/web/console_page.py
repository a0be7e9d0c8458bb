"""Console — the analysts' read-only Cypher console page."""

from __future__ import annotations

from flask import Blueprint

console_page = Blueprint("console_page", __name__)
