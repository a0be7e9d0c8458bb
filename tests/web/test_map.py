"""The map page, its /vendor/ files and /api/quartiers through the real app on the API tests' city
(tests/web/test_api.py, rebuilt for this module; its quartiers are the gazetteer's 111 of Marseille)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from recoupe.nlp.gazetteer import MARSEILLE
from recoupe.web import vendor
from tests.web import test_api
from tests.web.test_api import City
from tests.web.test_auth import login

city = test_api.city
LEAFLET = vendor.NODE_MODULES / "leaflet" / "dist" / "leaflet.js"
needs_npm = pytest.mark.skipif(
    not LEAFLET.is_file(), reason="node_modules absent: `make test` runs npm ci first"
)


def viewer(city: City) -> FlaskClient:
    client = city.app.test_client()
    assert login(client, "viewer").status_code == 302
    return client


def test_the_map_needs_a_login(city: City) -> None:
    response = city.app.test_client().get("/carte")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion?suivant=")


def test_a_role_without_read_incidents_is_refused(city: City) -> None:
    client = city.app.test_client()
    assert login(client, "auditor").status_code == 302
    assert client.get("/carte").status_code == 403


@needs_npm
def test_the_map_page_loads_leaflet_and_its_script_from_this_server(city: City) -> None:
    response = viewer(city).get("/carte?from=2025-03-01&to=2025-06-30&category=theft")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self';")
    text = response.text
    scripts = re.findall(r"<script([^>]*)>", text)
    assert scripts == [' src="/vendor/leaflet/dist/leaflet.js"', ' src="/static/map.js"']  # nothing inline
    assert "style=" not in text and "<style" not in text and "//" not in "".join(scripts)
    assert '<a href="/carte" aria-current="page">Carte</a>' in text
    assert 'value="2025-03-01"' in text and 'value="2025-06-30"' in text
    assert '<option value="theft" selected>' in text and 'data-incidents-url="/api/incidents"' in text


def test_the_period_defaults_to_the_last_30_days_of_data(city: City) -> None:
    text = viewer(city).get("/carte").text  # the latest incident: T:D 4, 1 June 2025
    assert 'id="debut" value="2025-05-03"' in text and 'id="fin" value="2025-06-01"' in text


def test_without_node_modules_the_page_says_how_to_install(city: City, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setattr(vendor, "NODE_MODULES", tmp_path / "node_modules")
    client = viewer(city)
    response = client.get("/carte")
    assert response.status_code == 200
    assert "<script" not in response.text and "n'est pas installée" in response.text
    assert "<code>make</code>" in response.text
    assert client.get("/vendor/leaflet/dist/leaflet.js").status_code == 404


@needs_npm
@pytest.mark.parametrize("name", ["leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css",
                                  "leaflet/dist/images/layers.png"])  # fmt: skip
def test_vendor_serves_the_allow_list(city: City, name: str) -> None:
    response = city.app.test_client().get(f"/vendor/{name}")
    assert response.status_code == 200
    assert response.data == (vendor.NODE_MODULES / name).read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", [
    "leaflet/package.json", "leaflet/dist/leaflet-src.js", ".package-lock.json", "../package.json",
    "leaflet/dist/../../../pyproject.toml", "..%2Fpackage.json", "%2e%2e/%2e%2e/pyproject.toml",
    "/etc/passwd", "leaflet/dist/images/../leaflet.js",
])  # fmt: skip
def test_vendor_refuses_everything_else(city: City, name: str) -> None:
    response = city.app.test_client().get(f"/vendor/{name}", follow_redirects=True)  # `//etc`: a redirect
    assert response.status_code == 404
    assert b"[project]" not in response.data and b"leaflet" not in response.data.lower()


def test_api_quartiers_is_geojson_of_the_ingested_quartiers(city: City) -> None:
    client = viewer(city)
    response = client.get("/api/quartiers")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    source = json.loads((MARSEILLE / "quartiers.geojson").read_text(encoding="utf-8"))
    assert body["type"] == "FeatureCollection" and len(body["features"]) == len(source["features"]) == 111
    by_name = {f["properties"]["name"]: f for f in body["features"]}
    mont = by_name["NOTRE-DAME-DU-MONT"]
    assert mont["type"] == "Feature" and mont["geometry"]["type"] == "MultiPolygon"
    ring = mont["geometry"]["coordinates"][0][0]
    assert ring[0] == ring[-1] and len(ring) >= 4
    assert all(5.2 < lon < 5.6 and 43.1 < lat < 43.4 for lon, lat in ring)  # longitude first, as GeoJSON
    assert mont["properties"]["arrondissement"]
    assert city.app.test_client().get("/api/quartiers").status_code == 401
