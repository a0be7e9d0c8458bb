"""Offline geocoding against the gazetteer: street, landmark and district mentions → places with a precision.

Matching folds case, accents and punctuation, expands French abbreviations as French geocoders do
(bd/bld → boulevard, av → avenue, r → rue, pl → place, ch → chemin, imp → impasse, st → saint …), tolerates a
dropped particle ("rue République") and small typos. The geocoder never claims a finer precision than it has:
Marseille's gazetteer has no house numbers, so "12 bd National" resolves to the street's point, with precision
"street" and the number kept as written.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from recoupe.nlp.folding import fold_chars
from recoupe.nlp.gazetteer import Gazetteer, Quartier, Street

ABBREVIATIONS = {
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "bvd": "boulevard",
    "boul": "boulevard",
    "av": "avenue",
    "ave": "avenue",
    "r": "rue",
    "pl": "place",
    "ch": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "trav": "traverse",
    "tse": "traverse",
    "all": "allee",
    "crs": "cours",
    "sq": "square",
    "rte": "route",
    "qu": "quai",
    "mtee": "montee",
    "rdpt": "rond point",
    "st": "saint",
    "ste": "sainte",
    "esp": "esplanade",
    "pass": "passage",
    "prom": "promenade",
    "res": "residence",
}
PARTICLES = re.compile(r"\b(?:de la|de l|du|des|de|d|la|le|les|l)\b ?")
ALIASES = {"vieux port": "Ombrière du Vieux-Port", "bonne mere": "Notre-Dame de la Garde"}
LANDMARK_HEAD = re.compile(r"^(?:(?:le|la|les) |palais du |stade |arc de triomphe de la |friche la )")
# Neighbourhoods everyone names that are no quartier of the city's list, in the quartier holding their heart
# (place de Lenche, place Jean-Jaurès).
QUARTIER_ALIASES = {"le panier": "hotel de ville", "la plaine": "le camas"}
NUMBER = re.compile(r"^\s*(\d{1,4})\s*(?:bis|ter|b|t)?\b[\s,]*", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A resolved place; `precision` is the level reached (street … city, never finer than the data)."""

    name: str
    precision: str
    lat: float
    lon: float
    quartier: str | None = None
    postcode: str | None = None
    number: str | None = None
    score: float = 1.0


@functools.lru_cache(maxsize=65_536)  # the rules fold every candidate street name of every log
def fold(text: str) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces, abbreviations expanded, single spaces."""
    text = fold_chars(text.replace("’", "'"))
    text = re.sub(r"\brd[\s.-]*pt\b", "rond point", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def _closest(streets: list[Street], written: str) -> Street:
    """Among streets sharing a key ('Cours Saint Louis', 'Cours Saint-Louis'), the one written most alike."""
    if len(streets) == 1:
        return streets[0]
    words = written.split()
    if words and fold(words[0]) != words[0].lower():  # an abbreviated type: compare with the full one
        words[0] = fold(words[0])
    text = " ".join(words).lower()
    return max(
        streets, key=lambda s: (difflib.SequenceMatcher(None, text, s.name.lower()).ratio(), -len(s.name))
    )


def _fuzzy_slot(key: str) -> tuple[str, str]:
    """(street type, first letter of the name): 'rue parradis' → ('rue', 'p')."""
    head, _, rest = key.partition(" ")
    return head, rest[:1]


@functools.lru_cache(maxsize=65_536)
def bare(folded: str) -> str:
    """Without particles: 'rue de la republique' → 'rue republique'."""
    return re.sub(r"\s+", " ", PARTICLES.sub("", folded)).strip()


def _of_length(keys: Iterable[str], length: int, cutoff: float) -> list[str]:
    """The keys long enough and short enough to reach the cutoff: a similarity is at most 2·shorter / (sum
    of both lengths), the bound difflib checks first, here without a call per key (the same matches, a
    fraction of the time: most words the model calls a place are no landmark at all)."""
    shortest, longest = length * cutoff / (2 - cutoff), length * (2 - cutoff) / cutoff
    return [k for k in keys if shortest - 1 <= len(k) <= longest + 1]


MEMORY = 50_000  # close-match searches and point-in-quartier answers remembered


class Geocoder:
    """Indexes a gazetteer once; each lookup is a dictionary hit or, failing that, a close-match search."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.streets: dict[str, list[Street]] = defaultdict(list)
        for street in gazetteer.streets:
            for key in {fold(street.name), bare(fold(street.name))}:
                self.streets[key].append(street)
        # close matches are searched among streets of the same type whose name starts with the same letter
        self.fuzzy: dict[tuple[str, str], list[str]] = defaultdict(list)
        for key in sorted(self.streets):
            self.fuzzy[_fuzzy_slot(key)].append(key)
        self.landmarks = {fold(lm.name): lm for lm in gazetteer.landmarks}
        for lm in gazetteer.landmarks:
            short = re.split(r" dite | - |, ", lm.name)[0]
            self.landmarks.setdefault(fold(short), lm)
        by_name = {lm.name: lm for lm in gazetteer.landmarks}
        self.landmarks |= {key: by_name[name] for key, name in ALIASES.items() if name in by_name}
        # the proper part of a name, as people write it: "Dôme" (Le Dôme), "Pharo" (Palais du Pharo),
        # "Porte d'Aix" (Arc de Triomphe de la Porte d'Aix); found only where written with a capital
        self.landmark_short: set[str] = set()
        self.quartiers = {fold(q.name): q for q in gazetteer.quartiers}
        self.quartiers |= {a: self.quartiers[q] for a, q in QUARTIER_ALIASES.items() if q in self.quartiers}
        taken = {*self.streets, *self.quartiers, *(bare(k) for k in self.quartiers)}
        for key in list(self.landmarks):
            short = LANDMARK_HEAD.sub("", key)
            if short != key and len(short) > 3 and short not in self.landmarks and short not in taken:
                self.landmarks[short] = self.landmarks[key]
                self.landmark_short.add(short)
        # written without its article or particles: "Trois-Lucs", "aux Aygalades", "St-Jérôme"
        self.quartiers_bare = {bare(key): q for key, q in self.quartiers.items()}
        self.postcodes = {q.postcode: q for q in gazetteer.quartiers}
        self._searched: dict[tuple[str, str], tuple[str, float] | None] = {}
        self._quartiers_at: dict[tuple[float, float], Quartier | None] = {}

    def _close(self, key: str, kind: str, cutoff: float) -> tuple[str, float] | None:
        """The closest known key of a kind and its similarity, or None under the cutoff. Remembered: the
        search is the geocoder's one slow step, and the same misspelling comes back log after log."""
        if (key, kind) in self._searched:
            return self._searched[key, kind]
        pool: Iterable[str] = self.fuzzy.get(_fuzzy_slot(key), [])  # a street: same type, same first letter
        if kind != "street":
            pool = self.landmarks if kind == "landmark" else self.quartiers
        close = difflib.get_close_matches(key, _of_length(pool, len(key), cutoff), n=1, cutoff=cutoff)
        found = (close[0], difflib.SequenceMatcher(None, key, close[0]).ratio()) if close else None
        if len(self._searched) >= MEMORY:
            self._searched.clear()  # bounded: a long run over ever-new misspellings starts afresh
        self._searched[key, kind] = found
        return found

    # ------------------------------------------------------------------ mentions

    def street(self, mention: str) -> Place | None:
        """An ADDRESS mention ('12 bd National', 'r. de la republique', 'La Canebière') → the street."""
        number_match = NUMBER.match(mention)
        number = number_match.group(1) if number_match else None
        text = mention[number_match.end() :] if number_match else mention
        key = fold(text)
        if not key:
            return None
        found, score = self._street(key, text)
        if found is None:
            return None
        quartier = self.quartier_of(found.lat, found.lon)
        return Place(
            found.name,
            "street",
            found.lat,
            found.lon,
            found.quartier,
            quartier.postcode if quartier else None,
            number,
            score,
        )

    def _street(self, key: str, written: str) -> tuple[Street | None, float]:
        for candidate in (key, bare(key)):
            if candidate in self.streets:
                return _closest(self.streets[candidate], written), 1.0
        close = self._close(bare(key), "street", 0.88)
        if close:
            return _closest(self.streets[close[0]], written), close[1]
        return None, 0.0

    def address(self, written: str) -> Place | None:
        """An address as a source writes it in its own column ('12 bd National, 13003 Marseille', 'Noailles')
        → a street, a landmark or a quartier, whichever it names; None when none matches."""
        head = re.split(r",|\b13\d{3}\b", written, maxsplit=1)[0].strip()
        for candidate in (head, written.strip()):
            if candidate:
                found = self.street(candidate) or self.landmark(candidate) or self.district(candidate)
                if found is not None:
                    return found
        return None

    def landmark(self, mention: str, close: bool = True) -> Place | None:
        """A PLACE mention ('gare Saint-Charles', 'Vieux-Port') → the landmark; a misspelt one too unless
        `close` is False."""
        key = fold(mention)
        found = self.landmarks.get(key) or self.landmarks.get(bare(key))
        score = 1.0
        if found is None and not close:
            return None
        if found is None:
            match = self._close(key, "landmark", 0.85)
            if not match:
                return None
            found, score = self.landmarks[match[0]], match[1]
        quartier = self.quartier_of(found.lat, found.lon)
        return Place(
            found.name,
            "landmark",
            found.lat,
            found.lon,
            quartier.name if quartier else None,
            quartier.postcode if quartier else None,
            None,
            score,
        )

    def district(self, mention: str) -> Place | None:
        """A DISTRICT mention: quartier ('Noailles'), postcode ('13003') or arrondissement ('3e arr.')."""
        key = fold(mention)
        quartier = self.quartiers.get(key) or self.quartiers_bare.get(bare(key))
        if quartier is None:
            close = self._close(key, "quartier", 0.85)
            quartier = self.quartiers[close[0]] if close else None
        if quartier is not None:
            return Place(
                quartier.name, "quartier", quartier.lat, quartier.lon, quartier.name, quartier.postcode
            )
        match = re.search(r"\b130(\d{2})\b", key) or re.search(r"\b(\d{1,2}) ?(?:e|er|eme)\b", key)
        if match and 1 <= int(match.group(1)) <= 16:
            return self.arrondissement(int(match.group(1)))
        return None

    def arrondissement(self, number: int) -> Place:
        members = [q for q in self.gazetteer.quartiers if q.arrondissement == number]
        lat = sum(q.lat for q in members) / len(members)
        lon = sum(q.lon for q in members) / len(members)
        return Place(f"{number}e arrondissement", "arrondissement", lat, lon, None, f"130{number:02d}")

    def corner(self, first: Place, second: Place) -> Place:
        """Two streets named together ('angle rue X / bd Y'): the midpoint of their points."""
        return Place(
            f"angle {first.name} / {second.name}",
            "street",
            (first.lat + second.lat) / 2,
            (first.lon + second.lon) / 2,
            first.quartier,
            first.postcode,
            None,
            min(first.score, second.score),
        )

    def city(self) -> Place:
        """The whole city, placed at its town hall when the gazetteer has one, else amid its quartiers."""
        hall = next((lm for lm in self.gazetteer.landmarks if lm.name == "Hôtel de Ville"), None)
        if hall is not None:
            return Place(self.gazetteer.city, "city", hall.lat, hall.lon)
        quartiers = self.gazetteer.quartiers
        return Place(
            self.gazetteer.city,
            "city",
            sum(q.lat for q in quartiers) / len(quartiers),
            sum(q.lon for q in quartiers) / len(quartiers),
        )

    def quartier_of(self, lat: float, lon: float) -> Quartier | None:
        """The quartier containing a point (remembered: streets and landmarks come back log after log)."""
        if (lat, lon) not in self._quartiers_at:
            if len(self._quartiers_at) >= MEMORY:
                self._quartiers_at.clear()
            self._quartiers_at[lat, lon] = self.gazetteer.quartier_at(lon, lat)
        return self._quartiers_at[lat, lon]
