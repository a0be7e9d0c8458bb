"""Persons' names in a log: after a civility, a title, "le nommé", who they are to someone ("mon fils
Enzo"), how they are called ("qui s'appelle Ousmane"), a message's signature; listed after another name, and
again each time a first name comes back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from recoupe.nlp import lexicon
from recoupe.nlp.entities import NAME
from recoupe.nlp.folding import fold_chars
from recoupe.nlp.rules import Found

# a civility before a name, as written (extract.py strips it from the model's spans too)
CIVILITY = (
    r"(?:Mme|Madame|Mlle|Mademoiselle|M\.|MM\.|Mr\.?|Monsieur|Me|Maître|Dr\.?|Docteur|Pr\.?|Professeur)"
)
CIVILITY_RE = re.compile(
    r"(?<![\w])" + CIVILITY + r"\s+"
    r"(" + NAME + r"(?:\s+" + NAME + r"){0,2})"
)
NAMED_RE = re.compile(
    r"(?<![\w])(?:le nommé|la nommée|identifiée? comme|(?:sur|pré)?nommée?|un certain|une certaine)"
    r"\s+(" + NAME + r"(?:\s+" + NAME + r"){0,2})"
)
# A person named by who they are to someone: "mon fils Enzo", "ma collègue Léa", "un maître-nageur, Romain,"
# (a first name, and an initial or a surname when there is one).
RELATED_RE = re.compile(
    r"(?<![\w])(?i:mon|ma|son|sa|notre|votre|leur|un|une|le|la)\s+(?:fils|fille|mari|femme|épouse|époux|frère"
    r"|s(?:œ|oe)ur|collègue|voisin|voisine|ami|amie|copain|copine|père|mère|enfant|neveu|nièce|cousin|cousine"
    r"|compagnon|compagne|petit-fils|petite-fille|vendeuse|vendeur|employée?|gérante?|maître-nageur"
    r"|surveillante?|serveur|serveuse|vigile|gardien|gardienne|concierge|apprentie?|stagiaire|livreur|livreuse"
    r"|chauffeur|responsable|patron|patronne|camarade|beau-frère|belle-s(?:œ|oe)ur|beau-père|belle-mère"
    r"|jeune)\s*,?\s+(?!(?:Mme|Mlle|Madame|Monsieur|Mademoiselle|Mr|Me|Dr)(?![\w]))"
    r"([A-ZÉÈÀÂÎÔÇ][a-zéèêëàâîïôöûüç'’-]+(?:\s+(?:[A-ZÉÈ]\.|[A-ZÉÈÀ][\w'’-]+))?)"
)
# Police-log abbreviations: a unit between a title and the name ("Opérateur CSU : Mme X", "Agent ASVP
# LOPEZ"), never the name itself ("Opérateur PC : RAS").
ABBREVIATION = (
    r"(?:"
    + "|".join(re.escape(a) for a in sorted(lexicon.NOT_ORGANISATIONS, key=len, reverse=True))
    + r")(?![\w])"
)
RANKS = "|".join(sorted(lexicon.OFFICER_ABBREVIATIONS, key=len, reverse=True))  # "GPX", "SCH": as written
TITLES = "|".join(  # capitalised or not: "Brigadier", "opérateur"
    f"[{t[0].upper()}{t[0]}]{re.escape(t[1:])}" for t in sorted(lexicon.OFFICER_TITLES, key=len, reverse=True)
)
PARTICLE = r"(?:(?:LE|LA|DE|DU|DI|DA|DEL|VAN|VON|EL|BEN)\s+(?=[A-ZÉÈÀÂÎÔÇ]{2}))?"  # "LE GOFF Élodie"

# A name listed after another, maybe after a civility, a rank or a title: a first name and an initial or a
# surname in capitals, or the surname first ("BRUNO Marc, PAOLI Anne", ", GPX LE GOFF Élodie").
LISTED_RE = re.compile(
    r"\s*(?:,|/|&|et)\s*(?:(?:Mme|Mlle|M\.|Mr\.?|" + RANKS + "|" + TITLES + r")\s+)?"
    r"([A-ZÉÈÀÂÎÔÇ][a-zéèêëàâîïôöûüç'’-]+(?:-[A-ZÉ][a-zéèêëàâîïôöûüç]+)?\s+(?:[A-ZÉÈ]\.|[A-ZÉÈÀ][A-ZÉÈÀÂÎÔÇ'’-]+(?![\w]))"
    r"|" + PARTICLE + r"[A-ZÉÈÀ][A-ZÉÈÀÂÎÔÇ'’-]+\s+[A-ZÉÈÀÂÎÔÇ][a-zéèêëàâîïôöûüç'’-]+(?![\w'’-]))"
)
OFFICER_RE = re.compile(
    r"(?<![\w])(?:l'|le |la )?(?:"  # the title capitalised or not ("Opérateur : X"); shouted, the model's
    + TITLES
    + "|"
    + RANKS
    + r")s?(?:\s+"
    + ABBREVIATION
    + r")?(\s*:)?\s+(?:(?:"  # a rank or a title after the colon: "Chef d'agrès : SCH VIDAL Mathieu",
    + RANKS  # "Agents : Brigadier PONS Julien"
    + "|"
    + TITLES
    + r")\s+)?(?!"
    + ABBREVIATION
    + r")(?P<name>"
    + PARTICLE
    + NAME
    + r"(?:\s+"
    + NAME
    + r")?)"
)


# A name by how someone is called, or calls themself ("qui s'appelle Ousmane", "qu'on appelait Sofiane",
# "Je suis Julie", "slt c Karima", "se dit son neveu, « Fabien »"): kept only where no word is a common one.
CALLED_RE = re.compile(
    r"(?<![\w'’])(?:[sm]['’]appelle|(?i:je me nomme|je suis|moi c'est|c'est)|c"
    r"|(?:on|ils|autres|qu'on|l'on)\s+l['’]appel(?:ait|aient|le|lent)|appel(?:ait|aient)"
    r"|se (?:fait|faisait|faisant) appeler|prénom\s*[,:]|(?i:nom(?:\s*(?:et|/|,)\s*prénom)?|identité)\s*:"
    r"|se (?:dit|disant|présent(?:e|ant) comme)(?:\s+(?:son|sa|le|la)\s+[\w-]+)?\s*,?)"
    r"\s+[«\"“]?\s*(" + NAME + r"(?:[ \t]+" + NAME + r"){0,2})"  # on one line: "Nom : X Y⏎Type : vol"
)
# A message's signature: its last line or sentence, one to four words of a name, maybe two persons ("Stéphane
# et Laura RICCI"), then at most a short apposition (", gérante", " (cordonnerie)", ", 2e étage").
_SIGNED_WORD = r"[A-ZÉÈÀÂÎÔÇ][\w'’-]*\.?"
SIGNED_RE = re.compile(
    rf"(?:^|[.!?:\n])[ \t]*({_SIGNED_WORD}(?:[ \t]+(?:et[ \t]+)?{_SIGNED_WORD}){{0,3}})"
    r"(?:\s*,\s*[^,.\n]{1,60}|\s*\([^)\n]{1,40}\))?\s*[.!]?\s*$"
)


def called(text: str) -> Iterator[Found]:
    """Names given as someone is called (CALLED_RE); the caller checks the words are no common ones."""
    for match in CALLED_RE.finditer(text):
        yield Found(*match.span(1), "PERSON")


def signed(text: str) -> Iterator[Found]:
    """The names signing a text (SIGNED_RE), each person apart ("Stéphane", "Laura RICCI"); the caller
    checks the text is a message and the words no common ones."""
    if match := SIGNED_RE.search(text):
        start = match.start(1)
        for part in re.split(r"[ \t]+et[ \t]+", match.group(1)):
            at = text.index(part, start)
            start = at + len(part)
            yield Found(at, start, "PERSON")


LAST_WORD_RE = re.compile(r"\s+(\S+)$")
# a word in capitals right after a name that is no part of it: a function word, or what a radio log says
# of an officer ("avisé", "informé", "prévenu")
NOT_IN_A_NAME = frozenset(
    {"pour", "par", "dans", "sur", "avec", "sans", "qui", "que", "car", "mais", "ou", "donc", "est", "et",
     "au", "aux", "du", "des", "les", "en", "vers", "chez", "apres", "avant", "devant", "avise", "avisee",
     "avises", "informe", "informee", "prevenu", "prevenue", "contacte", "contactee", "requis", "requise"}
)  # fmt: skip


def persons(text: str, unsure: bool = False) -> Iterator[Found]:
    """Names after a civility ('Mme Nadia B.' → 'Nadia B.'), 'le nommé …', an officer's title, or who they are
    to someone; with `unsure`, only those after a title followed by a colon, where a sentence may open instead
    ("Médiateurs : Occupation du hall"): the caller leaves out their common words."""
    for pattern in (OFFICER_RE,) if unsure else (CIVILITY_RE, NAMED_RE, OFFICER_RE, RELATED_RE):
        for match in pattern.finditer(text):
            if pattern is OFFICER_RE and bool(match.group(1)) != unsure:
                continue
            start, end = match.span("name") if pattern is OFFICER_RE else match.span(1)
            while end > start and text[end - 1] in ",;:":
                end -= 1
            while (
                (last := LAST_WORD_RE.search(text, start, end))
                and last.start() > start
                and (fold_chars(last.group(1)) in NOT_IN_A_NAME)
            ):  # a log in capitals goes on after the name: "M. ESPOSITO Marc POUR", "OPJ CNE ROMANO AVISE"
                end = last.start()
            yield Found(start, end, "PERSON")


SURNAME_AFTER_RE = re.compile(r" ([A-ZÉÈÀÂÎÔÇ][A-ZÉÈÀÂÎÔÇ'’-]+)(?![\w])")  # "Cédric" → "Cédric BARON"
INITIAL_RE = re.compile(r"(?<![\w])[A-ZÉÈ]$")


def name_end(text: str, start: int, end: int) -> int:
    """Where a name the model found ends: with its initial's full stop ("Sylvie M." before "."), and the
    surname in capitals after a first name ("Cédric BARON"), not a police abbreviation ("Karim BAC")."""
    if INITIAL_RE.search(text, start, end) and text[end : end + 1] == ".":
        return end + 1
    surname = SURNAME_AFTER_RE.match(text, end)
    if surname and " " not in text[start:end] and surname.group(1) not in lexicon.NOT_ORGANISATIONS:
        return surname.end()
    return end


# The surname first, in capitals, then the first name, as police forms write a person ("MEC : BOUZID Ryan",
# "Conducteur du fourgon HADDAD Karim", "au nom de ABDELLI Yacine"), wherever it stands; on one line, and not
# a rank's or a unit's first name before a surname ("GPX Kévin TORRES", "BAC Nord")
_UPPER = "A-ZÉÈÀÂÎÔÇ"
SURNAME_FIRST_RE = re.compile(
    r"(?<![\w'’-])((?:(?:LE|LA|DE|DU|DI|DA|DEL|DER|EL|BEN|VAN)[ \t]+)?"
    rf"[{_UPPER}]{{2,}}(?:[-'’][{_UPPER}]{{2,}})?)"
    rf"[ \t]+([{_UPPER}][a-zéèêëàâîïôöûüç]+(?:-[{_UPPER}][a-zéèêëàâîïôöûüç]+)?)(?![\w'’-])"
    rf"(?![ \t]+[{_UPPER}]{{2,}}(?![\w]))"
)
# words in capitals that are no surname: the police's and the objects' abbreviations, organisations, vehicles
NOT_SURNAMES = frozenset(
    fold_chars(word)
    for entry in (
        *lexicon.NOT_ORGANISATIONS,
        *lexicon.OFFICER_ABBREVIATIONS,
        *lexicon.ORGANISATIONS,
        *lexicon.VEHICLE_MAKES,
        *lexicon.VEHICLE_MODELS,
        *lexicon.VEHICLE_KINDS,
        *lexicon.OBJECTS,
        "BTP",
    )
    for word in entry.split()
)


# A surname alone after another surname alone: "agents PONS et ZITOUNI", "(RIBEIRO / SAUVAGE)"
SURNAME_ALONE_RE = re.compile(rf".*(?<![\w'’-])[{_UPPER}]{{2}}[{_UPPER}'’-]+")
SURNAME_LISTED_RE = re.compile(rf"\s*(?:/|&|et)\s*([{_UPPER}]{{2}}[{_UPPER}'’-]+)(?![\w'’-])")


def surname_first(text: str, common: CommonWords | None) -> Iterator[Found]:
    """Names written surname first (SURNAME_FIRST_RE), when the first name is no common word and the surname
    no abbreviation ("BTP Provence", "GPS Garmin", "VL Dacia")."""
    for match in SURNAME_FIRST_RE.finditer(text):
        surname, first = match.groups()
        if (
            len(surname.split()[-1]) >= 3
            and not any(fold_chars(w) in NOT_SURNAMES for w in (*surname.split(), first))
            and (common is None or not common.common(first))
        ):
            yield Found(match.start(1), match.end(2), "PERSON")


def named_again(text: str, found: list[Found]) -> Iterator[Found]:
    """Every other place a first name found alone appears ("son fils Enzo … Enzo s'est fait arracher")."""
    for name in {text[f.start : f.end] for f in found if f.label == "PERSON"}:
        if " " in name or name.isupper() or len(name) < 3:
            continue
        for again in re.finditer(r"(?<![\w'’-])" + re.escape(name) + r"(?![\w'’-])", text):
            yield Found(*again.span(), "PERSON")


def listed_after(text: str, end: int) -> Iterator[Found]:
    """The names listed right after a person's name ending at `end` ('Karim Z. et Élodie F.', 'Paul V.,
    Inès M.'), when they look like a first name and a surname (an initial, or a surname in capitals)."""
    alone = bool(SURNAME_ALONE_RE.fullmatch(text, max(0, end - 40), end))  # "agents PONS et ZITOUNI"
    while (listed := LISTED_RE.match(text, end)) or (
        alone and (listed := SURNAME_LISTED_RE.match(text, end))
    ):
        if any(w.isupper() and fold_chars(w) in NOT_SURNAMES for w in listed.group(1).split()):
            return  # "agents PONS et BAC Nord": a unit
        start, end = listed.span(1)
        yield Found(start, end, "PERSON")


class CommonWords:
    """The model's own dictionary (its lemmatizer's tables: the lemmas of French nouns, verbs, adjectives and
    adverbs, and the inflected forms of each): one of these words alone is not a name."""

    FUNCTION_WORDS = frozenset(
        {"le", "la", "les", "l", "de", "du", "des", "d", "et", "a", "au", "aux", "en",
         "je", "tu", "il", "elle", "nous", "vous", "ils", "elles", "on"}
    )  # fmt: skip

    def __init__(self, lemmas: frozenset[str], forms: Any) -> None:
        self.lemmas, self.forms = lemmas, forms  # folded lemmas; a lookup table: form → its lemmas

    @staticmethod
    def of(nlp: Any) -> CommonWords | None:
        """From the model's files; None when the model has no such tables (then nothing is filtered)."""
        from spacy.lookups import Lookups

        path = Path(str(nlp.path)) / "lemmatizer" / "lookups" if nlp.path else None
        if path is None or not (path / "lookups.bin").exists():
            return None
        tables = Lookups().from_disk(path)
        if not tables.has_table("lemma_index") or not tables.has_table("lemma_lookup"):
            return None
        index = tables.get_table("lemma_index")
        lemmas = frozenset(fold_chars(w) for key in index for w in index[key])
        return CommonWords(lemmas, tables.get_table("lemma_lookup"))

    def common(self, word: str) -> bool:
        lower = word.lower()
        folded = fold_chars(lower)
        if folded in self.FUNCTION_WORDS or folded in self.lemmas:
            return True
        return any(fold_chars(lemma) in self.lemmas for lemma in self.forms.get(lower, ()))

    def one_common_word(self, written: str) -> bool:
        """A single common word, with at most function words around it ("Procédure", "ATTROUPEMENT", "la
        Patrouille"); names of several common words stay names ("Crédit Mutuel", "Banque Postale")."""
        words = [
            w for w in re.findall(r"[^\W\d_]+", written) if fold_chars(w.lower()) not in self.FUNCTION_WORDS
        ]
        if not words:  # function words only ("Vous", "La")
            return bool(re.search(r"[^\W\d_]", written))
        return len(words) == 1 and self.common(words[0])
