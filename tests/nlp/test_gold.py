"""The development gold set: 300 hand-written logs that follow the annotation guidelines, and the checker."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.gold import known_places, problems, read_gold
from recoupe.ontology.loader import ontology

GOLD_DEV = Path(__file__).resolve().parents[1] / "fixtures" / "gold_dev.jsonl"


@pytest.fixture(scope="module")
def known() -> dict[str, tuple[float, float]]:
    return known_places(marseille())


def test_gold_dev_follows_the_guidelines(known: dict[str, tuple[float, float]]) -> None:
    records = read_gold(GOLD_DEV)
    assert len(records) >= 300 and len({r["id"] for r in records}) == len(records)
    assert [p for r in records for p in problems(r, known)] == []
    categories = collections.Counter(r["category"] for r in records)
    assert set(categories) == set(ontology().vocabulary("IncidentCategory").notations)
    assert min(categories.values()) >= 2
    labels = collections.Counter(e["label"] for r in records for e in r["entities"])
    assert min(labels.values()) >= 20  # every label is represented


def test_the_checker_catches_broken_records(known: dict[str, tuple[float, float]]) -> None:
    record = read_gold(GOLD_DEV)[0] | {"category": "murder", "reported_at": "2025-07-01T10:00:00+01:00"}
    record["entities"] = [*record["entities"], {"start": 0, "end": 3, "label": "WEAPON"}]
    record["place"] = {"name": "Rue Imaginaire", "precision": "street", "lat": 43.3, "lon": 5.4}
    found = problems(record, known)
    assert "unknown category 'murder'" in found
    assert any("offset is not Europe/Paris" in p for p in found)
    assert "unknown label 'WEAPON'" in found
    assert "place 'Rue Imaginaire' is not in the gazetteer" in found
