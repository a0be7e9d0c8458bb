"""Gold sets (tests/fixtures/GOLD_GUIDELINES.md): reading them and checking records against the guidelines."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from recoupe.nlp.gazetteer import Gazetteer
from recoupe.ontology.geo import distance_m
from recoupe.ontology.loader import ontology

LABELS = {
    "PERSON",
    "ORG",
    "PLATE",
    "VEHICLE",
    "OBJECT",
    "ADDRESS",
    "PLACE",
    "DISTRICT",
    "DATETIME",
    "CAMERA",
    "ASSET",
}
PARIS = ZoneInfo("Europe/Paris")
KEYS = {"id", "text", "reported_at", "category", "occurred_from", "occurred_to", "place", "entities"}


def read_gold(path: Path) -> list[dict[str, Any]]:
    """One record per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def known_places(gazetteer: Gazetteer) -> dict[str, tuple[float, float]]:
    """Every canonical place name of the gazetteer with its point (lon, lat)."""
    known = {s.name: (s.lon, s.lat) for s in gazetteer.streets}
    known |= {lm.name: (lm.lon, lm.lat) for lm in gazetteer.landmarks}
    return known | {q.name: (q.lon, q.lat) for q in gazetteer.quartiers}


def problems(record: dict[str, Any], known: dict[str, tuple[float, float]]) -> list[str]:
    """What in one record breaks the guidelines (empty when nothing does)."""
    out = []
    missing = KEYS - set(record)
    if missing:
        return [f"missing keys {sorted(missing)}"]
    text = record["text"]
    if record["category"] not in ontology().vocabulary("IncidentCategory").notations:
        out.append(f"unknown category {record['category']!r}")
    try:
        reported = datetime.fromisoformat(record["reported_at"])
        if reported.utcoffset() != reported.astimezone(PARIS).utcoffset():
            out.append(f"reported_at offset is not Europe/Paris's on that date: {record['reported_at']}")
        start, end = record["occurred_from"], record["occurred_to"]
        if (start is None) != (end is None):
            out.append("occurred_from and occurred_to must both be null or both set")
        elif start is not None and not (datetime.fromisoformat(start) <= datetime.fromisoformat(end)):
            out.append("occurred_from is after occurred_to")
        elif start is not None and datetime.fromisoformat(start) > reported:
            out.append("occurred_from is after reported_at")
    except (TypeError, ValueError) as exc:
        out.append(f"bad datetime: {exc}")
    roles = set(ontology().vocabulary("PersonRole").notations)
    previous = 0
    for e in sorted(record["entities"], key=lambda e: e["start"]):
        surface = text[e["start"] : e["end"]]
        if e["label"] not in LABELS:
            out.append(f"unknown label {e['label']!r}")
        if not surface or surface != surface.strip():
            out.append(f"empty or padded span {surface!r} ({e['label']})")
        if e["start"] < previous:
            out.append(f"overlapping span {surface!r}")
        previous = e["end"]
        if (e["label"] == "PERSON") != ("role" in e):
            out.append(f"role must be given on PERSON only: {surface!r}")
        if e.get("role") is not None and e["role"] not in roles:
            out.append(f"unknown role {e['role']!r}")
    place = record["place"]
    if place["precision"] not in ("address", "street", "landmark", "quartier", "city"):
        out.append(f"unknown precision {place['precision']!r}")
    name = place["name"]
    key = name.split(" ", 1)[1] if place["precision"] == "address" and name[:1].isdigit() else name
    if name.startswith("angle "):
        parts = name[6:].split(" / ")
        if not all(p in known for p in parts):
            out.append(f"corner streets not in the gazetteer: {name!r}")
    elif place["precision"] != "city" and key not in known:
        out.append(f"place {name!r} is not in the gazetteer")
    elif place["precision"] != "city" and distance_m(*known[key], place["lon"], place["lat"]) > 50:
        out.append(f"lat/lon of {name!r} are not the gazetteer's point")
    return out
