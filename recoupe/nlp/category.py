"""Incident category from the text: cue words scored per category, with a confidence.

The cues are the ontology's French labels of each category (prefLabel and altLabels) plus Recoupe's own list
below; a cue found counts its weight (longer, more specific cues weigh more). The confidence is the winning
score's share of all scores; with no cue at all the answer is "other" with confidence 0.
"""

from __future__ import annotations

import re

from recoupe.nlp.folding import fold_chars
from recoupe.ontology.loader import ontology

CUES = {
    "theft": (
        "vol",
        "vole",
        "volee",
        "derobe",
        "derobee",
        "a la tire",
        "pickpocket",
        "vol a l'etalage",
        "etalage",
        "subtilise",
        "larcin",
        "vol simple",
        "sans violence",
        "s'est fait voler",
        "on m'a vole",
        "vol de",
        "antivol",
        "subtilis",
        "part avec",
        "derobe",
        "s'est fait derober",
    ),
    "burglary": (
        "cambriol",
        "effraction",
        "fracture",
        "porte forcee",
        "serrure forcee",
        "par effraction",
        "visite de",
        "logement",
        "cave",
        "fenetre brisee",
    ),
    "robbery": (
        "vol avec violence",
        "vol a l'arrache",
        "arrache",
        "arraché",
        "braquage",
        "vol a main armee",
        "sous la menace",
        "racket",
        "vol violent",
        "avec violence",
        "menace d'une arme",
        "depouill",
        "jete a terre",
        "sous la menace",
        "menace avec",
        "a l'arrache",
    ),
    "assault": (
        "agression",
        "agresse",
        "coups",
        "frappe",
        "violences",
        "blesse",
        "gifle",
        "coups de poing",
        "coup de couteau",
        "roue de coups",
        "molest",
    ),
    "brawl": (
        "rixe",
        "bagarre",
        "se battent",
        "se battre",
        "bataille",
        "echauffouree",
        "affrontement",
        "rixe",
        "bagarre",
        "rixe entre",
        "groupes rivaux",
    ),
    "vandalism": (
        "degradation",
        "degrade",
        "vandalis",
        "casse",
        "brise",
        "detruit",
        "saccag",
        "endommag",
        "vitre",
        "force",
        "arrache du sol",
        "renverse",
    ),
    "graffiti": ("tag", "tags", "tague", "graffiti", "graff", "inscription", "peinture", "bombe de peinture"),
    "arson": (
        "incendie",
        "feu",
        "brule",
        "brulee",
        "flammes",
        "embrase",
        "fumee",
        "pompiers",
        "depart de feu",
    ),
    "noise": (
        "tapage",
        "bruit",
        "musique",
        "nuisance sonore",
        "nuisances sonores",
        "cris",
        "fete",
        "sono",
        "aboiement",
        "klaxon",
        "chantier bruyant",
        "tapage nocturne",
        "nuisances",
        "musique forte",
        "enceinte",
        "fete",
    ),
    "drugs": (
        "stupefiant",
        "cannabis",
        "resine",
        "deal",
        "dealer",
        "trafic",
        "point de vente",
        "guetteur",
        "chouf",
        "cocaine",
        "herbe",
        "barrette",
        "pochon",
        "consommation de",
        "point de deal",
        "trafic de stup",
        "vente de",
        "dealers",
        "guetteurs",
    ),
    "illegal_dumping": (
        "depot sauvage",
        "encombrant",
        "gravats",
        "dechets",
        "ordures",
        "detritus",
        "sacs poubelle",
        "dechets verts",
        "abandonne sur le trottoir",
        "deverse",
        "abandonn",
        "machine a laver",
        "frigo",
        "matelas",
        "electromenager",
        "depose sur le trottoir",
    ),
    "road_hazard": (
        "nid de poule",
        "nid-de-poule",
        "chaussee",
        "trou",
        "plaque d'egout",
        "affaissement",
        "feu tricolore en panne",
        "eclairage en panne",
        "lampadaire eteint",
        "menace de tomber",
        "danger",
        "fuite d'eau",
        "arbre tombe",
        "obstacle",
        "tranchee",
        "ressaut",
        "hors service",
        "en panne",
        "feu tricolore",
        "feux tricolores",
        "chute d'un",
        "regard",
        "chaussee deformee",
        "eclairage public",
    ),
    "traffic_accident": (
        "accident",
        "collision",
        "accrochage",
        "percute",
        "renverse par",
        "avp",
        "carambolage",
        "delit de fuite",
        "choc",
        "sortie de route",
        "heurte",
        "percute",
        "a renverse",
        "contre un candelabre",
        "refus de priorite",
    ),
    "public_disorder": (
        "ivresse",
        "ivre",
        "alcoolise",
        "attroupement",
        "regroupement",
        "mendicite",
        "trouble",
        "occupation de hall",
        "sdf",
        "rodeo",
        "nuisance",
        "incivilite",
        "urine",
        "insulte",
        "outrage",
        "petard",
        "mortier",
        "virulent",
        "rebellion",
        "menaces envers",
        "controle d'identite",
    ),
    "suspicious_activity": (
        "suspect",
        "rodant",
        "rode",
        "reperage",
        "comportement suspect",
        "individus suspects",
        "stationne depuis",
        "fait le guet",
        "observe les",
        "essayant les poignees",
        "encagoul",
        "cagoul",
        "observent",
        "bagage abandonne",
        "colis suspect",
        "colis abandonne",
        "tournent autour",
        "allees et venues",
        "inspectent",
        "repere",
        "surveillent",
    ),
    "other": (
        "objet trouve",
        "perdu",
        "egare",
        "animal errant",
        "chien errant",
        "renseignement",
        "malaise",
        "personne agee",
        "fugue",
        "disparition",
    ),
}


class CategoryClassifier:
    """Scores every category's cues in a text; the best wins, with its share of the total as confidence."""

    def __init__(self) -> None:
        vocabulary = ontology().vocabulary("IncidentCategory")
        self.patterns: dict[str, list[tuple[str, re.Pattern[str], float]]] = {}
        for code, concept in vocabulary.concepts.items():
            words = {fold_chars(w) for w in (concept.labels.fr, *concept.alt_labels_fr, *CUES.get(code, ()))}
            self.patterns[code] = [
                (w, re.compile(r"(?<![\w])" + re.escape(w) + r"\w*"), 1.0 + 0.5 * w.count(" "))
                for w in words
                if w
            ]

    def scores(self, text: str) -> dict[str, float]:
        folded = fold_chars(text)
        # the substring test is a cheap prefilter: most cues are absent from any one log
        return {
            code: sum(
                weight for word, pattern, weight in patterns if word in folded and pattern.search(folded)
            )
            for code, patterns in self.patterns.items()
        }

    def classify(self, text: str) -> tuple[str, float]:
        scores = self.scores(text)
        total = sum(scores.values())
        if total == 0:
            return "other", 0.0
        best = max(scores, key=lambda c: (scores[c], c != "other"))
        return best, scores[best] / total
