"""Rule-based finders for the entities rules find best: times, plates, cameras, street assets, districts,
addresses and landmarks (the last three checked against the gazetteer). Each returns character spans.

They run on the raw text (offsets are those of the text), before spaCy's statistical NER, which keeps persons
and organisations. Spans follow tests/fixtures/GOLD_GUIDELINES.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from recoupe.nlp.folding import fold_chars
from recoupe.nlp.geocoder import ABBREVIATIONS, Geocoder, Place, bare, fold
from recoupe.nlp.timewords import (
    JOINING_BOUND,
    STREET_TYPE,
    TIME_AFTER,
    TIME_BEFORE,
    TIME_JOINT,
    TIME_RE,
)

PLATE_RE = re.compile(
    r"(?<![\w-])(?:[A-HJ-NP-TV-Z]{2}[- ]?\d{3}[- ]?[A-HJ-NP-TV-Z]{2}"
    r"|[a-hj-np-tv-z]{2}-\d{3}-[a-hj-np-tv-z]{2}"
    r"|\d{1,4}[ -]?[A-Z]{2,3}[ -]?(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]))(?![\w-])"
)
# A camera by its number ("caméra n°1042", "cam 57", "caméra C14"), the CSU's video, or a camera or a video
# by whose it is ("caméras du magasin", "vidéo de l'agence", "vidéosurveillance du commerce", "caméra
# embarquée"); a bare "la vidéo" or "une caméra" is no reference.
_CAMERA_OWNER = (  # whose camera: "caméras du magasin", "caméra 2 du magasin", "caméras de quai", "du hall 1"
    r"\s+(?:(?:du|de la|des|de)\s+|de l'\s*)(?:magasin|boutique|ville|agence|station|commerce|banque"
    r"|r[ée]sidence|immeuble|parking|bus|tram|m[ée]tro|pharmacie|bureau|gare|supermarch[ée]|centre commercial"
    r"|mairie|[ée]tablissement|bar|restaurant|tabac|[ée]cole|coll[èe]ge|lyc[ée]e|h[ôo]tel|hall|b[âa]timent|r[ée]serve"
    r"|entr[ée]e|cour|quai|parvis|fa[çc]ade|plan d'eau|faisceau|couloir|enceinte|accueil|caisse|sas|ascenseur"
    r"|escalier|portail|local|galerie|salle|rayon|terrasse)s?(?:\s\d{1,3})?"
)
# a camera by its number, a range ("caméras 31 à 34"), a dome ("dôme 12"), a PTZ ("caméra PTZ n°7"), a
# reference ("CAM-0457")
CAMERA_RE = re.compile(
    r"(?<![\w])(?:(?:cam(?:[ée]ra)?s?\.?|(?-i:d[ôo]mes?))[\s-]?(?:ptz\s)?(?:n[°o]\.?\s?|num[ée]ro\s|#)?[a-z]?\d{1,5}"
    r"(?:\s?(?:à|-)\s?\d{1,5}(?![\w:]))?(?:" + _CAMERA_OWNER + r"|\s+du CSU)?"
    r"|ptz[\s-]?(?:n[°o]\.?\s?)?\d{1,5}(?![\w:])"  # a PTZ by its number alone ("PTZ 88"), as operators write
    r"|(?:vid[ée]o|images?) du CSU"
    r"|(?:cam[ée]ras?|vid[ée]o(?:surveillance|protection)?|images? de (?:la )?vid[ée]o(?:surveillance)?)"
    + _CAMERA_OWNER
    + r"|cam[ée]ras? (?:embarqu[ée]es?|pi[ée]tons?|de (?:vid[ée]o)?surveillance|int[ée]rieures?"
    r"|ext[ée]rieures?))(?![\w])",
    re.IGNORECASE,
)
# a form's camera field: its value is the reference ("Caméra : PTZ 0561", "CAMÉRA : C14")
CAMERA_FIELD_RE = re.compile(
    r"(?<![\w])cam(?:[ée]ra)?s?\s*:\s*(?P<value>(?:PTZ\s|d[ôo]me\s)?(?:n°\s?)?[A-Z]{0,3}\d{1,5}(?![\w]))",
    re.IGNORECASE,
)
BETWEEN_BEFORE = re.compile(r"(?<![\w])entre(?:\s+(?:le|la|les|l'))?\s*$", re.IGNORECASE)
POSTCODE_RE = re.compile(r"(?<![\w])130(?:0[1-9]|1[0-6])(?![\w])")
ARRONDISSEMENT_RE = re.compile(
    r"(?<![\w])(?:1er|1re|[2-9]e|1[0-6]e|[1-9]ème|1[0-6]ème|[1-9]eme|1[0-6]eme)"
    r"(?: ?arr(?:\.|ondissement)?)?(?![\w])",
    re.IGNORECASE,
)
# Words, an elided article apart ("de l'avenue X": "avenue" heads a street name; "rue d'Aubagne" stays one)
STREET_WORDS = re.compile(r"(?<=[lLdD]['’])[\w-][\w'’-]*|(?<![\w'’-])(?![lLdD]['’]\w)[\w'’-]+")
FUNCTION_WORDS = {
    "et",
    "a",
    "au",
    "aux",
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "l",
    "d",
    "en",
    "sur",
    "pour",
    "par",
    "vers",
}
OVERLAP_RANK = {"ADDRESS": 0, "PLACE": 1, "CAMERA": 2, "PLATE": 3, "DATETIME": 4, "DISTRICT": 5, "ASSET": 6}


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    label: str
    place: Place | None = None


def _alternation(keys: Iterable[str], plural_words: bool = False) -> re.Pattern[str]:
    """One regex for many folded names, longest first, tolerant of spaces, hyphens and apostrophes; with
    `plural_words`, each word of a name may take its plural ("feux tricolores", "bancs publics")."""
    plural = "(?:s|x)?" if plural_words else ""
    parts = [
        r"[\s'’-]+".join(re.escape(w) + ("" if w in FUNCTION_WORDS else plural) for w in key.split())
        for key in sorted(set(keys), key=len, reverse=True)
    ]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")" + ("" if plural_words else "s?") + r"(?![\w])")


LEADING_ARTICLE = re.compile(r"(?:la|le|les|l)[\s'’]+")
# A quartier whose name has an article, written without it, is one after a contraction or an article
# ("aux Aygalades", "des Caillols", "au Canet") or in brackets ("(Trois-Lucs)"), not a word of a sentence.
UNARTICLED_BEFORE = re.compile(r"(?:(?<![\w])(?:aux|des|du|au|a|la|le|les)\s+|(?<![\w])l['’]|\(\s*)$")
# A bare ordinal is an arrondissement in brackets or after "dans le", "du", "Marseille" or a comma, with
# nothing after it ("bd National (3e)", "dans le 15e."); not "3e étage", "1er janvier", "la 2e fois".
# A quartier's name inside a landmark's or a street's ("hôpital de la Timone", "lycée Thiers", "métro
# Castellane", "av. de Saint-Just"): the landmark or the street is meant (folded text before the name).
PART_OF_A_NAME_BEFORE = re.compile(
    r"(?<![\w])(?:hopital|lycee|college|ecole|metro|station|arret|gare|friche|pharmacie|jardins?|parc|eglise"
    r"|stade|piscine|mairie|prefecture|marche|plage|fac|faculte|universite|musee|theatre|bibliotheque|cinema"
    r"|rue|r|avenue|av|bd|bld|boulevard|chemin|ch|place|pl|cours|crs|traverse"
    r"|trav|impasse|imp|montee|allee|quai|route|rte)\.?\s+(?:(?:maternelle|elementaire|primaire|privee"
    r"|municipale?) )?(?:de la |de l'|du |des |de |d')?$"
)
BARE_ARRONDISSEMENT_BEFORE = re.compile(
    r"(?:\(|(?<![\w])(?:dans le|du|marseille)\s|,\s?|[–-]\s)\s*$", re.IGNORECASE
)
BARE_ARRONDISSEMENT_AFTER = re.compile(r"\s*(?:$|[),.;:!?/\n–-])")
# ... or right after a street's name ("12 rue Loubon 3e,"); but after a resident it is a floor ("la dame du
# 3e", "voisin du 1er").
AFTER_A_STREET = re.compile(
    rf"(?<![\w]){STREET_TYPE}\.?\s+[\w'’ -]{{2,30}}\s$",
    re.IGNORECASE,
)
A_FLOOR_BEFORE = re.compile(
    r"(?<![\w])(?:voisine?s?|dame|monsieur|madame|locataires?|habitante?s?|famille|gens|palier)\s+du\s*$",
    re.IGNORECASE,
)


A_SERVICE = re.compile(r"eclairage public|proprete|voirie")  # a city service, named as a street fixture is


def _unarticled(names: Iterable[str]) -> list[str]:
    """The quartier names that begin with an article, without it: "les trois lucs" → "trois lucs"."""
    return [
        name[m.end() :] for name in names if (m := LEADING_ARTICLE.match(name)) and len(name) - m.end() > 3
    ]


def _bare_arrondissement(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start]
    return bool(
        (BARE_ARRONDISSEMENT_BEFORE.search(before[-12:]) or AFTER_A_STREET.search(before))
        and not A_FLOOR_BEFORE.search(before)
        and BARE_ARRONDISSEMENT_AFTER.match(text, end)
    )


# What completes a piece of street furniture (folded text): what it holds or serves ("à ordures", "de tri",
# "de rue", "d'information"), then what kind it is ("publics", "enterrés", "piéton", "STOP").
ASSET_COMPLEMENT_RE = re.compile(
    r"\s+(?:a\s+(?:ordures|verre|dechets|papiers?|journaux|emballages|vetements|textiles?|velos|fleurs)"
    r"|de\s+(?:tri|rue|direction|stationnement|signalisation|jeux|collecte|proprete|ville|bus|police|securite"
    r"|protection|chantier|quai)s?"
    r"|d'(?:information|eclairage|arbre|incendie)s?)(?![\w])"
)
NOT_AN_ASSET_BEFORE = re.compile(r"(?<![\w])(?:sacs?|locale?s?|locaux|m|mme|mlle|mr|monsieur|madame)\.?\s+$")
ASSET_QUALIFIER_RE = re.compile(
    r"\s+(?:publi(?:c|que)s?|enterre(?:e|s|es)?|pietons?|tricolores?|lumineux|lumineuses?|electriques?"
    r"|automatiques?|stop|sens interdit|interdit|cede le passage|municipa(?:l|le|ux|les)"
    r"|poubelles?|publicitaires?|velos?|(?:de )?(?:bus|tram))(?![\w])"
)
# its number in the city's inventory: "candélabre n°04-1187"
ASSET_NUMBER_RE = re.compile(r"\s+n\s?°\s?\d[\w-]*")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " ,;:.-":
        start += 1
    while end > start and text[end - 1] in " ,;:-(":
        end -= 1
    return start, end


class RuleFinder:
    """Every rule-based finder, compiled once for a gazetteer and an asset vocabulary."""

    def __init__(self, geocoder: Geocoder, asset_labels: Iterable[str]) -> None:
        self.geocoder = geocoder
        self._pieces: tuple[str | None, tuple[tuple[int, int], ...]] = (None, ())  # the last text's
        self.asset_re = _alternation((fold_chars(label) for label in asset_labels), plural_words=True)
        self.quartier_re = _alternation([*geocoder.quartiers, *_unarticled(geocoder.quartiers)])
        self.unarticled = set(_unarticled(geocoder.quartiers))
        self.landmark_re = _alternation(geocoder.landmarks)
        kinds = {fold(s.name).split()[0] for s in geocoder.gazetteer.streets}
        self.street_heads = {k for k in kinds if k not in FUNCTION_WORDS and not k[:1].isdigit()}
        self.street_heads |= {k for k, v in ABBREVIATIONS.items() if v.split()[0] in self.street_heads} | {
            "rd"
        }

    def find(self, text: str) -> list[Found]:
        """All rule matches, overlaps resolved: the longer span wins, then by label (address first)."""
        found = [*self.times(text), *self.plates(text), *self.cameras(text), *self.assets(text),
                 *self.districts(text), *self.addresses(text), *self.landmarks(text)]  # fmt: skip
        kept: list[Found] = []
        for f in sorted(found, key=lambda f: (-(f.end - f.start), OVERLAP_RANK[f.label], f.start)):
            if not any(k.start < f.end and f.start < k.end for k in kept):
                kept.append(f)
        return sorted(kept, key=lambda f: f.start)

    def time_pieces(self, text: str) -> list[tuple[int, int]]:
        """The time phrases one by one ("ce matin", "vers 6h"): the occurrence interval is read from these
        (those that are no HABIT), and `times` joins them into expressions."""
        last = self._pieces  # asked twice per log: by `times` and by the extractor's interval
        if last[0] is text:  # one read of the pair: safe when threads share the finder
            return list(last[1])
        pieces = []
        for match in TIME_RE.finditer(text):
            start, end = _trimmed(text, *match.span())
            if end > start and not re.fullmatch(r"à|vers", text[start:end], re.IGNORECASE):
                pieces.append((start, end))
        self._pieces = (text, tuple(pieces))
        return pieces

    def times(self, text: str) -> Iterator[Found]:
        """Time expressions, each as written: the pieces of one expression joined ("ce matin vers 6h",
        "entre le 20/11 et le 23/11", "15h-17h"), with the words that bound it ("depuis 22h", "jusqu'à 3h",
        "tous les soirs vers minuit", "vers 3h du matin")."""
        spans: list[tuple[int, int]] = []
        for start, end in self.time_pieces(text):
            # a bound between two pieces joins them: "tous les soirs à partir de 18h"
            bound = spans and TIME_BEFORE.search(text, spans[-1][1], start)
            # never over a line's end: "03/03/2025⏎06h48" is a header's date, then the next line's time
            same_line = spans and "\n" not in text[spans[-1][1] : start]
            joint = same_line and TIME_JOINT.fullmatch(text, spans[-1][1], start)
            if (
                joint
                and joint.group().strip().lower() == "et"
                and not BETWEEN_BEFORE.search(text, max(0, spans[-1][0] - 12), spans[-1][0])
            ):  # "et" joins a range's ends only ("entre le 20/06 et le 23/06"), not two times apart
                joint = None  # ("fermé samedi à 19h et ce matin à 8h30")
            if same_line and (
                joint
                or (
                    bound
                    and not text[spans[-1][1] : bound.start()].strip()
                    and JOINING_BOUND.match(bound.group())
                )
            ):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        for start, end in spans:
            if before := TIME_BEFORE.search(text, max(0, start - 40), start):
                start = before.start()
            if after := TIME_AFTER.match(text, end):
                end = after.end()
            yield Found(start, end, "DATETIME")

    def plates(self, text: str) -> Iterator[Found]:
        for match in PLATE_RE.finditer(text):
            if not POSTCODE_RE.fullmatch(match.group(0)):
                yield Found(*match.span(), "PLATE")

    def cameras(self, text: str) -> Iterator[Found]:
        for match in CAMERA_RE.finditer(text):
            yield Found(*match.span(), "CAMERA")
        for match in CAMERA_FIELD_RE.finditer(text):
            yield Found(*match.span("value"), "CAMERA")

    def assets(self, text: str) -> Iterator[Found]:
        """Street furniture, the whole noun phrase: "conteneur à ordures", "poubelle de rue", "bancs
        publics", "panneau STOP"; not a surname ("Agents SAÏDI et FONTAINE", "M. Fontaine")."""
        folded = fold_chars(text)
        shouting = sum(c.isupper() for c in text) > 0.5 * sum(c.isalpha() for c in text)
        for match in self.asset_re.finditer(folded):
            start, end = match.span()
            written = text[start:end]
            if NOT_AN_ASSET_BEFORE.search(folded, max(0, start - 12), start):
                continue  # "sacs poubelle", "local poubelles", "M. FONTAINE"
            if A_SERVICE.match(folded, start) and (
                not folded[:start].strip() or re.search(r"service\s+$", folded[max(0, start - 12) : start])
            ):
                continue  # "Service éclairage public : …", a log headed "ÉCLAIRAGE PUBLIC - …": who writes
            if " " not in written and written[:1].isupper() and (not written.isupper() or not shouting):
                before = text[max(0, start - 3) : start].rstrip()
                if before and before[-1] not in '.!?:;\n(«"-–':  # a capital inside a sentence: a name
                    continue
            for extension in (ASSET_COMPLEMENT_RE, ASSET_QUALIFIER_RE, ASSET_NUMBER_RE):
                if more := extension.match(folded, end):
                    end = more.end()
            yield Found(start, end, "ASSET")

    def districts(self, text: str) -> Iterator[Found]:
        """Postcodes, arrondissements, and quartier names capitalised or after 'quartier'/'secteur'."""
        for match in POSTCODE_RE.finditer(text):
            yield Found(*match.span(), "DISTRICT", self.geocoder.district(match.group(0)))
        for match in ARRONDISSEMENT_RE.finditer(text):
            written = match.group(0)
            if re.search(r"arr|ème|eme", written, re.IGNORECASE) or _bare_arrondissement(text, *match.span()):
                yield Found(*match.span(), "DISTRICT", self.geocoder.district(written))
        folded = fold_chars(text)
        for match in self.quartier_re.finditer(folded):
            start, end = match.span()
            article = LEADING_ARTICLE.match(folded, start, end)
            if article and text[start].islower():  # "de la Capelette": the name is "Capelette"
                start = article.end()
            before = folded[max(0, start - 32) : start]
            named = (
                text[start].isupper()
                and (folded[start:end] not in self.unarticled or UNARTICLED_BEFORE.search(before))
                and not PART_OF_A_NAME_BEFORE.search(before)
            )
            if named or re.search(r"(quartier|secteur|cite)( de| du| des)? $", before):
                yield Found(start, end, "DISTRICT", self.geocoder.district(text[start:end]))

    def addresses(self, text: str) -> Iterator[Found]:
        """A street type (or abbreviation), the longest following words naming a street, a number before."""
        folded = fold_chars(text)
        words = list(STREET_WORDS.finditer(folded))
        i = 0
        while i < len(words):
            head = words[i].group(0)
            if head not in self.street_heads and not (head == "la" and _next_is(words, i, "canebiere")):
                i += 1
                continue
            best = self._longest_street(text, words, i)
            if best is None:
                i += 1
                continue
            before = text[max(0, best.start - 24) : best.start]
            number = re.search(r"(?<![\w])(\d{1,4}(?: ?bis| ?ter)?),? ?$", before)
            if number and re.search(
                r"(cam[ée]?r?a?|n°|num[ée]ro|no)\s*$", before[: number.start()], re.IGNORECASE
            ):
                number = None  # "la cam 4608 esplanade …": a camera's number, not a house number
            start = best.start - (len(number.group(0)) if number else 0)
            start, end = _trimmed(text, start, best.end)
            place = replace(best.place, number=number.group(1)) if number and best.place else best.place
            yield Found(start, end, "ADDRESS", place)
            i = next((k for k, w in enumerate(words) if w.start() >= end), len(words))

    def _longest_street(self, text: str, words: list[re.Match[str]], i: int) -> Found | None:
        """Exact names first, longest first; then close matches, never ending on a function word."""
        last = i
        while last + 1 < len(words) and last - i < 10:
            gap = text[words[last].end() : words[last + 1].start()]
            abbreviated = last == i and re.fullmatch(r"\. ?(?:[ldLD]['’])?", gap)  # "imp. X", "r. d'Aix"
            if re.search(r"[.,;:()!?/]|\s-\s", gap) and not abbreviated:
                break
            last += 1
        spans = [(words[i].start(), words[j].end()) for j in range(last, i, -1)]
        spans = [(s, e) for s, e in spans if fold(text[s:e]).split()[-1] not in FUNCTION_WORDS]
        for start, end in spans:
            key = fold(text[start:end])
            if key in self.geocoder.streets or bare(key) in self.geocoder.streets:
                return Found(start, end, "ADDRESS", self.geocoder.street(text[start:end]))
        for start, end in spans:
            place = self.geocoder.street(text[start:end])
            if place is not None and place.score >= 0.9:
                return Found(start, end, "ADDRESS", place)
        return None

    def landmarks(self, text: str) -> Iterator[Found]:
        """Landmark names (and their short forms) as written, without article; quartier homonyms after
        'quartier', 'secteur' or a dash are left to districts."""
        folded = fold_chars(text)
        for match in self.landmark_re.finditer(folded):
            before = folded[max(0, match.start() - 16) : match.start()]
            if re.search(r"(quartier|secteur|cite|\(|-)( de| du| des)? ?$", before):
                continue
            if folded[match.start() : match.end()] in self.geocoder.landmark_short:
                before = text[: match.start()].rstrip()
                if text[match.start()].islower() or not before or before[-1] in ".!?:\n":
                    continue  # a short name is one written so inside a sentence ("devant le Dôme")
            yield Found(*match.span(), "PLACE", self.geocoder.landmark(text[match.start() : match.end()]))


def _next_is(words: list[re.Match[str]], i: int, value: str) -> bool:
    return i + 1 < len(words) and words[i + 1].group(0) == value
