"""Extending the model without code: a copy of recoupe.ttl with one more incident category and one more asset
type, and nothing else changed, is enough for the real pipeline to ingest a log of that category (given in a
`category` column, and recognised by the classifier from the new French label), for the inventory loader to
take an asset of that type by its French name, for the API to accept the category as a filter, and for the
viewer to show their French labels."""

from __future__ import annotations

import csv
import html
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from flask import Flask

from recoupe.graph.connection import connect
from recoupe.graph.home import DataHome
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest import inventories
from recoupe.ingest.layers import load_assets
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.ontology import loader
from recoupe.web import create_app, resources
from recoupe.web.auth import accounts
from tests.conftest import wipe
from tests.web.test_api import checked
from tests.web.test_auth import PASSWORD, HttpsClient, login

EXTENSION = """
cat:abandoned_scooter a skos:Concept ; skos:inScheme rcp:IncidentCategory ; skos:notation "abandoned_scooter" ;
    skos:prefLabel "trottinette abandonnée"@fr , "abandoned e-scooter"@en ;
    skos:altLabel "trottinette en travers"@fr ;
    skos:definition "Trottinette en libre-service laissée en travers d'un passage."@fr ,
        "A shared e-scooter left blocking a way."@en .
asset:ev_charger a skos:Concept ; skos:inScheme rcp:AssetType ; skos:notation "ev_charger" ;
    skos:prefLabel "borne de recharge"@fr , "EV charging station"@en ;
    skos:definition "Borne de recharge de véhicules électriques."@fr , "A charging point for electric vehicles."@en .
"""
LOGS = [
    ["X1", "2025-03-03T10:00:00+01:00", "Engin laissé sur le trottoir rue Paradis, passage bloqué.", "abandoned_scooter"],
    ["X2", "2025-03-04T11:00:00+01:00", "Une trottinette abandonnée bloque l'entrée d'un immeuble rue Paradis.", ""],
    ["X3", "2025-03-05T12:00:00+01:00", "Tapage nocturne cours Julien vers 23h, musique forte.", ""],
]  # fmt: skip


def forget_the_model() -> None:
    """The process-wide caches of what the ontology says."""
    loader.ontology.cache_clear()
    inventories._asset_types.cache_clear()


@pytest.fixture(scope="module")
def extended(
    graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("extension")
    copy = tmp / "recoupe.ttl"
    copy.write_text(loader.ONTOLOGY_FILE.read_text(encoding="utf-8") + EXTENSION, encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setattr(loader, "ONTOLOGY_FILE", copy)
    forget_the_model()
    try:
        assert "abandoned_scooter" in loader.ontology().vocabulary("IncidentCategory").notations
        home, target = tmp / "home", graph_server.target()
        with connect(target) as graph:
            wipe(graph)
            apply_schema(graph, loader.ontology())
            assets = tmp / "assets.csv"
            with open(assets, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(
                    [["id", "type", "lat", "lon"], ["EV-1", "Borne de recharge", "43.2885", "5.3790"]]
                )
            assert load_assets(graph, assets).created == 1
            logs = tmp / "logs.csv"
            with open(logs, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows([["id", "reported_at", "text", "category"], *LOGS])
            summary = Ingestor(graph, Extractor(), DataHome(home).pseudonym_key()).ingest_file(
                logs, source="X"
            )
            assert summary.created == 3 and summary.rejected == 0
        app = create_app({"TESTING": True, "RECOUPE_HOME": str(home), "RECOUPE_COOKIE_SECURE": 1,
                          "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
                          "RECOUPE_GRAPH_PASSWORD": target.password,
                          "RECOUPE_GRAPH_DATABASE": target.database or ""})  # fmt: skip
        app.test_client_class = HttpsClient
        users = accounts(app)
        users.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        users.add_user("viewer", PASSWORD, "viewer")
        yield app, {"viewer": users.create_token("viewer", "tests")[1]}
        resources.close_graphs(app)
    finally:
        patch.undo()
        forget_the_model()
        assert "abandoned_scooter" not in loader.ontology().vocabulary("IncidentCategory").notations


def test_the_api_accepts_the_new_category_as_a_filter(extended: tuple[Flask, dict[str, str]]) -> None:
    app, tokens = extended
    headers = {"Authorization": f"Bearer {tokens['viewer']}"}
    with app.test_client() as client:
        body = checked(client.get("/api/incidents?category=abandoned_scooter&limit=10", headers=headers), 200)
        assert sorted(item["id"] for item in body["items"]) == ["X:X1", "X:X2"]  # X2: from its text alone
        noise = checked(client.get("/api/incidents?category=noise", headers=headers), 200)
        assert [item["id"] for item in noise["items"]] == ["X:X3"]
        document = checked(client.get("/api/openapi.json", headers=headers), 200)
        enums = [p["schema"].get("enum", []) for op in document["paths"]["/api/incidents"].values()
                 for p in op["parameters"] if p["name"] == "category"]  # fmt: skip
        assert "abandoned_scooter" in enums[0]
        incident = checked(client.get("/api/incidents/" + quote("X:X1", safe=""), headers=headers), 200)
        assert incident["category"] == "abandoned_scooter" and incident["category_source"] == "source"
        x2 = checked(client.get("/api/incidents/" + quote("X:X2", safe=""), headers=headers), 200)
        assert x2["category_source"] == "classifier"
        assets = checked(client.get("/api/map/assets", headers=headers), 200)["items"]
        assert [(a["id"], a["asset_type"], a["type"]) for a in assets] == [
            ("EV-1", "ev_charger", "borne de recharge")
        ]
        bad = checked(client.get("/api/incidents?category=unheard_of", headers=headers), 400)
        assert "abandoned_scooter" in bad["error"]["fields"]["category"]


def test_the_viewer_shows_the_new_terms_in_french(extended: tuple[Flask, dict[str, str]]) -> None:
    app, _ = extended
    with app.test_client() as client:
        assert login(client, "viewer").status_code == 302
        incident = html.unescape(client.get("/incidents/" + quote("X:X1", safe="")).text)
        assert "trottinette abandonnée" in incident
        carte = html.unescape(client.get("/carte?category=abandoned_scooter").text)
        assert '<option value="abandoned_scooter" selected>trottinette abandonnée</option>' in carte
        ontology = html.unescape(client.get("/ontologie").text)
        assert '<tr data-term="abandoned_scooter">' in ontology and "abandoned e-scooter" in ontology
        assert '<tr data-term="ev_charger">' in ontology and "borne de recharge" in ontology
        dashboard = html.unescape(client.get("/").text)
        assert "trottinette abandonnée" in dashboard
