"""Console — the analysts' read-only Cypher console page, and its library of saved queries (`/api/queries`).

The page is an editor, a row limit and the library; `static/console.js` runs statements through
`POST /api/query` (the read-only account, the statement check, the row cap and the time limit of
`recoupe.graph.console`) and draws the answer as a table and, when its rows hold nodes and relationships, as a
graph with Cytoscape (an npm package served by `/vendor/`). Without node_modules the table still works.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from recoupe.graph.saved_queries import SAVED_QUERIES
from recoupe.web import auth, vendor
from recoupe.web.endpoints import endpoint, window
from recoupe.web.endpoints import page as api_page
from recoupe.web.openapi import MAX_LIMIT, PAGE, SCHEMAS, fields

console_page = Blueprint("console_page", __name__)

CYTOSCAPE = "cytoscape/dist/cytoscape.min.js"
DEFAULT_LIMIT = 100  # rows asked for unless the analyst says otherwise (POST /api/query's own default)
SCHEMAS["SavedQuery"] = fields("id title description cypher parameters:any[] graph:boolean")


@console_page.get("/console")
@auth.require("console")
def page() -> ResponseReturnValue:
    """The console: editor, row limit, library, and the result's table and graph."""
    return render_template(
        "console.html",
        limit=DEFAULT_LIMIT,
        max_limit=MAX_LIMIT,
        graph_view=vendor.installed(CYTOSCAPE),
        cytoscape=CYTOSCAPE,
    )


@endpoint("GET", "/queries", "La bibliothèque de requêtes de la console : id, titre, description, requête "
          "Cypher et ses paramètres avec leur valeur par défaut.", ("console",), PAGE,
          response="SavedQuery[]")  # fmt: skip
def saved_queries(q: dict[str, Any]) -> ResponseReturnValue:
    items = [saved.as_dict() for saved in SAVED_QUERIES]
    return api_page(window(items, q), q, len(items))
