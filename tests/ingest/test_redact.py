"""An incident as shown: names replaced by pseudonyms (or a placeholder) in its text, every span moved to match
(with a property test: a span that cuts no name shows, in the new text, its own text with its names replaced)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from recoupe.graph.export import pseudonymise
from recoupe.ingest.redact import pseudonymised_incident

TEXT = "Vol rue Paradis. Le mis en cause, M. Karim BENALI, a fui sur un scooter AB-123-CD avec Nadia DUPONT."


def _at(word: str) -> dict[str, int]:
    start = TEXT.index(word)
    return {"start": start, "end": start + len(word)}


def _shown(facts: dict[str, str], row: dict[str, int]) -> str:
    return facts["text"][row["start"] : row["end"]]


MENTIONS: list[dict[str, Any]] = [
    {"label": "Place", "entity": "street:Rue Paradis", **_at("rue Paradis")},
    {"label": "Person", "entity": "P-11111111", **_at("Karim BENALI")},
    {"label": "Plate", "entity": "AB-123-CD", **_at("AB-123-CD")},
    {"label": "Person", "entity": "P-22222222", **_at("Nadia DUPONT")},
    {"label": "Object", "entity": "x", "start": None, "end": None},
]


def test_names_are_replaced_and_every_mark_still_lines_up() -> None:
    damaged = [{"id": "BS-1", **_at("scooter")}, {"id": "BS-2", **_at("M. Karim")}]  # one cuts a name
    facts, mentions, moved = pseudonymised_incident({"id": "T:A", "text": TEXT}, MENTIONS, damaged)
    assert facts == {"id": "T:A", "text": TEXT.replace("Karim BENALI", "P-11111111").replace(
        "Nadia DUPONT", "P-22222222")}  # fmt: skip
    assert [_shown(facts, m) for m in mentions[:4]] == [
        "rue Paradis",
        "P-11111111",
        "AB-123-CD",
        "P-22222222",
    ]
    assert mentions[4] == MENTIONS[4] and mentions[1] is not MENTIONS[1]  # copies: the cache's rows stay
    assert [_shown(facts, d) for d in moved] == ["scooter", "M. P-11111111"]  # a bound in a name: its end


def test_a_role_that_sees_no_person_gets_a_placeholder() -> None:
    facts, mentions, _ = pseudonymised_incident({"text": TEXT}, MENTIONS, [], "[personne]")
    assert "BENALI" not in facts["text"] and "P-1" not in facts["text"]
    assert [_shown(facts, m) for m in mentions[1:4]] == ["[personne]", "AB-123-CD", "[personne]"]
    assert pseudonymised_incident({"text": None}, MENTIONS, [])[0] == {"text": None}


@given(
    st.text(alphabet="ab .", min_size=1, max_size=60),
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8), st.sampled_from(["P-1", "P-LONGER", "Q"]))),
    st.integers(0, 60),
    st.integers(0, 60),
)
def test_a_span_that_cuts_no_name_keeps_its_text(
    text: str, raw: list[tuple[int, int, str]], a: int, b: int
) -> None:
    persons = [{"label": "Person", "entity": p, "start": s, "end": s + n} for s, n, p in raw]
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    facts, _, (span,) = pseudonymised_incident({"text": text}, persons, [{"start": start, "end": end}])
    kept = _kept(text, persons)
    if any(s < start < e or s < end < e for s, e, _ in kept):
        return  # cuts a name: its bound moves to the pseudonym's end (tested above)
    inside = [(s - start, e - start, p) for s, e, p in kept if start <= s and e <= end]
    assert _shown(facts, span) == pseudonymise(text[start:end], inside)[0]


def _kept(text: str, persons: list[dict[str, object]]) -> list[tuple[int, int, str]]:
    """The person spans that are replaced: in the text, not overlapping an earlier one."""
    kept: list[tuple[int, int, str]] = []
    for s, e, p in sorted({(int(str(m["start"])), int(str(m["end"])), str(m["entity"])) for m in persons}):
        if 0 <= s < e <= len(text) and (not kept or s >= kept[-1][1]):
            kept.append((s, e, p))
    return kept
