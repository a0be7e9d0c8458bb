"""Finders for persons, vehicles, objects and organisations, and the role of each person from its context."""

from __future__ import annotations

import re
from collections.abc import Iterator

from recoupe.nlp import lexicon
from recoupe.nlp.folding import fold_chars
from recoupe.nlp.geocoder import ABBREVIATIONS
from recoupe.nlp.rules import PLATE_RE, Found

_LINKS = {"de", "d", "du", "des", "a", "au", "aux", "en", "la", "le", "les", "l", "sans"}


def alternation(words: tuple[str, ...], plural: bool = True) -> str:
    """One regex for many folded words; with `plural`, each word of a phrase may take its plural ("cartouches
    de cigarettes", "fonds de caisse", "poids lourds")."""
    ordered = sorted({fold_chars(w) for w in words}, key=len, reverse=True)
    if not plural:
        return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered) + ")"

    def plural_word(word: str) -> str:  # each part of a hyphenated word too ("marteaux-piqueurs")
        return "-".join(
            re.escape(w) + ("" if w.rstrip("'") in _LINKS else "(?:s|x)?") for w in word.split("-")
        )

    return "(?:" + "|".join(r"\s+".join(plural_word(w) for w in phrase.split()) for phrase in ordered) + ")"


KIND = alternation(lexicon.VEHICLE_KINDS)
MAKE = alternation(lexicon.VEHICLE_MAKES, plural=False)
MODEL = alternation(lexicon.VEHICLE_MODELS, plural=False)
COLOUR = alternation(lexicon.COLOURS)
# A vehicle begins with a kind, a make or a model of the lexicon (folded text), then its description goes on.
VEHICLE_START_RE = re.compile(rf"(?<![\w])(?:(?P<kind>{KIND})|(?P<make>{MAKE})|(?P<model>{MODEL}))(?![\w])")
VEHICLE_QUALIFIER_RE = re.compile(
    rf"(?:-[a-z]{{3,}}|\s+{alternation(lexicon.VEHICLE_QUALIFIERS, plural=False)})(?![\w])"
)  # "camion-citerne", "vélo de course", "VTT électrique"
MAKE_AFTER_RE = re.compile(rf"\s+{MAKE}(?![\w])")
MODEL_AFTER_RE = re.compile(rf"\s+{MODEL}(?![\w])")
COLOUR_AFTER_RE = re.compile(rf"\s+{COLOUR}(?![\w])")
# A model the lexicon does not list, as written: a code ("Z900", "7", "PCX", "IV") after a make, or one
# capitalised word right after it ("Kia Picanto", "Peugeot Kisbee"); a brand after a kind ("camionnette
# Iveco").
MODEL_CODE_RE = re.compile(r"\s+(?:[A-Za-z]{0,3}-?\d+[A-Za-z\d]*|[A-Z]{2,5}|[IVX]{1,4})(?![\w.'’-])")
CAPITAL_WORD_RE = re.compile(r"\s+[A-Z][a-z]{2,}(?:-[A-Z]?[a-z]+)?(?![\w'’-])")
# After a bare "de", a transport line or a bicycle is a complement: "arrêt de bus", "carte de bus", "vol de
# vélo"; elsewhere a bicycle alone is a vehicle ("mon vélo", "à vélo", "deux vélos")
TRANSIT = {"bus", "autobus", "tram", "tramway", "velo"}
DETERMINER_BEFORE_RE = re.compile(r"(?<![\w])(?:un|une|sa|son|la|le|du|au|leur|en|d'un|d'une)\s+$")
OBJECT_RE = re.compile(rf"(?<![\w]){alternation(lexicon.OBJECTS)}(?![\w])")
ORG_RE = re.compile(
    r"(?<![\w])(?:"
    + "|".join(re.escape(o) for o in sorted(lexicon.ORGANISATIONS, key=len, reverse=True))
    + r")(?![\w])"
)
NAME = r"(?:[A-ZÉÈÊÀÂÎÔÛÇ][\w'’-]+|[A-ZÉÈ]\.)"
BARE_VEHICLES = {"vehicule", "voiture", "automobile", "vl"}  # too generic alone
IN_CAPITALS_ONLY = {"vu"}  # "un VU Citroën" is a van; "vu par un témoin" is seen, "M. VU Minh" a name


def vehicles(text: str) -> Iterator[Found]:
    """Each vehicle description: a kind, a make or a model, then what describes it (the gold convention:
    "VL Kia Picanto blanc", "camionnette blanche Renault Master", "vélo de course Btwin", "Golf 7 grise")."""
    folded = fold_chars(text)
    done = 0
    for match in VEHICLE_START_RE.finditer(folded):
        if match.start() < done:
            continue
        if match.group().rstrip("sx") in IN_CAPITALS_ONLY and not (
            text[match.start() : match.end()].isupper()
            and DETERMINER_BEFORE_RE.search(folded[max(0, match.start() - 8) : match.start()])
        ):
            continue
        end = _described(text, folded, match)
        if end == match.end() and not _alone_a_vehicle(text, folded, match):
            continue
        done = end
        yield Found(match.start(), end, "VEHICLE")


def _described(text: str, folded: str, match: re.Match[str]) -> int:
    """Where the description begun at match ends: qualifiers after a kind, a make, up to two model words, a
    colour, and a make and model after the colour when none came before it."""
    end = match.end()
    made, models = match.lastgroup != "kind", int(match.lastgroup == "model")
    if match.lastgroup == "model" and text[match.start()].islower():  # "trafic M2 interrompu": a common word
        made = False
    if not made:
        for _ in range(2):
            qualifier = VEHICLE_QUALIFIER_RE.match(folded, end)
            end = qualifier.end() if qualifier else end
    for _ in range(2):  # before the colour, then after it
        if not made and not MODEL_AFTER_RE.match(folded, end):
            make = MAKE_AFTER_RE.match(folded, end) or _brand(text, end)
            end, made = (make.end(), True) if make else (end, False)
        # a plate is no model
        while models < 2 and not PLATE_RE.match(text, len(text) - len(text[end:].lstrip())):
            code = MODEL_CODE_RE.match(text, end)
            model = MODEL_AFTER_RE.match(folded, end) or (
                made and (code or (models == 0 and _brand(text, end)))
            )  # a code after a kind alone when a colour follows it: "scooter MP3 gris", "VL i20 jaune"
            model = model or (code if code and COLOUR_AFTER_RE.match(folded, code.end()) else None)
            if not model:
                break
            end, models = model.end(), models + 1
        if models and (qualifier := VEHICLE_QUALIFIER_RE.match(folded, end)):  # "Toyota Yaris hybride"
            end = qualifier.end()
        colour = COLOUR_AFTER_RE.match(folded, end)
        if not colour:
            break
        end = colour.end()
    return end


def _brand(text: str, at: int) -> re.Match[str] | None:
    """A capitalised word at `at` that can be a make or a model: not a civility, a street or a conjunction."""
    word = CAPITAL_WORD_RE.match(text, at)
    return word if word and fold_chars(word.group().strip()) not in NOT_A_BRAND else None


def _alone_a_vehicle(text: str, folded: str, match: re.Match[str]) -> bool:
    """Whether a kind, make or model with nothing describing it is a vehicle: a kind that says more than
    "véhicule" or "voiture", not a transport line ("arrêt de bus"); a make or a model as a name after a
    determiner ("une Yamaha"; not "trafic interrompu", "500 euros")."""
    word = match.group().strip()
    if match.lastgroup == "kind":
        if word in BARE_VEHICLES or word.rstrip("sx") in BARE_VEHICLES:
            return False
        transit = word in TRANSIT or word[:-1] in TRANSIT
        return not (transit and folded[: match.start()].endswith(("de ", "d'")))
    before = folded[max(0, match.start() - 8) : match.start()]
    return text[match.start()].isupper() and bool(DETERMINER_BEFORE_RE.search(before))


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
# a material written without "en" ("câbles cuivre"); not "or" nor "argent", a word and a colour alone
OBJECT_MATERIAL_RE = re.compile(
    r"\s+(?:" + "|".join(m for m in MATERIALS if m not in ("or", "argent")) + r")(?![\w])"
)
WORN_RE = re.compile(r"(?<![\w])en\s+$")  # "un homme en blouson noir"; but "420 € en espèces" is money
# Clothes are an object when a determiner makes them a thing ("un casque abandonné", "d'une veste en cuir",
# "vol de mon blouson"), a description of someone when they come bare ("homme ~40 ans, veste kaki",
# "Individu 1 : blouson noir", "(doudoune bleue)", "sans casque") or are worn ("portait un casque rose",
# "sous sa veste"): gold_dev and the read sets mark 3 of 16 clothes, each after a determiner.
CLOTHES = {"blouson", "veste", "doudoune", "casque"}
DETERMINED_RE = re.compile(
    r"(?<![\w])(?:un|une|des|du|de|d'|le|la|les|l'|son|sa|ses|mon|ma|mes|leur|leurs|notre|votre|nos|vos|ce|cet"
    r"|cette|ces|\d+|deux|trois|quatre|cinq|plusieurs)\s*$"
)
WORN_WITH_DETERMINER_RE = re.compile(r"(?<![\w])(?:port\w*|vetue?s?|habille\w*|sous)\s+\S+\s*$")
PAID_IN = {"especes", "liquide", "numeraire", "billets"}
OBJECT_BRAND_RE = re.compile(  # Dell, DJI, PS5, Ray-Ban, AirPods; a sentence may end after it ("Lenovo.")
    r"\s+(?:[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?|[A-Z0-9]*[A-Z][A-Z0-9]+)(?![\w'’-]|\.\S)"
)
# A model's number after a thing named by its maker ("iPhone 14", "Galaxy S23"), not a house number.
MODEL_NUMBER_RE = re.compile(
    r"\s+[A-Z]?\d{1,2}(?:\s+(?:Pro|Max|Plus|Mini|Ultra))*(?![\w/:]|[,.]\d|\s+(?:bis|ter|rue|r\.|bd|av))"
)
BY_ITS_MAKER = {"iphone", "ipad", "galaxy", "macbook", "playstation", "xbox", "pixel"}


# Not a brand: a civility or a street begins there ("la vidéo montre Madame X", "téléphone rue de Rome").
NOT_A_BRAND = (
    {fold_chars(w).rstrip(".") for w in lexicon.CIVILITIES}
    | set(ABBREVIATIONS)
    | set(ABBREVIATIONS.values())
    | {"et", "ou"}
)
# after an object, an article is no brand either ("carte bancaire La Banque Postale"); a business keeps it
NOT_AN_OBJECTS_BRAND = NOT_A_BRAND | {"la", "le", "les", "un", "une", "des", "du", "au", "aux"}
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
    # a capital inside a word is a brand's ("AirPods"), not a name's
    if written[:1].isupper() and not written.isupper() and " " not in written and written[1:].islower():
        before = text[max(0, start - 40) : start].rstrip()
        if AFTER_CIVILITY_RE.search(before):  # "M. Pierre DURAND"
            return False
        if before and before[-1] not in '.!?:;\n(«"-–':  # a capital inside a sentence: a name ("Pierre")
            return False
    if written[:1].isupper() and (text[start - 1 : start] == "-" or text[end : end + 1] == "-"):
        return False  # "Jean-Pierre", "Pierre-Olivier"
    if WHERE_IT_WAS_BEFORE.search(folded, max(0, start - 24), start):  # "dans la poche de ma veste"
        return False
    if NOT_A_THING_AROUND.search(folded, max(0, start - 4), end + 12):  # "joint par téléphone"
        return False
    if written.lower().endswith(("é", "ée", "és", "ées")):
        return written.lower() in _AS_LISTED  # "canapé", "clés" as the lexicon writes them; not "montré"
    return not (
        folded[start:end] in VERB_HOMOGRAPHS
        and (VERB_BEFORE_OBJECT_RE.match(folded, end) or folded[max(0, start - 3) : start] in ("se ", "s'"))
    )  # "se montre insultant"


# A means of contact, not a thing handed over: "joint par téléphone", "au téléphone"; "joint par" is a verb;
# paving stones come loose are the street's state ("pavés descellés").
NOT_A_THING_AROUND = re.compile(
    r"(?<![\w])(?:(?:par|au) telephone|joint (?=par|au |a |:)|paves? (?=descell|disjoint|souleve)"
    r"|(?<=mur d')enceinte|(?<=cloture d')enceinte|(?<=grillage d')enceinte)"
)
OBJECT_ADJECTIVE_RE = re.compile(
    r"\s+(?:usage(?:e|s|es)?|sans fil|brise-vitres?|jetables?|telescopiques?|coupantes?"
    r"|(?:semi-)?automatiques?|rigides?|electroniques?|tempete|banane|bluetooth|alu)(?![\w])"
)
# Where a thing was, not the thing: "la poche de ma veste", "au pied de ma chaise" (folded text before).
WHERE_IT_WAS_BEFORE = re.compile(
    r"(?<![\w])(?:(?:poche|pied|dessus|dessous) (?:de|du|d')\s*(?:ma |sa |mon |son |la |le |l')?"
    r"|dans (?:mon|ma|son|sa|leur|notre|votre) )$"
)


def objects(text: str) -> Iterator[Found]:
    folded = fold_chars(text)
    for match in OBJECT_RE.finditer(folded):
        if WORN_RE.search(folded, max(0, match.start() - 4), match.start()) and match.group() not in PAID_IN:
            continue
        if not _a_thing(text, folded, match.start(), match.end()):
            continue
        if match.group().rstrip("sx") in CLOTHES and (
            not DETERMINED_RE.search(folded, max(0, match.start() - 12), match.start())
            or WORN_WITH_DETERMINER_RE.search(folded, max(0, match.start() - 24), match.start())
        ):
            continue
        end = match.end()
        complement = OBJECT_COMPLEMENT_RE.match(folded, end)
        # the complement as written: lower case (a name after "de" is no complement); one only ("arme de
        # poing de céder": the second is a verb's)
        has_one = re.search(r"\s(?:de|d'|a|en)\s*\w", match.group())
        if (
            complement
            and not has_one
            and (complement.group(1) is None or text[complement.start(1)].islower())
        ):
            end = complement.end()
        number = MODEL_NUMBER_RE.match(text, end) if folded[match.start() : end] in BY_ITS_MAKER else None
        end = number.end() if number else end
        adjective = OBJECT_ADJECTIVE_RE.match(folded, end) or OBJECT_MATERIAL_RE.match(folded, end)
        end = adjective.end() if adjective else end
        colour = OBJECT_COLOUR_RE.match(folded, end)
        end = colour.end() if colour else end
        # a brand after an object written in lower case (in a log written in capitals, the next word is one;
        # an object in capitals is an abbreviation when its brand is not: "GPS Garmin"); then the colour
        # after the brand ("sac à dos Eastpak bleu")
        brand = OBJECT_BRAND_RE.match(text, end)
        if (
            brand
            and not (text[match.start() : match.end()].isupper() and brand.group().strip().isupper())
            and fold_chars(brand.group().strip()) not in NOT_AN_OBJECTS_BRAND
        ):
            end = brand.end()
            if not colour and (after_brand := OBJECT_COLOUR_RE.match(folded, end)):
                end = after_brand.end()
        yield Found(match.start(), end, "OBJECT")


# A business named after the kind of shop it is: the name after the kind written in lower case ("bar Le
# Mistral", "bailleur 13 Habitat", "garage Auto Pneus 15"), the whole name when the kind is capitalised and
# part of it ("Pharmacie du Canet", "Café des Arts", "Tabac de la Bourse").
BUSINESS_KIND_RE = re.compile(  # folded text
    r"(?<![\w])(?:bar|restaurant|cafe|boulangerie|discotheque|boite|agence|bailleur|societe|entreprise|garage"
    r"|pharmacie|tabac-presse|tabac|snack|hotel|magasin|commerce|superette|epicerie|enseigne|brasserie|pizzeria|boutique"
    r"|bijouterie|laverie|concession|salon|kebab|supermarche|hypermarche|etablissement)(?![\w])"
)
_NAME_WORD = r"(?:[A-ZÉÈÀÂÎÔÇ][\w'’&-]*|\d{1,3}(?![\w/:h]))"
_BUSINESS_NAME = _NAME_WORD + r"(?:\s+(?:(?:de la|de l'|du|des|de|d'|&)\s*)?" + _NAME_WORD + r"){0,3}"
# "bar Le Mistral", "bar « Le Zinc »"
NAME_AFTER_KIND_RE = re.compile(r"[ \t]+(?:[«\"“]\s*)?(" + _BUSINESS_NAME + r")")  # on the kind's line
NAME_JOINED_RE = re.compile(r"\s+(?:de la|de l'|du|des|d')\s*" + _BUSINESS_NAME)  # "Pharmacie du Canet"
NOT_A_BUSINESS_NAME = {"ville", "police", "justice", "region", "departement"}  # "Hôtel de Ville", "de police"


# A city's or a company's department named with capitals ("Direction de la Voirie", "Direction des Parcs et
# Jardins"); in lower case it is a service, no name ("Service propreté avisé", "le service du stationnement").
DEPARTMENT_RE = re.compile(
    r"(?<![\w])(?:Direction|Service|Pôle|Département)\s+(?:(?:de la|des|du|de)\s+|de l'|d')"
    r"[A-ZÉÈÀÂÎÔÇ][\w'’-]+(?:\s+(?:et\s+)?[A-ZÉÈÀÂÎÔÇ][\w'’-]+){0,3}"
)


def organisations(text: str) -> Iterator[Found]:
    for match in ORG_RE.finditer(text):
        yield Found(*match.span(), "ORG")
    for match in DEPARTMENT_RE.finditer(text):
        yield Found(*match.span(), "ORG")
    for kind in BUSINESS_KIND_RE.finditer(fold_chars(text)):
        written = text[kind.start() : kind.end()]
        if written.isupper():  # a log in capitals: no telling a name from the words after
            continue
        before = text[: kind.start()].rstrip()
        # a capitalised kind inside a sentence is part of the name ("à la Pharmacie Lafayette")
        part = written[0].isupper() and bool(before) and before[-1] not in ".!?:;\n"
        if written[0].isupper() and (joined := NAME_JOINED_RE.match(text, kind.end())):
            if fold_chars(joined.group().split()[-1]) not in NOT_A_BUSINESS_NAME:
                yield Found(kind.start(), joined.end(), "ORG")
        elif named := NAME_AFTER_KIND_RE.match(text, kind.end()):
            name = named.group(1)
            if fold_chars(name.split()[0]).rstrip(".") not in NOT_A_BRAND and not name.isdigit():
                yield Found(kind.start() if part else named.start(1), named.end(1), "ORG")


NAMED_PLACE_RE = re.compile(  # the kind in lower case, or capitalised where a line or a sentence opens
    r"(?:(?<![\w])(?:h[ôo]pital|lyc[ée]e|coll[èe]ge|[ée]cole|parc|jardin|march[ée]|m[ée]tro|station|gare|stade"
    r"|[ée]glise|fac|facult[ée]|universit[ée]"
    r"|mairie|piscine|r[ée]sidence|r[ée]s\.|cit[ée]|centre commercial|centre|campus|p[ôo]le d'[ée]changes"
    r"|porte|place|quartier|arr[êe]t|biblioth[èe]que|th[ée][âa]tre|mus[ée]e|palais|plage|port)"
    # capitalised where a line or a sentence opens, or after an article ("à l'Hôpital Européen")
    r"|(?:^|(?<=\n)|(?<=[.!?—–-]\s)|(?<=\bl')|(?<=\bl’)|(?<=\bla )|(?<=\ble )|(?<=\bau ))"
    r"(?:H[ôo]pital|Lyc[ée]e|Coll[èe]ge|[ÉE]cole|Parc|Jardin|Stade"
    r"|Centre|R[ée]sidence|Piscine|Mairie|Biblioth[èe]que|Th[ée][âa]tre|Mus[ée]e))"
    r"(?:\s+(?:maternelle|élémentaire|primaire|privée|municipale?))?"
    r"(?:\s+(?:de la|de l'|du|des|de|d'))?\s*" + NAME + r"(?:[\s-]+" + NAME + r"){0,3}"
)


def named_places(text: str) -> Iterator[Found]:
    """'lycée Thiers', 'hôpital de la Timone', 'métro Castellane': a named landmark, station or school."""
    for match in NAMED_PLACE_RE.finditer(text):
        yield Found(*match.span(), "PLACE")
