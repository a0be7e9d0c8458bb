"""The extractor end to end on the real French model: entities with roles, category, interval and place;
and its scores on the hand-written gold set, which must not regress below measured floors."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recoupe.nlp.category import MODEL_FILE, CategoryClassifier
from recoupe.nlp.evaluate import Evaluation
from recoupe.nlp.extract import BESIDE_MIN, Extractor
from recoupe.nlp.gold import read_gold

GOLD_DEV = Path(__file__).resolve().parents[1] / "fixtures" / "gold_dev.jsonl"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def scored(extractor: Extractor, gold: Path) -> dict[str, Any]:
    """`recoupe eval nlp`'s report on a gold file."""
    records = read_gold(gold)
    evaluation = Evaluation()
    logs = ((r["id"], r["text"], datetime.fromisoformat(r["reported_at"])) for r in records)
    for record, extraction in zip(records, extractor.extract(logs), strict=True):
        evaluation.add(record, extraction.as_gold())
    return evaluation.report()


def test_a_police_log(extractor: Extractor) -> None:
    text = (
        "Vol avec violence au 12 bd National vers 23h15 : la victime, Mme Nadia B., s'est fait arracher son "
        "téléphone portable par un individu en scooter noir AB-123-CD. Le MEC, M. Karim DUPONT, a été interpellé."
    )
    reported = datetime.fromisoformat("2025-03-14T23:40:00+01:00")
    result = next(extractor.extract([("pm-1", text, reported)]))
    found = {(text[m.start : m.end], m.label, m.role) for m in result.mentions}
    assert {
        ("12 bd National", "ADDRESS", None),
        ("vers 23h15", "DATETIME", None),
        ("Nadia B.", "PERSON", "victim"),
        ("téléphone portable", "OBJECT", None),
        ("scooter noir", "VEHICLE", None),
        ("AB-123-CD", "PLATE", None),
        ("Karim DUPONT", "PERSON", "suspect"),
    } <= found
    assert result.category == "robbery" and result.category_confidence > 0.3
    assert (result.occurred_from, result.occurred_to) == (
        datetime.fromisoformat("2025-03-14T23:00:00+01:00"),
        datetime.fromisoformat("2025-03-14T23:30:00+01:00"),
    )
    assert (result.place.name, result.place.precision, result.place.number) == (
        "Boulevard National",
        "street",
        "12",
    )
    assert result.as_gold()["place"]["name"] == "12 Boulevard National"


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        # the second of a list plays the part of the first (a title right before the first)
        ("Ronde des médiatrices Julie P. et Samia K. place Castellane à 15h.", "Samia K.", "officer"),
        ("Équipe de nuit : les agents Marc T., Ludovic R. sur le cours Belsunce.", "Ludovic R.", "officer"),
        # a unit between the title and the name; firefighters' ranks; a plural title before a colon
        ("Opérateur CSU : Mme NAVARRO. Caméra 214.", "NAVARRO", "officer"),
        ("Agent ASVP LOPEZ et sergent-chef MOREAU sur place.", "LOPEZ", "officer"),
        ("Agent ASVP LOPEZ et sergent-chef MOREAU sur place.", "MOREAU", "officer"),
        ("Policiers : BRUNO Marc, PAOLI Anne.", "BRUNO Marc", "officer"),
        # a civility or a colon between the title and the name
        ("Images relues par l'opératrice Mme ARNAUD : deux hommes forcent la vitrine.", "ARNAUD", "officer"),
        ("Tags signalés par l'agent de propreté M. Hugo FABRE rue d'Aubagne.", "Hugo FABRE", "officer"),
        # the owner of a stolen or damaged thing is its victim
        ("Scooter volé devant le 4 rue Paradis. Propriétaire, M. Yanis GARCIA, prévenu.", "Yanis GARCIA", "victim"),
        # a role written as a label before the name says it outright, even with another cue nearer
        ("Témoin : Mme Claire FAURE, gérante du tabac, a vu l'individu partir vers le port.", "Claire FAURE",
         "witness"),
        ("Vol de sacoche dans le 83. Victime : le chauffeur, M. Paul ROUX, choqué.", "Paul ROUX", "victim"),
        # the injured are victims; officers' abbreviations are titles; the one suspected is the suspect
        ("Chute de deux-roues av. du Prado. Cyclomotoriste, M. Théo LAMBERT, inconscient, transporté à la Timone.",
         "Théo LAMBERT", "victim"),
        ("Interpellation par le GPX Olivier MARCHAND rue de Rome.", "Olivier MARCHAND", "officer"),
        # who suffered an act, named after it
        ("Braquage du tabac : un homme a bousculé le gérant, M. Alain ROUX, et pris la caisse.", "Alain ROUX",
         "victim"),
        # attacked, in the words of police logs
        ("Bus 83 arrêté quai du Port : le conducteur, M. Paul VERAN, a été pris à partie par trois jeunes.",
         "Paul VERAN", "victim"),
        # who the police checked, named right after the check
        ("Drone au-dessus du Pharo. Contrôlé à 16h50 : M. Yves PICARD, se dit photographe.", "Yves PICARD",
         "suspect"),
        # a rank written with its accents ("Second maître"); the city's and its contractors' staff
        ("Marins-pompiers\nChef d'agrès : Second maître RICCI Baptiste\nChute d'un arbre.", "RICCI Baptiste",
         "officer"),
        ("Horodateur vandalisé.\nTechnicien : Franck AUBERT, tickets relevés.", "Franck AUBERT", "officer"),
        ("Le plaignant soupçonne son ancien associé, M. Victor HUET, d'avoir pris la caisse.", "Victor HUET",
         "suspect"),
        # a signed first-person report: the signature is the complainant's ("j'ai" is the first person)
        ("Bonjour, j'ai vu des seringues dans le parc ce matin.\nCordialement,\nMarie DELORME", "Marie DELORME",
         "complainant"),
        # a list, one per line, under its role; a rank between two officers of one list
        ("Deal cité Félix Pyat.\nInterpellés :\n - SAIDI Bilal, 21 ans (guetteur)\n - TRAORE Issa, 17 ans",
         "TRAORE Issa", "suspect"),
        ("Vols à la roulotte.\nVictimes :\n1) CHABERT Hélène – Citroën C3\n2) Dr Yann LE GALL – Toyota Yaris",
         "Yann LE GALL", "victim"),
        ("Vol simple.\nAgents : Brigadier PONS Julien, Gardien FERHAT Nadia.", "FERHAT Nadia", "officer"),
        # by whom, with where the blow landed; a blow told in the present
        ("Un surveillant, M. Julien ESTEVE, a été frappé au visage par un élève exclu, BAKARI Ousmane.",
         "BAKARI Ousmane", "suspect"),
        ("Lors d'un contrôle, le conducteur, ZERROUKI Adel, porte un coup de tête au brigadier MARCHETTI Paul.",
         "ZERROUKI Adel", "suspect"),
        # a video operator as operators abbreviate it; a surname alone after another in a crew
        ("Dôme arraché, ticket maintenance ouvert par op. SANCHEZ chez Eiffage.", "SANCHEZ", "officer"),
        ("Équipe sûreté RTM : agents PONS et ZITOUNI, sur place à 18h41.", "ZITOUNI", "officer"),
    ],
)  # fmt: skip
def test_roles_from_lists_titles_and_signatures(
    extractor: Extractor, text: str, name: str, role: str
) -> None:
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("r-1", text, reported)]))
    persons = {text[m.start : m.end]: m.role for m in result.mentions if m.label == "PERSON"}
    assert persons.get(name) == role, persons


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        # the writer: signed at the end, introduced by themself
        ("Des tags sur le portail ce matin. Merci de faire intervenir le service. Nathalie Mercier, parent "
         "d'élève", {"Nathalie Mercier": "complainant"}),
        ("Je soussigné Mathieu Perret déclare avoir été victime d'un vol.", {"Mathieu Perret": "complainant"}),
        # what others did: to the writer, or what they saw
        ("Ce matin un locataire, M. Franck BONNET, m'a insultée. Une voisine, Mme Nora ZIANI, a tout vu. "
         "Sandra Meyer", {"Franck BONNET": "suspect", "Nora ZIANI": "witness", "Sandra Meyer": "complainant"}),
        # a first name by who the person is to the writer, each time it comes back; a child reported for is the
        # victim, a companion a witness
        ("Appel de M. Bernard COSTE pour son fils Enzo. Enzo n'est pas blessé. Ma voisine Rose Aubert a tout "
         "entendu.", [("Bernard COSTE", "complainant"), ("Enzo", "victim"), ("Enzo", "victim"),
                      ("Rose Aubert", "witness")]),
        ("Vol de lunettes pendant que ma collègue Léa encaissait. Merci. Léa", [("Léa", "witness"),
                                                                                ("Léa", "complainant")]),
        # a crew's "notre arrivée" is no message; a name after "M." at the end is no signature
        ("A notre arrivée dispersion. Un blessé léger, M. COSTA Paulo, transporté par les MP.",
         {"COSTA Paulo": "victim"}),
        # a name as others call someone is the suspect's; not the writer's own ("je m'appelle")
        ("Je m'appelle Inès Roux. Un jeune qui se fait appeler Zizou vend devant le hall. Un certain Bilal "
         "fait le guet.", {"Inès Roux": "complainant", "Zizou": "suspect", "Bilal": "suspect"}),
        # who did what to whom: the author before the act, the one who suffered it after
        ("Bonjour, hier M. Serge PONS a bousculé ma mère, Mme Lucie ABADIE, dans le hall. Cordialement",
         {"Serge PONS": "suspect", "Lucie ABADIE": "victim"}),
        # who found or noticed the facts is a witness; one only named ("au nom de") is another person
        ("Bonjour, le concierge, M. Paul VIDAL, a découvert la porte forcée. Le carnet au nom de Mme Anne "
         "GROS a disparu. Merci", {"Paul VIDAL": "witness", "Anne GROS": "other"}),
        # by whom, after a passive act; against whom a complaint is made; who was there in a message
        ("Je dépose plainte contre M. Hugo RAMOS. Hier j'ai été poussée par mon voisin Karim, le serveur, "
         "Marco, a tout vu. slt c Nadia", {"Hugo RAMOS": "suspect", "Karim": "suspect", "Marco": "witness",
                                            "Nadia": "complainant"}),
        # a role right before the name without a colon, or in brackets after it; the one who takes the call
        ("Vers 5h, la victime Mme Rose TANG a trouvé sa vitrine brisée. Appel de Jean NOËL (requérant). Appel "
         "pris par Sonia.", {"Rose TANG": "victim", "Jean NOËL": "complainant", "Sonia": "officer"}),
        # a title with its qualifier ("opérateur vidéo", "agent de fermeture"); those arrested, listed
        ("Opérateur vidéo : Bruno L.\nL'agent de fermeture, Thierry COSTA, n'a rien noté. Interpellés : MM. Ryan "
         "BONNET et Axel MOULIN.", {"Bruno L.": "officer", "Thierry COSTA": "officer", "Ryan BONNET": "suspect",
                                    "Axel MOULIN": "suspect"}),
    ],
)  # fmt: skip
def test_roles_in_messages_from_the_public(
    extractor: Extractor, text: str, roles: dict[str, str] | list[tuple[str, str]]
) -> None:
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("r-1", text, reported)]))
    found = [(text[m.start : m.end], m.role) for m in result.mentions if m.label == "PERSON"]
    assert (found if isinstance(roles, list) else dict(found)) == roles


def test_the_models_organisations_are_names(extractor: Extractor) -> None:
    """The model takes a capitalised common word ("Procédure") and police abbreviations ("ITT", "IPM") for
    organisations; one common word alone, or such an abbreviation, is not kept; a name of several words is."""
    texts = [
        "Procédure : vol à l'étalage au Monoprix, IPM pour le MEC.",
        "Équipage sur place à 22h10 devant le Crédit Mutuel du bd National, ITT de 3 jours pour la victime.",
    ]
    raw = [{e.text for e in doc.ents if e.label_ == "ORG"} for doc in extractor.nlp.pipe(texts)]
    assert raw == [{"Procédure", "Monoprix", "IPM"}, {"Crédit Mutuel", "ITT"}]  # what the model says
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    kept = [
        [text[m.start : m.end] for m in result.mentions if m.label == "ORG"]
        for text, result in zip(
            texts, extractor.extract([(f"o-{i}", t, reported) for i, t in enumerate(texts)]), strict=True
        )
    ]
    assert kept == [["Monoprix"], ["Crédit Mutuel"]]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Cambriolage de la Pharmacie du Canet ; rideau du Tabac de la Bourse forcé.",
         ["Pharmacie du Canet", "Tabac de la Bourse"]),
        ("Rixe au bar Le Mistral ; le gérant du garage Auto Pneus 15 nie.", ["Le Mistral", "Auto Pneus 15"]),
        ("Conduit à l'hôtel de police puis à l'Hôtel de Ville ; au bar vers 23h.", []),
        ("Vol à la Pharmacie Lafayette. VITRINE DU BAILLEUR PRÉVENU.", ["Pharmacie Lafayette"]),
        ("Équipage BAC avisé. Opérateur CSU : cam 88.", []),
    ],
)  # fmt: skip
def test_businesses_by_their_names_and_crews_are_no_organisations(
    extractor: Extractor, text: str, found: list[str]
) -> None:
    """A shop is named after its kind ("bar Le Mistral": the name; "Pharmacie du Canet": all of it); a crew or
    a desk named with a police abbreviation ("Équipage BAC", "Opérateur CSU") is no organisation."""
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("b-1", text, reported)]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == "ORG"] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # the whole noun phrase: a complement, a colour, a brand
        ("Vol de trois bouteilles de rhum et d'une chaîne en argent.", {"bouteilles de rhum", "chaîne en argent"}),
        ("Valise grise et ordinateur portable Lenovo dérobés dans le coffre.", {"Valise grise",
                                                                                 "ordinateur portable Lenovo"}),
        ("Téléphone volé à la sortie du bus, sac de sport retrouvé vide.", {"Téléphone", "sac de sport"}),
        # not a thing: a description of clothes, a participle, a verb, a first name
        ("Un homme en blouson noir a volé un sac.", {"sac"}),
        ("Le conducteur s'est montré agressif lors du contrôle.", set()),
        ("La vidéo montre un individu qui casse la vitre.", set()),
        ("Témoin : M. Pierre DURAND, voisin, a vu la scène.", set()),
        # a plural inside the phrase, one complement only, what kind it is
        ("Vol de cartouches de cigarettes et du fonds de caisse.", {"cartouches de cigarettes",
                                                                    "fonds de caisse"}),
        ("Menacée d'une arme de poing de céder son sac ; pneus usagés et écouteurs sans fil.", {
            "arme de poing", "sac", "pneus usagés", "écouteurs sans fil"}),
        # a means of contact, a compound first name, paving come loose
        ("Requérant : M. LAMBERT Jean-Pierre, joint par téléphone. Pavés descellés.", set()),
        # each part of a hyphenated word in the plural; a model's number after its maker's name; a brand with
        # a hyphen; what a thing was in is no thing taken
        ("Ils démarrent les marteaux-piqueurs ; vol d'un iPhone 14 Pro et de lunettes de soleil Ray-Ban dans "
         "mon sac.", {"marteaux-piqueurs", "iPhone 14 Pro", "lunettes de soleil Ray-Ban"}),
        # a brand in two capitals, a brand ending the sentence
        ("Vol de ses écouteurs AirPods et d'un ordinateur portable Lenovo.", {"écouteurs AirPods",
                                                                            "ordinateur portable Lenovo"}),
        # an article is no brand: the bank's name after the card is the bank's
        ("Trouvé une carte bancaire La Banque Postale près de la caisse.", {"carte bancaire"}),
        # a material written without "en"; money paid "en espèces" (clothes worn "en blouson" are none)
        ("Câbles cuivre dérobés, catalyseur scié ; 420 € en espèces saisis sur un homme en blouson noir.", {
            "Câbles cuivre", "catalyseur", "espèces"}),
        # where a thing was is no thing taken; what kind a weapon is
        ("On m'a pris mon portefeuille dans la poche de ma veste ; il avait une matraque télescopique.", {
            "portefeuille", "matraque télescopique"}),
        # what kind of thing, then its colour; the colour after a brand; an abbreviation before a brand
        ("Valise rigide grise abandonnée ; un pistolet automatique noir, un sac banane, un briquet tempête.", {
            "Valise rigide grise", "pistolet automatique noir", "sac banane", "briquet tempête"}),
        ("Objet : sac à dos Eastpak bleu. Il portait un GPS Garmin. Propriétaire joint : M. Paul MASSON.", {
            "sac à dos Eastpak bleu", "GPS Garmin"}),
    ],
)  # fmt: skip
def test_objects_are_whole_noun_phrases_and_only_things(
    extractor: Extractor, text: str, found: set[str]
) -> None:
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("o-1", text, reported)]))
    assert {text[m.start : m.end] for m in result.mentions if m.label == "OBJECT"} == found
    if "Pierre" in text:  # the name is the person's
        persons = [text[m.start : m.end] for m in result.mentions if m.label == "PERSON"]
        assert persons == (["Pierre DURAND"] if "DURAND" in text else ["LAMBERT Jean-Pierre"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Conductrice du VL Kia Picanto blanc (EF-552-HB) blessée.", ["VL Kia Picanto blanc"]),
        ("Incendie d'un scooter Peugeot Kisbee noir r. Jean Cristofol.", ["scooter Peugeot Kisbee noir"]),
        ("Dépôt sauvage : camionnette blanche Renault Master AB-913-QS.", ["camionnette blanche Renault Master"]),
        ("Repérage : Golf 7 grise sans plaque avant, puis une Yamaha.", ["Golf 7 grise", "Yamaha"]),
        ("Vol d'un vélo de course Btwin et d'une trottinette électrique Xiaomi.",
         ["vélo de course Btwin", "trottinette électrique Xiaomi"]),
        ("Un camion-citerne et un VL Renault Clio AB 123 CD.", ["camion-citerne", "VL Renault Clio"]),
        ("Trafic interrompu, 500 euros volés, des véhicules garés à l'arrêt de bus.", []),
        ("Un VU Citroën Jumpy et une moto Yamaha MT-07 ; chute d'un 2RM.", ["VU Citroën Jumpy",
                                                                           "moto Yamaha MT-07", "2RM"]),
        ("Produits vus par M. VU Minh, témoin.", []),
        ("Pierres sur mon bus articulé ; un camion plateau Iveco blanc décharge ; vol d'un vélo enfant bleu.",
         ["bus articulé", "camion plateau Iveco blanc", "vélo enfant bleu"]),
        # a bicycle alone is a vehicle, not after a bare "de"; what kind of lorry
        ("Vol de vélo : on m'a volé mon velo, et deux vélos d'enfant ; un livreur à vélo.", [
            "velo", "vélos d'enfant", "vélo"]),
        ("Un camion toupie bloque ; siphonnage d'un tracteur routier Volvo bleu AB-445-PL.", [
            "camion toupie", "tracteur routier Volvo bleu"]),
    ],
)  # fmt: skip
def test_vehicles_are_whole_descriptions(extractor: Extractor, text: str, found: list[str]) -> None:
    """A make or a model the lexicon does not list still belongs to the description; a common word spelled
    like a model, a bare plural or a transport line is no vehicle."""
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("v-1", text, reported)]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == "VEHICLE"] == found


@pytest.mark.parametrize(
    ("text", "found", "quartier"),
    [
        ("Vol à la roulotte bd de Plombières (14e). Vitre brisée.", ["14e"], None),
        ("Rixe dans le 15e, au 3e étage d'un immeuble, le 1er janvier.", ["15e"], None),
        ("Dépôt sauvage trav. de la Martine (Trois-Lucs) : gravats.", ["Trois-Lucs"], "LES TROIS LUCS"),
        ("Tapage montée des Accoules, au Panier, vers 1h.", ["Panier"], "HOTEL DE VILLE"),
        ("Nuisances place Jean Jaurès (La Plaine).", ["La Plaine"], "LE CAMAS"),
        ("Blessé transporté à l'hôpital de la Timone, puis au lycée Thiers.", [], None),
    ],
)  # fmt: skip
def test_districts_as_people_write_them(
    extractor: Extractor, text: str, found: list[str], quartier: str | None
) -> None:
    """A bare ordinal is an arrondissement where nothing follows it; a quartier is written without its
    article or by a neighbourhood's common name; a quartier's name inside a landmark's is the landmark."""
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("d-1", text, reported)]))
    districts = [m for m in result.mentions if m.label == "DISTRICT"]
    assert [text[m.start : m.end] for m in districts] == found
    if quartier:
        assert districts[0].place is not None and districts[0].place.name == quartier


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Feu de conteneurs à ordures, bancs publics et feux tricolores endommagés.",
         ["conteneurs à ordures", "bancs publics", "feux tricolores"]),
        ("Plaque d'égout déplacée, panneau STOP plié, grille d'arbre disparue.",
         ["Plaque d'égout", "panneau STOP", "grille d'arbre"]),
        ("Sacs poubelle jetés devant le local poubelles ; contrôle de M. FONTAINE Maxime.", []),
        # its number in the city's inventory, what it protects or serves, what it is for
        ("Candélabre n°04-1187 couché, barrière de sécurité pliée, arceau vélo tordu, armoire de commande "
         "ouverte, panneau publicitaire brisé.", ["Candélabre n°04-1187", "barrière de sécurité", "arceau vélo",
                                                  "armoire de commande", "panneau publicitaire"]),
    ],
)  # fmt: skip
def test_street_furniture_is_the_whole_noun_phrase(extractor: Extractor, text: str, found: list[str]) -> None:
    """What the piece holds or serves and what kind it is belong to it; a bin bag, a bin room and a surname
    are no street furniture."""
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("a-1", text, reported)]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == "ASSET"] == found


def test_a_landmark_by_its_proper_name(extractor: Extractor) -> None:
    """ "le Dôme", "la Porte d'Aix" name Le Dôme and the Arc de Triomphe de la Porte d'Aix; a "Dôme" opening a
    sentence is a camera's dome."""
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    texts = ["Rixe devant le Dôme vers 22h.", "Fuite vers la Porte d'Aix.", "Dôme brisé rue Thubaneau."]
    results = list(extractor.extract([(f"l-{i}", t, reported) for i, t in enumerate(texts)]))
    assert [r.place.name for r in results] == [
        "Le Dôme",
        "Arc de Triomphe de la Porte d'Aix",
        "Rue Thubaneau",
    ]


def test_a_named_place_holding_a_quartiers_name(extractor: Extractor) -> None:
    """A market, a beach or a school named after its quartier is the place, not the quartier."""
    text = "Vol au marché de Noailles, puis rixe devant l'école maternelle des Chartreux."
    result = next(extractor.extract([("np-1", text, datetime.fromisoformat("2025-04-02T18:00:00+02:00"))]))
    assert [
        (text[m.start : m.end], m.label) for m in result.mentions if m.label in ("PLACE", "DISTRICT")
    ] == [
        ("marché de Noailles", "PLACE"),
        ("école maternelle des Chartreux", "PLACE"),
    ]


def test_named_places_of_more_kinds(extractor: Extractor) -> None:
    """A shopping centre, a housing estate abbreviated, a transport hub; a capitalised kind after an article
    is part of the name ("à l'Hôpital Européen"); "centre-ville" names nothing."""
    text = (
        "Rendez-vous devant le centre Bourse ; deal rés. Les Oliviers ; bus au pôle d'échanges Capitaine Gèze ; "
        "blessé transporté à l'Hôpital Européen ; bouchons au centre-ville."
    )
    result = next(extractor.extract([("np-2", text, datetime.fromisoformat("2025-04-02T18:00:00+02:00"))]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == "PLACE"] == [
        "centre Bourse",
        "rés. Les Oliviers",
        "pôle d'échanges Capitaine Gèze",
        "Hôpital Européen",
    ]


def test_a_place_heading_a_line_with_its_kind_capitalised(extractor: Extractor) -> None:
    """A report's header names the site it comes from ("Hôpital Nord — PC sécurité", "Service des Espaces
    Verts — Parc Borély"), the kind capitalised."""
    text = (
        "Hôpital Nord — PC SÉCURITÉ\nRonde de nuit.\nService des Espaces Verts — Parc Borély\nBanc arraché."
    )
    result = next(extractor.extract([("np-2", text, datetime.fromisoformat("2025-04-02T18:00:00+02:00"))]))
    assert [(text[m.start : m.end], m.label) for m in result.mentions if m.label in ("PLACE", "ORG")] == [
        ("Hôpital Nord", "PLACE"),
        ("Service des Espaces Verts", "ORG"),
        ("Parc Borély", "PLACE"),
    ]


def test_the_models_persons_are_names(extractor: Extractor) -> None:
    """The model takes a capitalised common word opening a sentence for a person ("Rixe", "Chauffeur"), and a
    civility alone; those are not kept, a first name alone is."""
    texts = [
        "Rixe devant le bar à 2h. Conducteur en fuite, Monsieur refuse de signer.",
        "Chauffeur choqué. Gifle reçue par Karim BOUZID devant l'arrêt, Ahmed a prévenu la police.",
    ]
    raw = [[e.text for e in doc.ents if e.label_ == "PER"] for doc in extractor.nlp.pipe(texts)]
    assert raw == [["Rixe", "Conducteur", "Monsieur"], ["Chauffeur", "Gifle", "Karim BOUZID", "Ahmed"]]
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    results = extractor.extract([(f"p-{i}", t, reported) for i, t in enumerate(texts)])
    kept = [
        [text[m.start : m.end] for m in result.mentions if m.label == "PERSON"]
        for text, result in zip(texts, results, strict=True)
    ]
    assert kept == [[], ["Karim BOUZID", "Ahmed"]]


def test_a_sentence_after_a_title_and_a_colon_is_no_name(extractor: Extractor) -> None:
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    for text in ("Binôme de médiateurs : Va-et-vient d'acheteurs au 20 bd National.", "Opérateur PC : RAS."):
        result = next(extractor.extract([("t-1", text, reported)]))
        assert [text[m.start : m.end] for m in result.mentions if m.label == "PERSON"] == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # how someone is called, or calls themself; a title or who they are written with a capital
        ("Je suis Karima, caissière. Notre vigile, Abdou, a vu un client qu'on appelait Zizou partir.",
         ["Karima", "Abdou", "Zizou"]),
        ("Appel transféré au poste. Opérateur : Bastien.", ["Bastien"]),
        # a message's signature, two persons in one; not a closing word
        ("Bonjour, encore des tags sur le portail de l'école. Merci d'intervenir.\nYanis et Maëlle TORRES",
         ["Yanis", "Maëlle TORRES"]),
        ("Bonjour, encore du bruit cette nuit au 3 rue Curiol. Merci. Cordialement", []),
        # a surname in capitals after the model's first name; an initial keeps its full stop
        ("Il s'est fait voler son sac près des vestiaires. Cédric BARON a vu la scène.", ["Cédric BARON"]),
    ],
)  # fmt: skip
def test_names_by_how_they_are_called_and_signed(extractor: Extractor, text: str, found: list[str]) -> None:
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("n-1", text, reported)]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == "PERSON"] == found


@pytest.mark.parametrize(
    ("text", "persons", "organisations"),
    [
        # ranks abbreviated in capitals; a name never runs over a line's end
        ("Chef d'agrès : SCH VIDAL Mathieu\n\nAlerte à 03h42. Équipage : GPX N'DIAYE Moussa.",
         ["VIDAL Mathieu", "N'DIAYE Moussa"], []),
        ("Gardien : Mohamed CHERIF\n\nConstaté ce matin à 6h30.", ["Mohamed CHERIF"], []),
        # a title after the colon; ranks and a surname's particle in a list; a form's field on one line
        ("Vol simple.\nAgents : Brigadier PONS Julien, GPX LE GOFF Élodie.", ["PONS Julien", "LE GOFF Élodie"],
         []),
        ("La patrouille (GPP Sarah AMRANI, GP Pierre-Louis GUEZ) constate un dépôt.",
         ["Sarah AMRANI", "Pierre-Louis GUEZ"], []),
        ("Signalement en ligne\nNom / prénom : LEFÈVRE Camille\nType : vol", ["LEFÈVRE Camille"], []),
        # a form's name field; Messieurs, a lawyer, a doctor
        ("Formulaire de signalement\nNom : Camille Vasseur\nAdresse : 12 rue Paradis", ["Camille Vasseur"], []),
        ("Repêché par MM. Guillaume ROCCA et Pierre ROUX, assistés de Me Jacques TEISSIER.",
         ["Guillaume ROCCA", "Pierre ROUX", "Jacques TEISSIER"], []),
        # a department named in capitals is an organisation, a shop's name in quotes too; a header and the
        # line under it, or a sentence opening in common words, are none
        ("Plainte à déposer par la Direction des Parcs et Jardins. Service propreté avisé.", [],
         ["Direction des Parcs et Jardins"]),
        ("Tapage au bar « Le Petit Zinc » situé en rez-de-chaussée.", [], ["Le Petit Zinc"]),
        ("SNCF — SÛRETÉ FERROVIAIRE\nMain courante du poste. Séparation des groupes par les agents.", [],
         ["SNCF"]),
        # the surname first, in capitals, wherever it stands; never an abbreviation, a make or a unit's name
        ("Conducteur du fourgon HADDAD Karim, employé.\nMEC : BOUZID Ryan, porteur d'un GPS Garmin.",
         ["HADDAD Karim", "BOUZID Ryan"], []),
        ("Papiers au nom de ABDELLI Yacine. VL Dacia Sandero, patrouille BAC Nord, BTP Provence avisée.",
         ["ABDELLI Yacine"], ["BTP Provence"]),
        ("Renfort : agents PONS et BAC Nord ; Op. : Hélène FAURE / chef de salle DUBOIS.",
         ["PONS", "Hélène FAURE", "DUBOIS"], []),
    ],
)  # fmt: skip
def test_names_in_professional_headers_and_forms(
    extractor: Extractor, text: str, persons: list[str], organisations: list[str]
) -> None:
    reported = datetime.fromisoformat("2025-04-02T18:00:00+02:00")
    result = next(extractor.extract([("h-1", text, reported)]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == "PERSON"] == persons
    assert [text[m.start : m.end] for m in result.mentions if m.label == "ORG"] == organisations


def test_no_mention_runs_over_a_lines_end(extractor: Extractor) -> None:
    """A header's date and the next line's time are two times; a place is cut at the line's end, and a
    lower-case word left before it is no place."""
    text = (
        "CSU – 03/03/2025\n06h48 – entrée des urgences de l'hôpital de la Timone\nMotif : AVP.\n"
        "Agent : Hervé LOMBARDI, surveillant de port\n\nLe 14/08/2025 à 23h25, chute à l'eau."
    )
    reported = datetime.fromisoformat("2025-08-14T23:50:00+02:00")
    result = next(extractor.extract([("l-1", text, reported)]))
    found = [(text[m.start : m.end], m.label) for m in result.mentions if m.label in ("DATETIME", "PLACE")]
    assert found == [("03/03/2025", "DATETIME"), ("06h48", "DATETIME"), ("hôpital de la Timone", "PLACE"),
                     ("Le 14/08/2025 à 23h25", "DATETIME")]  # fmt: skip


def test_a_habit_is_a_time_but_not_the_occurrence(extractor: Extractor) -> None:
    text = "Tous les soirs des jeunes crient sous mes fenêtres ; hier vers 23h ils ont cassé le banc."
    reported = datetime.fromisoformat("2025-04-02T09:00:00+02:00")
    result = next(extractor.extract([("h-1", text, reported)]))
    times = [text[m.start : m.end] for m in result.mentions if m.label == "DATETIME"]
    assert times == ["Tous les soirs", "hier vers 23h"]
    assert result.occurred_from == datetime.fromisoformat("2025-04-01T22:30:00+02:00")


def test_a_time_to_come_is_a_time_but_not_the_occurrence(extractor: Extractor) -> None:
    text = "Hier soir vers 23h le banc a été cassé ; réparation demain matin, peinture la semaine prochaine."
    reported = datetime.fromisoformat("2025-04-02T09:00:00+02:00")
    result = next(extractor.extract([("t-1", text, reported)]))
    times = [text[m.start : m.end] for m in result.mentions if m.label == "DATETIME"]
    assert times == ["Hier soir vers 23h", "demain matin", "la semaine prochaine"]
    assert result.occurred_from == datetime.fromisoformat("2025-04-01T22:30:00+02:00")


@pytest.mark.parametrize(
    ("text", "reported", "occurred"),
    [
        (  # found on the morning round, seen on the video at night
            "Constaté ce matin à 6h30 lors de la ronde : porte du parking forcée. La vidéo montre deux individus "
            "entrant à 01h12.",
            "2025-04-08T08:15:00+02:00",
            ("2025-04-08T01:12:00+02:00", "2025-04-08T01:12:00+02:00"),
        ),
        (  # the day and hour of the finding, then the night of the facts
            "Constat le 12/09/2025 à 08h15 : abribus brisé. Dégradations commises dans la nuit du 11 au 12.",
            "2025-09-12T09:00:00+02:00",
            ("2025-09-11T22:00:00+02:00", "2025-09-12T06:00:00+02:00"),
        ),
        (  # the finding after its time: "ce matin en arrivant"
            "Ce matin en arrivant à 7h30 j'ai trouvé la vitrine brisée ; un voisin a entendu du bruit vers 4h.",
            "2024-07-09T08:40:00+02:00",
            ("2024-07-09T03:30:00+02:00", "2024-07-09T04:30:00+02:00"),
        ),
        (  # an hour after the finding is no time of the facts: the finding stays
            "Constaté à 8h : tags sur le mur de l'école. Intervention de la police à 9h15.",
            "2025-05-06T10:00:00+02:00",
            ("2025-05-06T08:00:00+02:00", "2025-05-06T08:00:00+02:00"),
        ),
        (  # an hour later in the day than the report, read as the day before, is no fact of that morning
            "Ce matin à 7h50, en ouvrant le portail, nous avons constaté les barrières arrachées. Merci "
            "d'intervenir avant 16h30.",
            "2025-01-06T08:35:00+01:00",
            ("2025-01-06T07:50:00+01:00", "2025-01-06T07:50:00+01:00"),
        ),
    ],
)
def test_the_time_of_the_facts_before_the_time_they_were_found(
    extractor: Extractor, text: str, reported: str, occurred: tuple[str, str]
) -> None:
    result = next(extractor.extract([("d-1", text, datetime.fromisoformat(reported))]))
    assert (result.occurred_from, result.occurred_to) == tuple(map(datetime.fromisoformat, occurred))


@pytest.mark.parametrize(
    ("text", "label", "found"),
    [
        # what qualifies a model ("hybride"), a bicycle's kind, a colour in two words
        ("Catalyseur volé sur sa Toyota Yaris hybride grise. Guetteur sur vélo BMX près d'une Twingo bleu nuit.",
         "VEHICLE", ["Toyota Yaris hybride grise", "vélo BMX", "Twingo bleu nuit"]),
        # a professor's title is a civility; a common surname after a first name and a colon; a log in capitals
        # goes on after a name
        ("Le responsable, Pr Éric VALLET, déposera plainte.\nOpérateur : Sébastien Roux", "PERSON",
         ["Éric VALLET", "Sébastien Roux"]),
        ("EQUIPAGE PS SUD - REQUIS PAR M. ESPOSITO Marc POUR CAMBRIOLAGE.\nPLACE EN GAV. OPJ CNE ROMANO AVISE",
         "PERSON", ["ESPOSITO Marc", "ROMANO"]),
        # a night or a week-end named by its dates, without "dans"; "et" joins a range's ends only
        ("Secteur : 13004 – nuit du 11 au 12/01/2025\nPériode probable : week-end du 10-11 août", "DATETIME",
         ["nuit du 11 au 12/01/2025", "week-end du 10-11 août"]),
        ("J'avais fermé samedi à 19h et ce matin à 8h30 la porte était forcée, comme entre le 2/06 et le 3/06.",
         "DATETIME", ["samedi à 19h", "ce matin à 8h30", "entre le 2/06 et le 3/06"]),
        # clothes describe someone unless a determiner makes them a thing, not worn
        ("Individu 1 : blouson noir. Homme de 25 ans, veste en jean, qui portait un casque rose, cache un "
         "casque audio Sony sous sa veste. Un casque abandonné ; vol de mon blouson.", "OBJECT",
         ["casque audio Sony", "casque", "blouson"]),
        ("Ma caméra de surveillance a tout filmé ; le commerce dispose d'une caméra intérieure.", "CAMERA",
         ["caméra de surveillance", "caméra intérieure"]),
        # tools, burglars' gear and what completes them; a brand's capital inside a word; an enclosure's wall
        # and a verb are no things
        ("Ouverte avec une clé à molette, l'antivol en U coupé avec une pince coupe-boulon, porteur d'un "
         "jerrican et d'un brise-vitre, ses AirPods, une enceinte bluetooth, la clôture d'enceinte découpée ; il "
         "se montre insultant.", "OBJECT",
         ["clé à molette", "antivol en U", "pince coupe-boulon", "jerrican", "brise-vitre", "AirPods",
          "enceinte bluetooth"]),
        # a quartier inside a business's name is part of it; a kind at a line's end names nothing
        ("Tapage au bar Le Zinc de la Plaine ; gérante de la boutique Fleurs de Castellane ; devant "
         "l'établissement Le Molotov.", "ORG", ["Le Zinc de la Plaine", "Fleurs de Castellane", "Le Molotov"]),
        ("Agent de sécurité de l'établissement\nSuite : MEC placé en GAV.", "ORG", []),
        # a call's transcript: the speakers' labels and a pronoun are no names
        ("Opérateur : Police secours, j'écoute.\nAppelante : Oui bonjour.\nOpérateur : Vous avez une "
         "description ?\nAppelante : Mme PAOLI Sandra.", "PERSON", ["PAOLI Sandra"]),
    ],
)  # fmt: skip
def test_descriptions_names_and_times_of_later_sets(
    extractor: Extractor, text: str, label: str, found: list[str]
) -> None:
    reported = datetime.fromisoformat("2025-08-20T10:00:00+02:00")
    result = next(extractor.extract([("i-1", text, reported)]))
    assert [text[m.start : m.end] for m in result.mentions if m.label == label] == found


@pytest.mark.parametrize(
    ("text", "person", "role"),
    [
        (
            "Sommes requis à 02h40 par une voisine, Mme BLANC Nicole, pour des cris.",
            "BLANC Nicole",
            "complainant",
        ),
        ("EQUIPAGE PS SUD - REQUIS PAR M. ESPOSITO Marc POUR CAMBRIOLAGE", "ESPOSITO Marc", "complainant"),
        ("Tags au 2e étage. Le responsable, Pr Éric VALLET, déposera plainte.", "Éric VALLET", "complainant"),
        ("La voisine de palier, Mme PEYRE Odile, dit avoir entendu du bruit.", "PEYRE Odile", "witness"),
        ("Voyageur sans titre. L'intéressé, SALAH Amine, refuse le contrôle.", "SALAH Amine", "suspect"),
    ],
)
def test_roles_from_police_wording(extractor: Extractor, text: str, person: str, role: str) -> None:
    reported = datetime.fromisoformat("2025-08-20T10:00:00+02:00")
    result = next(extractor.extract([("i-2", text, reported)]))
    assert [(text[m.start : m.end], m.role) for m in result.mentions if m.label == "PERSON"] == [
        (person, role)
    ]


def test_the_writers_home_is_not_the_place(extractor: Extractor) -> None:
    text = "J'habite 4 rue Nau et la fête vient du 11 rue de Tilsit depuis 21h."
    result = next(extractor.extract([("app-1", text, datetime.fromisoformat("2025-06-01T00:30:00+02:00"))]))
    assert result.place.name == "Rue de Tilsit" and result.category == "noise"


def test_no_time_no_place(extractor: Extractor) -> None:
    result = next(
        extractor.extract(
            [("x", "Objet trouvé remis au poste.", datetime.fromisoformat("2025-06-01T10:00:00+02:00"))]
        )
    )
    assert result.occurred_from is None and result.place.precision == "city" and result.category == "other"


def test_scores_on_the_gold_dev_set_hold(extractor: Extractor) -> None:
    """Floors a little under what was measured when this test was written (see the closing note); a change that
    breaks extraction fails here."""
    report = scored(extractor, GOLD_DEV)
    assert report["logs"] == 300
    assert report["entities_exact"]["micro"]["f1"] >= 0.93
    assert report["entities_overlap"]["micro"]["f1"] >= 0.95
    assert report["entities_exact"]["PERSON"]["f1"] >= 0.95
    assert report["entities_exact"]["ORG"]["f1"] >= 0.88
    assert report["entities_exact"]["OBJECT"]["f1"] >= 0.79
    assert report["entities_exact"]["VEHICLE"]["f1"] >= 0.92
    assert report["entities_exact"]["DISTRICT"]["f1"] >= 0.92
    assert report["entities_exact"]["ASSET"]["f1"] >= 0.92
    assert report["entities_exact"]["ADDRESS"]["f1"] >= 0.93
    assert report["time_accuracy"] >= 0.94
    assert report["geocoding_within_1km"] >= 0.9
    assert report["category_accuracy"] >= 0.72
    assert report["role_accuracy"] >= 0.85


@pytest.mark.parametrize(
    ("name", "micro", "overlap", "roles", "categories", "times"),
    [
        ("a", 0.95, 0.95, 0.78, None, 0.94),
        ("b", 0.87, 0.91, 0.70, 0.88, 0.86),
        ("c", 0.92, 0.92, 0.82, None, 0.86),
        ("d", 0.92, 0.93, 0.74, None, 0.94),
        ("e", 0.81, 0.88, 0.74, 0.86, 0.82),
        ("f", 0.88, 0.92, 0.70, None, 0.94),
        ("g", 0.79, 0.86, 0.78, 0.72, 0.84),
        ("h", 0.85, 0.89, 0.78, 0.74, 0.88),
        ("i", 0.93, 0.94, 0.76, 0.66, 0.86),
    ],
)
def test_scores_on_the_held_out_sets_hold(
    extractor: Extractor,
    name: str,
    micro: float,
    overlap: float,
    roles: float,
    categories: float | None,
    times: float,
) -> None:
    """Nine sets written apart from the rules (tests/fixtures/holdout/README.md); b and e are only ever
    scored, and the category model never learned from them (it did from a, c and d: their categories are not
    floored here; f's, 0.80, is not floored either: one set is no measure of the model; g's, 0.76, and h's,
    0.78, and i's, 0.70, are, loosely, as never-trained-on readings). Floors a little under what was measured
    (docs/extraction.md)."""
    report = scored(extractor, FIXTURES / "holdout" / f"{name}.jsonl")
    assert report["logs"] == 50
    assert report["entities_exact"]["micro"]["f1"] >= micro
    assert report["entities_overlap"]["micro"]["f1"] >= overlap
    assert report["role_accuracy"] >= roles
    assert categories is None or report["category_accuracy"] >= categories
    assert report["time_accuracy"] >= times


@pytest.mark.parametrize(
    ("name", "floor"),
    [("categories_a.tsv", 56), ("categories_b.tsv", 30)],  # 58/64 and 33/48 measured (docs/extraction.md)
)
def test_categories_of_logs_written_apart(extractor: Extractor, name: str, floor: int) -> None:
    """Short logs, 4 (a) or 3 (b) per category, written apart from the gold set and the demo city and never
    trained on; b was never looked at, only scored. The learned model reads them better than the cues alone
    (55/64 and 23/48 measured)."""
    rows = [line.split("\t", 1) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()]
    assert len({category for category, _ in rows}) == 16
    vectors = extractor.nlp.vocab.vectors
    learned = sum(extractor.classifier.classify(text, vectors)[0] == category for category, text in rows)
    cues = sum(extractor.classifier.classify(text)[0] == category for category, text in rows)
    assert learned >= floor and learned > cues


def test_the_category_model_says_what_it_was_trained_on() -> None:
    described = CategoryClassifier().description()
    assert described is not None and described["model"] == "logistic regression, C=100.0"
    assert described["trained_on"][0] == "tests/fixtures/gold_dev.jsonl (300 logs)"
    assert not any("/b.jsonl" in s or "/e.jsonl" in s for s in described["trained_on"])  # only ever scored
    assert CategoryClassifier(model=None).description() is None


def test_a_model_trained_for_other_categories_leaves_the_cues_to_decide(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An ontology extended with a category the model never saw: the cues decide, and the log says to retrain."""
    with np.load(MODEL_FILE) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays["codes"] = arrays["codes"][:-1]  # as if trained before the ontology's last category
    np.savez(tmp_path / "old.npz", **arrays)
    with caplog.at_level(logging.WARNING, logger="recoupe.nlp.category"):
        classifier = CategoryClassifier(model=tmp_path / "old.npz")
    assert classifier.learned is None and "run tools/train_category.py" in caplog.text
    assert classifier.classify("Rixe devant le bar", vectors=object()) == classifier.classify(
        "Rixe devant le bar"
    )


def test_baseline_scoring_maps_the_models_labels() -> None:
    from recoupe.nlp.evaluate import baseline_scores

    gold = [
        {
            "entities": [
                {"start": 0, "end": 8, "label": "PERSON", "role": "victim"},
                {"start": 20, "end": 30, "label": "ADDRESS"},
            ]
        }
    ]
    raw = [[(0, 8, "PER"), (12, 15, "ORG"), (18, 30, "LOC")]]
    scores = baseline_scores(gold, raw)
    assert scores["exact"]["PER"]["f1"] == 1.0
    assert scores["exact"]["ORG"]["precision"] == 0.0
    assert scores["exact"]["LOC"]["f1"] == 0.0 and scores["overlap"]["LOC"]["f1"] == 1.0


def test_worker_processes_give_the_same_result() -> None:
    logs = [
        (f"x{i}", text, datetime.fromisoformat("2025-06-01T10:00:00+02:00"))
        for i, text in enumerate(
            ["Vol de vélo rue Paradis vers 9h.", "Tapage au 3 bd National, requérant M. Jean L."] * 3
        )
    ]
    single = [e.as_gold() for e in Extractor().extract(logs)]
    parallel = [e.as_gold() for e in Extractor(processes=2).extract(logs, batch_size=2)]
    assert parallel == single
    # a call long enough for the rules' process beside the model, which also takes whole chunks
    many = [(f"y{i}", text, at) for i, (_, text, at) in enumerate(logs * (BESIDE_MIN // len(logs) + 2))]
    single = [e.as_gold() for e in Extractor(rules_beside=False).extract(many)]
    extractor = Extractor(processes=2)
    assert [e.as_gold() for e in extractor.extract(many, batch_size=16)] == single
    assert extractor.read_beside > 0
    extractor.close()


def test_only_the_ner_is_loaded(extractor: Extractor) -> None:
    """Recoupe reads `doc.ents` only: the tagger, parser and lemmatizer would cost 2.5 times the time."""
    assert extractor.nlp.pipe_names == ["ner"]
