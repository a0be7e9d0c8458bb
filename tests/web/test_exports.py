"""GraphML, GEXF, CSV and GeoJSON exports of the API tests' small city (tests/web/test_api.py: four incidents,
three cameras, one bus shelter, two forecast cells, a named suspect), downloaded through the real app as each
role would and written by `recoupe export` as a user runs it: each opens in its reader (networkx's
read_graphml and read_gexf, the csv module, json), holds what the selection should, and never the suspect's
name or keyed id."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from recoupe.ontology.geo import distance_m, in_polygon, offset
from recoupe.web import exports
from tests.conftest import CliResult
from tests.web import test_api
from tests.web.test_api import SUSPECT, City, bearer, checked, get
from tests.web.test_auth import login

city = test_api.city
client = test_api.client
MARCH = "from=2025-03-01&to=2025-04-01"  # T:A, T:B, T:C; not T:D 4 (June)
MARSEILLE = (43.1, 5.2, 43.45, 5.6)  # south, west, north, east


def download(client: FlaskClient, city: City, url: str, role: str = "analyst") -> TestResponse:
    response = client.get(url, headers=bearer(city, role))
    assert response.status_code == 200, response.text
    assert response.headers["X-Recoupe-Incident-Cap"] == str(exports.MAX_INCIDENTS)
    return response


def private(city: City, body: bytes) -> None:
    """The suspect appears by pseudonym only: neither the name nor the keyed id."""
    text = body.decode("utf-8")
    assert city.pseudonym in text
    assert "BENALI" not in text and SUSPECT not in text and city.person_id not in text


def test_graphml_opens_in_networkx_with_the_whole_small_city(client: FlaskClient, city: City) -> None:
    response = download(client, city, "/api/exports/graphml")
    assert response.mimetype == "application/graphml+xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="recoupe-selection.graphml"'
    assert response.headers["X-Recoupe-Incidents"] == "4"
    private(city, response.data)
    graph = nx.read_graphml(io.BytesIO(response.data), force_multigraph=True)
    classes = Counter(data["class"] for _, data in graph.nodes(data=True))
    assert classes["Incident"] == 4 and classes["Camera"] == 3 and classes["StreetAsset"] == 1
    assert classes["Cell"] == 2 and classes["Forecast"] == 2 and classes["Person"] == 1
    robbery = graph.nodes["Incident:T:A"]
    assert robbery["category"] == "robbery" and isinstance(robbery["lat"], float)
    assert city.pseudonym in robbery["text"]  # the name in the text replaced by the pseudonym
    person = f"Person:{city.pseudonym}"
    assert graph.nodes[person]["node_key"] == city.pseudonym
    assert any(d["relationship"] == "INVOLVES" for d in graph.get_edge_data("Incident:T:A", person).values())
    seen = graph.get_edge_data("Incident:T:A", "Camera:CAM-1")
    assert [d["relationship"] for d in seen.values()] == ["SEEN_BY"]
    assert next(iter(seen.values()))["distance_m"] > 0


def test_gexf_opens_in_networkx_with_the_same_graph(client: FlaskClient, city: City) -> None:
    graphml = nx.read_graphml(io.BytesIO(download(client, city, "/api/exports/graphml").data))
    response = download(client, city, "/api/exports/gexf")
    assert response.mimetype == "application/gexf+xml"
    private(city, response.data)
    gexf = nx.read_gexf(io.BytesIO(response.data))
    assert set(gexf.nodes) == set(graphml.nodes)
    assert gexf.number_of_edges() == graphml.number_of_edges() > 10
    assert gexf.nodes["Camera:CAM-1"]["label"] == "Paradis nord"  # what Gephi shows: the camera's label
    assert gexf.nodes["Incident:T:B"]["category"] == "burglary"


def test_csv_is_two_files_in_a_zip_that_the_csv_module_reads(client: FlaskClient, city: City) -> None:
    response = download(client, city, f"/api/exports/csv?{MARCH}")
    assert response.mimetype == "application/zip"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="recoupe-2025-03-01-2025-04-01.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        assert sorted(zf.namelist()) == ["nodes.csv", "relationships.csv"]
        nodes = list(csv.DictReader(io.StringIO(zf.read("nodes.csv").decode("utf-8"))))
        edges = list(csv.DictReader(io.StringIO(zf.read("relationships.csv").decode("utf-8"))))
        private(city, zf.read("nodes.csv") + zf.read("relationships.csv"))
    incidents = sorted(row["key"] for row in nodes if row["class"] == "Incident")
    assert incidents == ["T:A", "T:B", "T:C"]
    ids = {row["node_id"] for row in nodes}
    assert all(row["source"] in ids and row["target"] in ids for row in edges)
    near = [row for row in edges if row["type"] == "NEAR_REPEAT"]
    assert {(r["source_key"], r["target_key"]) for r in near} <= {("T:A", "T:B"), ("T:B", "T:A")} and near
    assert float(near[0]["metres"]) < 200


def ring_is_valid(ring: list[list[float]]) -> bool:
    south, west, north, east = MARSEILLE
    return (
        len(ring) >= 4
        and ring[0] == ring[-1]
        and all(
            len(p) == 2 and all(map(math.isfinite, p)) and west < p[0] < east and south < p[1] < north
            for p in ring
        )
    )


def test_geojson_holds_incidents_cameras_wedges_assets_and_cells(client: FlaskClient, city: City) -> None:
    response = download(client, city, "/api/exports/geojson", role="viewer")
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.data)
    assert body["type"] == "FeatureCollection"
    kinds = Counter(f["properties"]["class"] for f in body["features"])
    assert kinds == {"Incident": 4, "Camera": 3, "StreetAsset": 1, "Cell": 2}
    assert city.pseudonym not in response.text and "BENALI" not in response.text  # no text, no people
    by_id = {f["id"]: f for f in body["features"]}
    robbery = by_id["Incident:T:A"]
    assert (
        robbery["geometry"]["type"] == "Point"
        and robbery["properties"]["category_label"] == "vol avec violence"
    )
    assert "text" not in robbery["properties"]
    camera = by_id["Camera:CAM-1"]
    assert camera["geometry"]["type"] == "Polygon"
    ring = camera["geometry"]["coordinates"][0]
    assert ring_is_valid(ring)
    lon, lat = camera["properties"]["lon"], camera["properties"]["lat"]
    assert [lon, lat] in ring  # the apex
    # CAM-1 faces north, 90° wide, 60 m: a point 30 m north is inside its wedge, 30 m south is not
    assert in_polygon(*offset(lon, lat, 0, 30), [ring]) and not in_polygon(*offset(lon, lat, 0, -30), [ring])
    assert max(distance_m(lon, lat, *p) for p in ring) == pytest.approx(60, abs=0.5)
    shelter = by_id["StreetAsset:BS-1"]
    assert shelter["geometry"]["type"] == "Point" and shelter["properties"]["asset_type"] == "bus_shelter"
    cell = by_id["Cell:grid:500:1"]
    assert [f["category"] for f in cell["properties"]["forecasts"]] == ["theft"]
    assert cell["properties"]["forecasts"][0]["probability"] == pytest.approx(0.42)


def test_a_period_and_a_neighbourhood_select_what_they_should(client: FlaskClient, city: City) -> None:
    march = json.loads(download(client, city, f"/api/exports/geojson?{MARCH}", role="viewer").data)
    assert sorted(f["id"] for f in march["features"]) == [
        "Camera:CAM-1", "Incident:T:A", "Incident:T:B", "Incident:T:C"]  # fmt: skip
    response = download(client, city, "/api/exports/graphml?incident=T:A&depth=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="recoupe-T_A-1.graphml"'
    graph = nx.read_graphml(io.BytesIO(response.data), force_multigraph=True)
    assert {"Incident:T:A", "Incident:T:B", f"Person:{city.pseudonym}", "Camera:CAM-1"} <= set(graph.nodes)
    assert "Incident:T:C" not in graph.nodes and "Incident:T:D 4" not in graph.nodes
    box = "bbox=5.35,43.25,5.45,43.35"  # the map's order: west,south,east,north
    assert (
        download(client, city, f"/api/exports/geojson?{box}", "viewer").headers["X-Recoupe-Incidents"] == "4"
    )
    away = "bbox=5.0,43.0,5.1,43.1"
    assert json.loads(download(client, city, f"/api/exports/geojson?{away}", "viewer").data)["features"] == []


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [("viewer", "/api/exports/graphml", 403), ("viewer", "/api/exports/csv", 403),
     ("viewer", "/api/exports/geojson?incident=T:A", 403), ("auditor", "/api/exports/geojson", 403),
     ("analyst", "/api/exports/gexf?depth=9", 400), ("analyst", "/api/exports/geojson?bbox=1,2,3", 400),
     ("analyst", "/api/exports/geojson?from=2025-04-01&to=2025-03-01", 400),
     ("investigator", "/api/exports/graphml?incident=NOPE", 404)],
)  # fmt: skip
def test_refusals_in_the_api_s_error_shape(
    client: FlaskClient, city: City, role: str, url: str, status: int
) -> None:
    error = checked(client.get(url, headers=bearer(city, role)), status)["error"]
    assert status != 404 or error["message"] == "Aucun incident « NOPE »."
    checked(client.get(url), 401)


def test_a_selection_over_the_cap_is_refused_saying_the_cap(
    client: FlaskClient, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "MAX_INCIDENTS", 2)
    error = get(client, city, "/api/exports/geojson", role="viewer", status=400)["error"]
    assert "plus de 2 incidents" in error["message"] and error["fields"] == {
        "selection": "more than 2 incidents"
    }


def test_the_map_and_the_explorer_link_their_selection_s_downloads(client: FlaskClient, city: City) -> None:
    assert login(client, "viewer").status_code == 302
    page = client.get("/carte?from=2025-03-01&to=2025-03-31").text
    assert '<a href="/api/exports/geojson?from=2025-03-01&amp;to=2025-04-01" download>' in page
    assert "/api/exports/graphml" not in page  # the viewer may not download people
    client.post("/deconnexion")
    client.delete_cookie("recoupe_session")
    assert login(client, "analyst").status_code == 302
    page = client.get("/explorateur?q=T:A&node=incident:T:A").text
    assert 'id="exporter">Exporter le voisinage' in page
    assert '<a href="/api/exports/graphml?incident=T:A&amp;depth=2" download>' in page


def _cli_env(city: City, cli_env: dict[str, str]) -> dict[str, str]:
    config = city.app.config
    names = ("RECOUPE_GRAPH_URL", "RECOUPE_GRAPH_USER", "RECOUPE_GRAPH_PASSWORD", "RECOUPE_GRAPH_DATABASE")
    return {**cli_env, "RECOUPE_HOME": config["RECOUPE_HOME"], **{n: str(config[n]) for n in names}}


def test_the_commands_write_files_that_open_in_their_readers(
    city: City, run_cli: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = _cli_env(city, cli_env)
    done: dict[str, Any] = {}
    for fmt, out in (
        ("graphml", "city.graphml"),
        ("gexf", "city.gexf"),
        ("csv", "csv"),
        ("geojson", "c.json"),
    ):
        result: CliResult = run_cli("export", fmt, "--out", str(tmp_path / out), "--json", env=env)
        assert result.code == 0, result.stderr
        done[fmt] = json.loads(result.stdout)
    graph = nx.read_graphml(tmp_path / "city.graphml")
    assert done["graphml"]["nodes"] == graph.number_of_nodes() and "Incident:T:D 4" in graph.nodes
    assert nx.read_gexf(tmp_path / "city.gexf").number_of_edges() == done["gexf"]["relationships"]
    with open(tmp_path / "csv" / "nodes.csv", encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == done["csv"]["nodes"] == graph.number_of_nodes()
    features = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["features"]
    assert len(features) == done["geojson"]["features"] == 10
    for argv in (("--incident", "T:A", "--depth", "2"), ("--from", "2025-03-01", "--to", "2025-04-01")):
        result = run_cli("export", "geojson", *argv, "--out", str(tmp_path / "part.json"), "--json", env=env)
        assert result.code == 0, result.stderr
        assert json.loads(result.stdout)["features"] < 10
    said = run_cli("export", "geojson", "--out", str(tmp_path / "again.geojson"), env=env)
    assert (
        said.code == 0
        and said.stdout.startswith("geojson: 10 features (of ")
        and "again.geojson" in said.stdout
    )
    bad = run_cli("export", "csv", "--from", "hier", "--out", str(tmp_path / "x"), env=env)
    assert bad.code == 1 and "--from" in bad.stderr and "Traceback" not in bad.stderr
