"""The map page, its /vendor/ files, its layers' endpoints (/api/quartiers, /api/map/assets, /api/map/streets,
/api/map/forecasts), the tile option and the incident page's small map, through the real app on the API tests'
city (tests/web/test_api.py, rebuilt for this module; its quartiers are the gazetteer's 111 of Marseille, its
two forecast cells get their 500 m squares here, as `recoupe forecast` writes them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from recoupe.graph import queries
from recoupe.graph.connection import connect
from recoupe.graph.server import EmbeddedServer
from recoupe.nlp.gazetteer import MARSEILLE, marseille
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import offset
from recoupe.ontology.wkt import to_wkt
from recoupe.web import create_app, map_page, vendor
from recoupe.web.app import HEADERS
from tests.web import test_api
from tests.web.test_api import City, checked, get
from tests.web.test_auth import HttpsClient, login

city = test_api.city
LEAFLET = vendor.NODE_MODULES / "leaflet" / "dist" / "leaflet.js"
needs_npm = pytest.mark.skipif(
    not LEAFLET.is_file(), reason="node_modules absent: `make test` runs npm ci first"
)
PARADIS = next(s for s in marseille().streets if s.name == "Rue Paradis")
CITY_BOX = "5.2,43.1,5.6,43.4"  # west,south,east,north: all of Marseille
ZOOM_16_VIEW = "5.3568,43.2846,5.3980,43.2994"  # what the map asks for at zoom 16 around rue Paradis


@pytest.fixture(scope="module", autouse=True)
def cell_outlines(city: City, graph_server: EmbeddedServer) -> None:
    """The test city's forecast cells were written without their outline: give them their 500 m squares."""
    rows = []
    for n in (1, 2):
        lat, lon = 43.29 + n / 100, 5.38
        corners = [offset(lon, lat, dx * 250, dy * 250) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        square = to_wkt([[corners]])
        rows.append({"id": f"grid:500:{n}", "unit": "grid:500", "lat": lat, "lon": lon, "geometry": square})
    with connect(graph_server.target()) as graph, graph.session() as session:
        session.run(queries.MERGE_CELLS, rows=rows).consume()


def signed_in(city: City, role: str = "viewer") -> FlaskClient:
    client = city.app.test_client()
    assert login(client, role).status_code == 302
    return client


def test_the_map_needs_a_login(city: City) -> None:
    response = city.app.test_client().get("/carte")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion?suivant=")


def test_a_role_without_read_incidents_is_refused(city: City) -> None:
    assert signed_in(city, "auditor").get("/carte").status_code == 403


@needs_npm
def test_the_map_page_loads_its_scripts_from_this_server_and_names_its_layers(city: City) -> None:
    response = signed_in(city).get("/carte?from=2025-03-01&to=2025-06-30&category=theft")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]  # no tile origin
    text = response.text
    scripts = re.findall(r"<script([^>]*)>", text)
    assert scripts == [' src="/vendor/leaflet/dist/leaflet.js"',
                       ' src="/vendor/leaflet.markercluster/dist/leaflet.markercluster.js"',
                       ' src="/static/recoupe.js"', ' src="/static/map-common.js"',
                       ' src="/static/map.js"']  # nothing inline  # fmt: skip
    assert "style=" not in text and "<style" not in text and "//" not in "".join(scripts)
    assert '<a href="/carte" aria-current="page">Carte</a>' in text
    assert 'value="2025-03-01"' in text and 'value="2025-06-30"' in text
    assert '<option value="theft" selected>' in text and 'data-incidents-url="/api/incidents"' in text
    assert 'data-assets-url="/api/map/assets"' in text and 'data-streets-url="/api/map/streets"' in text
    assert 'data-forecasts-url="/api/map/forecasts" data-forecast-page="/previsions"' in text
    assert 'data-streets-from="16"' in text and "data-tile-url" not in text
    # the time window: one step per day of the period (1 March to 30 June: 121 steps after the first day)
    assert '<input type="range" id="fenetre-fin" min="0" max="121" step="1" value="121">' in text
    assert "Fenêtre dans la période" in text
    legend = ["moins de 10 %", "10 à 25 %", "25 à 50 %", "50 à 75 %", "75 % et plus"]
    assert re.findall(r'<span class="swatch heat-(\d)"></span> ([^<]+)</li>', text) == list(
        zip("12345", legend, strict=True)
    )
    assert "data-entity-page" not in text  # a viewer may not open entity pages: no links to them
    assert 'data-entity-page="/entites/"' in signed_in(city, "analyst").get("/carte").text


def test_the_period_defaults_to_the_last_30_days_of_data(city: City) -> None:
    text = signed_in(city).get("/carte").text  # the latest incident: T:D 4, 1 June 2025
    assert 'id="debut" value="2025-05-03"' in text and 'id="fin" value="2025-06-01"' in text


def test_without_node_modules_the_page_says_how_to_install(city: City, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setattr(vendor, "NODE_MODULES", tmp_path / "node_modules")
    client = signed_in(city)
    response = client.get("/carte")
    assert response.status_code == 200
    assert "<script" not in response.text and "n'est pas installée" in response.text
    assert "<code>make</code>" in response.text
    assert client.get("/vendor/leaflet/dist/leaflet.js").status_code == 404
    small = client.get("/incidents/" + quote("T:A", safe=""))  # and the incident page has no small map
    assert small.status_code == 200 and "petite-carte" not in small.text and "<script" not in small.text


@needs_npm
@pytest.mark.parametrize("name", ["leaflet/dist/leaflet.js", "leaflet/dist/leaflet.css",
                                  "leaflet/dist/images/layers.png",
                                  "leaflet.markercluster/dist/leaflet.markercluster.js",
                                  "leaflet.markercluster/dist/MarkerCluster.css"])  # fmt: skip
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
    client = signed_in(city)
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
    # one quartier, for the small map's outline
    one = client.get("/api/quartiers?name=notre-dame-du-mont").get_json()["features"]
    assert [f["properties"]["name"] for f in one] == ["NOTRE-DAME-DU-MONT"] and one[0] == mont
    assert client.get("/api/quartiers?name=atlantis").get_json()["features"] == []
    assert city.app.test_client().get("/api/quartiers").status_code == 401


# ---------------------------------------------------------------- the layers' endpoints


def test_street_assets_in_a_box_with_their_damage(city: City) -> None:
    client = city.app.test_client()
    body = get(client, city, f"/api/map/assets?bbox={CITY_BOX}", role="viewer")
    assert (body["total"], body["limit"], body["bbox"]) == (1, 2000, [5.2, 43.1, 5.6, 43.4])
    [shelter] = body["items"]
    assert shelter["id"] == "BS-1" and shelter["asset_type"] == "bus_shelter" and shelter["type"] == "abribus"
    assert shelter["damage_count"] == 1  # T:D 4, the vandalised bus shelter
    assert shelter["lat"] == pytest.approx(PARADIS.lat, abs=1e-4) and shelter["removed_at"] is None
    east = f"{shelter['lon'] + 0.001},43.1,5.6,43.4"  # a box that starts just east of it
    assert get(client, city, f"/api/map/assets?bbox={east}")["items"] == []
    assert get(client, city, "/api/map/assets")["total"] == 1  # no box: everywhere
    assert get(client, city, "/api/map/assets?limit=5000")["limit"] == 5000
    schema = get(client, city, "/api/openapi.json")["components"]["schemas"]
    assert set(shelter) == set(schema["MapAsset"]["properties"])
    assert set(body) == set(schema["MapAssets"]["properties"])


def test_streets_in_a_box_are_the_gazetteers_and_stay_small(city: City) -> None:
    client = city.app.test_client()
    near = f"{PARADIS.lon - 0.002},{PARADIS.lat - 0.002},{PARADIS.lon + 0.002},{PARADIS.lat + 0.002}"
    body = get(client, city, f"/api/map/streets?bbox={near}", role="viewer")
    assert {"name": "Rue Paradis", "lat": PARADIS.lat, "lon": PARADIS.lon} in body["items"]
    around = [s for s in marseille().streets if abs(s.lon - PARADIS.lon) <= 0.002 >= abs(s.lat - PARADIS.lat)]
    assert body["total"] == len(body["items"]) == len(around) > 10
    cut = get(client, city, f"/api/map/streets?bbox={CITY_BOX}&limit=3")
    assert cut["total"] == len(marseille().streets) == 5190 and len(cut["items"]) == 3
    # sizes: what the map asks for at zoom 16, and the most the endpoint ever answers
    token = test_api.bearer(city, "viewer")
    view = client.get(f"/api/map/streets?bbox={ZOOM_16_VIEW}&limit=2000", headers=token)
    most = client.get(f"/api/map/streets?bbox={CITY_BOX}&limit=2000", headers=token)
    assert 100 < view.get_json()["total"] < 2000 and len(view.data) < 40_000
    assert len(most.get_json()["items"]) == 2000 and len(most.data) < 140_000


def test_the_latest_forecasts_cells_with_their_heat_step(city: City) -> None:
    client = city.app.test_client()
    body = get(client, city, f"/api/map/forecasts?bbox={CITY_BOX}", role="viewer")
    assert body["type"] == "FeatureCollection" and body["total"] == 2 and body["limit"] == 2000
    noise, theft = body["features"]  # the most probable first
    props = noise["properties"]
    assert noise["id"] == "grid:500:2" and theft["id"] == "grid:500:1"
    assert noise["properties"]["category"] == "noise" and noise["properties"]["category_label"] == "tapage"
    assert (noise["properties"]["probability"], noise["properties"]["step"]) == (0.61, 4)
    assert (theft["properties"]["probability"], theft["properties"]["step"]) == (0.42, 3)
    assert props["horizon"] == "7d" and props["valid_from"] == "2025-03-09T23:00:00+00:00"
    ring = theft["geometry"]["coordinates"][0][0]
    assert theft["geometry"]["type"] == "MultiPolygon" and len(ring) == 5
    assert min(lat for _, lat in ring) < 43.30 < max(lat for _, lat in ring)  # around its centre
    only_theft = get(client, city, "/api/map/forecasts?category=theft")["features"]
    assert [f["id"] for f in only_theft] == ["grid:500:1"]
    south = "5.3,43.25,5.45,43.305"  # holds the first cell's centre (43.30), not the second's (43.31)
    assert [f["id"] for f in get(client, city, f"/api/map/forecasts?bbox={south}")["features"]] == [
        "grid:500:1"
    ]
    raw = client.get(f"/api/map/forecasts?bbox={CITY_BOX}", headers=test_api.bearer(city, "viewer")).data
    assert len(raw) < 100 + 2 * 420  # about 410 bytes a square cell: 1,000 cells are about 410 kB
    top = get(client, city, "/api/map/forecasts?limit=1")
    assert top["total"] == 2 and [f["id"] for f in top["features"]] == ["grid:500:2"]
    assert [map_page.heat_step(p) for p in (0.0, 0.0999, 0.1, 0.25, 0.5, 0.75, 1.0)] == [1, 1, 2, 3, 4, 5, 5]


@pytest.mark.parametrize(("url", "fields"), [
    ("/api/map/assets?bbox=5.2,43.1,5.6", {"bbox": "expected four numbers: west,south,east,north"}),
    ("/api/map/assets?bbox=a,b,c,d", {"bbox": "expected four numbers: west,south,east,north"}),
    ("/api/map/streets?bbox=5.6,43.1,5.2,43.4", {"bbox": "expected west <= east, south <= north, in degrees"}),
    ("/api/map/streets?bbox=5.2,43.1,5.6,nan", {"bbox": "expected four numbers: west,south,east,north"}),
    ("/api/map/streets?limit=2001", {"limit": "above 2000"}),
    ("/api/map/assets?limit=0", {"limit": "below 1"}),
    ("/api/map/forecasts?limit=5001&category=pickpocket", {"limit": "above 5000", "category": "not one of "
                                                           + ", ".join(sorted(dict(map_page.categories())))}),
])  # fmt: skip
def test_bad_boxes_and_limits_are_named(city: City, url: str, fields: dict[str, str]) -> None:
    error = get(city.app.test_client(), city, url, status=400)["error"]
    assert error["code"] == "invalid_input"
    if "category" in fields:  # the vocabulary's order, not ours
        assert set(error["fields"]) == set(fields) and error["fields"]["limit"] == fields["limit"]
    else:
        assert error["fields"] == fields


@pytest.mark.parametrize("path", ["/api/map/assets", "/api/map/streets", "/api/map/forecasts"])
def test_the_layers_need_a_login_and_a_reading_role(city: City, path: str) -> None:
    client = city.app.test_client()
    assert checked(client.get(path), 401)["error"]["code"] == "unauthenticated"
    assert (
        checked(client.get(path, headers=test_api.bearer(city, "auditor")), 403)["error"]["code"]
        == "forbidden"
    )
    assert checked(client.get(path, headers=test_api.bearer(city, "analyst")), 200)


# ---------------------------------------------------------------- the tile option and the small map


def tiled(city: City, url: str) -> FlaskClient:
    config = {key: city.app.config[key] for key in city.app.config if key.startswith("RECOUPE_")}
    app = create_app({**config, "TESTING": True, "RECOUPE_TILE_URL": url})  # same home: same accounts
    app.test_client_class = HttpsClient
    client = app.test_client()
    assert login(client, "viewer").status_code == 302
    return client


@needs_npm
def test_a_tile_url_adds_a_tile_layer_and_its_origin_to_the_csp(city: City) -> None:
    client = tiled(city, "https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png")
    response = client.get("/carte")
    csp = response.headers["Content-Security-Policy"]
    assert csp == HEADERS["Content-Security-Policy"] + "; img-src 'self' data: https://*.tiles.example.org"
    assert 'data-tile-url="https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png"' in response.text
    assert client.get("/api/me").headers["Content-Security-Policy"] == csp  # every answer
    assert map_page.tile_origin("http://127.0.0.1:8080/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
    assert map_page.tile_origin("  ") == ""


@pytest.mark.parametrize("url", ["ftp://tiles.example.org/{z}/{x}/{y}.png", "tiles/{z}/{x}/{y}.png",
                                 "https://tiles.example.org;script-src *", "https://a b/{z}.png"])  # fmt: skip
def test_a_tile_url_that_is_not_http_is_refused_at_start(city: City, url: str) -> None:
    config = {key: city.app.config[key] for key in city.app.config if key.startswith("RECOUPE_")}
    with pytest.raises(InvalidInput, match="RECOUPE_TILE_URL"):
        create_app({**config, "RECOUPE_TILE_URL": url})


@needs_npm
def test_the_incident_page_has_a_small_map_of_its_place(city: City) -> None:
    text = signed_in(city).get("/incidents/" + quote("T:D 4", safe="")).text
    box = re.search(r'<div class="incident-map" id="petite-carte"[^>]*>', text)
    assert box is not None
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', box[0]))
    assert attrs["precision"] == "street" and attrs["precision-label"] == "rue" and attrs["radius"] == "250"
    assert float(attrs["lat"]) == pytest.approx(PARADIS.lat, abs=1e-4) and attrs["quartier"] == "PREFECTURE"
    assert attrs["quartiers-url"] == "/api/quartiers" and attrs["streets-url"] == "/api/map/streets"
    assert "cercle : la précision « rue », environ 250 m autour" in text
    assert re.findall(r"<script([^>]*)>", text) == [' src="/vendor/leaflet/dist/leaflet.js"',
                                                    ' src="/static/recoupe.js"',
                                                    ' src="/static/map-common.js"',
                                                    ' src="/static/incident-map.js"']  # fmt: skip
    assert "style=" not in text
    facts = {"lat": None, "lon": None, "precision": None}  # an incident without a position: no map
    assert map_page.small_map(facts) is None
    exact = {
        "lat": 43.29,
        "lon": 5.38,
        "precision": "address",
        "place_name": "12 rue Paradis",
        "quartier": None,
    }
    with city.app.test_request_context():
        drawn = map_page.small_map(exact)
    assert drawn is not None and drawn["radius"] == "0" and drawn["precision-label"] == "adresse"
