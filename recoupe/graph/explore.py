"""The graph explorer's reads: find start nodes from what a user types, and a node's neighbours filtered by
relationship type and by the incidents' time window, capped.

Nodes are named by stable public ids, `kind:key` ("incident:T:A", "plate:AB-123-CD", "person:P-1A2B3C4D"),
never by the database's internal ids; a person's key is its pseudonym (its node id, a keyed hash of the name,
never leaves this module). Provenance (Source, EXTRACTED_FROM) and forecasting (Cell, Forecast) are not part
of the investigation's graph and are never walked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from recoupe.graph.connection import Graph
from recoupe.graph.values import from_graph, to_graph
from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.ontology.plates import normalise_plate

# A public kind → its node label and the property that holds its public key.
KINDS: dict[str, tuple[str, str]] = {
    "incident": ("Incident", "id"), "person": ("Person", "pseudonym"), "plate": ("Plate", "id"),
    "vehicle": ("Vehicle", "id"), "object": ("Object", "id"), "organisation": ("Organisation", "id"),
    "place": ("Place", "id"), "quartier": ("Quartier", "id"), "arrondissement": ("Arrondissement", "id"),
    "camera": ("Camera", "id"), "asset": ("StreetAsset", "id"),
}  # fmt: skip
KIND_OF = {label: kind for kind, (label, _) in KINDS.items()}
HIDDEN_LABELS = ("Source", "Cell", "Forecast")
HIDDEN_TYPES = ("EXTRACTED_FROM", "FORECAST_FOR")
MAX_NEIGHBOURS = 500
NODE_HELP = "un nœud se désigne par « type:clé », par exemple incident:T:A, plate:AB-123-CD ou person:P-…"

# ---------------------------------------------------------------- statements (labels from KINDS, checked by
# `checked_label` against the ontology before a statement is built; values are always parameters)


def _fields(var: str) -> str:
    """What every statement returns about a node: never a person's id, only its pseudonym."""
    return (
        f"labels({var})[0] AS label, "
        f"CASE WHEN 'Person' IN labels({var}) THEN {var}.pseudonym ELSE {var}.id END AS key, "
        f"{var}.name AS name, {var}.category AS category, {var}.occurred_from AS occurred_from, "
        f"{var}.asset_type AS asset_type, {var}.label AS caption"
    )


_WINDOW = "($low IS NULL OR m.occurred_from >= $low) AND ($high IS NULL OR m.occurred_from < $high)"
_HIDDEN = " AND ".join(f"NOT '{label}' IN labels(m)" for label in HIDDEN_LABELS)


def _node(label: str, prop: str) -> str:
    return f"MATCH (n:{label} {{{prop}: $key}}) RETURN {_fields('n')} LIMIT 1"


def _neighbours(label: str, prop: str) -> str:
    return f"""
MATCH (n:{label} {{{prop}: $key}})-[r]-(m)
WHERE type(r) IN $types AND {_HIDDEN} AND (NOT 'Incident' IN labels(m) OR ({_WINDOW}))
RETURN type(r) AS type, startNode(r) = n AS outgoing, {_fields("m")}
ORDER BY type, label, occurred_from DESC, key
LIMIT $limit
"""


@cache
def statements() -> dict[str, dict[str, str]]:
    """The explorer's statements, built once from labels the ontology knows."""
    node, neighbours = {}, {}
    for kind, (label, prop) in KINDS.items():
        checked_label(label)
        node[kind], neighbours[kind] = _node(label, prop), _neighbours(label, prop)
    for label in HIDDEN_LABELS:
        checked_label(label)
    search = {
        "incident": f"MATCH (n:Incident {{id: $value}}) RETURN {_fields('n')} LIMIT 1",
        "incident_prefix": f"MATCH (n:Incident) WHERE n.id STARTS WITH $value AND n.id <> $value "
        f"RETURN {_fields('n')} ORDER BY key LIMIT $limit",
        "person": f"MATCH (n:Person) WHERE n.pseudonym STARTS WITH $value RETURN {_fields('n')} "
        "ORDER BY key LIMIT $limit",
        "plate": f"MATCH (n:Plate {{id: $value}}) RETURN {_fields('n')} LIMIT 1",
        "place": f"MATCH (n:Place) WHERE {_folded('n.name')} CONTAINS $value RETURN {_fields('n')} "
        "ORDER BY name, key LIMIT $limit",
        "quartier": f"MATCH (n:Quartier) WHERE {_folded('n.name')} CONTAINS $value RETURN {_fields('n')} "
        "ORDER BY name, key LIMIT $limit",
        "camera": f"MATCH (n:Camera) WHERE toLower(n.id) STARTS WITH $value OR toLower(n.label) CONTAINS "
        f"$value RETURN {_fields('n')} ORDER BY key LIMIT $limit",
        "asset": f"MATCH (n:StreetAsset) WHERE toLower(n.id) STARTS WITH $value RETURN {_fields('n')} "
        "ORDER BY key LIMIT $limit",
    }
    return {"node": node, "neighbours": neighbours, "search": search}


# French accented letters and ligatures → plain letters, on both sides of a name search: "republique" finds
# "Place de la République" and "préfecture" the quartier "PREFECTURE". The same table in Cypher (`_folded`)
# and in Python (`folded`), so that a letter outside it (ñ) is kept by both and still matches itself.
ACCENTS = {
    "à": "a", "â": "a", "ä": "a", "ç": "c", "é": "e", "è": "e", "ê": "e", "ë": "e", "î": "i", "ï": "i",
    "ô": "o", "ö": "o", "ù": "u", "û": "u", "ü": "u", "ÿ": "y", "œ": "oe", "æ": "ae",
}  # fmt: skip


def _folded(expression: str) -> str:
    """Cypher for `expression` in lower case with ACCENTS replaced."""
    out = f"toLower({expression})"
    for accented, plain in ACCENTS.items():
        out = f"replace({out}, '{accented}', '{plain}')"
    return out


def folded(text: str) -> str:
    """`text` in lower case with ACCENTS replaced, as `_folded` does in the graph."""
    out = text.lower()
    for accented, plain in ACCENTS.items():
        out = out.replace(accented, plain)
    return out


def checked_label(label: str) -> str:
    """A label to splice into a statement: only one the ontology defines (UnknownTerm otherwise)."""
    from recoupe.ontology.loader import ontology

    return ontology().node_type(label).name


@cache
def relationship_types() -> tuple[str, ...]:
    """The relationship types the explorer walks: the ontology's, less provenance and forecasting."""
    from recoupe.ontology.loader import ontology

    return tuple(name for name in ontology().rel_types if name not in HIDDEN_TYPES)


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class GraphNode:
    """A node as the explorer shows it: its public id and the few fields that describe it."""

    kind: str
    key: str
    name: str | None = None
    category: str | None = None
    occurred_from: datetime | None = None
    asset_type: str | None = None
    caption: str | None = None  # a camera's label

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    type: str

    @property
    def id(self) -> str:
        return f"{self.source}|{self.type}|{self.target}"


@dataclass(frozen=True)
class Neighbourhood:
    """A node, its neighbours (first seen first) and the edges to them; `truncated` when the cap cut it."""

    centre: GraphNode
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool


def _graph_node(row: Any) -> GraphNode | None:
    kind = KIND_OF.get(row["label"])
    if kind is None or row["key"] is None:
        return None
    return GraphNode(kind, str(row["key"]), row["name"], row["category"], from_graph(row["occurred_from"]),
                     row["asset_type"], row["caption"])  # fmt: skip


def parse_node_id(node_id: str) -> tuple[str, str]:
    """'incident:T:A' → ('incident', 'T:A'); InvalidInput for an unknown kind or an empty key."""
    kind, _, key = node_id.strip().partition(":")
    if kind not in KINDS or not key.strip():
        raise InvalidInput(f"Nœud « {node_id} » illisible.", NODE_HELP,
                           {"node": f"expected KIND:KEY, KIND one of {', '.join(KINDS)}"})  # fmt: skip
    return kind, key.strip()


def checked_types(types: Iterable[str]) -> list[str]:
    """The relationship types asked for, each one the explorer walks (all of them when none is given)."""
    asked = [t.strip().upper() for t in types if t.strip()]
    unknown = [t for t in asked if t not in relationship_types()]
    if unknown:
        raise InvalidInput(f"Types de relation inconnus : {', '.join(unknown)}.",
                           f"types admis : {', '.join(relationship_types())}",
                           {"types": f"unknown: {', '.join(unknown)}"})  # fmt: skip
    return asked or list(relationship_types())


def neighbours(
    graph: Graph,
    node_id: str,
    types: Iterable[str] = (),
    low: datetime | None = None,
    high: datetime | None = None,
    limit: int = 50,
) -> Neighbourhood:
    """The node and its neighbours by the given relationship types (incidents outside [low, high) left out),
    at most `limit` edges."""
    kind, key = parse_node_id(node_id)
    walked = checked_types(types)
    if not 1 <= limit <= MAX_NEIGHBOURS:
        raise InvalidInput(f"limit must be between 1 and {MAX_NEIGHBOURS}", "", {"limit": "out of range"})
    if kind == "person":
        key = key.upper()
    elif kind == "plate":
        key = normalise_plate(key)
    queries = statements()
    with graph.session() as session:
        row = session.run(queries["node"][kind], key=key).single()
        centre = _graph_node(row) if row is not None else None
        if centre is None:
            raise NotFound(f"Aucun nœud « {node_id} ».", "cherchez-le d'abord : GET /api/graph/search?q=…")
        window = {"low": to_graph(low), "high": to_graph(high)}
        rows = list(
            session.run(queries["neighbours"][kind], key=key, types=walked, limit=limit + 1, **window)
        )
    nodes: dict[str, GraphNode] = {}
    edges: dict[str, GraphEdge] = {}
    for row in rows[:limit]:
        other = _graph_node(row)
        if other is None:
            continue
        nodes.setdefault(other.id, other)
        ends = (centre.id, other.id) if row["outgoing"] else (other.id, centre.id)
        edge = GraphEdge(ends[0], ends[1], row["type"])
        edges.setdefault(edge.id, edge)
    nodes.pop(centre.id, None)  # a loop back to itself adds no node
    return Neighbourhood(centre, list(nodes.values()), list(edges.values()), len(rows) > limit)


def search(graph: Graph, text: str, limit: int = 20) -> tuple[list[GraphNode], bool]:
    """Start nodes for what a user typed: an incident id (exact, then as a prefix), a plate however written,
    a pseudonym (or its beginning), a place or quartier name (a part of it, accents and case aside), a camera
    or asset id; at most
    `limit`, and whether more were found."""
    value = text.strip()
    if not value:
        raise InvalidInput("Recherche vide.", "tapez un identifiant, une plaque, un pseudonyme ou une rue",
                           {"q": "required"})  # fmt: skip
    lower = value.lower()
    plate = normalise_plate(value)
    asks: list[tuple[str, str]] = [("incident", value), ("incident_prefix", value)]
    if value.upper().startswith("P-"):
        asks.append(("person", value.upper()))
    if plate:
        asks.append(("plate", plate))
    asks += [("place", folded(value)), ("quartier", folded(value)), ("camera", lower), ("asset", lower)]
    found: dict[str, GraphNode] = {}
    queries = statements()["search"]
    with graph.session() as session:
        for name, param in asks:
            for row in session.run(queries[name], value=param, limit=limit + 1):
                node = _graph_node(row)
                if node is not None:
                    found.setdefault(node.id, node)
            if len(found) > limit:
                break
    matches = list(found.values())
    return matches[:limit], len(matches) > limit
