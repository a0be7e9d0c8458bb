"""French time expressions → intervals, per tests/fixtures/GOLD_GUIDELINES.md, anchored on the report time."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.nlp.timeparse import interval, occurrence

# Reported on Monday 17 March 2025 at 09:40 (winter time, +01:00)
MONDAY = datetime.fromisoformat("2025-03-17T09:40:00+01:00")


def iso(value: tuple[datetime, datetime] | None) -> tuple[str, str] | None:
    return (
        None
        if value is None
        else (value[0].isoformat(timespec="minutes"), value[1].isoformat(timespec="minutes"))
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("à 8h15", ("2025-03-17T08:15+01:00", "2025-03-17T08:15+01:00")),
        ("vers 8h15", ("2025-03-17T08:00+01:00", "2025-03-17T08:30+01:00")),
        ("vers 8h", ("2025-03-17T07:30+01:00", "2025-03-17T08:30+01:00")),
        (
            "vers 23h45",
            ("2025-03-16T23:30+01:00", "2025-03-17T00:00+01:00"),
        ),  # later than the report: yesterday
        ("07:50", ("2025-03-17T07:50+01:00", "2025-03-17T07:50+01:00")),
        ("0750", ("2025-03-17T07:50+01:00", "2025-03-17T07:50+01:00")),  # as radio logs write it
        ("ce jour a 0215", ("2025-03-17T02:15+01:00", "2025-03-17T02:15+01:00")),
        ("ce matin", ("2025-03-17T06:00+01:00", "2025-03-17T12:00+01:00")),
        ("hier soir", ("2025-03-16T18:00+01:00", "2025-03-17T00:00+01:00")),
        ("Hier en fin d'après-midi", ("2025-03-16T16:00+01:00", "2025-03-16T19:00+01:00")),
        ("hier", ("2025-03-16T00:00+01:00", "2025-03-17T00:00+01:00")),
        ("il y a 10 minutes", ("2025-03-17T09:30+01:00", "2025-03-17T09:30+01:00")),
        ("il y a 2h", ("2025-03-17T07:40+01:00", "2025-03-17T07:40+01:00")),  # a duration, not 02:00
        ("depuis 45 minutes", ("2025-03-17T08:55+01:00", "2025-03-17T09:40+01:00")),
        ("depuis trois nuits", ("2025-03-14T09:40+01:00", "2025-03-17T09:40+01:00")),
        ("à l'instant", ("2025-03-17T09:40+01:00", "2025-03-17T09:40+01:00")),
        ("cette nuit", ("2025-03-16T22:00+01:00", "2025-03-17T06:00+01:00")),
        ("dans la nuit de samedi à dimanche", ("2025-03-15T22:00+01:00", "2025-03-16T06:00+01:00")),
        ("dans la nuit de samedi à dimanche vers 2h", ("2025-03-16T01:30+01:00", "2025-03-16T02:30+01:00")),
        ("samedi dernier", ("2025-03-15T00:00+01:00", "2025-03-16T00:00+01:00")),
        ("le 14/03 vers 22h", ("2025-03-14T21:30+01:00", "2025-03-14T22:30+01:00")),
        ("le 14/03", ("2025-03-14T00:00+01:00", "2025-03-15T00:00+01:00")),
        ("le 2 février", ("2025-02-02T00:00+01:00", "2025-02-03T00:00+01:00")),
        ("le 20/12", ("2024-12-20T00:00+01:00", "2024-12-21T00:00+01:00")),  # a future date means last year
        ("entre 8h et 9h", ("2025-03-17T08:00+01:00", "2025-03-17T09:00+01:00")),
        ("de 23h10 à 01h40", ("2025-03-17T23:10+01:00", "2025-03-18T01:40+01:00")),
        ("depuis 3 jours", ("2025-03-14T09:40+01:00", "2025-03-17T09:40+01:00")),
        ("ce jour", ("2025-03-17T00:00+01:00", "2025-03-17T09:40+01:00")),
        ("vers minuit", ("2025-03-16T23:30+01:00", "2025-03-17T00:30+01:00")),
        ("cet après-midi", ("2025-03-17T12:00+01:00", "2025-03-17T18:00+01:00")),
    ],
)
def test_guideline_examples(expression: str, expected: tuple[str, str]) -> None:
    assert iso(interval(expression, MONDAY)) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # a night named by its dates, the latest one begun (a month or a year back when needed)
        ("dans la nuit du 05 au 06/01", ("2025-01-05T22:00+01:00", "2025-01-06T06:00+01:00")),
        ("dans la nuit du 5 au 6 janvier", ("2025-01-05T22:00+01:00", "2025-01-06T06:00+01:00")),
        ("dans la nuit du 31/12 au 01/01/2025", ("2024-12-31T22:00+01:00", "2025-01-01T06:00+01:00")),
        ("dans la nuit du 20 au 21", ("2025-02-20T22:00+01:00", "2025-02-21T06:00+01:00")),
        ("dans la nuit du 15 au 16 vers 3h", ("2025-03-16T02:30+01:00", "2025-03-16T03:30+01:00")),
        ("le week-end dernier", ("2025-03-15T00:00+01:00", "2025-03-17T00:00+01:00")),
        # a week-end named by its dates: the latest one begun
        ("week-end du 8-9 mars", ("2025-03-08T00:00+01:00", "2025-03-10T00:00+01:00")),
        ("le week-end du 22 au 23/03", ("2024-03-22T00:00+01:00", "2024-03-24T00:00+01:00")),
        ("la semaine dernière", ("2025-03-10T00:00+01:00", "2025-03-17T00:00+01:00")),
        ("hier après-midi", ("2025-03-16T12:00+01:00", "2025-03-16T18:00+01:00")),
        ("le 12/03 au soir", ("2025-03-12T18:00+01:00", "2025-03-13T00:00+01:00")),
        ("vendredi 14 mars vers 14h", ("2025-03-14T13:30+01:00", "2025-03-14T14:30+01:00")),
        ("en pleine nuit", ("2025-03-16T22:00+01:00", "2025-03-17T06:00+01:00")),
    ],
)
def test_as_people_write_them(expression: str, expected: tuple[str, str]) -> None:
    assert iso(interval(expression, MONDAY)) == expected


def test_unknown_stays_unknown() -> None:
    assert interval("récemment", MONDAY) is None
    assert interval("le week-end du 30-31 juin", MONDAY) is None  # no such day: not the last week-end
    assert interval("à une date indéterminée", MONDAY) is None
    assert occurrence([], MONDAY) is None


def test_spring_forward_day_keeps_real_time() -> None:
    reported = datetime.fromisoformat("2025-03-30T04:10:00+02:00")  # the night the clocks went forward
    start, end = interval("vers 3h15", reported)  # 03:15 summer time exists; 02:xx did not
    assert (end - start).total_seconds() == 1800


def test_a_later_clock_narrows_a_day() -> None:
    assert iso(occurrence(["le 14/03", "vers 2h"], MONDAY)) == (
        "2025-03-14T01:30+01:00",
        "2025-03-14T02:30+01:00",
    )


def test_a_later_clock_narrows_a_part_of_the_day() -> None:
    assert iso(occurrence(["ce matin", "vers 7h30"], MONDAY)) == (
        "2025-03-17T07:15+01:00",
        "2025-03-17T07:45+01:00",
    )
    # the evening written about after midnight is the day before's; minutes in words
    after_midnight = datetime.fromisoformat("2025-03-18T00:50:00+01:00")
    assert iso(interval("ce soir", after_midnight)) == ("2025-03-17T18:00+01:00", "2025-03-18T00:00+01:00")
    assert iso(interval("il y a vingt minutes", MONDAY)) == (
        "2025-03-17T09:20+01:00",
        "2025-03-17T09:20+01:00",
    )
    assert iso(interval("il y a un quart d'heure", MONDAY))[0] == "2025-03-17T09:25+01:00"
    assert iso(interval("ce we", MONDAY)) == ("2025-03-15T00:00+01:00", "2025-03-17T00:00+01:00")


def test_agrees_with_the_demo_citys_truth(tmp_path: Path) -> None:
    """The generator writes times by the same guidelines: the parser must read back what it meant."""
    generate(DemoSettings(out=tmp_path, logs=3000, seed=31))
    agree = total = 0
    for line in (tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["occurred_from"] is None:
            continue
        spans = [
            record["text"][e["start"] : e["end"]] for e in record["entities"] if e["label"] == "DATETIME"
        ]
        got = occurrence(spans, datetime.fromisoformat(record["reported_at"]))
        total += 1
        agree += got is not None and (got[0], got[1]) == (
            datetime.fromisoformat(record["occurred_from"]),
            datetime.fromisoformat(record["occurred_to"]),
        )
    assert agree / total >= 0.98, (agree, total)
