"""The words of French time expressions, as regular expressions: the pieces the rules find (`TIME_RE`), what
joins two pieces of one expression, the words that bound one, and the habits that say nothing of when an
incident happened."""

from __future__ import annotations

import re

WEEKDAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
MONTH = r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)"
CLOCK = r"(?:\d{1,2}\s?[hH](?:\s?\d{2})?|\d{1,2}:\d{2}|(?<![-\w])minuit|(?<![-\w])midi)(?![\w])"
# "le 14/03" with its article; "du" only before a range's "au" ("du 17/03 au 21/03"): a document's date stands
# alone ("Main courante du 15/11/2024" → "15/11/2024")
_ARTICLE = r"(?:le |du (?=\S+(?: \S+)? au ))?"
DATE = _ARTICLE + r"\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?|" + _ARTICLE + r"(?:1er|\d{1,2}) " + MONTH
PERIOD = (
    r"(?:en (?:fin|d[ée]but) d'apr[èe]s[- ]midi|(?:cet |dans l'|en |l')apr[èe]s[- ]midi"
    r"|en (?:fin|d[ée]but) de (?:matin[ée]e|soir[ée]e)|(?:ce|le|au petit|dans la|en) mat(?:in|in[ée]e)"
    r"|(?:ce|le|en|dans la) soir(?:[ée]e)?|"
    r"en journ[ée]e|dans la journ[ée]e|tôt le matin)"
)
NIGHT = (
    r"(?:dans la nuit (?:du |de )?"
    + WEEKDAY
    + r"(?: \d{1,2})? (?:[àa]|au) "
    + WEEKDAY
    + r"|(?:(?:dans|pendant|durant) la |la )?nuit du (?:1er|\d{1,2})(?:[/.]\d{1,2}| "
    + MONTH
    + r")? au \d{1,2}(?:[/.]\d{1,2}(?:[/.]\d{2,4})?| "
    + MONTH
    + r")?"
    + r"|cette nuit|dans la nuit|la nuit derni[èe]re|en pleine nuit|pendant la nuit|durant la nuit)"
)
DAY = (
    r"(?:avant-hier|hier|aujourd'hui|ce jour|(?:du |le |ce )?"
    + WEEKDAY
    + r"(?: dernier| pass[ée]| (?:"
    + DATE
    + r"|\d{1,2}))?"
    + r"|"
    + DATE
    + r"|(?:le |ce )?week[- ]?end du (?:1er|\d{1,2})(?:[-/]| au )\d{1,2}(?:[/.]\d{1,2}(?:[/.]\d{2,4})?| "
    + MONTH
    + r")"  # "week-end du 10-11 août"
    + r"|(?:le |ce )(?:week[- ]?end|we|w-e)(?: dernier| pass[ée])?"
    + r"|la semaine derni[èe]re|la semaine pass[ée]e)"
)
APPROX = r"(?:vers|environ|aux alentours de|autour de|[àa])"
# an hour in four digits, as radio logs write it: after "à" or "vers" ("ce jour a 0745"), or where a line
# opens, before its words ("0215 EQUIPAGE BAC…", "0325 deux individus…") or between dashes ("SUD - 0850 -
# REQUIS"), never a house number ("1200 bd X")
HHMM = r"(?:[01]\d|2[0-3])[0-5]\d(?![\w/.,:])"
STREET_TYPE = (  # a street's type, as written ("r.", "bd", "allée"); the rules' too
    r"(?:rue|r|bd|bld|boulevard|av|avenue|chemin|ch|place|pl|traverse|trav|impasse|imp|cours"
    r"|all[ée]e|quai|route)"
)
HHMM_OPENING = rf"(?:(?<=^)|(?<=\n)|(?<= [-–] )){HHMM}(?= +(?:[-–] +)?[^\W\d])(?! +{STREET_TYPE}\b)"
COUNT = (r"(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|quinze|vingt|trente|des|quelques"
         r"|plusieurs|une dizaine de|une quinzaine de)")  # fmt: skip
UNIT = r"(?:minutes?|min|heures?|h|jours?|nuits?|soirs?|semaines?|mois|ans?|ann[ée]es?|heure)"
EVERY = (r"(?:jours|soirs|matins|nuits|week[- ]ends?|semaines|après-midi|lundis|mardis|mercredis|jeudis"
         r"|matin|soir|nuit|jour|semaine"
         r"|vendredis|samedis|dimanches|\d+ (?:minutes|heures|jours))")  # fmt: skip
TIME_RE = re.compile(
    r"(?<![\w])(?:"
    + r"(?:depuis|dans|pendant) (?:au moins |plus de |environ )?" + COUNT + r" " + UNIT
    + r"|il y a " + COUNT + r" ?" + UNIT
    + r"|il y a (?:un quart d'heure|une demi-heure|une heure et demie)"
    + r"|depuis (?:le d[ée]but|la fin) (?:de la|du|de l') (?:semaine|mois|ann[ée]e)"
    + r"(?: (?:de |d')" + MONTH + ")?"
    + r"|cette semaine|cette ann[ée]e|ce mois(?:[- ]ci)?"
    + r"|(?:tous les|tt les|chaque) " + EVERY + r"(?: (?:soir|matin))?"
    + r"|toute la (?:journ[ée]e|nuit|soir[ée]e|matin[ée]e)"
    + r"|jour et nuit|(?:la veille|le lendemain)(?: (?:au )?(?:matin|soir))?|à l'aube|au petit jour"
    + r"|en ce moment|à l'instant|demain(?: (?:matin|soir|apr[èe]s-midi))?|la semaine prochaine|ce midi"
    + r"|(?:" + DAY + r"|" + NIGHT + r")"
    + r"(?:,? (?:" + PERIOD[3:-1] + r"|(?:au )?soir|(?:au )?matin|apr[èe]s-midi))?"
    + r"(?:,? (?:" + APPROX + r" )?" + CLOCK
    + r"|,? entre " + CLOCK + r" et " + CLOCK + r")?"
    + r"|(?:entre|de) " + CLOCK + r" (?:et|[àa]) " + CLOCK
    + r"|(?:[àa]|vers|dès) " + HHMM + r"(?! *(?:m²|m2|m|km|mm|cm|kg|g|€|euros?|eur|m[èe]tres?)(?!\w))"
    + r"|" + HHMM_OPENING
    + r"|(?:" + APPROX + r" )?" + CLOCK
    + r"|" + PERIOD
    + r")(?![\w])",
    re.IGNORECASE,
)  # fmt: skip
# between two pieces of one time expression; just before one; just after one
TIME_JOINT = re.compile(r"\s*(?:(?:et|à|au|jusqu'à|jusqu’à)\s+|[-–]\s*)?", re.IGNORECASE)  # no comma
TIME_BEFORE = re.compile(
    r"(?<![\w])(?:(?:depuis|dès|avant|après|[àa] partir de|entre(?: le| la)?|jusqu['’][àa]"
    r"|tous les (?:soirs|matins|jours|nuits|après-midi"
    r"|week-ends)|chaque (?:soir|matin|nuit|jour))\s+|jusqu['’]|à partir d['’])$",
    re.IGNORECASE,
)
JOINING_BOUND = re.compile(
    r"(?:[àa] partir d|jusqu|dès)", re.IGNORECASE
)  # "depuis le 1er juillet" stands alone
TIME_AFTER = re.compile(
    r"\s+(?:du (?:matin|soir|mat)|de l'apr[èe]s[- ]midi|apr[èe]s[- ]midi|et demie?)(?![\w])", re.IGNORECASE
)
# a habit, a duration or a time to come ("tous les soirs", "depuis des mois", "demain matin"): a time
# expression, but not one the occurrence interval is read from
HABIT = re.compile(
    r"(?:tous les|tt les|chaque|toute la|jour et nuit|dans \d"
    r"|depuis (?:des|quelques|plusieurs|le d[ée]but|la fin)"
    r"|cette semaine|cette ann[ée]e|ce mois"
    r"|pendant|en ce moment|demain|la semaine prochaine|la veille|le lendemain|à l'aube|au petit jour)",
    re.IGNORECASE,
)
# when the facts were found, not when they happened: "constaté ce matin à 6h30", "en arrivant à 7h30", "a
# découvert les faits à 6h45", "lors de la ronde de 5h", "SMS reçu 07:52". Read on folded text, in the clause
# before a time piece, or right after it ("ce matin en arrivant"); a time of the facts before it is preferred
_ON_ARRIVAL = r"en (?:arrivant|ouvrant|rentrant|revenant|partant)"
_ON_ROUND = r"lors de (?:la|sa|ma|notre|leur) (?:ronde|tournee)"
_AT = r"a (?:l'|mon |son |sa |notre |leur )?"
FOUND_BEFORE = re.compile(
    r"(?:\bconstat(?:e|ee|es|ees|ons|ations?)?|\bdecouv\w*|\bs'(?:en )?(?:est |suis |sommes )?aper[cç]u\w*"
    rf"|\b{_ON_ARRIVAL}|\b{_AT}(?:ouverture|arrivee|retour|prise de service|reveil)|\b{_ON_ROUND}"
    r"|\bau reveil|\brecue?)\b[^.;!?\n]{0,40}\Z"
)
FOUND_AFTER = re.compile(
    rf"\s*,?\s*(?:{_ON_ARRIVAL}|{_ON_ROUND}|au reveil|{_AT}(?:ouverture|arrivee|retour|reveil))\b"
)
CLOCK_ONLY = re.compile(r"(?:(?:à|a|vers|dès|des) )?" + CLOCK, re.IGNORECASE)  # an hour, no day: "à 16h30"
