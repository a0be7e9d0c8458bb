"""Finders for persons, vehicles, objects and organisations, and the role of each person from its context."""

from __future__ import annotations

import re
from collections.abc import Iterator

from recoupe.nlp import lexicon
from recoupe.nlp.folding import fold_chars
from recoupe.nlp.geocoder import ABBREVIATIONS
from recoupe.nlp.rules import Found


def _alternation(words: tuple[str, ...], plural: bool = True) -> str:
    ordered = sorted({fold_chars(w) for w in words}, key=len, reverse=True)
    suffix = "(?:s|x)?" if plural else ""
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") + suffix for w in ordered) + ")"


KIND = _alternation(lexicon.VEHICLE_KINDS)
MAKE = _alternation(lexicon.VEHICLE_MAKES, plural=False)
MODEL = _alternation(lexicon.VEHICLE_MODELS, plural=False)
COLOUR = _alternation(lexicon.COLOURS)
VEHICLE_RE = re.compile(
    rf"(?<![\w])(?:{KIND}(?:\s+(?:de\s+marque\s+)?{MAKE})?(?:\s+{MODEL})?(?:\s+{COLOUR})?"
    rf"|(?:{MAKE}\s+)?{MODEL}(?:\s+{COLOUR})?|{MAKE}(?:\s+[a-z0-9-]{{1,8}})?\s+{COLOUR})(?![\w])"
)
OBJECT_RE = re.compile(rf"(?<![\w]){_alternation(lexicon.OBJECTS)}(?![\w])")
ORG_RE = re.compile(
    r"(?<![\w])(?:"
    + "|".join(re.escape(o) for o in sorted(lexicon.ORGANISATIONS, key=len, reverse=True))
    + r")(?![\w])"
)
NAME = r"(?:[A-ZÉÈÊÀÂÎÔÛÇ][\w'’-]+|[A-ZÉÈ]\.)"
CIVILITY_RE = re.compile(
    r"(?<![\w])(?:Mme|Madame|Mlle|Mademoiselle|M\.|Mr\.?|Monsieur)\s+(" + NAME + r"(?:\s+" + NAME + r"){0,2})"
)
NAMED_RE = re.compile(
    r"(?<![\w])(?:le nommé|la nommée|identifiée? comme)\s+(" + NAME + r"(?:\s+" + NAME + r"){0,2})"
)
LISTED_RE = re.compile(  # a name listed after another: a first name, then an initial or a surname in capitals
    r"\s*(?:,|/|&|et)\s*(?:(?:Mme|Mlle|M\.|Mr\.?)\s+)?"
    r"([A-ZÉÈÀÂÎÔÇ][a-zéèêëàâîïôöûüç'’-]+(?:-[A-ZÉ][a-zéèêëàâîïôöûüç]+)?\s+(?:[A-ZÉÈ]\.|[A-ZÉÈÀ][A-ZÉÈÀÂÎÔÇ'’-]+(?![\w])))"
)
OFFICER_RE = re.compile(
    r"(?<![\w])(?:l'|le |la )?(?:"
    + "|".join(re.escape(t) for t in lexicon.OFFICER_TITLES)
    + r")\s+("
    + NAME
    + r"(?:\s+"
    + NAME
    + r")?)"
)
CIVILITY = r"(?:m|mme|mlle|mr|monsieur|madame|mademoiselle)\.?"
TITLE_GAP = re.compile(rf"[\s,:]*(?:{CIVILITY}\s*)?")  # between an officer's title and the name
COORDINATED = re.compile(rf"\s*(?:,|/|et|&)\s*(?:{CIVILITY}\s*)?")  # between two persons of one list
# A role label, then the name: "Témoin, M. ", "Victime : la gérante, Mme ", "MEC : " (folded left context).
LABELLED = {
    role: re.compile(
        rf"(?<![\w]){_alternation(words, plural=False)}\s*[:,]\s*(?:(?:le|la|l'|un|une)\s*[\w-]+\s*,\s*)?"
        rf"(?:{CIVILITY}\s*)?$"
    )
    for role, words in lexicon.ROLE_LABELS.items()
}
FIRST_PERSON = re.compile(r"(?<![\w])(?:(?:je|moi|mon|ma|mes|nous|notre|nos)(?![\w])|j['’])")  # j'ai, j’en
BARE_VEHICLES = {"vehicule", "voiture", "automobile", "vl", "velo"}  # too generic alone


def vehicles(text: str) -> Iterator[Found]:
    folded = fold_chars(text)
    for match in VEHICLE_RE.finditer(folded):
        if match.group(0).strip() in BARE_VEHICLES:
            continue
        yield Found(*match.span(), "VEHICLE")


# What completes an object's noun phrase (the gold convention: the noun phrase without determiner or
# quantity): one complement ("sacs de ciment", "fusil de chasse", "bouteille d'essence", "câbles en
# cuivre"), then a colour ("valise noire"), then a brand or model ("ordinateur portable Dell", "drone DJI").
# A complement is a lower-case word after "de" or "d'" that is no determiner, possessive or number, or a
# material after "en" ("à" begins adverbs as often as complements, "à bord", "à pied": the lexicon lists
# its compounds, "sac à dos"). A thing a person is dressed in ("un homme en doudoune rouge") is a
# description, not an object.
_NOT_A_COMPLEMENT = (
    "la", "le", "les", "l", "un", "une", "des", "du", "sa", "son", "ses", "leur", "leurs", "mon", "ma", "mes",
    "ton", "ta", "tes", "notre", "nos", "votre", "vos", "ce", "cet", "cette", "ces", "quoi", "plus", "moins",
    "nuit", "jour", "matin", "soir", "midi", "minuit", "maniere", "facon", "suite", "nouveau", "loin", "pres",
)  # fmt: skip
MATERIALS = (
    "or", "argent", "cuivre", "verre", "plastique", "bois", "metal", "fer", "acier", "cuir", "aluminium",
)  # fmt: skip
OBJECT_COMPLEMENT_RE = re.compile(
    r"(?:\s+de\s+|\s+d')(?!(?:" + "|".join(_NOT_A_COMPLEMENT) + r")(?![\w]))([a-z][a-z'-]{2,})(?![\w])"
    r"|\s+en\s+(?:" + "|".join(MATERIALS) + r")(?![\w])"
)
OBJECT_COLOUR_RE = re.compile(rf"\s+{COLOUR}(?![\w])")
WORN_RE = re.compile(r"(?<![\w])en\s+$")
OBJECT_BRAND_RE = re.compile(r"\s+(?:[A-Z][a-z]+|[A-Z0-9]*[A-Z][A-Z0-9]+)(?![\w.'’-])")  # Dell, DJI, PS5


# Not a brand: a civility or a street begins there ("la vidéo montre Madame X", "téléphone rue de Rome").
NOT_A_BRAND = (
    {fold_chars(w).rstrip(".") for w in lexicon.CIVILITIES}
    | set(ABBREVIATIONS)
    | set(ABBREVIATIONS.values())
    | {"et", "ou"}
)
# Written like a verb, not the thing: "s'est montré virulent" (a participle, where the lexicon's word has
# no final é), "la vidéo montre un homme" (a verb before its object).
VERB_BEFORE_OBJECT_RE = re.compile(
    r"\s+(?:un|une|le|la|les|l'|des|du|que|qu'|a|au|aux|son|sa|ses|leur|deux|trois|plusieurs|bien)(?![\w])"
)
AFTER_CIVILITY_RE = re.compile(r"(?<![\w])(?:M|Mme|Mlle|Mr|Me|Dr|Monsieur|Madame|Mademoiselle)\.?$")
VERB_HOMOGRAPHS = {"montre", "montrent"}
_AS_LISTED = {w.lower() + plural for w in lexicon.OBJECTS for plural in ("", "s", "x")}


def _a_thing(text: str, folded: str, start: int, end: int) -> bool:
    """Whether the object word matched at start:end is the thing, not a name, a participle or a verb."""
    written = text[start:end]
    if written[:1].isupper() and not written.isupper() and " " not in written:
        before = text[max(0, start - 40) : start].rstrip()
        if AFTER_CIVILITY_RE.search(before):  # "M. Pierre DURAND"
            return False
        if before and before[-1] not in '.!?:;\n(«"-–':  # a capital inside a sentence: a name ("Pierre")
            return False
    if written.lower().endswith(("é", "ée", "és", "ées")):
        return written.lower() in _AS_LISTED  # "canapé", "clés" as the lexicon writes them; not "montré"
    return not (folded[start:end] in VERB_HOMOGRAPHS and VERB_BEFORE_OBJECT_RE.match(folded, end))


def objects(text: str) -> Iterator[Found]:
    folded = fold_chars(text)
    for match in OBJECT_RE.finditer(folded):
        if WORN_RE.search(folded, max(0, match.start() - 4), match.start()):
            continue
        if not _a_thing(text, folded, match.start(), match.end()):
            continue
        end = match.end()
        complement = OBJECT_COMPLEMENT_RE.match(folded, end)
        # the complement as written: lower case (a name after "de" is no complement)
        if complement and (complement.group(1) is None or text[complement.start(1)].islower()):
            end = complement.end()
        colour = OBJECT_COLOUR_RE.match(folded, end)
        end = colour.end() if colour else end
        # a brand after an object written in lower case (in a log written in capitals, the next word is one)
        brand = OBJECT_BRAND_RE.match(text, end)
        if (
            brand
            and not text[match.start() : match.end()].isupper()
            and fold_chars(brand.group().strip()) not in NOT_A_BRAND
        ):
            end = brand.end()
        yield Found(match.start(), end, "OBJECT")


def organisations(text: str) -> Iterator[Found]:
    for match in ORG_RE.finditer(text):
        yield Found(*match.span(), "ORG")


NAMED_PLACE_RE = re.compile(
    r"(?<![\w])(?:h[ôo]pital|lyc[ée]e|coll[èe]ge|[ée]cole|parc|jardin|march[ée]|m[ée]tro|station|gare|stade|[ée]glise"
    r"|mairie|piscine|r[ée]sidence|cit[ée]|centre commercial|porte|place|quartier|arr[êe]t|biblioth[èe]que|"
    r"th[ée][âa]tre|mus[ée]e|palais|plage|port)"
    r"(?:\s+(?:de la|de l'|du|des|de|d'))?\s*" + NAME + r"(?:[\s-]+" + NAME + r"){0,3}"
)


def named_places(text: str) -> Iterator[Found]:
    """'lycée Thiers', 'hôpital de la Timone', 'métro Castellane': a named landmark, station or school."""
    for match in NAMED_PLACE_RE.finditer(text):
        yield Found(*match.span(), "PLACE")


def persons(text: str) -> Iterator[Found]:
    """Names after a civility ('Mme Nadia B.' → 'Nadia B.'), 'le nommé …', or an officer's title."""
    for pattern in (CIVILITY_RE, NAMED_RE, OFFICER_RE):
        for match in pattern.finditer(text):
            start, end = match.span(1)
            while end > start and text[end - 1] in ",;:":
                end -= 1
            yield Found(start, end, "PERSON")


def listed_after(text: str, end: int) -> Iterator[Found]:
    """The names listed right after a person's name ending at `end` ('Karim Z. et Élodie F.', 'Paul V.,
    Inès M.'), when they look like a first name and a surname (an initial, or a surname in capitals)."""
    while listed := LISTED_RE.match(text, end):
        start, end = listed.span(1)
        yield Found(start, end, "PERSON")


ABBREVIATED = {
    "m",
    "mme",
    "mlle",
    "mr",
    "dr",
    "me",
    "st",
    "ste",
    "av",
    "bd",
    "r",
    "pl",
    "ch",
    "imp",
    "n",
    "no",
}
SENTENCE_END = re.compile(r"[.!?;]\s+|(?<![,:])\n")  # a line ending in "," or ":" goes on ("Cordialement,")


def _sentence_ends(text: str) -> list[int]:
    """Offsets where a sentence ends ('M. ', 'Nadia B. ' or 'bd. ' do not end one)."""
    ends = []
    for match in SENTENCE_END.finditer(text):
        word = re.search(r"(\w+)$", text[: match.start()])
        if (
            match.group(0).startswith(".")
            and word
            and (len(word.group(1)) == 1 or word.group(1).lower() in ABBREVIATED)
        ):
            continue
        ends.append(match.end())
    return ends


def roles_of(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The role of each person span (in text order): `role_of`, except that a person listed right after
    another ("les médiateurs Karim Z. et Élodie F.", "Médiateurs : Paul V., Inès M.": nothing but a comma,
    "et", a slash or a civility between them) plays the same part as the first."""
    found: list[str] = []
    for k, (start, end) in enumerate(spans):
        listed = k > 0 and COORDINATED.fullmatch(fold_chars(text[spans[k - 1][1] : start]))
        found.append(found[-1] if listed else role_of(text, start, end))
    return found


def role_of(text: str, start: int, end: int) -> str:
    """The role a person plays, from the nearest cue in the same sentence (officer titles just before win)."""
    folded = fold_chars(text)
    ends = _sentence_ends(text)
    left_edge = max([e for e in ends if e <= start] + [start - 120, 0])
    right_end = min([e for e in ends if e > end] + [end + 60])
    left, right = folded[left_edge:start], folded[end:right_end]
    for role, label in LABELLED.items():
        if label.search(left):
            return role
    best: tuple[int, str] | None = None
    for role, cues in lexicon.ROLE_CUES.items():
        for cue in cues:
            if cue not in left and cue not in right:
                continue
            # a short cue is a whole word ("ti", "mec"); a longer one begins a word (matched to its end)
            pattern = r"(?<![\w])" + re.escape(cue) + (r"(?![\w])" if len(cue) <= 3 else r"\w*")
            for m in re.finditer(pattern, left):
                distance = len(left) - m.end()
                if role == "officer" and distance > 3 and not TITLE_GAP.fullmatch(left[m.end() :]):
                    continue  # a title counts right before the name only ("l'opérateur M. X", "Agents : X")
                if best is None or distance < best[0]:
                    best = (distance, role)
            after = re.search(pattern, right)
            if after and (best is None or after.start() + 1 < best[0]):
                best = (after.start() + 1, role)
    if best:
        return best[1]
    # no cue: in a report written in the first person, a named person is most often the one reporting
    return "complainant" if FIRST_PERSON.search(folded) else "other"
