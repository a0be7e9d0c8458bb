"""Offline geocoding: abbreviations, accents, case, dropped particles and small typos resolve to real places,
and the precision is never finer than the gazetteer has."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.geocoder import Geocoder, _of_length, fold


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder(marseille())


def test_fold_expands_french_abbreviations() -> None:
    assert fold("12 Bd. de la Libération") == "12 boulevard de la liberation"
    assert fold("av. du Prado") == "avenue du prado"
    assert fold("r. St-Ferréol") == "rue saint ferreol"
    assert fold("rd-pt du Prado") == "rond point du prado"


@pytest.mark.parametrize(
    ("written", "street"),
    [
        ("bd National", "Boulevard National"),
        ("12 bd National", "Boulevard National"),
        ("r. de Rome", "Rue de Rome"),
        ("rue Rome", "Rue de Rome"),  # dropped particle
        ("RUE DE LA REPUBLIQUE", "Rue de la République"),  # case and accents
        ("av de la capelette", "Avenue de la Capelette"),
        ("la canebiere", "La Canebière"),
        ("cours julien", "Cours Julien"),
        ("rue Parradis", "Rue Paradis"),  # a typo
        ("crs Saint Louis", "Cours Saint Louis"),  # homonyms: the one written alike
        ("cours Saint-Louis", "Cours Saint-Louis"),
    ],
)
def test_streets(geocoder: Geocoder, written: str, street: str) -> None:
    place = geocoder.street(written)
    assert place is not None and place.name == street


def test_a_house_number_is_kept_but_not_invented(geocoder: Geocoder) -> None:
    place = geocoder.street("45 bis rue Paradis")
    assert place is not None
    assert (place.name, place.precision, place.number, place.postcode) == (
        "Rue Paradis",
        "street",
        "45",
        "13006",
    )
    street = next(s for s in marseille().streets if s.name == "Rue Paradis")
    assert (place.lat, place.lon) == (street.lat, street.lon)


def test_unknown_places_are_not_guessed(geocoder: Geocoder) -> None:
    assert geocoder.street("rue de la Paix Céleste Imaginaire") is None
    assert geocoder.landmark("tour Eiffel") is None
    assert geocoder.district("Montmartre") is None


def test_landmarks_and_districts(geocoder: Geocoder) -> None:
    assert geocoder.landmark("gare Saint-Charles").name == "Gare Saint-Charles"  # type: ignore[union-attr]
    assert geocoder.landmark("Vieux-Port").name == "Ombrière du Vieux-Port"  # type: ignore[union-attr]
    assert geocoder.landmark("stade velodrome").precision == "landmark"  # type: ignore[union-attr]
    noailles = geocoder.district("Noailles")
    assert noailles is not None and (noailles.name, noailles.precision, noailles.postcode) == (
        "NOAILLES",
        "quartier",
        "13001",
    )
    third = geocoder.district("13003")
    assert third is not None and (third.precision, third.postcode) == ("arrondissement", "13003")
    assert geocoder.district("3e arr.") == third
    assert geocoder.district("13099") is None
    assert geocoder.city().precision == "city"


def test_a_misspelt_landmark_is_found_unless_asked_for_exact_names(geocoder: Geocoder) -> None:
    found = geocoder.landmark("gare Saint-Charle")
    assert found is not None and found.name == "Gare Saint-Charles" and 0.85 <= found.score < 1.0
    assert geocoder.landmark("gare Saint-Charle", close=False) is None
    assert geocoder.landmark("gare Saint-Charles", close=False).name == "Gare Saint-Charles"  # type: ignore[union-attr]


def test_close_matches_searched_among_keys_of_a_near_length_are_those_of_all_keys(geocoder: Geocoder) -> None:
    """The length bound only skips keys difflib would drop: every landmark and quartier name, cut or with a
    letter doubled or lost, finds the same match (or none) as a search over every key."""
    for pool in (list(geocoder.landmarks), list(geocoder.quartiers)):
        for key in pool:
            for typo in (key[:-1], key[1:], key + key[-1], key[: len(key) // 2], key.replace(" ", "")):
                for cutoff in (0.85, 0.6):
                    everywhere = difflib.get_close_matches(typo, pool, n=1, cutoff=cutoff)
                    near = difflib.get_close_matches(
                        typo, _of_length(pool, len(typo), cutoff), n=1, cutoff=cutoff
                    )
                    assert near == everywhere, (typo, cutoff)


def test_agrees_with_the_demo_citys_streets(geocoder: Geocoder, tmp_path: Path) -> None:
    generate(DemoSettings(out=tmp_path, logs=2000, seed=77))
    agree = total = 0
    for line in (tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        place = record["place"]
        addresses = [
            record["text"][e["start"] : e["end"]] for e in record["entities"] if e["label"] == "ADDRESS"
        ]
        if (
            place["precision"] not in ("address", "street")
            or place["name"].startswith("angle ")
            or not addresses
        ):
            continue
        expected = place["name"].split(" ", 1)[1] if place["precision"] == "address" else place["name"]
        found = geocoder.street(addresses[0])
        total += 1
        agree += found is not None and found.name == expected
    assert agree / total >= 0.98, (agree, total)
