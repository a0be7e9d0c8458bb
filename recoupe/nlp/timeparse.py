"""French time expressions → the occurrence interval they support, anchored on when the log was written.

`interval("vers 23h15", reported_at)` → (23:00, 23:30) that evening; `interval("dans la nuit de samedi à
dimanche", reported_at)` → (Saturday 22:00, Sunday 06:00) of the latest such night. Unknown stays unknown: an
expression that cannot be read gives None, never a guess. Conventions: tests/fixtures/GOLD_GUIDELINES.md.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from recoupe.nlp.folding import fold_chars
from recoupe.nlp.timewords import CLOCK_ONLY, FOUND_AFTER, FOUND_BEFORE

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
          "novembre", "decembre")  # fmt: skip
NUMBERS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
           "neuf": 9, "dix": 10, "quinze": 15, "vingt": 20, "trente": 30, "quarante": 40}  # fmt: skip

DURATIONS = {
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "heu": timedelta(hours=1),
    "jou": timedelta(days=1),
    "nui": timedelta(days=1),
    "soi": timedelta(days=1),
    "sem": timedelta(weeks=1),
    "moi": timedelta(days=30),
}  # fmt: skip (units by their first letters)
FOUR_DIGIT_HOUR = re.compile(r"(?<![\d/.:,])([01]\d|2[0-3])([0-5]\d)(?![\d/.:,])")  # "0215"
CLOCK = r"(?:\b(\d{1,2})\s*(?:h|:)\s*(\d{2})?|(?<![-\w])(minuit)|(?<![-\w])(midi))"
# Periods of a day: (start hour, end hour); an end of 24 or more runs into the next day.
PERIODS = (
    (r"en fin d'apres[- ]midi", 16, 19),
    (r"en debut d'apres[- ]midi", 12, 15),
    (r"(?:cet |dans l'|en |l')?apres[- ]midi|cet aprem", 12, 18),
    (r"en fin de matinee", 10, 12),
    (r"(?:ce |le |au petit |dans la |en )mat(?:in|inee)|tot le matin", 6, 12),
    (r"en debut de soiree", 18, 21),
    (r"(?:ce |le |en |dans la |au )soir(?:ee)?|soir", 18, 24),
    (r"en journee|dans la journee|pendant la journee", 8, 19),
)


def _fold(text: str) -> str:
    return " ".join(fold_chars(text.replace("’", "'")).split())


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time on a day; an hour of 24 or more lands on the next day. Normalised across DST changes."""
    extra, hour = divmod(hour, 24)
    local = datetime.combine(day + timedelta(days=extra), time(hour, minute), PARIS)
    return local.astimezone(UTC).astimezone(PARIS)


def _shift(at: datetime, minutes: int) -> datetime:
    return (at.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(PARIS)


def _clock(match: re.Match[str], offset: int = 1) -> tuple[int, int]:
    hour, minute, midnight, noon = match.group(offset, offset + 1, offset + 2, offset + 3)
    if midnight:
        return 0, 0
    if noon:
        return 12, 0
    return int(hour), int(minute or 0)


def _readable(match: re.Match[str], offset: int = 1) -> bool:
    """A clock time that exists ("25h99" is no time: unknown, not a guess)."""
    hour, minute = _clock(match, offset)
    return hour <= 24 and minute <= 59


def _last_weekday(name: str, before: date, allow_today: bool) -> date:
    target = WEEKDAYS.index(name)
    back = (before.weekday() - target) % 7
    if back == 0 and not allow_today:
        back = 7
    return before - timedelta(days=back)


def _day(text: str, reported: datetime) -> tuple[date | None, str]:
    """The day an expression names (and the expression without it), or None when it names none."""
    today = reported.date()
    match = re.search(r"\b(?:le |du )?(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b", text)
    if match:
        d, m, y = int(match.group(1)), int(match.group(2)), match.group(3)
        year = (2000 + int(y) if len(y) == 2 else int(y)) if y else today.year
        try:
            day = date(year, m, d)
        except ValueError:
            return None, text
        if not y and day > today:
            day = date(year - 1, m, d)
        return day, text[: match.start()] + text[match.end() :]
    match = re.search(r"\b(?:le )?(\d{1,2}|1er) (" + "|".join(MONTHS) + r")\b", text)
    if match:
        d, m = int(match.group(1).replace("er", "")), MONTHS.index(match.group(2)) + 1
        try:
            day = date(today.year, m, d)
        except ValueError:
            return None, text
        if day > today:
            day = date(today.year - 1, m, d)
        return day, text[: match.start()] + text[match.end() :]
    for word, back in (("avant-hier", 2), ("avant hier", 2), ("hier", 1), ("aujourd'hui", 0), ("ce jour", 0)):
        if re.search(r"\b" + word + r"\b", text):
            return today - timedelta(days=back), text.replace(word, " ")
    match = re.search(r"\b(" + "|".join(WEEKDAYS) + r")( dernier| passe)?\b", text)
    if match:
        return _last_weekday(match.group(1), today, allow_today=not match.group(2)), text.replace(
            match.group(0), " "
        )
    return None, text


def _dated_night(text: str, today: date) -> date | None:
    """The evening that begins a night named by its dates: "nuit du 5 au 6 janvier", "du 05 au 06/01",
    "du 31/12 au 01/01/2025"; the latest such night before the report when no year (or month) is said."""
    match = re.search(
        r"nuit du (\d{1,2})(?:er)?(?:[/.](\d{1,2})| (" + "|".join(MONTHS) + r"))? au \d{1,2}"
        r"(?:[/.](\d{1,2})(?:[/.](\d{2,4}))?| (" + "|".join(MONTHS) + r"))?",
        text,
    )
    if not match:
        return None
    first, first_month, first_named, second_month, year, second_named = match.groups()
    month_after = (
        int(second_month) if second_month else MONTHS.index(second_named) + 1 if second_named else None
    )
    month = int(first_month) if first_month else MONTHS.index(first_named) + 1 if first_named else month_after
    month = month or today.month
    start_year = (2000 + int(year) if len(year) == 2 else int(year)) if year else today.year
    if year and month_after is not None and month > month_after:  # "du 31/12 au 01/01/2025"
        start_year -= 1
    try:
        night = date(start_year, month, int(first))
        if not year and night >= today:  # the latest such night that has begun
            if first_month or first_named or month_after:
                night = night.replace(year=night.year - 1)
            else:  # "du 16 au 17" before the 16th: last month's
                night = (night.replace(day=1) - timedelta(days=1)).replace(day=int(first))
    except ValueError:
        return None
    return night


def _dated_weekend(text: str, today: date) -> tuple[date, date] | None:
    """The first and last day of a week-end named by its dates ("week-end du 10-11 août", "du 15 au 16/03");
    the latest such week-end begun before the report when no year is said."""
    match = re.search(
        r"week-?end du (\d{1,2})(?:er)?(?:-| au )(\d{1,2})(?:[/.](\d{1,2})(?:[/.](\d{2,4}))?| ("
        + "|".join(MONTHS)
        + r"))",
        text,
    )
    if not match:
        return None
    first, last, number, year, named = match.groups()
    month = int(number) if number else MONTHS.index(named) + 1
    try:
        full_year = (2000 + int(year) if len(year) == 2 else int(year)) if year else today.year
        end = date(full_year, month, int(last))
        start = end - timedelta(days=(int(last) - int(first)) % 31 or 1)
        if not year and start > today:
            start, end = start.replace(year=start.year - 1), end.replace(year=end.year - 1)
    except ValueError:  # no such day ("week-end du 30-31 juin", a 29 February a year back)
        return None
    return start, end


def _base(day: date | None, night: date | None, today: date, hour: int) -> date:
    """The day a clock time falls on: in a named night, before noon means the morning after."""
    if night is not None:
        return night + timedelta(days=1) if hour < 12 else night
    return day or today


def interval(expression: str, reported_at: datetime) -> tuple[datetime, datetime] | None:
    """The interval one French time expression supports, or None when it cannot be read."""
    text = FOUR_DIGIT_HOUR.sub(r"\1h\2", _fold(expression))  # "0215" as the rules took it: "02h15"
    reported = reported_at.astimezone(PARIS)
    today = reported.date()

    number = r"(\d+|" + "|".join(NUMBERS) + r")"
    match = re.search(  # "depuis 22h" is a clock time, "il y a 2h" a duration
        r"(depuis) " + number + r" (min(?:utes?)?|heures?|jours?|nuits?|soirs?|semaines?|mois)(?!\w)"
        r"|(il y a) " + number + r" ?(min(?:utes?)?|heures?|h|jours?|nuits?|soirs?|semaines?|mois)(?!\w)",
        text,
    )
    if match:  # "depuis 3 jours": from then until the report; "il y a 5 minutes": that moment
        word, count, unit = match.groups()[:3] if match.group(1) else match.groups()[3:]
        since = reported - (int(count) if count.isdigit() else NUMBERS[count]) * DURATIONS[unit[:3]]
        return (since, reported) if word == "depuis" else (since, since)
    if spoken := re.search(r"il y a (un quart d'heure|une demi-heure|une heure et demie)", text):
        since = reported - timedelta(minutes={"u": 15, "d": 30}.get(spoken.group(1)[4], 90))
        return since, since
    if re.search(r"\ba l'instant\b", text):
        return reported, reported
    if re.search(r"week-?end du \d", text):  # dates it cannot read leave it unknown, not the last week-end
        weekend = _dated_weekend(text, today)
        return (_at(weekend[0], 0), _at(weekend[1], 24)) if weekend else None
    if re.search(r"\b(?:week-?end|we|w-e)\b", text):  # the last one begun: Saturday 00:00 to Monday 00:00
        saturday = _last_weekday("samedi", today, allow_today=True)
        if re.search(r"\b(dernier|passe)\b", text) and today - saturday < timedelta(days=2):
            saturday -= timedelta(days=7)  # "le week-end dernier" said on that Sunday is the one before
        return _at(saturday, 0), _at(saturday, 48)
    if re.search(r"\bla semaine (derniere|passee)\b", text):
        monday = today - timedelta(days=today.weekday() + 7)
        return _at(monday, 0), _at(monday + timedelta(days=7), 0)

    match = re.search(
        r"nuit (?:du |de )?(" + "|".join(WEEKDAYS) + r")(?: \d{1,2})? (?:a|au) (" + "|".join(WEEKDAYS) + ")",
        text,
    )
    night: date | None = None
    if match:
        night = _last_weekday(match.group(1), today, allow_today=True)
        if _at(night, 22) > reported:  # that night has not begun: the week before
            night -= timedelta(days=7)
    elif dated := _dated_night(text, today):
        night = dated
    elif re.search(
        r"\b(cette nuit|dans la nuit|la nuit derniere|nuit derniere|en pleine nuit|pendant la nuit"
        r"|durant la nuit)\b",
        text,
    ):
        night = today - timedelta(days=1) if reported.hour < 14 else today
    day, rest = _day(text if night is None else "", reported)
    if night is not None:
        rest = text

    clocks = [c for c in re.finditer(CLOCK, rest) if _readable(c)]
    between = re.search(r"(?:entre|de) " + CLOCK + r" (?:et|a) " + CLOCK, rest)
    if between and _readable(between) and _readable(between, 5):
        (h1, m1), (h2, m2) = _clock(between), _clock(between, 5)
        base = _base(day, night, today, h1)
        start = _at(base, h1, m1)
        end = _at(base, h2, m2) if (h2, m2) > (h1, m1) else _at(base + timedelta(days=1), h2, m2)
        return start, end
    if clocks:
        clock_match = clocks[0]
        h, m = _clock(clock_match)
        at = _at(_base(day, night, today, h), h, m)
        if day is None and night is None and at - reported > timedelta(hours=1):
            at = _at(today - timedelta(days=1), h, m)  # "vers 23h45" written at 00:30 means yesterday
        approximate = re.search(r"\b(vers|environ|aux alentours de|autour de|a peu pres)\b", rest)
        if approximate or clock_match.group(3) or clock_match.group(4):
            if approximate and (clock_match.group(2) and clock_match.group(2) != "00"):
                return _shift(at, -15), _shift(at, 15)
            return (_shift(at, -30), _shift(at, 30)) if approximate else (at, at)
        return at, at
    if night is not None:
        return _at(night, 22), _at(night, 30)
    for pattern, start_h, end_h in PERIODS:
        if re.search(pattern, rest):
            base = day or today
            if day is None and reported.hour < 6 and start_h >= 12:  # "ce soir" written at 00:50: yesterday's
                base -= timedelta(days=1)
            return _at(base, start_h), _at(base, end_h)
    if day is not None:
        if day == today and re.search(r"\b(ce jour|aujourd'hui)\b", text):
            return _at(day, 0), reported
        return _at(day, 0), _at(day, 24)
    return None


def occurrence(expressions: list[str], reported_at: datetime) -> tuple[datetime, datetime] | None:
    """The interval of the facts from a log's time expressions: the first one that reads, narrowed by a
    later clock time when the first only gave the day or a part of it ("le 14/03 … vers 2h", "ce matin vers
    7h30")."""
    readable = [(e, iv) for e in expressions if (iv := interval(e, reported_at)) is not None]
    if not readable:
        return None
    start, end = readable[0][1]
    if end - start >= timedelta(hours=3):
        for expression, _ in readable[1:]:
            narrowed = interval(expression, min(end, reported_at))  # read it as of the end of that day
            if (
                narrowed
                and start <= narrowed[0]
                and narrowed[1] <= end
                and narrowed[1] - narrowed[0] < timedelta(hours=2)
            ):
                return narrowed
    return start, end


def occurrence_of_facts(
    text: str, pieces: list[tuple[int, int]], reported_at: datetime
) -> tuple[datetime, datetime] | None:
    """The occurrence interval from a log's time pieces (text[a:b], in order), as `occurrence` reads it,
    unless it is when the facts were found ("constaté ce matin à 6h30", "ce matin en arrivant à 7h30") and the
    log gives a time of the facts before it ("… entrent à 01h12", "dans la nuit du 11 au 12")."""
    interval = occurrence([text[a:b] for a, b in pieces], reported_at)
    folded = fold_chars(text)
    seen = [
        bool(FOUND_BEFORE.search(folded, max(0, a - 60), a) or FOUND_AFTER.match(folded, b))
        for a, b in pieces
    ]
    for i in range(len(pieces) - 2, -1, -1):  # the day before its hour: "ce matin à 7h50, en ouvrant"
        seen[i] = seen[i] or (seen[i + 1] and not text[pieces[i][1] : pieces[i + 1][0]].strip(" ,"))
    facts = [text[a:b] for (a, b), found in zip(pieces, seen, strict=True) if not found]
    if not interval or len(facts) == len(pieces):
        return interval
    before = occurrence(facts, reported_at)
    if (
        before
        and before[0] <= interval[0]
        # a bare hour later in the day than the report reads as the day before: no fact of the morning it was
        # found ("merci d'intervenir avant 16h30")
        and (before[0].date() == interval[0].date() or not all(CLOCK_ONLY.fullmatch(f) for f in facts))
    ):
        return before
    return interval
