"""Extraction under hostile text (Hypothesis, the real French model): any unicode, control characters, NUL
bytes, very long texts. It never raises; its spans lie inside the text, in order, without overlap; the
category is one of the ontology's; and a time is never invented: without a time expression the occurrence
stays unknown."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from recoupe.nlp.extract import Extraction, Extractor
from recoupe.nlp.gold import LABELS
from recoupe.nlp.timeparse import interval, occurrence
from recoupe.ontology.loader import ontology

REPORTED = datetime.fromisoformat("2025-03-14T23:40:00+01:00")
FUZZ = settings(
    max_examples=200,  # short texts take the model a few milliseconds: the module stays under a minute
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
UTF8 = st.characters(codec="utf-8")
# Words of police logs that say nothing about time, mixed with any character that is neither a letter nor a
# digit: such a text holds no time expression, whatever the model makes of it.
TIMELESS_WORDS = ["Vol", "à", "l'arraché", "rue", "Paradis", "boulevard", "National", "M.", "Karim", "DUPONT",
                  "scooter", "noir", "AB-123-CD", "victime", "suspect", "téléphone", "portable", "abribus",
                  "vandalisé", "Mme", "Nadia", "B.", "cours", "Julien", "tapage", "la", "le", "un", "par",
                  "<script>alert(1)</script>", "=CMD()", "place", "Castellane", "vitre", "brisée"]  # fmt: skip
NOT_ALNUM = st.characters(codec="utf-8", exclude_categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No"])


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def extracted(extractor: Extractor, text: str) -> Extraction:
    return next(extractor.extract([("h-1", text, REPORTED)]))


def well_formed(result: Extraction, text: str) -> None:
    ends = 0
    for m in result.mentions:
        assert ends <= m.start < m.end <= len(text), (m, len(text))  # inside, in order, no overlap
        assert m.label in LABELS and text[m.start : m.end].strip()
        ends = m.end
    assert result.category in ontology().vocabulary("IncidentCategory").notations
    assert 0.0 <= result.category_confidence <= 1.0
    if not any(m.label == "DATETIME" for m in result.mentions):
        assert (result.occurred_from, result.occurred_to) == (None, None)
    if result.occurred_from is not None:
        assert result.occurred_to is not None and result.occurred_from <= result.occurred_to
    assert result.text == text and result.as_gold()["entities"] == [
        {"start": m.start, "end": m.end, "label": m.label, **({"role": m.role} if m.role else {})}
        for m in result.mentions
    ]


@FUZZ
@given(st.text(UTF8, max_size=300))
@example("")
@example("\x00" * 50)
@example("Vol rue Paradis vers 23h15\x00 puis \u2028 hier soir ; M. Karim DUPONT \ud7ff\U0010ffff")
@example("=CMD|' /C calc'!A0 le 31/02/2025 à 25h99")
def test_any_text_gives_a_well_formed_extraction(extractor: Extractor, text: str) -> None:
    well_formed(extracted(extractor, text), text)


@FUZZ
@given(
    st.lists(
        st.one_of(st.sampled_from(TIMELESS_WORDS), st.text(NOT_ALNUM, min_size=1, max_size=3)), max_size=40
    )
)
def test_no_time_expression_no_time(extractor: Extractor, words: list[str]) -> None:
    text = " ".join(words)
    result = extracted(extractor, text)
    well_formed(result, text)
    assert not [text[m.start : m.end] for m in result.mentions if m.label == "DATETIME"]
    assert (result.occurred_from, result.occurred_to) == (None, None)


def test_a_very_long_hostile_text(extractor: Extractor) -> None:
    text = ("Vol rue Paradis \x00\x1b[31m <b>gras</b> \u202e" * 400)[:20_000]  # the longest a log may be
    well_formed(extracted(extractor, text), text)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.text(UTF8, max_size=40), max_size=4))
@example(["vers 25h99", "le 31/02/2025", "dans la nuit de samedi à dimanche"])
def test_time_expressions_never_crash_and_give_ordered_intervals(expressions: list[str]) -> None:
    for expression in expressions:
        found = interval(expression, REPORTED)
        assert found is None or found[0] <= found[1]
    combined = occurrence(expressions, REPORTED)
    assert combined is None or combined[0] <= combined[1]
    if all(interval(e, REPORTED) is None for e in expressions):
        assert combined is None
