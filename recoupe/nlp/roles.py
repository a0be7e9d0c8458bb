"""The role each person plays in a log, from the words around the name: a role written as a label, an
officer's title, the writer's signature or self-introduction, the nearest cue in the sentence."""

from __future__ import annotations

import re

from recoupe.nlp import lexicon
from recoupe.nlp.entities import AFTER_CIVILITY_RE, alternation
from recoupe.nlp.folding import fold_chars

CIVILITY = r"(?:m|mm|mme|mlle|mr|monsieur|madame|mademoiselle|messieurs|me|dr|pr|professeur)\.?"
UNITS = "|".join(re.escape(a.lower()) for a in lexicon.NOT_ORGANISATIONS)
# between an officer's title and the name: a qualifier, a unit, a colon, a civility ("opérateur CSU : Mme ",
# "opérateur vidéo : ", "agent de fermeture, ", "agent portuaire ")
TITLE_GAP = re.compile(rf"s?(?:\s+(?:de\s+|d')?[a-z]+)?(?:\s+(?:{UNITS})(?![\w]))?[\s,:]*(?:{CIVILITY}\s*)?")
_RANKS = alternation(
    (*lexicon.OFFICER_TITLES, *(a.lower() for a in lexicon.OFFICER_ABBREVIATIONS), "gardien")
)
# between two persons of one list, maybe with a civility or a rank ("Brigadier PONS Julien, Gardien FERHAT
# Nadia"); or the next item of a list, one per line ("Interpellés :⏎ - SAIDI Bilal, 21 ans⏎ - TRAORE Issa")
COORDINATED = re.compile(rf"\s*(?:,|/|et|&)\s*(?:{CIVILITY}\s*)?(?:{_RANKS}\s+)?")
NEXT_ITEM = re.compile(rf"[^\n]*\n[ \t]*(?:[-–•*]|\d{{1,2}}[).])[ \t]*(?:{CIVILITY}\s*)?(?:{_RANKS}\s+)?")
# A role label, then the name: "Témoin, M. ", "Victime : la gérante, Mme ", "MEC : ", "la victime Mme "
# (folded left context); or in brackets right after it: "H. DUBOIS (plaignante)", "I. CHEVALIER (présumé)".
LABELLED = {
    role: re.compile(
        rf"(?<![\w]){alternation(words, plural=False)}"
        rf"(?:\s*[:,]\s*(?:(?:[-–•*]|\d{{1,2}}[).])\s*)?(?:(?:le|la|l'|un|une)\s*[\w-]+\s*,\s*)?|\s+)"
        rf"(?:{CIVILITY}\s*)?$"
    )
    for role, words in lexicon.ROLE_LABELS.items()
}
LABELLED_AFTER = {
    role: re.compile(rf"\s*\((?:l'|le |la )?{alternation(words, plural=False)}\)")
    for role, words in lexicon.ROLE_LABELS.items()
}
# The writer names themself: "Je soussigné X", "je m'appelle X", "moi, X" (folded text before the name).
SELF_INTRODUCED = re.compile(
    rf"(?:(?<![\w])(?:je soussignee?|je m'appelle|je me nomme|je suis|moi,|moi c'est)"
    rf"|(?:^|[.!?\n]|slt|salut|bonjour|bonsoir)\s*,?\s*c(?:'est)?)\s*(?:{CIVILITY}\s*)?$"
)
# A name given as others call someone: "un certain Julien", "surnommé Kader", "que les autres appelaient
# Steph", "qui s'est présenté comme « M. Girard »" (folded text before the name): the one talked about is
# the suspect, not the writer ("je m'appelle", "qui s'appelle": a name of one's own) nor one called ("j'ai
# appelé M. X").
ALIAS = re.compile(
    r"(?<![\w])(?:une? certaine?|(?:sur)?nommee?s?|(?<!\bai )(?<!\ba )(?<!\bont )(?<![sm]')appelee?s?"
    r"|appelai(?:en)?t|se (?:dit|disait|disant|fait appeler)|s'est presentee? comme|se presentant comme)"
    rf"\s*[«\"“]?\s*(?:{CIVILITY}\s*)?$"
)
# Who the police checked, named right after the check: "Contrôlé : M. X", "Contrôlé à 16h50 : M. X",
# "Contrôle de X", "contrôle des occupants : X" (folded text before the name; not "l'agent de contrôle, M.").
CHECKED = re.compile(
    r"(?<![\w])(?:controlee?s?(?:\s+(?:a|vers)\s+\d{1,2}h\d{0,2})?\s*:"
    rf"|controle\s+(?:de|d'|des occupants\s*:))\s*(?:{CIVILITY}\s*)?$"
)
# Who did what to whom: a name right before an act against someone is its author ("Steph a frappé un jeune",
# "M. Fabre m'insulte", "Dylan B., le fils des voisins, a poussé"), one right after it is who suffered it ("a
# menacé mon fils Hugo", "a poussé son mari, M. Benali", "a menacé le gérant, M. X") (folded text after, then
# before the name).
HARMED = (
    r"(?:frapp|menac|pouss|gifl|insult|agress|bouscul|tabass|racket|crach|mordu|bless|poignard|harcel|vol[ae]"
    r"|arrach|cogn)"
)
HARMS = re.compile(
    r"\s*,?\s*(?:[^,.;:!?]{1,60},\s*)?(?:qui\s+)?(?:(?:[mlt]['’]|(?:nous|vous|lui|leur|les|me|te)\s+)?"
    r"(?:a|ont|avait|avaient|aurait|auraient|est venue?|sont venus|vient de|venait de)\s+"
    r"|[mlt]['’]|(?:nous|vous|lui|leur|les|me|te)\s+)(?:deja\s+|encore\s+)?"
    + HARMED
    # a blow in the present, as a report tells it: "X, porte un coup de tête au brigadier"
    + r"|\s*,?\s*(?:qui\s+)?(?:porte|portent|donne|donnent|assene|assenent)\s+(?:un|des|plusieurs)\s+coups?"
)
HARMED_BY = re.compile(
    rf"(?<![\w])(?:a|ont|avait|avaient|aurait|auraient)\s+(?:deja\s+)?{HARMED}\w*\s+"
    rf"(?:(?:mon|ma|mes|son|sa|ses|leur|notre|votre|le|la|l'|un|une)\s*[\w-]+(?:\s+[\w-]+)?\s*,?\s*)?"
    rf"(?:{CIVILITY}\s*)?$"
)
# Who suffered an act, then by whom: "bousculée par mon collègue Damien VERNET" (folded text before the name).
HARMED_PASSIVE = re.compile(
    rf"{HARMED}\w*(?:\s+(?:au|aux|a la|a l')\s*[\w-]+)?\s+par\s+"  # "frappé au visage par"
    r"(?:(?:mon|ma|son|sa|leur|notre|votre|un|une|le|la|l')\s*[\w-]+(?:\s+[\w-]+)?\s*,?\s*)?"
    rf"(?:{CIVILITY}\s*)?$"
)
# A message from the public: written in the first person, or with its courtesies.
MESSAGE = re.compile(  # not "nous", "notre": a crew writes "à notre arrivée"
    r"(?<![\w])(?:(?:je|me|moi|mon|ma|mes|merci|bonjour|cordialement|svp|salutations)(?![\w])|[jm]['’])"
)
SIGNATURE_AFTER = re.compile(r"(?:,\s*[^\W\d_][\w'’-]*(?: [\w'’-]+){0,3})?[.!]?\s*$")  # ", parent d'élève"
FIRST_PERSON = re.compile(r"(?<![\w])(?:(?:je|moi|mon|ma|mes|nous|notre|nos)(?![\w])|j['’])")  # j'ai, j’en


ABBREVIATED = {
    "m",
    "mm",
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
    "op",
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


# Who a person is to the writer or to the scene, right before the name (folded): "mon fils ", "ma collègue ",
# "le serveur, ", "sa voisine, Mme ".
RELATED_BEFORE = re.compile(
    r"(?<![\w])(?:mon|ma|son|sa|notre|votre|leur|un|une|le|la)\s+(?:(fils|fille|enfant|petit-fils|petite-fille"
    r"|neveu|niece|voisin|voisine|collegue|ami|amie|mari|femme|epouse|epoux|compagnon|compagne|frere|soeur"
    r"|serveur|serveuse|vigile|gardien|gardienne|concierge|commercant|commercante|employee?|vendeur|vendeuse"
    rf"|caissiere?|surveillante?|passante?))\s*,?\s*(?:{CIVILITY}\s*)?$"
)
CHILDREN = {"fils", "fille", "enfant", "petit-fils", "petite-fille", "neveu", "niece"}
RELATIVES = {"voisin", "voisine", "collegue", "ami", "amie", "mari", "femme", "epouse", "epoux", "compagnon",
             "compagne", "frere", "soeur"}  # fmt: skip


def _signature(text: str, folded: str, start: int, end: int) -> bool:
    """Whether the name signs a message from the public: it opens the last line or sentence, nothing but a
    short apposition follows ("Nathalie Mercier, parent d'élève"), and the text is a message."""
    before = AFTER_CIVILITY_RE.sub("", text[:start].rstrip()).rstrip(" \t,")
    opens = not before or before[-1] in ".!?:\n"
    return bool(opens and SIGNATURE_AFTER.fullmatch(text, end) and MESSAGE.search(folded))


def roles_of(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The role of each person span (in text order): `role_of`, except that a person listed right after
    another ("les médiateurs Karim Z. et Élodie F.", "Médiateurs : Paul V., Inès M.": nothing but a comma,
    "et", a slash or a civility between them) plays the same part as the first."""
    found: list[str] = []
    for k, (start, end) in enumerate(spans):
        gap = fold_chars(text[spans[k - 1][1] : start]) if k else ""
        listed = k > 0 and (COORDINATED.fullmatch(gap) or NEXT_ITEM.fullmatch(gap))
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
        if label.search(left) or LABELLED_AFTER[role].match(right):
            return role
    if SELF_INTRODUCED.search(left) or _signature(text, folded, start, end):
        return "complainant"  # "Je soussigné X", "je m'appelle X"; a message signed "… Merci. Karim"
    if ALIAS.search(left) or HARMS.match(right) or HARMED_PASSIVE.search(left) or CHECKED.search(left):
        return "suspect"
    if HARMED_BY.search(left):
        return "victim"
    best: tuple[int, str] | None = None
    for role, cues in lexicon.ROLE_CUES.items():
        for cue in cues:
            if cue not in left and cue not in right:
                continue
            # a short cue is a whole word ("ti", "mec"); a longer one begins a word (matched to its end)
            pattern = r"(?<![\w])" + re.escape(cue) + (r"(?![\w])" if len(cue) <= 3 else r"\w*")
            for m in re.finditer(pattern, left):
                distance = len(left) - m.end()
                if role == "officer":  # a title counts right before the name only ("l'opérateur M. X")
                    if TITLE_GAP.fullmatch(left[m.end() :]):
                        return role  # and says who the person is, whatever they then do ("signale")
                    if distance > 3:
                        continue
                if best is None or distance < best[0]:
                    best = (distance, role)
            after = re.search(pattern, right)
            if after and (best is None or after.start() + 1 < best[0]):
                best = (after.start() + 1, role)
    role = best[1] if best else "complainant" if FIRST_PERSON.search(folded) else "other"
    # no cue: in a report written in the first person, a named person is most often the one reporting; but
    # not one named by who they are to the writer: a child reported for is the victim, a companion a witness
    # (who gave the alert as "le gardien, M. X" stays the complainant: a cue said so)
    if role == "complainant" and (related := RELATED_BEFORE.search(left)):
        if related.group(1) in CHILDREN:
            return "victim"
        # someone related to nobody in particular ("requis par une voisine, Mme X") stays the complainant
        anyone = related.group().split()[0] in ("un", "une", "le", "la")
        if best is None or (related.group(1) in RELATIVES and not anyone):
            return "witness"
    return role
