"""The ontology loads into frozen dataclasses, holds the vocabularies the issue names, and fails loudly when broken."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from recoupe.ontology.errors import OntologyError, UnknownTerm
from recoupe.ontology.loader import ONTOLOGY_FILE, SHAPES_FILE, load_ontology, ontology

CATEGORIES = {
    "theft": "vol", "burglary": "cambriolage", "robbery": "vol avec violence", "assault": "agression",
    "brawl": "rixe", "vandalism": "dégradation", "graffiti": "tag", "arson": "incendie", "noise": "tapage",
    "drugs": "stupéfiants", "illegal_dumping": "dépôt sauvage", "road_hazard": "voirie dangereuse",
    "traffic_accident": "accident", "public_disorder": "trouble à l'ordre public",
    "suspicious_activity": "comportement suspect", "other": "autre",
}  # fmt: skip
ASSET_TYPES = {
    "bus_shelter": "abribus", "street_light": "lampadaire", "bench": "banc", "bin": "poubelle",
    "parking_meter": "horodateur", "traffic_light": "feu tricolore", "road_sign": "panneau", "bollard": "potelet",
    "fountain": "fontaine", "public_toilet": "sanisette", "bike_station": "station vélo", "playground": "aire de jeux",
}  # fmt: skip
ROLES = {"victim", "suspect", "witness", "complainant", "officer", "other"}


def test_vocabularies_hold_the_named_terms_with_french_labels() -> None:
    model = ontology()
    categories = model.vocabulary("IncidentCategory")
    assert {code: c.labels.fr for code, c in categories.concepts.items()} == CATEGORIES
    assert categories.concept("theft").labels.en == "theft"
    assets = model.vocabulary("AssetType")
    assert {code: c.labels.fr for code, c in assets.concepts.items()} == ASSET_TYPES
    assert set(model.vocabulary("PersonRole").notations) == ROLES
    assert model.vocabulary_of("role").name == "PersonRole"
    assert model.vocabulary("IncidentCategory").concept("graffiti").broader == ("vandalism",)


def test_core_classes_relationships_and_keys() -> None:
    model = ontology()
    assert set(model.node_types) == {
        "Incident", "Person", "Vehicle", "Plate", "Object", "Organisation", "Place", "Quartier", "Arrondissement",
        "Camera", "StreetAsset", "Cell", "Forecast", "Source",
    }  # fmt: skip
    incident = model.node_type("Incident")
    assert incident.key == "id"
    assert set(incident.required) == {"id", "source", "category", "occurred_from", "occurred_to"}
    assert {"reported_at", "occurred_from", "category"} <= set(incident.indexed)
    assert "https://schema.org/Event" in incident.aligned_with
    assert "http://www.w3.org/ns/sosa/Sensor" in model.node_type("Camera").aligned_with
    involves = model.rel_type("INVOLVES")
    assert involves.properties == ("role",) and "Person" in involves.targets
    assert model.rel_type("NEAR_REPEAT").properties == ("hours", "metres", "rule")
    assert model.rel_type("EXTRACTED_FROM").properties == ("end", "start")
    assert model.property("occurred_from").datatype == "datetime"
    assert model.property("lat").datatype == "float"


def test_every_term_has_french_and_english_labels_and_definitions() -> None:
    model = ontology()
    terms = [*model.node_types.values(), *model.rel_types.values(), *model.properties.values()]
    terms += [c for v in model.vocabularies.values() for c in v.concepts.values()]
    for term in terms:
        assert all((term.labels.fr, term.labels.en, term.labels.definition_fr, term.labels.definition_en)), (
            term
        )


def test_names_follow_the_house_conventions() -> None:
    model = ontology()
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", n) for n in model.node_types)
    assert all(re.fullmatch(r"[A-Z][A-Z_]+", n) for n in model.rel_types)
    assert all(re.fullmatch(r"[a-z][a-z_]*", n) for n in model.properties)


def test_model_is_frozen() -> None:
    model = ontology()
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.node_type("Incident").key = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        model.node_types["Bogus"] = model.node_type("Incident")  # type: ignore[index]
    assert ontology() is model  # built once


def test_unknown_terms_are_refused_with_the_choices() -> None:
    with pytest.raises(UnknownTerm, match="'Suspect' is not a node label") as err:
        ontology().node_type("Suspect")
    assert "Incident" in err.value.hint
    with pytest.raises(UnknownTerm, match="not a term of the vocabulary IncidentCategory"):
        ontology().vocabulary("IncidentCategory").concept("murder")


def _broken(
    tmp_path: Path, ontology_edit: tuple[str, str] | None = None, shapes_edit: tuple[str, str] | None = None
):
    onto, shapes = tmp_path / "recoupe.ttl", tmp_path / "shapes.ttl"
    shutil.copy(ONTOLOGY_FILE, onto)
    shutil.copy(SHAPES_FILE, shapes)
    for path, edit in ((onto, ontology_edit), (shapes, shapes_edit)):
        if edit:
            text = path.read_text(encoding="utf-8")
            assert edit[0] in text
            path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    return onto, shapes


def test_copied_files_load_identically(tmp_path: Path) -> None:
    assert load_ontology(*_broken(tmp_path)).node_types == ontology().node_types


def test_dangling_term_names_file_and_term(tmp_path: Path) -> None:
    files = _broken(
        tmp_path,
        (
            "rcp:key rcp:id ;\n    rcp:indexedBy rcp:reported_at",
            "rcp:key rcp:id ;\n    rcp:indexedBy rcp:reportd_at",
        ),
    )
    with pytest.raises(OntologyError) as err:
        load_ontology(*files)
    assert err.value.file.endswith("recoupe.ttl") and err.value.term == "reportd_at"
    assert "never declared" in err.value.message


def test_missing_french_label_is_refused(tmp_path: Path) -> None:
    files = _broken(tmp_path, ('rdfs:label "Caméra"@fr , "Camera"@en', 'rdfs:label "Camera"@en'))
    with pytest.raises(OntologyError, match=r"recoupe.ttl: Camera: needs exactly one label in 'fr'"):
        load_ontology(*files)


def test_shape_datatype_must_agree_with_range(tmp_path: Path) -> None:
    edit = (
        "[ sh:path rcp:bearing_deg ; sh:datatype xsd:double",
        "[ sh:path rcp:bearing_deg ; sh:datatype xsd:integer",
    )
    with pytest.raises(OntologyError, match=r"shapes.ttl: Camera.bearing_deg: sh:datatype disagrees"):
        load_ontology(*_broken(tmp_path, shapes_edit=edit))


def test_shape_on_unknown_property_is_refused(tmp_path: Path) -> None:
    edit = ("[ sh:path rcp:pseudonym ;", "[ sh:path rcp:colour ;")
    with pytest.raises(OntologyError, match=r"Person.colour: path is not a property of the class"):
        load_ontology(*_broken(tmp_path, shapes_edit=edit))


def test_syntax_error_is_reported_with_the_file(tmp_path: Path) -> None:
    files = _broken(tmp_path, ("rcp:Incident a owl:Class ;", "rcp:Incident a owl:Class ;;; ]"))
    with pytest.raises(OntologyError, match=r"recoupe.ttl: syntax"):
        load_ontology(*files)
