"""How the logs name things: places, people and roles, vehicles and plates, cameras, assets, objects.

Every renderer returns a `Phrase` whose entity segments follow the extraction conventions: PERSON without the
civility, ADDRESS = number + street type + name without postcode, PLACE = the landmark, DISTRICT = postcode,
arrondissement or quartier, VEHICLE = the description, PLATE = as written, CAMERA = the whole reference,
ASSET = the street-furniture noun phrase, OBJECT = the item, ORG = the organisation's name.
"""

from __future__ import annotations

import random
import re

from recoupe.ingest.democity import phrases
from recoupe.ingest.democity.french import (
    FEMININE_HEADS,
    MASCULINE_HEADS,
    QUANTITY,
    article,
    contract_prep,
    de,
)
from recoupe.ingest.democity.text import Phrase, strip_accents, typo
from recoupe.ingest.democity.world import Asset, Camera, Person, Site, Vehicle

STREET_TYPES = {
    "Rue": ("f", ("rue", "rue", "rue", "r.", "Rue")),
    "Boulevard": ("m", ("bd", "boulevard", "Bd", "bld", "boulevard")),
    "Avenue": ("f", ("av.", "avenue", "avenue", "Av.", "av")),
    "Place": ("f", ("place", "place", "pl.", "Place")),
    "Chemin": ("m", ("chemin", "ch.", "chemin")),
    "Impasse": ("f", ("impasse", "imp.", "impasse")),
    "Traverse": ("f", ("traverse", "trav.", "traverse")),
    "Allée": ("f", ("allée", "allée")),
    "Allées": ("fp", ("allées",)),
    "Quai": ("m", ("quai", "quai")),
    "Cours": ("m", ("cours", "cours", "crs")),
    "Montée": ("f", ("montée",)),
    "Square": ("m", ("square", "sq.")),
    "Rond-Point": ("m", ("rond-point", "rd-pt")),
    "Route": ("f", ("route", "rte")),
    "Passage": ("m", ("passage",)),
    "Esplanade": ("f", ("esplanade",)),
    "Corniche": ("f", ("corniche",)),
    "Escalier": ("m", ("escalier",)),
    "Promenade": ("f", ("promenade",)),
}
LANDMARK_ALIASES = {
    "Ombrière du Vieux-Port": ("le ", "Vieux-Port"),
    "Mucem": ("le ", "Mucem"),
    "Le Dôme": ("le ", "Dôme"),
    "Cité Radieuse dite Le Corbusier": ("la ", "Cité radieuse"),
}


def landmark_surface(name: str) -> tuple[str, str]:
    """(determiner, name as a log writes it): 'Gare Saint-Charles' → ('la ', 'gare Saint-Charles')."""
    if name in LANDMARK_ALIASES:
        return LANDMARK_ALIASES[name]
    alias = re.split(r" dite | - |, ", name)[0].replace('"', "")
    head = alias.split(" ")[0].lower()
    if head in FEMININE_HEADS or head in MASCULINE_HEADS:
        surface = head + alias[len(head) :]
        return article(surface, True), surface
    return "", alias  # a proper name: "devant Notre-Dame de la Garde"


def title_quartier(name: str) -> str:
    """'NOTRE-DAME-DU-MONT' → 'Notre-Dame-du-Mont'."""
    small = {"de", "du", "des", "la", "le", "les", "d", "l", "en", "sur"}
    parts = re.split(r"([\s\-'])", name.lower())
    return "".join(p if (p in small and i > 0) else p.capitalize() for i, p in enumerate(parts))


class Renderer:
    def __init__(self, rng: random.Random, postcodes: dict[str, str]) -> None:
        self.rng = rng
        self.postcodes = postcodes  # quartier name → postcode

    # ------------------------------------------------------------------ places

    def street_words(self, site: Site) -> tuple[str, str, str]:
        """(type as written, name as written, gender) for a street site, with abbreviations and noise."""
        assert site.street is not None
        kind, rest = site.street.kind, site.name[len(site.street.kind) :].strip()
        gender, forms = STREET_TYPES.get(kind, ("", ("",)))
        written_type = self.rng.choice(forms) if gender else ""
        name = rest if gender else site.name
        roll = self.rng.random()
        if gender and roll < 0.08:
            name = re.sub(r"^(de la |de l'|du |des |de |d')", "", name)
        elif roll < 0.14:
            name = strip_accents(name)
        elif roll < 0.19:
            name = name.lower()
        elif roll < 0.23:
            name = typo(self.rng, name)
        return written_type, name, gender

    def place(self, site: Site, corner: Site | None, bare: bool) -> tuple[Phrase, str, str]:
        """A locative phrase for the site (or its bare form), with the truth name and precision."""
        rng, phrase = self.rng, Phrase()
        if site.landmark is not None:
            det, surface = landmark_surface(site.name)
            if not bare:
                prep = rng.choice(
                    ("devant ", "à ", "près de ", "aux abords de ", "sur le parvis de ", "à proximité de ")
                )
                det = contract_prep(prep, det) if det else prep
            phrase.add(det).add(surface, "PLACE", ref=site.name)
            return phrase, site.name, "landmark"
        written_type, name, gender = self.street_words(site)
        label = f"{written_type} {name}".strip()
        number = rng.randint(1, 180) if rng.random() < 0.45 and corner is None else None
        if corner is not None:
            other_type, other_name, other_gender = self.street_words(corner)
            other = f"{other_type} {other_name}".strip()
            style = rng.randrange(3)
            if style == 0:
                phrase.add("" if bare else "à ").add("l'angle " + de(gender)).add(label, "ADDRESS").add(
                    " et " + de(other_gender)
                ).add(other, "ADDRESS")
            elif style == 1:
                phrase.add("angle ").add(label, "ADDRESS").add(" / ").add(other, "ADDRESS")
            else:
                phrase.add("" if bare else "au ").add("croisement " + de(gender)).add(label, "ADDRESS").add(
                    " et " + de(other_gender)
                ).add(other, "ADDRESS")
            return phrase, f"angle {site.name} / {corner.name}", "street"
        if number is not None:
            prep = (
                ""
                if bare
                else rng.choice(
                    ("au ", "au ", "", "devant le ", "à hauteur du ", "face au ", "au niveau du ")
                )
            )
            phrase.add(prep).add(
                f"{number}{rng.choice(('', '', '', ' bis'))} {label}".replace("  ", " "), "ADDRESS"
            )
            return phrase, f"{number} {site.name}", "address"
        if bare or not gender:
            phrase.add("" if bare or gender else "sur ").add(label, "ADDRESS")
        else:
            prep = rng.choice(("", "", "dans ", "sur "))
            det = {"m": "le ", "f": "la ", "fp": "les "}[gender] if prep else ""
            phrase.add(prep + det).add(label, "ADDRESS")
        return phrase, site.name, "street"

    def district(self, quartier: str) -> Phrase:
        """A postcode, arrondissement or quartier after a place: ' (13003)', ', 3e arr.', ' - Noailles'."""
        postcode = self.postcodes.get(quartier, "")
        arr = int(postcode[-2:]) if postcode else 0
        choice = self.rng.randrange(5)
        if choice == 0 and postcode:
            return Phrase().add(" (").add(postcode, "DISTRICT").add(")")
        if choice == 1 and postcode:
            return Phrase().add(" ").add(postcode, "DISTRICT")
        if choice == 2 and arr:
            written = self.rng.choice(
                (f"{arr}e arr.", f"{arr}e arrondissement", f"{arr}ème")
                if arr > 1
                else ("1er arr.", "1er arrondissement")
            )
            return Phrase().add(", ").add(written, "DISTRICT")
        before, after = self.rng.choice(((" - ", ""), (", quartier ", ""), (" (secteur ", ")")))
        return Phrase().add(before).add(title_quartier(quartier), "DISTRICT").add(after)

    def quartier_only(self, quartier: str) -> Phrase:
        return (
            Phrase()
            .add(self.rng.choice(("dans le quartier ", "secteur ", "quartier ", "dans le secteur de ")))
            .add(title_quartier(quartier), "DISTRICT")
        )

    # ------------------------------------------------------------------ people

    def name(self, person: Person, role: str | None = None, with_civility: bool = True) -> Phrase:
        """'Mme Nadia B.', 'M. Karim BENALI', 'BENALI Karim' …: the PERSON span excludes the civility."""
        rng, first, last = self.rng, person.first, person.last
        written = rng.choice(
            (
                f"{first} {last[0]}.",
                f"{first} {last.upper()}",
                f"{last.upper()} {first}",
                f"{first} {last}",
                f"{first[0]}. {last.upper()}",
            )
        )
        phrase = Phrase()
        if with_civility and rng.random() < 0.8:
            female = ("Mme ", "Madame ", "Mme ")
            phrase.add(
                rng.choice(female) if person.female else rng.choice(("M. ", "Mr ", "Monsieur ", "M. "))
            )
        return phrase.add(written, "PERSON", role, person.ref)

    def role(self, person: Person | None, role: str) -> Phrase:
        """A person in a role, named or not: 'la victime, Mme Nadia B.', 'le MEC, M. Karim D.' …"""
        rng = self.rng
        if person is None:
            unnamed = {
                "suspect": "un individu",
                "victim": "la victime",
                "witness": "un témoin",
                "complainant": "le requérant",
            }
            return Phrase().add(unnamed.get(role, "une personne"))
        f = person.female
        cues = {
            "victim": ("la victime",),
            "suspect": ("le MEC", "le mis en cause", "le suspect", "l'auteur présumé"),
            "witness": ("un témoin (TI)", "le témoin", "un témoin"),
            "complainant": (
                "la requérante" if f else "le requérant",
                "l'appelante" if f else "l'appelant",
                "la plaignante" if f else "le plaignant",
            ),
        }.get(role, ("une personne",))
        cue = rng.choice(cues)
        style = rng.randrange(4)
        if style == 0:
            return Phrase().add(cue + ", ").extend(self.name(person, role))
        if style == 1:
            return self.name(person, role).add(f" ({cue.split(' ', 1)[-1].replace('(TI)', '').strip()})")
        if style == 2 and role == "suspect":
            return (
                Phrase()
                .add(rng.choice(("un individu identifié comme ", "le nommé ")))
                .extend(self.name(person, role, False))
            )
        return Phrase().add(cue + " ").extend(self.name(person, role))

    def officer(self, person: Person) -> Phrase:
        rank = self.rng.choice(phrases.OFFICER_RANKS)
        written = self.rng.choice((person.last.upper(), f"{person.first} {person.last[0]}.", person.last))
        return Phrase().add(rank + " ").add(written, "PERSON", "officer", person.ref)

    # ------------------------------------------------------------------ things

    def vehicle(self, vehicle: Vehicle, with_plate: bool) -> tuple[Phrase, bool]:
        rng = self.rng
        masculine, feminine = vehicle.colour
        if vehicle.kind == "scooter":
            det, desc = (
                "un ",
                rng.choice(
                    (
                        f"scooter {masculine}",
                        f"scooter {vehicle.model} {masculine}",
                        f"deux-roues {masculine}",
                        f"{vehicle.model} {masculine}",
                        "deux-roues",
                    )
                ),
            )
        elif vehicle.kind == "utilitaire":
            det, desc = (
                "un ",
                rng.choice(
                    (
                        f"utilitaire {vehicle.model} {masculine}",
                        f"fourgon {masculine}",
                        f"véhicule utilitaire {masculine}",
                    )
                ),
            )
        else:
            det, desc = rng.choice(
                (
                    ("une ", f"VL {vehicle.model} {feminine}"),
                    ("un ", f"véhicule {vehicle.model} {masculine}"),
                    ("une ", f"{vehicle.model} {feminine}"),
                    ("une ", f"voiture {feminine}"),
                )
            )
        phrase = Phrase().add(det).add(desc, "VEHICLE", ref=vehicle.ref)
        if with_plate:
            gender = "e" if det == "une " else ""
            phrase.add(f" immatriculé{gender} ").add(self.plate(vehicle.plate), "PLATE", ref=vehicle.ref)
        return phrase, with_plate

    def plate(self, canonical: str) -> str:
        """The same plate written as people write it: AB-123-CD, AB123CD, ab 123 cd, 1234ABC13 …"""
        compact = canonical.replace("-", "").replace(" ", "")
        if canonical.count("-") == 2:
            return self.rng.choice(
                (canonical, canonical, compact, canonical.replace("-", " "), canonical.lower())
            )
        return self.rng.choice((canonical, compact, canonical.replace(" ", "-")))

    def camera(self, camera: Camera) -> Phrase:
        n = camera.number
        forms = (
            ("la ", f"caméra n°{n}"),
            ("la ", f"cam {n}"),
            ("la ", f"caméra {n}"),
            ("la ", f"caméra numéro {n}"),
            ("la ", "vidéo du CSU"),
            ("la ", f"caméra n° {n}"),
        )
        det, written = self.rng.choice(forms)
        return Phrase().add(det).add(written, "CAMERA", ref=camera.id)

    def asset(self, asset: Asset, labels: tuple[str, ...]) -> Phrase:
        written = self.rng.choice(labels)
        return Phrase().add(article(written, self.rng.random() < 0.7)).add(written, "ASSET", ref=asset.id)

    def item(self, written: str, definite: bool = False, label: str = "OBJECT") -> Phrase:
        """'un téléphone portable', 'de la résine de cannabis' (the quantity stays outside the span)."""
        match = QUANTITY.match(written)
        if match:
            return Phrase().add(written[: match.end()]).add(written[match.end() :], label)
        return Phrase().add(article(written, definite)).add(written, label)

    def organisation(self) -> Phrase:
        written, name = self.rng.choice(phrases.ORGANISATIONS)
        return Phrase().add(written[: len(written) - len(name)]).add(name, "ORG")
