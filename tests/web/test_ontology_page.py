"""/ontologie through the real app and real accounts (no graph needed): the page lists every class, relationship,
property and vocabulary term of the ontology with its French and English labels and its alignments; the
Turtle and JSON-LD files come by content negotiation or by their own addresses, and parse back to the same
graph; the SHACL shapes the same way; a login and `read.incidents` are needed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import rdflib
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS, SKOS

from recoupe.ontology.docs import curie
from recoupe.ontology.loader import ONTOLOGY_FILE, SHAPES_FILE, ontology
from recoupe.web import create_app
from recoupe.web.auth import ROLES, accounts
from tests.web.test_auth import HttpsClient, login

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    home = tmp_path_factory.mktemp("ontologie") / "home"
    app = create_app({"TESTING": True, "RECOUPE_HOME": str(home), "RECOUPE_COOKIE_SECURE": 1})
    app.test_client_class = HttpsClient
    users = accounts(app)
    users.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    for role in ROLES:
        users.add_user(role, "correct horse battery staple", role)
    return app


def client_as(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, role, "correct horse battery staple").status_code == 302
    return client


@pytest.fixture(scope="module")
def viewer(app: Flask) -> FlaskClient:
    return client_as(app, "viewer")


def test_a_browser_gets_the_page_listing_every_class_with_both_labels(viewer: FlaskClient) -> None:
    response = viewer.get("/ontologie", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Vary"] == "Accept"
    page = html.unescape(response.text)
    model = ontology()
    rows = dict(re.findall(r'<tr data-term="([^"]+)">(.*?)</tr>', page, re.S))
    for name, node_type in model.node_types.items():
        assert name in rows, name
        assert f'<strong class="label-fr">{node_type.labels.fr}</strong>' in rows[name]
        assert f'<strong class="label-en">{node_type.labels.en}</strong>' in rows[name]
        assert node_type.labels.definition_fr in rows[name] and node_type.labels.definition_en in rows[name]
    for name in (*model.rel_types, *model.properties):
        assert name in rows, name
    for vocabulary in model.vocabularies.values():
        assert f'id="vocabulaire-{vocabulary.name}"' in page
        for code, concept in vocabulary.concepts.items():
            assert f'<strong class="label-fr">{concept.labels.fr}</strong>' in rows[code], code
    assert (
        "<h1>Ontologie</h1>" in page and 'aria-current="page">Ontologie</a>' in page
    )  # in the navigation bar


def test_the_page_shows_the_alignments_of_the_file(viewer: FlaskClient) -> None:
    page = html.unescape(viewer.get("/ontologie").text)
    rows = dict(re.findall(r'<tr data-term="([^"]+)">(.*?)</tr>', page, re.S))
    assert (
        'rdfs:subClassOf <a href="https://schema.org/Event" rel="external">schema:Event</a>'
        in rows["Incident"]
    )
    assert "sosa:Sensor" in rows["Camera"]
    graph = rdflib.Graph().parse(ONTOLOGY_FILE)
    stated = 0
    for cls, target in graph.subject_objects(RDFS.subClassOf):
        name = str(cls).rsplit("#", 1)[-1]
        if str(cls).startswith("https://w3id.org/recoupe/") and not str(target).startswith(
            "https://w3id.org/"
        ):
            assert curie(str(target)) in rows[name], (name, target)
            stated += 1
    assert stated >= 10


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json"),
     ("text/turtle;q=0.9, text/html;q=0.5", "text/turtle"), ("*/*", "text/html"), (BROWSER, "text/html")],
)  # fmt: skip
def test_content_negotiation(viewer: FlaskClient, accept: str, mimetype: str) -> None:
    response = viewer.get("/ontologie", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["Vary"] == "Accept"


def test_the_turtle_file_is_the_ontology_and_json_ld_the_same_graph(viewer: FlaskClient) -> None:
    turtle = viewer.get("/ontologie", headers={"Accept": "text/turtle"})
    assert turtle.data == ONTOLOGY_FILE.read_bytes()
    assert viewer.get("/ontologie.ttl").data == turtle.data
    assert 'filename="recoupe-ontology.ttl"' in viewer.get("/ontologie.ttl").headers["Content-Disposition"]
    jsonld = viewer.get("/ontologie.jsonld")
    assert jsonld.mimetype == "application/ld+json"
    declared = dict(re.findall(r"@prefix (\w+):\s+<([^>]+)>", ONTOLOGY_FILE.read_text(encoding="utf-8")))
    assert jsonld.get_json()["@context"] == declared  # the file's own prefixes, none of rdflib's
    assert declared["schema"] == "https://schema.org/"
    from_turtle = rdflib.Graph().parse(data=turtle.data, format="turtle")
    from_jsonld = rdflib.Graph().parse(data=jsonld.data, format="json-ld")
    assert len(from_jsonld) == len(from_turtle) > 1000
    assert isomorphic(from_turtle, from_jsonld)
    theft = rdflib.URIRef(ontology().vocabulary("IncidentCategory").concept("theft").iri)
    assert (theft, SKOS.prefLabel, rdflib.Literal("vol", lang="fr")) in from_jsonld


def test_the_shapes_are_served_the_same_way(viewer: FlaskClient) -> None:
    assert viewer.get("/ontologie/shapes.ttl").data == SHAPES_FILE.read_bytes()
    assert viewer.get("/ontologie/shapes", headers={"Accept": "text/turtle"}).data == SHAPES_FILE.read_bytes()
    negotiated = viewer.get("/ontologie/shapes", headers={"Accept": "application/ld+json"})
    assert negotiated.mimetype == "application/ld+json"
    shapes = rdflib.Graph().parse(data=negotiated.data, format="json-ld")
    assert len(shapes) == len(rdflib.Graph().parse(SHAPES_FILE))
    assert json.loads(viewer.get("/ontologie/shapes.jsonld").data) == json.loads(negotiated.data)


@pytest.mark.parametrize(
    "path", ["/ontologie", "/ontologie.ttl", "/ontologie.jsonld", "/ontologie/shapes.ttl"]
)
def test_a_login_and_read_incidents_are_needed(app: Flask, path: str) -> None:
    anonymous = app.test_client().get(path, headers={"Accept": "text/turtle"})
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/connexion")
    assert client_as(app, "auditor").get(path).status_code == 403  # the auditor reads the audit log only
    for role in ("viewer", "analyst", "admin"):
        assert client_as(app, role).get(path).status_code == 200


def test_the_files_served_are_those_the_loader_reads(
    viewer: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / "recoupe.ttl"
    copy.write_bytes(ONTOLOGY_FILE.read_bytes() + b"\n# a copy\n")
    monkeypatch.setattr("recoupe.ontology.loader.ONTOLOGY_FILE", copy)
    assert viewer.get("/ontologie.ttl").data.endswith(b"# a copy\n")
