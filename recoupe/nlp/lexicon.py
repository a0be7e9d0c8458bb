"""Recoupe's own word lists for extraction (data/lexicon.toml), independent of the demo city's phrase bank."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from recoupe.nlp.folding import fold_chars

with open(Path(__file__).parent / "data" / "lexicon.toml", "rb") as _fh:
    _WORDS: dict[str, Any] = tomllib.load(_fh)

VEHICLE_KINDS: tuple[str, ...] = tuple(_WORDS["vehicle_kinds"])
VEHICLE_MAKES: tuple[str, ...] = tuple(_WORDS["vehicle_makes"])
VEHICLE_MODELS: tuple[str, ...] = tuple(_WORDS["vehicle_models"])
VEHICLE_QUALIFIERS: tuple[str, ...] = tuple(_WORDS["vehicle_qualifiers"])
COLOURS: tuple[str, ...] = tuple(_WORDS["colours"])
STREET_FURNITURE: tuple[str, ...] = tuple(_WORDS["street_furniture"])
OBJECTS: tuple[str, ...] = tuple(_WORDS["objects"])
ORGANISATIONS: tuple[str, ...] = tuple(_WORDS["organisations"])
NOT_ORGANISATIONS: frozenset[str] = frozenset(_WORDS["not_organisations"])
CIVILITIES: tuple[str, ...] = tuple(_WORDS["civilities"])
OFFICER_TITLES: tuple[str, ...] = tuple(_WORDS["officer_titles"])
OFFICER_ABBREVIATIONS: tuple[str, ...] = tuple(_WORDS["officer_abbreviations"])
_CUES: dict[str, list[str]] = _WORDS["role_cues"]
ROLE_CUES: dict[str, tuple[str, ...]] = {
    "victim": tuple(_CUES["victim"]),
    "suspect": tuple(_CUES["suspect"]),
    "witness": tuple(_CUES["witness"]),
    "complainant": tuple(_CUES["complainant"]),
    "officer": (
        *(fold_chars(t) for t in OFFICER_TITLES),  # "second maître" as the folded text has it
        *(a.lower() for a in OFFICER_ABBREVIATIONS),
        *_CUES["officer_extra"],
    ),
    "other": tuple(_CUES["other"]),
}
ROLE_LABELS: dict[str, tuple[str, ...]] = {
    role: tuple(words) for role, words in _WORDS["role_labels"].items()
}
CATEGORY_CUES: dict[str, tuple[str, ...]] = {
    code: tuple(words) for code, words in _WORDS["category_cues"].items()
}
