"""What an export holds, read from the graph as plain records in pages: the whole graph, an incident's
neighbourhood, or the incidents of a period and/or a box with the nodes they relate to.

People leave only by pseudonym: a Person's key is its pseudonym (its id, a keyed hash of the name, never
leaves this module), and in incident texts each recognised mention of a person (the span of its
EXTRACTED_FROM) is replaced by that pseudonym, with the other spans of the text shifted to match.

Memory: the whole graph is read page by page (keyset pages on `id`), holding one page at a time. A selection
first gathers the ids of its nodes (a set of short strings, about 100 bytes a node), then reads the nodes and
their relationships page by page the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j

from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.graph.values import from_graph, to_graph
from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.ontology.loader import ontology

# A neighbourhood is not walked through these: one Source, Quartier or Cell touches thousands of incidents.
HUBS = frozenset({"Source", "Quartier", "Arrondissement", "Cell"})
MAX_DEPTH = 6
# Not exported: a hash of the original text (names included) would let a guess of that text be confirmed.
WITHHELD = frozenset({"text_hash"})


@dataclass(frozen=True)
class Selection:
    """What to export; the default is the whole graph."""

    incident: str | None = None  # the neighbourhood of this incident …
    depth: int = 1  # … up to this many relationships away
    start: datetime | None = None  # incidents occurring from (inclusive) …
    end: datetime | None = None  # … to (exclusive); other nodes come with the incidents they relate to
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east (incidents' points)

    @property
    def everything(self) -> bool:
        return self.incident is None and self.start is None and self.end is None and self.bbox is None

    def check(self) -> None:
        """Raise InvalidInput when the selection cannot be read."""
        if self.incident is not None and not 1 <= self.depth <= MAX_DEPTH:
            raise InvalidInput(
                f"depth {self.depth} is out of range", f"give a depth from 1 to {MAX_DEPTH}", {"depth": "1-6"}
            )
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidInput("the period is empty", "give an end after the start", {"end": "after start"})
        if self.bbox is not None:
            south, west, north, east = self.bbox
            if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
                raise InvalidInput(
                    f"the box {self.bbox} is not south, west, north, east",
                    "give south < north and west < east in degrees",
                    {"bbox": "south,west,north,east"},
                )

    def keeps(self, starts: Any, lat: Any, lon: Any) -> bool:
        """Whether an incident with this start and point is within the period and the box."""
        when = from_graph(starts)
        if self.start is not None and (when is None or when < self.start):
            return False
        if self.end is not None and (when is None or when >= self.end):
            return False
        if self.bbox is not None:
            south, west, north, east = self.bbox
            return lat is not None and lon is not None and south <= lat <= north and west <= lon <= east
        return True


@dataclass(frozen=True)
class NodeRecord:
    label: str  # the ontology's class name (Incident, Person, Plate, …)
    key: str  # public key: incident id, plate id, person PSEUDONYM, camera id, …
    properties: dict[str, Any]  # Python values (aware datetimes, floats, str); no Person name/id hash


@dataclass(frozen=True)
class EdgeRecord:
    type: str  # INVOLVES, OCCURRED_AT, …
    source: tuple[str, str]  # (label, key)
    target: tuple[str, str]
    properties: dict[str, Any]


Members = dict[str, set[str]]  # label → graph ids


def nodes(graph: Graph, selection: Selection, batch: int = 5000) -> Iterator[NodeRecord]:
    """The selection's nodes, label by label, in key order within a label."""
    selection.check()
    with graph.session() as session:
        members = None if selection.everything else _members(session, selection, batch)
        for label in queries.EXPORT_LABELS:
            for ids in _pages(session, label, members, batch):
                rows = list(session.run(queries.EXPORT_NODES[label], ids=ids))
                spans = _person_spans(session, ids) if label == "Incident" else {}
                for row in sorted(rows, key=lambda r: str(r["id"])):
                    yield _node(label, row["id"], dict(row["props"]), spans.get(row["id"], []))


def relationships(graph: Graph, selection: Selection, batch: int = 5000) -> Iterator[EdgeRecord]:
    """The relationships between the selection's nodes, grouped by their source (and its label)."""
    selection.check()
    with graph.session() as session:
        members = None if selection.everything else _members(session, selection, batch)
        for label in queries.EXPORT_LABELS:
            for ids in _pages(session, label, members, batch):
                rows = [
                    r
                    for r in session.run(queries.EXPORT_EDGES_FROM[label], ids=ids)
                    if r["label"] in queries.EXPORT_LABELS
                    and (members is None or r["target"] in members.get(r["label"], ()))
                ]
                texts = {
                    r["target"] for r in rows if r["label"] == "Incident" and r["type"] == "EXTRACTED_FROM"
                }
                if label == "Incident":
                    texts |= {r["source"] for r in rows if r["type"] == "DAMAGED"}
                spans = _person_spans(session, sorted(texts)) if texts else {}
                # grouped by source, so that a writer can drop a triple that parallel relationships repeat
                for r in sorted(rows, key=lambda r: (str(r["source"]), r["type"], str(r["target"]))):
                    yield _edge(label, r, spans)


def _pages(session: neo4j.Session, label: str, members: Members | None, batch: int) -> Iterator[list[str]]:
    """The ids of a label's selected nodes, a page at a time."""
    if members is not None:
        chosen = sorted(members.get(label, ()))
        for n in range(0, len(chosen), batch):
            yield chosen[n : n + batch]
        return
    after = ""
    while True:
        ids = [str(r["id"]) for r in session.run(queries.EXPORT_KEYS[label], after=after, limit=batch)]
        if not ids:
            return
        yield ids
        if len(ids) < batch:
            return
        after = ids[-1]


def _members(session: neo4j.Session, selection: Selection, batch: int) -> Members:
    """The graph ids of every node in the selection."""
    if selection.incident is not None:
        return _neighbourhood(session, selection)
    members: Members = {"Incident": set()}
    after = ""
    bounds: dict[str, Any] = dict(
        zip(("south", "west", "north", "east"), selection.bbox or (None,) * 4, strict=True)
    )
    while True:
        page = [
            str(r["id"])
            for r in session.run(
                queries.EXPORT_INCIDENTS_SELECTED, after=after, limit=batch,
                low=to_graph(selection.start), high=to_graph(selection.end), **bounds,
            )
        ]  # fmt: skip
        for r in session.run(queries.EXPORT_NEIGHBOURS["Incident"], ids=page) if page else ():
            if r["label"] != "Incident" and r["label"] in queries.EXPORT_LABELS:
                members.setdefault(r["label"], set()).add(str(r["id"]))
        members["Incident"].update(page)
        if len(page) < batch:
            return members
        after = page[-1]


def _neighbourhood(session: neo4j.Session, selection: Selection) -> Members:
    """Breadth first from the incident, not through hubs; incidents outside the period or box are left out."""
    assert selection.incident is not None
    if session.run(queries.EXPORT_INCIDENT, id=selection.incident).single() is None:
        raise NotFound(f"no incident {selection.incident!r}", "give an id as `recoupe ingest` reports it")
    members: Members = {"Incident": {selection.incident}}
    frontier: Members = {"Incident": {selection.incident}}
    for _ in range(selection.depth):
        reached: Members = {}
        for label, ids in frontier.items():
            if label in HUBS:
                continue
            for r in session.run(queries.EXPORT_NEIGHBOURS[label], ids=sorted(ids)):
                other, node_id = r["label"], str(r["id"])
                if other not in queries.EXPORT_LABELS or node_id in members.get(other, ()):
                    continue
                if other == "Incident" and not selection.keeps(r["starts"], r["lat"], r["lon"]):
                    continue
                reached.setdefault(other, set()).add(node_id)
                members.setdefault(other, set()).add(node_id)
        frontier = reached
    return members


def _person_spans(session: neo4j.Session, incident_ids: list[str]) -> dict[str, list[tuple[int, int, str]]]:
    """incident id → the (start, end, pseudonym) of each person mention in its text."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for r in session.run(queries.EXPORT_PERSON_SPANS, ids=incident_ids):
        if r["start"] is not None and r["end"] is not None:
            spans.setdefault(r["incident"], []).append((int(r["start"]), int(r["end"]), str(r["pseudonym"])))
    return spans


def pseudonymise(text: str, mentions: list[tuple[int, int, str]]) -> tuple[str, Callable[[int], int]]:
    """The text with each (start, end, pseudonym) span replaced, and where an offset of the old text moved."""
    kept = _replacements(mentions, len(text))
    parts, last = [], 0
    for start, end, pseudonym in kept:
        parts += [text[last:start], pseudonym]
        last = end
    parts.append(text[last:])
    return "".join(parts), _mover(kept)


def _replacements(mentions: list[tuple[int, int, str]], length: int) -> list[tuple[int, int, str]]:
    """The mentions in text order, without those out of the text or overlapping an earlier one."""
    kept: list[tuple[int, int, str]] = []
    for start, end, pseudonym in sorted(set(mentions)):
        if 0 <= start < end <= length and (not kept or start >= kept[-1][1]):
            kept.append((start, end, pseudonym))
    return kept


def _mover(kept: list[tuple[int, int, str]]) -> Callable[[int], int]:
    def moved(offset: int) -> int:
        delta = 0
        for start, end, pseudonym in kept:
            if offset >= end:
                delta += len(pseudonym) - (end - start)
            elif offset > start:  # inside a replaced name: the end of its pseudonym
                return start + delta + len(pseudonym)
        return offset + delta

    return moved


def _node(
    label: str, node_id: str, stored: dict[str, Any], mentions: list[tuple[int, int, str]]
) -> NodeRecord:
    allowed = set(ontology().node_type(label).properties) - {"id"} - WITHHELD
    props = {k: from_graph(v) for k, v in stored.items() if k in allowed and v is not None}
    key = str(props.get("pseudonym")) if label == "Person" else node_id
    if label == "Incident" and isinstance(props.get("text"), str):
        props["text"], moved = pseudonymise(props["text"], mentions)
        if isinstance(props.get("asset_spans"), list):
            props["asset_spans"] = [moved_span(s, moved) for s in props["asset_spans"]]
    return NodeRecord(label, key, props)


def moved_span(span: Any, moved: Callable[[int], int]) -> Any:
    start, _, end = str(span).partition(":")
    if not (start.isdigit() and end.isdigit()):
        return span
    return f"{moved(int(start))}:{moved(int(end))}"


def _edge(label: str, row: Any, spans: dict[str, list[tuple[int, int, str]]]) -> EdgeRecord:
    props = {k: from_graph(v) for k, v in dict(row["props"]).items() if v is not None}
    source_key = str(row["source_pseudonym"]) if label == "Person" else str(row["source"])
    target_key = str(row["pseudonym"]) if row["label"] == "Person" else str(row["target"])
    text_of = row["target"] if row["type"] == "EXTRACTED_FROM" else row["source"]
    if "start" in props and "end" in props and text_of in spans:
        moved = _mover(_replacements(spans[text_of], 1 << 30))  # spans come from the text itself
        props["start"], props["end"] = moved(int(props["start"])), moved(int(props["end"]))
    return EdgeRecord(row["type"], (label, source_key), (row["label"], target_key), props)
