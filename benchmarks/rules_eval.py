"""Exact-span precision, recall and F1 of the rule-based finders on a gold file (until `recoupe eval nlp`).

Run: .venv/bin/python benchmarks/rules_eval.py tests/fixtures/gold_dev.jsonl [--errors 5]
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.geocoder import Geocoder
from recoupe.nlp.gold import read_gold
from recoupe.nlp.rules import OVERLAP_RANK, RuleFinder
from recoupe.ontology.loader import ontology


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("gold", type=Path)
    parser.add_argument("--errors", type=int, default=0, help="show the commonest misses and false alarms")
    args = parser.parse_args()
    concepts = ontology().vocabulary("AssetType").concepts.values()
    finder = RuleFinder(
        Geocoder(marseille()),
        [c.labels.fr for c in concepts] + [a for c in concepts for a in c.alt_labels_fr],
    )
    records = read_gold(args.gold)
    tp: collections.Counter[str] = collections.Counter()
    fp: collections.Counter[str] = collections.Counter()
    fn: collections.Counter[str] = collections.Counter()
    misses: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    alarms: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    began = time.perf_counter()
    for record in records:
        text = record["text"]
        found = {(f.start, f.end, f.label) for f in finder.find(text)}
        gold = {(e["start"], e["end"], e["label"]) for e in record["entities"] if e["label"] in OVERLAP_RANK}
        for _start, _end, label in found & gold:
            tp[label] += 1
        for start, end, label in found - gold:
            fp[label] += 1
            alarms[label][text[start:end]] += 1
        for start, end, label in gold - found:
            fn[label] += 1
            misses[label][text[start:end]] += 1
    seconds = time.perf_counter() - began
    print(f"{len(records)} logs, {1000 * seconds / len(records):.1f} ms per log")
    print(f"{'label':<9} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}")
    for label in sorted(OVERLAP_RANK):
        p = tp[label] / max(1, tp[label] + fp[label])
        r = tp[label] / max(1, tp[label] + fn[label])
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{label:<9} {p:6.3f} {r:6.3f} {f1:6.3f} {tp[label] + fn[label]:6d}")
        if args.errors:
            print(f"    missed: {misses[label].most_common(args.errors)}")
            print(f"    false:  {alarms[label].most_common(args.errors)}")


if __name__ == "__main__":
    main()
