"""Explorateur — the interactive graph explorer (Cytoscape.js): find a start node, then expand neighbours.

Two JSON endpoints feed `static/explorer.js`: `/api/graph/search` (start nodes for what a user types) and
`/api/graph/neighbours` (a node's neighbours and the edges to them, filtered by relationship type and by the
incidents' time window, capped). Nodes carry public ids (`kind:key`) and French labels; a person appears by
pseudonym only, and no label holds a name or a log's text (an incident shows its id and category). The page
lists the search's matches as links, so it is of use without JavaScript too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from recoupe.ontology.errors import InvalidInput, RecoupeError
from recoupe.web import auth, vendor
from recoupe.web.api import ENTITY_KINDS, SEE_ENTITIES, _period
from recoupe.web.endpoints import answer, endpoint
from recoupe.web.french import PARIS, term, when
from recoupe.web.map_page import _day
from recoupe.web.openapi import FROM, SCHEMAS, TO, Param, fields
from recoupe.web.pages import page_error
from recoupe.web.resources import graph

if TYPE_CHECKING:  # neo4j loads with the first request that reads the graph
    from recoupe.graph.explore import GraphNode

explorer = Blueprint("explorer", __name__)
explorer.register_error_handler(RecoupeError, page_error)  # the pages' French error page

CYTOSCAPE = "cytoscape/dist/cytoscape.min.js"
SEARCH_LIMIT, NEIGHBOURS_LIMIT = 20, 50
# Who may explore: the explorer's permission, and that of reading entities, since people and plates are
# drawn (every role with one has the other; requiring both keeps it so if roles change).
PERMISSIONS = (SEE_ENTITIES, "explorer")

SCHEMAS["GraphNode"] = fields("id label kind title url category occurred_from:date-time day")
SCHEMAS["GraphEdge"] = fields("id source target type")
SCHEMAS["GraphSearch"] = fields("query items:GraphNode[] truncated:boolean")
SCHEMAS["GraphNeighbours"] = fields("node nodes:GraphNode[] edges:GraphEdge[] truncated:boolean")

SEARCH = (
    Param("q", "string", "Identifiant d'incident, plaque (toute graphie), pseudonyme (P-…), nom de rue ou "
          "de lieu, de quartier, identifiant de caméra ou de mobilier.", required=True),
    Param("limit", "integer", "Nombre de résultats, de 1 à 100.", SEARCH_LIMIT, minimum=1, maximum=100),
)  # fmt: skip
NEIGHBOURS = (
    Param("node", "string", "Le nœud à développer : « type:clé » (incident:T:A, plate:AB-123-CD, "
          "person:P-…, place:…, camera:…).", required=True),
    Param("types", "string", "Types de relation, séparés par des virgules (par défaut : tous)."),
    FROM,
    TO,
    Param("limit", "integer", "Nombre de relations au plus, de 1 à 500.", NEIGHBOURS_LIMIT, minimum=1,
          maximum=500),
)  # fmt: skip


# ---------------------------------------------------------------- nodes in French


def kind_name(kind: str) -> str:
    """A kind's French name, from the ontology ("plate" → "Plaque d'immatriculation")."""
    from recoupe.graph.explore import KINDS
    from recoupe.ontology.loader import ontology

    return ontology().node_type(KINDS[kind][0]).labels.fr


def node_url(kind: str, key: str) -> str | None:
    """The node's page in the viewer, when it has one."""
    if kind == "incident":
        return url_for("pages.incident", incident_id=key)
    if kind in ENTITY_KINDS:
        return url_for("pages.entity", kind=kind, key=key)
    return None


def label_and_title(node: GraphNode) -> tuple[str, str]:
    """What the graph writes on the node, and its one-line description (no name, no text of a log)."""
    kind, key, name = node.kind, node.key, kind_name(node.kind)
    if kind == "incident":
        category = term("IncidentCategory", node.category)
        return f"{key}\n{category}", f"Incident {key} — {category}, {when(node.occurred_from)}"
    if kind == "vehicle":
        plate = key.removeprefix("plate:") if key.startswith("plate:") else None
        mentioned = key.rpartition("@")[0]
        if plate:
            return f"{name} {plate}", f"{name} (plaque {plate})"
        return name, f"{name} mentionné par l'incident {mentioned}"
    if kind == "object":
        return name, f"{name} mentionné par l'incident {key.rpartition('@')[0]}"
    if kind == "camera":
        return key, f"{name} {key}" + (f" — {node.caption}" if node.caption else "")
    if kind == "asset":
        return key, f"{name} {key}" + (f" — {term('AssetType', node.asset_type)}" if node.asset_type else "")
    shown = node.name or key if kind in ("organisation", "place", "quartier", "arrondissement") else key
    return shown, f"{name} {shown}"


def shaped(node: GraphNode) -> dict[str, Any]:
    """A node as the page and the API give it to Cytoscape."""
    label, title = label_and_title(node)
    at = node.occurred_from
    return {
        "id": node.id, "label": label, "kind": node.kind, "title": title,
        "url": node_url(node.kind, node.key), "category": node.category, "occurred_from": at,
        "day": at.astimezone(PARIS).date().isoformat() if isinstance(at, datetime) else None,
    }  # fmt: skip


# ---------------------------------------------------------------- the API


@endpoint("GET", "/graph/search", "Explorateur : les nœuds de départ qui répondent à une recherche "
          "(incident, plaque, pseudonyme, rue ou lieu, quartier, caméra, mobilier).", PERMISSIONS, SEARCH,
          response="GraphSearch")  # fmt: skip
def graph_search(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph.explore import search

    found, truncated = search(graph(), q["q"], q["limit"])
    return answer({"query": q["q"], "items": [shaped(n) for n in found], "truncated": truncated})


@endpoint("GET", "/graph/neighbours", "Explorateur : un nœud, ses voisins et les relations vers eux, "
          "filtrés par type de relation et par période des incidents (un incident hors période est omis), "
          "plafonnés.",
          PERMISSIONS, NEIGHBOURS, response="GraphNeighbours", errors=(400, 401, 403, 404))  # fmt: skip
def graph_neighbours(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph.explore import neighbours

    _period(q)
    found = neighbours(graph(), q["node"], split(q["types"]), q["from"], q["to"], q["limit"])
    return answer({
        "node": found.centre.id,
        "nodes": [shaped(n) for n in (found.centre, *found.nodes)],
        "edges": [{"id": e.id, "source": e.source, "target": e.target, "type": e.type} for e in found.edges],
        "truncated": found.truncated,
    })  # fmt: skip


def split(types: str | None) -> list[str]:
    """`INVOLVES,SEEN_BY` → the names (checked against the ontology by the graph's module)."""
    return [t for t in (types or "").split(",") if t.strip()]


# ---------------------------------------------------------------- the page


def relationship_choices() -> list[tuple[str, str]]:
    """The relationship types to filter on, with their French labels from the ontology."""
    from recoupe.graph.explore import relationship_types
    from recoupe.ontology.loader import ontology

    choices = [(name, ontology().rel_type(name).labels.fr) for name in relationship_types()]
    return sorted(choices, key=lambda choice: choice[1].casefold())


def chosen(asked: Iterable[str], known: Iterable[str]) -> list[str]:
    """The boxes to check: the types the URL names, or all of them."""
    names = list(known)
    picked = [t.upper() for t in asked if t.upper() in names]
    return picked or names


@explorer.get("/explorateur")
@auth.require(SEE_ENTITIES)
@auth.require("explorer")
def page() -> ResponseReturnValue:
    """The explorer: `?q=` searches and draws the first match (or `node=`) with its neighbours."""
    from recoupe.graph.explore import search

    text = request.args.get("q", "").strip()
    matches: list[dict[str, Any]] = []
    truncated = False
    if text:
        found, truncated = search(graph(), text, SEARCH_LIMIT)
        matches = [shaped(n) for n in found]
    window: dict[str, Any] = {k: v for k in ("from", "to") if (v := request.args.get(k, "").strip())}
    for match in matches:  # the link that draws this match instead of the first
        match["explore"] = url_for("explorer.page", q=text, node=match["id"], **window)
    start = request.args.get("node", "").strip() or (matches[0]["id"] if matches else "")
    types = relationship_choices()
    first, last = _day(request.args.get("from")), _day(request.args.get("to"))
    if first and last and last < first:
        raise InvalidInput("La période est vide.", "donnez une fin après le début")
    return render_template(
        "explorer.html",
        installed=vendor.installed(CYTOSCAPE),
        q=text,
        matches=matches,
        truncated=truncated,
        start=start,
        types=types,
        checked=chosen(request.args.getlist("types"), (name for name, _ in types)),
        first=first.isoformat() if first else "",
        last=last.isoformat() if last else "",
        kind_names={kind: kind_name(kind) for kind in kinds()},
    )


def kinds() -> tuple[str, ...]:
    """The explorer's kinds of node, in the legend's order."""
    from recoupe.graph.explore import KINDS

    return tuple(KINDS)
