"""A log's text with its mentions marked: pieces (text, opening mark, closing mark) that a template writes out
one by one, the text autoescaped by Jinja, never rendered as markup."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from recoupe.web.api import ENTITY_LABELS
from recoupe.web.french import term

# A mention's graph label → its class (`m-PLATE`: the extractor's names) and its name in French.
MARKS = {"Person": ("PERSON", "personne"), "Plate": ("PLATE", "plaque"), "Vehicle": ("VEHICLE", "véhicule"),
         "Object": ("OBJECT", "objet"), "Organisation": ("ORG", "organisation"), "Place": ("PLACE", "lieu"),
         "StreetAsset": ("ASSET", "mobilier urbain")}  # fmt: skip


@dataclass(frozen=True)
class Piece:
    """A run of the text, or where a mark opens (with its class and title) or closes."""

    kind: Literal["text", "open", "close"]
    text: str = ""
    mark: str = ""
    title: str = ""


def highlight(text: str, spans: Iterable[tuple[int, int, str, str]]) -> list[Piece]:
    """The text cut into pieces around its marks (start, end, class, title); a mark inside another nests, one
    that crosses an open mark is left out (the mentions' table still lists it)."""
    pieces: list[Piece] = []
    open_ends: list[int] = []
    done = 0

    def run(to: int) -> None:
        nonlocal done
        if to > done:
            pieces.append(Piece("text", text[done:to]))
            done = to

    def close(limit: int) -> None:
        while open_ends and open_ends[-1] <= limit:
            run(open_ends.pop())
            pieces.append(Piece("close"))

    placed = {s for s in spans if isinstance(s[0], int) and isinstance(s[1], int)}  # (a span may be missing)
    for start, end, mark, title in sorted(placed, key=lambda s: (s[0], -s[1], s[2])):
        if not 0 <= start < end <= len(text):
            continue
        close(start)
        if open_ends and end > open_ends[-1]:
            continue
        run(start)
        pieces.append(Piece("open", mark=mark, title=title))
        open_ends.append(end)
    close(len(text))
    run(len(text))
    return pieces


def mention_mark(mention: Mapping[str, Any], entities: bool) -> tuple[Any, Any, str, str]:
    """A mention's span, class and title: what it is, and (to roles that may read entities) which one."""
    label = str(mention["label"])
    mark, name = MARKS.get(label, (label.upper(), label.lower()))
    entity = str(mention.get("entity") or "")
    if entities and label == "Vehicle":
        name += f" (plaque {entity.removeprefix('plate:')})" if entity.startswith("plate:") else ""
    elif entities and label in ENTITY_LABELS:
        role = f" ({term('PersonRole', mention['role'])})" if mention.get("role") else ""
        name = f"{name} {entity}{role}"
    return mention["start"], mention["end"], mark, name
