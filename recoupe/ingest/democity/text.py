"""Writing text while keeping the exact character span of every entity, and French time expressions.

A `Phrase` is a list of segments, some of them entity mentions; a `Builder` concatenates phrases and fixed
text, contracting French prepositions ("de le" → "du", "à le" → "au", "de un" → "d'un") and capitalising
sentence starts without moving any span.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str
    role: str | None = None
    ref: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"start": self.start, "end": self.end, "label": self.label}
        if self.role:
            out["role"] = self.role
        if self.ref:
            out["ref"] = self.ref
        return out


@dataclass(frozen=True)
class Segment:
    text: str
    label: str | None = None
    role: str | None = None
    ref: str | None = None


@dataclass
class Phrase:
    segments: list[Segment] = field(default_factory=list)

    def add(
        self, text: str, label: str | None = None, role: str | None = None, ref: str | None = None
    ) -> Phrase:
        if text:
            self.segments.append(Segment(text, label, role, ref))
        return self

    def extend(self, other: Phrase) -> Phrase:
        self.segments.extend(other.segments)
        return self

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


PREPOSITION = re.compile(r"(?:^|(?<=[\s(]))(de|De|à|À) $")
MERGED = {
    ("de", "le "): "du ",
    ("de", "les "): "des ",
    ("de", "un "): "d'un ",
    ("de", "une "): "d'une ",
    ("de", "des "): "de ",
    ("de", "du "): "de ",
    ("de", "de la "): "de ",
    ("de", "de l'"): "d'",
    ("à", "le "): "au ",
    ("à", "les "): "aux ",
}


class Builder:
    """Accumulates text and mentions; offsets are characters of the final string.

    `sentence()` marks a sentence start: the next letter written is capitalised (same length, spans hold).
    """

    def __init__(self) -> None:
        self.buf = ""
        self.mentions: list[Mention] = []
        self.capitalise = True

    def sentence(self) -> None:
        self.capitalise = True

    def text(self, value: str) -> None:
        if value.startswith(".") and self.buf.endswith("."):  # "M. Jean L." ending a sentence
            value = value[1:]
        self.buf += self._cap(value)

    def phrase(self, phrase: Phrase) -> None:
        for i, segment in enumerate(phrase.segments):
            value = self._contract(segment.text) if i == 0 and segment.label is None else segment.text
            value = self._cap(value)
            if segment.label:
                self.mentions.append(
                    Mention(
                        len(self.buf), len(self.buf) + len(value), segment.label, segment.role, segment.ref
                    )
                )
            self.buf += value

    def _cap(self, value: str) -> str:
        if not self.capitalise:
            return value
        for i, ch in enumerate(value):
            if ch.isalpha():
                self.capitalise = False
                upper = ch.upper()
                return value[:i] + (upper if len(upper) == 1 else ch) + value[i + 1 :]
            if ch.isdigit():
                self.capitalise = False
                return value
        return value

    def _contract(self, first: str) -> str:
        """'de ' then 'le …' becomes 'du …' (and the like), trimming the preposition already written."""
        match = PREPOSITION.search(self.buf)
        if not match:
            return first
        word = match.group(1)
        for (prep, article), merged in MERGED.items():
            if word.lower() == prep and first.startswith(article):
                self.buf = self.buf[: match.start(1)]
                merged = merged[0].upper() + merged[1:] if word[0].isupper() else merged
                return merged + first[len(article) :]
        return first

    def build(self) -> tuple[str, list[Mention]]:
        return self.buf, self.mentions


# ---------------------------------------------------------------------------------------------- noise


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def typo(rng: random.Random, text: str) -> str:
    """One small typo in a word of five letters or more: a swap or a dropped letter."""
    words = [m for m in re.finditer(r"[A-Za-zÀ-ÿ]{5,}", text)]
    if not words:
        return text
    word = rng.choice(words)
    i = rng.randrange(word.start() + 1, word.end() - 2)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


# ---------------------------------------------------------------------------------------------- time


@dataclass(frozen=True)
class TimeExpression:
    text: str
    start: datetime | None
    end: datetime | None


def clock(rng: random.Random, at: datetime, minutes: bool = True) -> str:
    """'23h15', '23H15', '23:15', '2h', '02h00' …"""
    h, m = at.hour, at.minute
    if not minutes or m == 0:
        return rng.choice((f"{h}h", f"{h}h", f"{h:02d}h00", f"{h}H"))
    return rng.choice(
        (f"{h}h{m:02d}", f"{h}h{m:02d}", f"{h:02d}h{m:02d}", f"{h}H{m:02d}", f"{h:02d}:{m:02d}")
    )


def shift(at: datetime, minutes: int) -> datetime:
    """`minutes` of real time later (not wall-clock time: right across a change of daylight-saving time)."""
    return (at.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(at.tzinfo)


def _midnight(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _round(at: datetime, step: int) -> datetime:
    base = _midnight(at)
    minutes = round((at.hour * 60 + at.minute) / step) * step
    return base + timedelta(minutes=minutes)


def time_expressions(
    rng: random.Random, at: datetime, reported: datetime, category: str
) -> list[TimeExpression]:
    """Every way a log written at `reported` could say when `at` happened, with the interval each means."""
    day, report_day = _midnight(at), _midnight(reported)
    gap_days = (report_day.date() - day.date()).days
    h = at.hour
    out: list[TimeExpression] = []
    about_15, about_60 = _round(at, 15), _round(at, 60)
    exact = at.replace(second=0, microsecond=0)
    # "vers 23h15" means ±15 minutes, "vers 23h" ±30 (tests/fixtures/GOLD_GUIDELINES.md)
    half = 15 if about_15.minute else 30
    precise = [
        (f"à {clock(rng, exact)}", exact, exact),
        (f"vers {clock(rng, about_15)}", shift(about_15, -half), shift(about_15, half)),
        (f"vers {clock(rng, about_60, False)}", shift(about_60, -30), shift(about_60, 30)),
        (f"{clock(rng, exact)}", exact, exact),
    ]
    # a rounded time can cross midnight: a day word must name the day of the time written
    centres = (exact, about_15, about_60, exact)
    same_day = [p for p, centre in zip(precise, centres, strict=True) if centre.date() == at.date()]
    if gap_days == 0:
        out += [TimeExpression(t, a, b) for t, a, b in same_day]
        if 6 <= h < 12:
            out.append(
                TimeExpression(
                    rng.choice(("ce matin", "dans la matinée")), day.replace(hour=6), day.replace(hour=12)
                )
            )
        if 12 <= h < 18:
            out.append(TimeExpression("cet après-midi", day.replace(hour=12), day.replace(hour=18)))
        if 16 <= h < 19:
            out.append(TimeExpression("en fin d'après-midi", day.replace(hour=16), day.replace(hour=19)))
        if h >= 19:
            out.append(
                TimeExpression(
                    rng.choice(("ce soir", "en soirée")), day.replace(hour=18), day + timedelta(days=1)
                )
            )
        out.append(TimeExpression("ce jour", day, reported.replace(second=0, microsecond=0)))
    if gap_days == 1:
        out += [TimeExpression(f"hier {t}", a, b) for t, a, b in same_day if not t[:1].isdigit()]
        if h >= 18:
            out.append(TimeExpression("hier soir", day.replace(hour=18), day + timedelta(days=1)))
        if 16 <= h < 19:
            out.append(TimeExpression("hier en fin d'après-midi", day.replace(hour=16), day.replace(hour=19)))
        out.append(TimeExpression("hier", day, day + timedelta(days=1)))
    night_start = day - timedelta(days=1) if h < 6 else day
    if h < 6 or h >= 22:
        night = (night_start.replace(hour=22), night_start.replace(hour=22) + timedelta(hours=8))
        if (report_day - _midnight(night_start)).days == 1 and reported.hour < 14:
            out.append(TimeExpression("cette nuit", *night))
        if 0 <= (report_day - _midnight(night_start)).days <= 6:
            a, b = WEEKDAYS[night_start.weekday()], WEEKDAYS[(night_start.weekday() + 1) % 7]
            out.append(TimeExpression(f"dans la nuit de {a} à {b}", *night))
    if 2 <= gap_days <= 6:
        name = WEEKDAYS[at.weekday()]
        out.append(TimeExpression(f"{name} dernier", day, day + timedelta(days=1)))
        if about_60.date() == at.date():
            out.append(TimeExpression(f"{name} dernier vers {clock(rng, about_60, False)}", *precise[2][1:]))
    if gap_days >= 1:
        date = f"{at.day:02d}/{at.month:02d}"
        if about_60.date() == at.date():
            out.append(TimeExpression(f"le {date} vers {clock(rng, about_60, False)}", *precise[2][1:]))
        out.append(TimeExpression(f"le {date}", day, day + timedelta(days=1)))
    if category in ("burglary", "theft", "vandalism") and 7 <= h <= 19:
        first = max(6, h - rng.randint(1, 5))
        last = min(21, h + rng.randint(1, 5))
        window = f"entre {first}h et {last}h"
        prefix = "" if gap_days == 0 else ("hier " if gap_days == 1 else f"le {at.day:02d}/{at.month:02d} ")
        out.append(TimeExpression(prefix + window, day.replace(hour=first), day.replace(hour=last)))
    return out
