"""Incident category from the text: cue words scored per category, then a small learned model over them.

The cues are the ontology's French labels of each category (prefLabel and altLabels) plus Recoupe's own list
(`data/lexicon.toml`, `[category_cues]`); a cue found counts its weight (longer, more specific cues weigh
more; twice in the first sentence). With the cues alone, the confidence is the winning score's share of all
scores, and with no cue at all the answer is "other" with confidence 0.

With the spaCy model's word vectors at hand (the extractor's), a logistic regression decides instead
(`data/category_model.npz`, made by `tools/train_category.py`): its features are the mean vector of the
log's words and the cue scores, so a word that is no cue but means the same ("piqué", "rackette") still
counts. Its confidence is the winning probability. docs/extraction.md says what it was trained on and how
it scores on logs it never saw.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from recoupe.nlp import lexicon
from recoupe.nlp.folding import fold_chars
from recoupe.ontology.loader import ontology

CUES: dict[str, tuple[str, ...]] = lexicon.CATEGORY_CUES


_log = logging.getLogger(__name__)
MODEL_FILE = Path(__file__).with_name("data") / "category_model.npz"
WORD = re.compile(r"\w+")
WORD_START = re.compile(r"(?<!\w)\w")
WORD_MEMORY = 200_000  # words whose vector row is remembered (bounded: a long run over ever-new words)


def word_vector(text: str, vectors: Any, rows: dict[str, int | None] | None = None) -> np.ndarray:
    """The mean of the static vectors of the text's words (lower case, three letters or more, no stop word),
    of unit length; zeros without any. `vectors`: a spaCy `Vectors` table (looked up, never grown); `rows`,
    when given, remembers each word's row in it (None: no vector, or a stop word)."""
    known = vectors.key2row
    rows = {} if rows is None else rows
    found = []
    for word in WORD.findall(text.lower()):
        if word in rows:
            row = rows[word]
        else:  # spaCy imported on first use, not with this module (importing Recoupe stays light)
            from spacy.lang.fr.stop_words import STOP_WORDS
            from spacy.strings import hash_string  # type: ignore[attr-defined]

            row = None if len(word) <= 2 or word in STOP_WORDS else known.get(hash_string(word))
            if len(rows) < WORD_MEMORY:
                rows[word] = row
        if row is not None:
            found.append(row)
    if not found:
        return np.zeros(vectors.shape[1], dtype=np.float32)
    mean = np.asarray(vectors.data[found]).mean(axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)  # type: ignore[no-any-return]


FIRST_SENTENCE = re.compile(r"[.!?](?:\s|$)|\n")  # where the first sentence ends


class CategoryClassifier:
    """Scores every category's cues in a text; then the learned model decides (when the word vectors are
    given), or the best cue score wins, with its share of the total as confidence."""

    def __init__(self, model: Path | None = MODEL_FILE) -> None:
        vocabulary = ontology().vocabulary("IncidentCategory")
        self.patterns: dict[str, list[tuple[str, re.Pattern[str], float]]] = {}
        for code, concept in vocabulary.concepts.items():
            words = {fold_chars(w) for w in (concept.labels.fr, *concept.alt_labels_fr, *CUES.get(code, ()))}
            self.patterns[code] = [
                (w, re.compile(r"(?<![\w])" + re.escape(w) + r"\w*"), 1.0 + 0.5 * w.count(" "))
                for w in words
                if w
            ]
        self.codes = sorted(self.patterns)
        # Each cue starts a word, so it can only be found where a word starts with its first three letters:
        # a log's cues are looked for among those of its words' starts, not all of them.
        self.by_start: dict[str, list[tuple[str, str, re.Pattern[str], float]]] = {}
        self.anywhere: list[tuple[str, str, re.Pattern[str], float]] = []  # too short, or no letter first
        for code, patterns in self.patterns.items():
            for word, pattern, weight in patterns:
                if len(word) >= 3 and WORD.match(word):
                    self.by_start.setdefault(word[:3], []).append((code, word, pattern, weight))
                else:
                    self.anywhere.append((code, word, pattern, weight))
        self.rows: dict[str, int | None] = {}  # word → its row in `_rows_of` (see word_vector)
        self._rows_of: Any = None
        self.learned: dict[str, Any] | None = None
        if model is not None and model.exists():
            with np.load(model, allow_pickle=False) as saved:
                self.learned = {name: saved[name] for name in saved.files}
            if list(self.learned["codes"]) != self.codes:  # the ontology was extended: the cues alone know
                _log.warning("%s was trained for other categories than the ontology's: categories come from "
                             "the cues alone (run tools/train_category.py)", model)  # fmt: skip
                self.learned = None

    def scores(self, text: str) -> dict[str, float]:
        """Each category's cues found, by weight; a cue in the first sentence counts twice (a log names the
        fact first: "Rixe à la sortie …", "Accident entre …", then tells what happened in it)."""
        folded = fold_chars(text)
        first = FIRST_SENTENCE.search(folded)
        lead = first.end() if first else len(folded)
        scores = dict.fromkeys(self.patterns, 0.0)
        starts = {folded[m.start() : m.start() + 3] for m in WORD_START.finditer(folded)}
        candidates = [cue for start in starts for cue in self.by_start.get(start, ())]
        for code, word, pattern, weight in (*candidates, *self.anywhere):
            # the substring test is a cheap prefilter: most cues are absent from any one log
            if word in folded and (found := pattern.search(folded)):
                scores[code] += weight * (2 if found.start() < lead else 1)
        return scores

    def features(self, text: str, vectors: Any) -> np.ndarray:
        """What the learned model reads: the words' mean vector, each category's cue score's share of the
        total, and the scores themselves."""
        scores = self.scores(text)
        total = sum(scores.values()) or 1.0
        cues = [scores[c] for c in self.codes]
        if vectors is not self._rows_of:  # the rows remembered are another table's
            self.rows, self._rows_of = {}, vectors
        return np.concatenate([word_vector(text, vectors, self.rows), np.array(cues) / total, np.array(cues)])

    def classify(self, text: str, vectors: Any = None) -> tuple[str, float]:
        """(category, confidence): the learned model's when `vectors` (spaCy's) are given and it is there,
        else the cues'."""
        if vectors is not None and self.learned is not None:
            logits = self.learned["coef"] @ self.features(text, vectors) + self.learned["intercept"]
            odds = np.exp(logits - logits.max())
            best = int(odds.argmax())
            return str(self.learned["classes"][best]), float(odds[best] / odds.sum())
        scores = self.scores(text)
        total = sum(scores.values())
        if total == 0:
            return "other", 0.0
        best_code = max(scores, key=lambda c: (scores[c], c != "other"))
        return best_code, scores[best_code] / total

    def description(self) -> dict[str, Any] | None:
        """What the learned model was trained on (its metadata), or None without one."""
        return None if self.learned is None else dict(json.loads(str(self.learned["meta"])))
