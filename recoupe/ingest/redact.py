"""An incident's text with each person mention replaced by the person's pseudonym, and every span of that
text moved to match, so that what was marked in the original is marked in the new text (docs/privacy.md):
at ingestion, before the text goes in the graph (`pseudonymised_batch`), and when it is shown (by a
placeholder, for a role that sees no person; for a text stored pseudonymised, replacing a pseudonym by itself
changes nothing). The replacement itself is the exports' (recoupe/graph/export.py `pseudonymise`): one
function, so ingestion, the viewer and the exports cannot disagree."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recoupe.graph.incidents import IncidentBatch

Rows = list[dict[str, Any]]


def person_spans(mentions: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    """The (start, end, pseudonym) of an incident's person mentions (rows of label, entity, start, end)."""
    return [
        (int(m["start"]), int(m["end"]), str(m["entity"]))
        for m in mentions
        if m.get("label") == "Person" and m.get("start") is not None and m.get("end") is not None
    ]


def moved(rows: Iterable[Mapping[str, Any]], move: Callable[[int], int]) -> Rows:
    """Copies of rows with `start` and `end` (None: no span) moved into the new text."""
    out = []
    for row in rows:
        copy = dict(row)
        if copy.get("start") is not None and copy.get("end") is not None:
            copy["start"], copy["end"] = move(int(copy["start"])), move(int(copy["end"]))
        out.append(copy)
    return out


def pseudonymised_incident(
    facts: Mapping[str, Any], mentions: Iterable[Mapping[str, Any]], damaged: Iterable[Mapping[str, Any]],
    placeholder: str | None = None,
) -> tuple[dict[str, Any], Rows, Rows]:  # fmt: skip
    """An incident's facts (its `text`), mentions and damaged assets (their spans) with each person mention
    replaced by its pseudonym (the mention's `entity`), or by `placeholder`; the rows are copies."""
    from recoupe.graph.export import pseudonymise  # (neo4j: loaded by then, with the graph's first read)

    mentions = list(mentions)
    persons = [(s, e, placeholder or p) for s, e, p in person_spans(mentions)]
    text, move = pseudonymise(facts.get("text") or "", persons)
    return {**facts, "text": text if facts.get("text") is not None else None}, moved(mentions, move), \
        moved(damaged, move)  # fmt: skip


def pseudonymised_batch(batch: IncidentBatch) -> dict[str, str]:
    """Rewrite an ingestion batch in place: each incident's text with its person mentions replaced by their
    pseudonyms, and every span the batch writes (evidence, place evidence, asset spans) moved to match.
    Returns the original texts, by incident, for the vault."""
    from recoupe.graph.export import moved_span, pseudonymise

    pseudonyms = {node["id"]: str(node["pseudonym"]) for node in batch.nodes.get("Person", [])}
    persons: dict[str, list[tuple[int, int, str]]] = {}
    for e in batch.evidence.get("Person", []):
        persons.setdefault(e["incident"], []).append((e["start"], e["end"], pseudonyms[e["id"]]))
    originals, moves = {}, {}
    for row in batch.incidents:
        props = row["props"]
        originals[row["id"]] = props["text"]
        props["text"], move = pseudonymise(props["text"], persons.get(row["id"], []))
        props["asset_spans"] = [moved_span(span, move) for span in props.get("asset_spans", [])]
        moves[row["id"]] = move
    for rows in (*batch.evidence.values(), batch.place_evidence):
        for span in rows:
            move = moves[span["incident"]]
            span["start"], span["end"] = move(span["start"]), move(span["end"])
    return originals
