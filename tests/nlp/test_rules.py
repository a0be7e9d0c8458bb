"""Rule-based finders: times, plates, cameras, assets, districts, addresses and landmarks, with exact spans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.geocoder import Geocoder
from recoupe.nlp.rules import RuleFinder
from recoupe.ontology.loader import ontology
from recoupe.ontology.plates import normalise_plate

RULE_LABELS = {"DATETIME", "PLATE", "CAMERA", "ASSET", "DISTRICT", "ADDRESS", "PLACE"}


@pytest.fixture(scope="module")
def finder() -> RuleFinder:
    concepts = ontology().vocabulary("AssetType").concepts.values()
    labels = [c.labels.fr for c in concepts] + [a for c in concepts for a in c.alt_labels_fr]
    return RuleFinder(Geocoder(marseille()), labels)


def spans(finder: RuleFinder, text: str) -> list[tuple[str, str]]:
    return [(text[f.start : f.end], f.label) for f in finder.find(text)]


def test_a_police_log(finder: RuleFinder) -> None:
    text = "Vol à l'arraché au 12 bd National (13003) vers 23h15, auteur en scooter AB-123-CD, vu sur la caméra n°1042."
    assert spans(finder, text) == [
        ("12 bd National", "ADDRESS"),
        ("13003", "DISTRICT"),
        ("vers 23h15", "DATETIME"),
        ("AB-123-CD", "PLATE"),
        ("caméra n°1042", "CAMERA"),
    ]


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("Vu hier soir vers 22h30 devant l'école.", ["hier soir vers 22h30"]),  # pieces of one expression
        ("Garée là entre le 3/05 10h et le 5/05 8h.", ["entre le 3/05 10h et le 5/05 8h"]),
        ("Ouvert 8h-12h selon le gardien.", ["8h-12h"]),
        ("Bruit depuis 23h, puis jusqu'à 2h du matin.", ["depuis 23h", "jusqu'à 2h du matin"]),  # bounds
        ("Tous les soirs vers minuit et demi, des cris.", ["Tous les soirs vers minuit et demi"]),
        ("Il y a 10 minutes, un vélo volé ; dispute depuis trois nuits.", ["Il y a 10 minutes",
                                                                          "depuis trois nuits"]),
        ("Samedi après-midi, dans la nuit du 4 au 5 avril.", ["Samedi après-midi", "dans la nuit du 4 au 5 avril"]),
        ("Absente du vendredi 14/03 18h au dimanche 16/03 20h.", ["du vendredi 14/03 18h au dimanche 16/03 20h"]),
        ("Vol dans la nuit du 05 au 06/01, constaté le 12/03 au soir.", ["dans la nuit du 05 au 06/01",
                                                                         "le 12/03 au soir"]),
        ("Mardi 11 mars vers 14h ; le week-end dernier ; retour de week-end.", ["Mardi 11 mars vers 14h",
                                                                                "le week-end dernier"]),
        ("Cambriolée entre le vendredi 14/06 à 18h et le dimanche 16/06 à 20h.", [
            "entre le vendredi 14/06 à 18h et le dimanche 16/06 à 20h"]),
        ("tt les soirs a partir de 18h ; chaque matin ; ce week end ; à l'hôtel jusqu'à mercredi.", [
            "tt les soirs a partir de 18h", "chaque matin", "ce week end", "jusqu'à mercredi"]),
        ("Le lendemain matin, ce midi, depuis au moins 15 jours, cette semaine.", [
            "Le lendemain matin", "ce midi", "depuis au moins 15 jours", "cette semaine"]),
        # a document's date stands alone; "du" belongs to a range
        ("Main courante du 15/11/2024 : fermé du 17/03 au 21/03, puis du 3 mars au 5 mars.", [
            "15/11/2024", "du 17/03 au 21/03", "du 3 mars au 5 mars"]),
        # written without accents, and hours in four digits as radio logs write them
        ("CAMBRIOLAGE DANS LA NUIT DE SAMEDI A DIMANCHE ; ce jour a 0745 ; de 15h a 17h.", [
            "DANS LA NUIT DE SAMEDI A DIMANCHE", "ce jour a 0745", "de 15h a 17h"]),
        ("0215 EQUIPAGE BAC NORD\n0325 deux individus surpris\nEQUIPAGE PS SUD - 0850 - REQUIS PAR M. X", [
            "0215", "0325", "0850"]),
        # four digits elsewhere are no hour: an area, a sum, a number, a year
        ("Feu à 1600 m² ; vers 2000 euros ; caméra 0921 ; en 2024 ; n°E-0214-07 ; 12/03/2025\n1200 bd X", [
            "12/03/2025"]),
    ],
)  # fmt: skip
def test_time_expressions_are_whole(finder: RuleFinder, text: str, times: list[str]) -> None:
    assert [span for span, label in spans(finder, text) if label == "DATETIME"] == times


@pytest.mark.parametrize(
    ("text", "cameras"),
    [
        ("Extraction de la caméra C14 et de la cam n°88.", ["caméra C14", "cam n°88"]),
        ("Les caméras du magasin et la vidéo de l'agence ont filmé.", ["caméras du magasin", "vidéo de l'agence"]),
        ("Caméra embarquée hors service ; la vidéo montre un homme ; une caméra au coin.", ["Caméra embarquée"]),
        # a reference with a dash; a PTZ by its number alone, as operators write it
        ("CAM-0457 – 23h58 rixe. csu op NAVARRO – 03h50 – ptz 117 – tags. 10h47 – PTZ 88 –", [
            "CAM-0457", "ptz 117", "PTZ 88"]),
    ],
)  # fmt: skip
def test_cameras_by_number_or_by_whose(finder: RuleFinder, text: str, cameras: list[str]) -> None:
    assert [span for span, label in spans(finder, text) if label == "CAMERA"] == cameras


def test_landmarks_quartiers_and_assets(finder: RuleFinder) -> None:
    text = "Dans la nuit de samedi à dimanche, abribus brisé devant la gare Saint-Charles, secteur Belsunce, 1er arr."
    assert spans(finder, text) == [
        ("Dans la nuit de samedi à dimanche", "DATETIME"),
        ("abribus", "ASSET"),
        ("gare Saint-Charles", "PLACE"),
        ("Belsunce", "DISTRICT"),
        ("1er arr.", "DISTRICT"),
    ]


def test_a_street_named_after_a_quartier_is_an_address(finder: RuleFinder) -> None:
    assert spans(finder, "Rixe cours Belsunce hier soir.") == [
        ("cours Belsunce", "ADDRESS"),
        ("hier soir", "DATETIME"),
    ]


def test_a_city_service_is_no_street_fixture(finder: RuleFinder) -> None:
    assert spans(finder, "Service éclairage public : candélabre renversé.") == [("candélabre", "ASSET")]
    assert spans(finder, "Panne de l'éclairage public.") == [("éclairage public", "ASSET")]


def test_a_numbered_camera_with_its_owner(finder: RuleFinder) -> None:
    assert spans(finder, "Tout est sur la caméra 2 du magasin et la cam 214 du CSU.") == [
        ("caméra 2 du magasin", "CAMERA"),
        ("cam 214 du CSU", "CAMERA"),
    ]
    assert spans(finder, "Réquisition des images de la vidéo du CSU.") == [("vidéo du CSU", "CAMERA")]


def test_cameras_as_video_operators_write_them(finder: RuleFinder) -> None:
    """An abbreviation with its full stop, a range, a dome, a PTZ, where in a building; not a venue."""
    text = "Suivis sur cam. 215, dôme 12 et caméras 31 à 34 ; caméra PTZ n°7 ; caméra 12 du parvis ; caméras de quai."
    assert [s for s, label in spans(finder, text) if label == "CAMERA"] == [
        "cam. 215", "dôme 12", "caméras 31 à 34", "caméra PTZ n°7", "caméra 12 du parvis", "caméras de quai",
    ]  # fmt: skip
    assert [
        s for s, label in spans(finder, "Concert au Dôme 48 avenue Saint-Just.") if label == "CAMERA"
    ] == []
    # a form's camera field: its value is the reference
    text = "Heure : 02h17\nCaméra : PTZ 0561 – av. du Prado\nCAMÉRA : cam 57 - suivi"
    assert [s for s, label in spans(finder, text) if label == "CAMERA"] == ["PTZ 0561", "cam 57"]


def test_a_street_after_an_elided_article(finder: RuleFinder) -> None:
    assert spans(finder, "Le Casino de l'avenue Jules Cantini, face au 106 bis r. d'Aix.") == [
        ("avenue Jules Cantini", "ADDRESS"),
        ("106 bis r. d'Aix", "ADDRESS"),
    ]


def test_abbreviations_and_a_camera_number_that_is_not_a_house_number(finder: RuleFinder) -> None:
    assert spans(finder, "Dépôt imp. Mission de France.") == [("imp. Mission de France", "ADDRESS")]
    assert spans(finder, "Vu sur la cam 4608 esplanade Saint-Charles.") == [
        ("cam 4608", "CAMERA"),
        ("esplanade Saint-Charles", "ADDRESS"),
    ]


def test_places_carry_their_geocoding(finder: RuleFinder) -> None:
    found = {f.label: f.place for f in finder.find("Tag sur un banc au 8 r. de Rome, 13006.")}
    address, district = found["ADDRESS"], found["DISTRICT"]
    assert address is not None and (address.name, address.number) == ("Rue de Rome", "8")
    assert district is not None and district.precision == "arrondissement"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("ab 123 cd", "AB-123-CD"),
        ("AB123CD", "AB-123-CD"),
        ("ab-123-cd", "AB-123-CD"),
        ("1234abc13", "1234 ABC 13"),
    ],
)
def test_one_plate_one_key(written: str, key: str) -> None:
    assert normalise_plate(written) == key


def test_rules_find_the_demo_citys_mentions(finder: RuleFinder, tmp_path: Path) -> None:
    """The demo city writes by the same conventions; each rule label must come back with F1 ≥ 0.95."""
    generate(DemoSettings(out=tmp_path, logs=1500, seed=123))
    tp: dict[str, int] = dict.fromkeys(RULE_LABELS, 0)
    predicted, gold = dict(tp), dict(tp)
    for line in (tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        truth = {(e["start"], e["end"], e["label"]) for e in record["entities"] if e["label"] in RULE_LABELS}
        found = {(f.start, f.end, f.label) for f in finder.find(record["text"])}
        for _, _, label in found & truth:
            tp[label] += 1
        for _, _, label in found:
            predicted[label] += 1
        for _, _, label in truth:
            gold[label] += 1
    for label in RULE_LABELS:
        f1 = 2 * tp[label] / (predicted[label] + gold[label])
        assert f1 >= 0.95, (label, f1)
