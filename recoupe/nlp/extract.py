"""The extractor: a French log → its entities (with roles), category, occurrence interval and place.

Rules (`rules.py`, `entities.py`) find what rules find best and have priority; spaCy's statistical NER
(`fr_core_news_md`) adds the persons and organisations the rules missed and offers its locations to the
gazetteer.
Output: the gold format of tests/fixtures/GOLD_GUIDELINES.md.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import chain, islice
from typing import Any

from recoupe.nlp import beside, entities, lexicon, names
from recoupe.nlp.beside import Log, ReadLog, model_entities
from recoupe.nlp.category import CategoryClassifier
from recoupe.nlp.folding import fold_chars
from recoupe.nlp.gazetteer import Gazetteer, marseille
from recoupe.nlp.geocoder import Geocoder, Place
from recoupe.nlp.names import CommonWords
from recoupe.nlp.roles import MESSAGE, roles_of
from recoupe.nlp.rules import Found, RuleFinder
from recoupe.nlp.timeparse import occurrence_of_facts
from recoupe.nlp.timewords import HABIT
from recoupe.ontology.loader import ontology

MODEL = "fr_core_news_md"
UNUSED_COMPONENTS = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer"]
CIVILITY = re.compile(r"^" + names.CIVILITY + r"\s+")
CIVILITY_WORDS = {fold_chars(c).rstrip(".") for c in lexicon.CIVILITIES}  # "Monsieur" alone is no name
# nor a role's label (a call's transcript: "Appelante : Oui bonjour", "Requérant :")
NOT_A_NAME_ALONE = CIVILITY_WORDS | {w for words in lexicon.ROLE_LABELS.values() for w in words}
PLACE_RANK = {"address": 0, "landmark": 1, "street": 2, "quartier": 3, "arrondissement": 4, "city": 5}
BESIDE_MIN = 64  # logs in one call from which the rules run in a process beside the model's
_TITLES = "|".join(re.escape(t) for t in sorted(lexicon.OFFICER_TITLES, key=len, reverse=True))
OFFICER_TITLE = re.compile(rf"(?i:{_TITLES})s?(?![\w])")  # "Gardiens de la paix FOURNIER": no organisation
HOME = re.compile(r"(j'habite|domicil|demeurant|mon adresse|chez moi)[^.]{0,25}$", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str
    role: str | None = None
    place: Place | None = None


@dataclass(frozen=True)
class Extraction:
    id: str
    text: str
    reported_at: datetime
    category: str
    category_confidence: float
    occurred_from: datetime | None
    occurred_to: datetime | None
    place: Place
    mentions: tuple[Mention, ...]

    def as_gold(self) -> dict[str, Any]:
        """The gold format (dates as ISO 8601, the place with its precision)."""
        return {
            "id": self.id,
            "text": self.text,
            "reported_at": self.reported_at.isoformat(),
            "category": self.category,
            "category_confidence": round(self.category_confidence, 3),
            "occurred_from": self.occurred_from.isoformat() if self.occurred_from else None,
            "occurred_to": self.occurred_to.isoformat() if self.occurred_to else None,
            "place": {
                "name": (f"{self.place.number} {self.place.name}" if self.place.number else self.place.name),
                "precision": self.place.precision,
                "lat": self.place.lat,
                "lon": self.place.lon,
            },
            "entities": [
                {"start": m.start, "end": m.end, "label": m.label, **({"role": m.role} if m.role else {})}
                for m in self.mentions
            ],
        }


class Extractor:
    """Loads the spaCy model and the gazetteer once; `extract` takes logs in batches."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        model: str = MODEL,
        processes: int = 1,
        rules_beside: bool = True,
    ) -> None:
        self.model = model
        self.processes = processes  # spaCy worker processes for nlp.pipe (1: in this process)
        self._nlp: Any = None
        self._common: CommonWords | None = None  # the model's dictionary, loaded with it
        self.geocoder = Geocoder(gazetteer or marseille())
        assets = ontology().vocabulary("AssetType").concepts.values()
        labels = [label for c in assets for label in (c.labels.fr, *c.alt_labels_fr)]
        self.rules = RuleFinder(self.geocoder, [*labels, *lexicon.STREET_FURNITURE])
        self.classifier = CategoryClassifier()
        # The rules of a long call run in a forked process beside the model, on the second core: threads
        # would not help, the model holds the interpreter's lock (docs/extraction.md, "Speed").
        self.rules_beside = rules_beside and len(os.sched_getaffinity(0)) > 1
        self._beside: ProcessPoolExecutor | None = None
        self._beside_pid = 0
        self.read_beside = 0  # logs whose model pass the process beside made (the benchmark reports it)

    @property
    def nlp(self) -> Any:
        """The spaCy pipeline, loaded on first use (a re-ingestion with nothing new never pays for it).

        Only the NER is used (`doc.ents`); it has its own tok2vec, so the tagger, parser and lemmatizer are
        left out (2.5 times faster). Without the parser's sentence boundaries the raw NER differs on about 4 %
        of its spans; after Recoupe's rules the scores are unchanged (docs/extraction.md, "Speed").
        """
        if self._nlp is None:
            import spacy

            self._nlp = spacy.load(self.model, exclude=UNUSED_COMPONENTS)
            self._common = CommonWords.of(self._nlp)
        return self._nlp

    def full_model(self) -> Any:
        """The model exactly as shipped (every component): the baseline `recoupe eval nlp` reports."""
        import spacy

        return spacy.load(self.model)

    def extract(
        self, logs: Iterable[tuple[str, str, datetime]], batch_size: int = 64
    ) -> Iterator[Extraction]:
        """(id, text, reported_at) → Extraction, in order; the logs are read as the extractions are taken
        (a whole file streams through)."""
        logs = iter(logs)
        head = list(islice(logs, BESIDE_MIN))  # enough to pay for the process beside?
        if not head:  # nothing to read: the model is not even loaded (a re-ingestion with nothing new)
            return
        if self.rules_beside and len(head) >= BESIDE_MIN:
            yield from beside.extractions(self, chain(head, logs), batch_size)
        else:
            for log in self.read(chain(head, logs), batch_size):
                yield self.extraction(*log)

    def read(self, logs: Iterable[Log], batch_size: int) -> Iterator[ReadLog]:
        """The logs with the model's entities, in order."""
        docs = self.nlp.pipe(
            ((log[1], log) for log in logs), as_tuples=True, batch_size=batch_size, n_process=self.processes
        )
        return ((*log, model_entities(doc)) for doc, log in docs)

    def beside_pool(self) -> ProcessPoolExecutor:
        """The process beside the model, forked once (again in a forked child) with this extractor loaded."""
        if self._beside is None or self._beside_pid != os.getpid():
            _ = self.nlp  # the model loaded before the fork: the child shares it
            self._beside = beside.fork(self)
            self._beside_pid = os.getpid()
            weakref.finalize(self, self._beside.shutdown, wait=False, cancel_futures=True)
        return self._beside

    def beside_stopped(self) -> None:
        """The process beside died (killed, out of memory): the next long call forks another."""
        self._beside = None

    def close(self) -> None:
        """Stop the process beside the model, if one runs (it also stops with this extractor)."""
        if self._beside is not None and self._beside_pid == os.getpid():
            self._beside.shutdown(wait=True, cancel_futures=True)
        self._beside = None

    def statistical_entities(
        self, texts: Iterable[str], batch_size: int = 64
    ) -> Iterator[list[tuple[int, int, str]]]:
        """The model's own PER, ORG and LOC spans, untouched (the baseline `recoupe eval nlp` reports)."""
        for doc in self.full_model().pipe(texts, batch_size=batch_size):
            yield [
                (e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in ("PER", "ORG", "LOC")
            ]

    def extraction(
        self, log_id: str, text: str, reported_at: datetime, ents: list[tuple[int, int, str, str]]
    ) -> Extraction:
        found = self._mentions(text, ents)
        spans = [(m.start, m.end) for m in found if m.label == "DATETIME"]
        pieces = [  # the pieces of the time expressions kept, habits and durations left out
            (a, b)
            for a, b in self.rules.time_pieces(text)
            if any(s <= a and b <= e for s, e in spans) and not HABIT.match(text, a)
        ]
        interval = occurrence_of_facts(text, pieces, reported_at)
        category, confidence = self.classifier.classify(text, self.nlp.vocab.vectors)
        return Extraction(
            log_id,
            text,
            reported_at,
            category,
            confidence,
            interval[0] if interval else None,
            interval[1] if interval else None,
            self._place(text, found),
            tuple(found),
        )

    def _mentions(self, text: str, ents: list[tuple[int, int, str, str]]) -> list[Mention]:
        """The rules' mentions first, then the model's persons, organisations and known places; overlaps go
        to the first; each person's role."""
        organisations = list(entities.organisations(text))
        candidates: list[Found] = [  # a quartier inside a business's name is part of it ("bar Le Zinc de la
            f  # Plaine", "boutique Fleurs de Castellane")
            for f in self.rules.find(text)
            if not (
                f.label in ("DISTRICT", "PLACE", "ADDRESS")
                and any(o.start <= f.start and f.end <= o.end and (o.start, o.end) != (f.start, f.end)
                        for o in organisations)
            )
        ]  # fmt: skip
        candidates += [*entities.vehicles(text), *entities.objects(text), *organisations]
        candidates += [
            replace(f, place=self.geocoder.landmark(text[f.start : f.end]))
            for f in entities.named_places(text)
        ]
        candidates += list(names.persons(text))
        candidates += list(names.surname_first(text, self._common))
        message = MESSAGE.search(fold_chars(text))
        candidates += [  # after a title and a colon: without the common words around the name
            f for f in (self._without_common_words(text, f) for f in names.persons(text, unsure=True)) if f
        ]
        # how someone is called, a message's signature: kept whole only when no word is a common one (trimming
        # them as above loses more names: gold_dev's PERSON 0.971 → 0.950, docs/extraction.md "Persons")
        candidates += [
            f
            for f in (*names.called(text), *(names.signed(text) if message else ()))
            if all(self._a_name(w) for w in text[f.start : f.end].split())
        ]
        for start, end, label, written in ents:
            if label == "PER":
                match = CIVILITY.match(text[start:end])
                start += match.end() if match else 0
                end = names.name_end(text, start, end)
                if (
                    start < end
                    and any(c.isupper() for c in text[start:end])
                    and self._a_name(text[start:end])
                ):
                    candidates.append(Found(start, end, "PERSON"))
            elif label == "ORG" and self._names_an_organisation(written):
                candidates.append(Found(start, end, "ORG"))
            elif label == "LOC" and (place := self.geocoder.landmark(written, close=False)) is not None:
                candidates.append(Found(start, end, "PLACE", place))
        kept: list[Found] = []
        candidates = [c for c in map(partial(_one_line, text), candidates) if c is not None]
        for f in candidates:  # rules first: a later candidate overlapping a kept one is dropped
            if not any(k.start < f.end and f.start < k.end for k in kept):
                kept.append(f)
        for f in [f for f in kept if f.label == "PERSON"]:  # and the names listed after a person's
            for listed in names.listed_after(text, f.end):
                if not any(k.start < listed.end and listed.start < k.end for k in kept):
                    kept.append(listed)
        for again in list(names.named_again(text, kept)):  # and a first name each time it comes back
            if not any(k.start < again.end and again.start < k.end for k in kept):
                kept.append(again)
        kept.sort(key=lambda f: f.start)
        persons = [(f.start, f.end) for f in kept if f.label == "PERSON"]
        roles = dict(zip(persons, roles_of(text, persons), strict=True))
        return [Mention(f.start, f.end, f.label, roles.get((f.start, f.end)), f.place) for f in kept]

    def _a_name(self, written: str) -> bool:
        """Whether a PER span of the model can be a name: not one common word ("Conducteur", "Rixe",
        "Interpellé" opening a sentence; one in capitals is a surname) nor a civility alone ("Monsieur")."""
        if fold_chars(written.strip().rstrip(".:")) in NOT_A_NAME_ALONE:  # "Monsieur", "Appelante :"
            return False
        # a surname is written in capitals, and may be a common word ("BRUN", "PETIT"): kept
        return self._common is None or written.isupper() or not self._common.one_common_word(written)

    def _without_common_words(self, text: str, found: Found) -> Found | None:
        """The name without the common or function words before and after it; None when nothing is left
        ("Va-et-vient", "Des" open a sentence after "Médiateurs :")."""
        written = text[found.start : found.end]
        if any(len(w) > 1 and w.isupper() for w in written.split()):  # a surname in capitals: a name
            return found
        tokens = list(re.finditer(r"\S+", written))
        words = [
            m
            for m in tokens
            if len(m.group().strip(".")) <= 1  # an initial
            or self._common is None
            or not any(self._common.common(w) for w in re.split(r"[-'’]", m.group().strip(".,")) if w)
        ]
        if not words or len(words[0].group().strip(".")) <= 1:
            return None
        last = words[-1]
        for token in tokens[tokens.index(last) + 1 :]:  # a surname after the first name, common or not
            if not token.group()[0].isupper():  # ("Opérateur : Sébastien Roux", "Cyril Martinez")
                break
            last = token
        return replace(found, start=found.start + words[0].start(), end=found.start + last.end())

    def _names_an_organisation(self, written: str) -> bool:
        """Whether an ORG span of the model can be a name: not a police-log abbreviation (lexicon), and not
        one common word ("Procédure", "ATTROUPEMENT", "Équipage" open a sentence or a header)."""
        # without its police-log abbreviations: "Équipage BAC", "Opérateur CSU" are a crew and a desk
        rest = " ".join(w for w in written.split() if w.strip(".,:") not in lexicon.NOT_ORGANISATIONS)
        if not rest or ":" in written or OFFICER_TITLE.match(written):  # "Équipage : Brigadier-chef"
            return False
        if self._common is None:
            return True
        # one common word, or common words of which only the first is capitalised: a sentence's opening
        # ("Séparation des groupes", "Équipage police"), where a name capitalises its words ("Direction des
        # Parcs", "Crédit Mutuel")
        words = rest.split()
        return not self._common.one_common_word(rest) and not (
            len(words) > 1
            and all(self._common.common(w) for w in words)
            and not any(w[0].isupper() for w in words[1:])
        )

    def _place(self, text: str, mentions: list[Mention]) -> Place:
        """Where it happened: the finest resolved place, first in the text, not the writer's home."""
        candidates = []
        for order, m in enumerate(mentions):
            if m.place is None or HOME.search(text[max(0, m.start - 40) : m.start]):
                continue
            level = "address" if m.place.number else m.place.precision
            candidates.append((PLACE_RANK.get(level, 9), order, m.place))
        return min(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else self.geocoder.city()


def _one_line(text: str, found: Found) -> Found | None:
    """No mention runs over a line's end (none does in any gold set): it is cut there ("Gardien : Mohamed
    CHERIF⏎⏎Constaté", "l'hôpital de la Timone⏎Motif"); an organisation's is dropped, a header and the line
    under it ("SÛRETÉ FERROVIAIRE⏎Main courante")."""
    cut = text.find("\n", found.start, found.end)
    if cut < 0:
        return found
    kept = text[found.start : cut].rstrip(" \t,;:—-")
    if found.label == "ORG" or not kept or (found.label == "PLACE" and kept.islower()):
        return None  # a place's name has a capital: "surveillant de port⏎⏎Le 14/08" is none
    return replace(found, end=found.start + len(kept))
