"""French grammar the demo city's texts need: articles by gender and number, and preposition contractions."""

from __future__ import annotations

import re

FEMININE_HEADS = {
    "gare",
    "église",
    "cathédrale",
    "abbaye",
    "chapelle",
    "basilique",
    "tour",
    "villa",
    "bastide",
    "halle",
    "fontaine",
    "statue",
    "bibliothèque",
    "préfecture",
    "caserne",
    "cité",
    "friche",
    "banque",
    "maison",
    "porte",
    "pagode",
    "croix",
    "ombrière",
    "académie",
    "consigne",
    "grande",
    "vieille",
    "mosquée",
    # objects, weapons, street furniture
    "montre",
    "chaîne",
    "carte",
    "sacoche",
    "trottinette",
    "tablette",
    "console",
    "paire",
    "valise",
    "veste",
    "bague",
    "enceinte",
    "batterie",
    "clé",
    "somme",
    "arme",
    "barre",
    "bombe",
    "batte",
    "bouteille",
    "lame",
    "poubelle",
    "corbeille",
    "borne",
    "sanisette",
    "station",
    "aire",
    "vitrine",
    "voiture",
    "moto",
    "guitare",
    "caisse",
    "radio",
    "perceuse",
    "casquette",
    "pochette",
    "bicyclette",
    "alliance",
    "boucle",
    "gourmette",
    "télécommande",
    "sonnette",
    "matraque",
    "machette",
    "hachette",
    "pince",
    "seringue",
    "pipe",
}
PLURAL_HEADS = {
    "toilettes",
    "jeux",
    "clés",
    "lunettes",
    "écouteurs",
    "bijoux",
    "papiers",
    "affaires",
    "courses",
}
MASCULINE_HEADS = {
    "palais",
    "musée",
    "théâtre",
    "château",
    "stade",
    "hôpital",
    "fort",
    "hôtel",
    "cimetière",
    "monument",
    "couvent",
    "temple",
    "centre",
    "parc",
    "obélisque",
    "pavillon",
    "immeuble",
    "silo",
    "phare",
    "sémaphore",
    "marégraphe",
    "observatoire",
    "cinéma",
    "arc",
    "arbre",
    "pouce",
    "vestiges",
}

QUANTITY = re.compile(
    r"^(?:de la |de l'|du |des |une? (?:dizaine|vingtaine|centaine|quinzaine) d(?:e |')|plusieurs |quelques |"
    r"\d+ ?(?:g|kg|grammes?) d(?:e |')|une? )"
)


def article(head: str, definite: bool) -> str:
    """'le ', 'la ', "l'", 'un ', 'une ', 'les ', 'des ' for a noun phrase starting with `head`."""
    word = head.split(" ")[0].lower()
    if word in PLURAL_HEADS or (word.endswith("s") and word not in {"abribus", "bus", "cours", "bras"}):
        return "les " if definite else "des "
    feminine = word in FEMININE_HEADS
    if definite:
        return "l'" if word[:1] in "aeiouyéèêàâh" else ("la " if feminine else "le ")
    return "une " if feminine else "un "


def de(gender: str) -> str:
    return {"m": "du ", "f": "de la ", "fp": "des "}.get(gender, "de ")


def contract_prep(prep: str, det: str) -> str:
    if prep.endswith("de ") and det in ("le ", "les "):
        return prep[:-3] + ("du " if det == "le " else "des ")
    if prep == "à " and det in ("le ", "les "):
        return "au " if det == "le " else "aux "
    return prep + det
