"""The French phrase bank (phrases.toml), read once: templates, openings, closings and vocabularies."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

with open(Path(__file__).with_name("phrases.toml"), "rb") as _fh:
    _BANK: dict[str, Any] = tomllib.load(_fh)

_WORDS: dict[str, Any] = _BANK["vocabulary"]

SOURCES: dict[str, str] = dict(_BANK["sources"])
CORE: dict[str, tuple[tuple[str, str], ...]] = {
    category: tuple((t["voices"], t["text"]) for t in templates)
    for category, templates in _BANK["core"].items()
}
HEADLINES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK["headlines"].items()}
OPENINGS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK["openings"].items()}
CLOSINGS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK["closings"].items()}
EXTRAS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK["extras"].items()}
NEGATIONS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK["negations"].items()}
OBJECTS: tuple[str, ...] = tuple(_WORDS["objects"])
WEAPONS: tuple[str, ...] = tuple(_WORDS["weapons"])
DRUGS: tuple[str, ...] = tuple(_WORDS["drugs"])
VEHICLE_MODELS: tuple[str, ...] = tuple(_WORDS["vehicle_models"])
SCOOTER_MODELS: tuple[str, ...] = tuple(_WORDS["scooter_models"])
COLOURS: tuple[tuple[str, str], ...] = tuple((m, f) for m, f in _WORDS["colours"])
ORGANISATIONS: tuple[tuple[str, str], ...] = tuple((w, n) for w, n in _WORDS["organisations"])
FIRST_NAMES_F: tuple[str, ...] = tuple(_WORDS["first_names_f"])
FIRST_NAMES_M: tuple[str, ...] = tuple(_WORDS["first_names_m"])
SURNAMES: tuple[str, ...] = tuple(_WORDS["surnames"])
OFFICER_RANKS: tuple[str, ...] = tuple(_WORDS["officer_ranks"])
