"""The JSON API through the real app, real accounts and the session's real graph server, on a small city
ingested by the real pipeline (the layout of tests/graph/test_investigate.py, plus a named suspect):

  T:A  robbery rue Paradis, 3 March 2025, suspect « M. Karim BENALI », scooter AB-123-CD; seen by CAM-1
  T:B  burglary rue Paradis the next night, the same scooter; seen by CAM-1; a near repeat of T:A
  T:C  noise cours Julien, 4 March (about 510 m away, quartier NOTRE DAME DU MONT)
  T:D 4  (an id with a space) bus shelter vandalised rue Paradis, 1 June, during CAM-1's outage; BS-1 damaged
CAM-1 20 m south of rue Paradis facing north; CAM-2 far east, out since 2025 with no end; CAM-3 installed
in 2099. Two forecasts. Users of every role, each with an API token.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from recoupe.graph import queries
from recoupe.graph.connection import connect
from recoupe.graph.home import DataHome
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.graph.values import to_graph
from recoupe.ingest.graph_rows import person_key
from recoupe.ingest.layers import load_assets, load_cameras, load_outages, load_quartiers
from recoupe.ingest.pipeline import Ingestor
from recoupe.ingest.vault import Vault
from recoupe.nlp.extract import Extractor
from recoupe.nlp.gazetteer import MARSEILLE
from recoupe.ontology.geo import offset
from recoupe.ontology.loader import ontology
from recoupe.web import create_app, endpoints, resources
from recoupe.web.auth import ROLES, accounts
from tests.conftest import free_port, wipe
from tests.web.test_auth import PASSWORD, HttpsClient, login

SUSPECT = "Karim BENALI"
LOGS = [
    ("A", "2025-03-03T15:00:00+01:00",
     f"Vol à l'arraché rue Paradis vers 14h. Le mis en cause, M. {SUSPECT}, a pris la fuite sur un scooter immatriculé AB-123-CD."),
    ("B", "2025-03-05T09:00:00+01:00",
     "Cambriolage d'un local commercial rue Paradis dans la nuit. Un scooter immatriculé AB-123-CD a été vu devant."),
    ("C", "2025-03-04T23:30:00+01:00", "Tapage nocturne cours Julien vers 23h, musique forte."),
    ("D 4", "2025-06-01T11:00:00+02:00", "Abribus vandalisé rue Paradis, vitre brisée vers 10h."),
]  # fmt: skip
REPORT = {"id": "R-1", "reported_at": "2025-03-06T10:00:00+01:00", "address": "rue Paradis",
          "text": "Tags <script>alert(1)</script> peints sur la façade d'une école rue Paradis vers 9h."}  # fmt: skip
OTHER = {**REPORT, "id": "R-2"}


@dataclass
class City:
    app: Flask
    tokens: dict[str, str]  # role → bearer token
    person_id: str  # the suspect's Person id: must never leave the API
    pseudonym: str


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def city(graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    tmp = tmp_path_factory.mktemp("api")
    home, target = tmp / "home", graph_server.target()
    key = DataHome(home).pseudonym_key()  # the app's own key: the test's persons and the API's agree
    with connect(target) as graph:
        wipe(graph)
        apply_schema(graph, ontology())
        extractor = Extractor()
        paradis = extractor.geocoder.street("rue Paradis")
        assert paradis is not None

        def at(east: float, north: float) -> list[str]:
            x, y = offset(paradis.lon, paradis.lat, east, north)
            return [f"{y:.7f}", f"{x:.7f}"]

        cameras = [["CAM-1", *at(0, -20), "0", "90", "60", "2020-01-01T00:00:00+01:00", "Paradis nord"],
                   ["CAM-2", *at(3000, 0), "90", "90", "60", "2020-01-01T00:00:00+01:00", ""],
                   ["CAM-3", *at(-3000, 0), "90", "90", "60", "2099-01-01T00:00:00+01:00", ""]]  # fmt: skip
        load_quartiers(graph, MARSEILLE / "quartiers.geojson")
        header = ["id", "lat", "lon", "bearing_deg", "fov_deg", "range_m", "installed_at", "label"]
        load_cameras(graph, _csv(tmp / "cameras.csv", header, cameras))
        outages = [["CAM-1", "2025-05-30T00:00:00+02:00", "2025-06-02T00:00:00+02:00"],
                   ["CAM-2", "2025-01-01T00:00:00+01:00", ""]]  # fmt: skip
        load_outages(graph, _csv(tmp / "outages.csv", ["camera_id", "start", "end"], outages))
        assets = [["BS-1", "bus_shelter", *at(40, 0)]]
        load_assets(graph, _csv(tmp / "assets.csv", ["id", "type", "lat", "lon"], assets))
        logs = _csv(tmp / "logs.csv", ["id", "reported_at", "text"], [list(row) for row in LOGS])
        Ingestor(graph, extractor, key, vault=Vault(home)).ingest_file(logs, source="T")
        valid = {"valid_from": datetime.fromisoformat("2025-03-10T00:00:00+01:00"),
                 "valid_to": datetime.fromisoformat("2025-03-17T00:00:00+01:00")}  # fmt: skip
        with graph.session() as s:
            s.run(queries.MERGE_CELLS, rows=[{"id": f"grid:500:{n}", "unit": "grid:500", "lat": 43.29 + n / 100,
                                              "lon": 5.38, "geometry": None} for n in (1, 2)]).consume()  # fmt: skip
            forecasts = [
                {"cell": "grid:500:1", "id": "f1", "props": {"category": "theft", "probability": 0.42, "rank": 1,
                 "horizon": "7d", "explanation": "Vols récents dans le carreau et ses voisins.", **valid}},
                {"cell": "grid:500:2", "id": "f2", "props": {"category": "noise", "probability": 0.61, "rank": 1,
                 "horizon": "7d", "explanation": "Tapages répétés.", **valid}},
            ]  # fmt: skip
            s.run(queries.CREATE_FORECASTS, rows=to_graph(forecasts)).consume()
    app = create_app({"TESTING": True, "RECOUPE_HOME": str(home), "RECOUPE_COOKIE_SECURE": 1,
                      "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
                      "RECOUPE_GRAPH_PASSWORD": target.password, "RECOUPE_GRAPH_DATABASE": target.database or ""})  # fmt: skip
    app.test_client_class = HttpsClient
    users = accounts(app)
    users.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    tokens = {}
    for role in ROLES:
        users.add_user(role, PASSWORD, role)
        tokens[role] = users.create_token(role, "tests")[1]
    person = person_key(SUSPECT, key)
    yield City(app, tokens, person, "P-" + person[:8].upper())
    resources.close_graphs(app)


@pytest.fixture
def client(city: City) -> Iterator[FlaskClient]:
    with city.app.test_client() as c:
        yield c


def get(client: FlaskClient, city: City, url: str, role: str = "admin", status: int = 200) -> Any:
    """GET with the role's token; checks the status and the headers every API answer carries."""
    return checked(client.get(url, headers=bearer(city, role)), status)


def post(client: FlaskClient, city: City, url: str, body: Any, role: str = "admin", status: int = 200) -> Any:
    return checked(client.post(url, json=body, headers=bearer(city, role)), status)


def checked(response: TestResponse, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["Cache-Control"] == "no-store" and response.mimetype == "application/json"
    body = response.get_json()
    if status >= 400:
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return body


def bearer(city: City, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {city.tokens[role]}"}


def pick(values: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(values[k] for k in keys)


def incident_url(incident_id: str, suffix: str = "") -> str:
    return f"/api/incidents/{quote(incident_id, safe='')}{suffix}"


# ---------------------------------------------------------------- logins and permissions


def test_every_route_needs_a_login(client: FlaskClient, city: City) -> None:
    for op in endpoints.OPERATIONS:
        url = op.rule.replace("<kind>", "plate").replace("<path:key>", "AB-123-CD")
        url = url.replace("<path:incident_id>", quote("T:A", safe=""))
        for headers in ({}, {"Authorization": "Bearer rcp_not-a-token"}):
            body: dict[str, Any] | None = {} if op.method == "POST" else None
            response = client.open(url, method=op.method, json=body, headers=headers)
            assert checked(response, 401)["error"]["code"] == "unauthenticated", url


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("viewer", "POST", "/api/query"),
        ("viewer", "GET", incident_url("T:A", "/connections")),
        ("viewer", "GET", "/api/entities/plate/AB-123-CD/timeline"),
        ("analyst", "POST", "/api/reports"),
        ("investigator", "POST", "/api/query"),
        ("auditor", "GET", "/api/incidents"),
        ("auditor", "GET", "/api/forecasts"),
    ],
)
def test_a_role_without_the_permission_is_refused(
    client: FlaskClient, city: City, role: str, method: str, url: str
) -> None:
    body = {"statement": "RETURN 1"} if method == "POST" else None
    response = client.open(url, method=method, json=body, headers=bearer(city, role))
    error = checked(response, 403)["error"]
    assert error["code"] == "forbidden" and f"« {role} »" in error["message"]


def test_a_cookie_write_without_the_csrf_token_is_refused(client: FlaskClient, city: City) -> None:
    assert login(client, "admin").status_code == 302
    csrf = client.get("/api/me").get_json()["csrf_token"]
    refused = checked(client.post("/api/query", json={"statement": "RETURN 1 AS one"}), 403)
    assert refused["error"]["code"] == "csrf"
    sent = client.post("/api/query", json={"statement": "RETURN 1 AS one"}, headers={"X-CSRF-Token": csrf})
    done = checked(sent, 200)
    assert done["rows"] == [[1]]
    assert checked(client.get("/api/incidents?source=T"), 200)["total"] == 4  # reads need no CSRF token


# ---------------------------------------------------------------- incidents


def test_incidents_are_listed_latest_first_with_their_quartier(client: FlaskClient, city: City) -> None:
    body = get(client, city, "/api/incidents?source=T", role="viewer")
    assert (body["total"], body["limit"], body["offset"]) == (4, 50, 0)
    assert [i["id"] for i in body["items"]] == ["T:D 4", "T:C", "T:B", "T:A"]  # C 22:30, B from 22:00
    first = body["items"][3]
    assert first["category"] == "robbery" and first["precision"] == "street" and first["source"] == "T"
    assert first["occurred_from"] == "2025-03-03T12:30:00+00:00" and first["quartier"] == "PREFECTURE"
    assert first["lat"] == pytest.approx(43.292, abs=0.001)
    second_page = get(client, city, "/api/incidents?source=T&limit=2&offset=2")
    assert [i["id"] for i in second_page["items"]] == ["T:B", "T:A"] and second_page["total"] == 4


def test_incident_filters(client: FlaskClient, city: City) -> None:
    def ids(query: str) -> list[str]:
        return [i["id"] for i in get(client, city, "/api/incidents?source=T&" + query)["items"]]

    assert ids("category=noise") == ["T:C"]
    assert ids("quartier=prefecture") == ["T:D 4", "T:B", "T:A"]
    # a "+" left unencoded in the offset arrives as a space, and is read as meant
    assert ids("from=2025-03-04&to=2025-03-05T00:00:00+01:00") == ["T:C", "T:B"]
    assert ids("from=2025-06-01T00:00:00%2B02:00") == ["T:D 4"]


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/incidents?limit=0", {"limit": "below 1"}),
        ("/api/incidents?limit=501&offset=-1", {"limit": "above 500", "offset": "below 0"}),
        ("/api/incidents?from=hier", {"from": "not an ISO 8601 date or time"}),
        ("/api/incidents?from=2025-03-05&to=2025-03-01", {"to": "not after from"}),
        ("/api/forecasts?category=pickpocket", {"category": "not one of " + ", ".join(
            ontology().vocabulary("IncidentCategory").notations)}),
        ("/api/hotspots?to=2025-04-01&unit=hexagon", {"from": "required", "unit": "not one of quartier, cell"}),
        (incident_url("T:A", "/connections?radius=abc"), {"radius": "not a number"}),
        ("/api/entities/galaxy/x/timeline", {"kind": "not one of person, plate, camera, asset, place, quartier"}),
    ],
)  # fmt: skip
def test_bad_parameters_are_named(client: FlaskClient, city: City, url: str, fields: dict[str, str]) -> None:
    error = get(client, city, url, status=400)["error"]
    assert error["code"] == "invalid_input" and error["fields"] == fields


def test_an_incident_with_its_facts_and_their_provenance(client: FlaskClient, city: City) -> None:
    response = client.get(incident_url("T:A"), headers=bearer(city, "analyst"))
    body = checked(response, 200)
    assert body["text"] == LOGS[0][2].replace(SUSPECT, city.pseudonym)  # the name never shown
    assert body["source"] == "T" and body["source_id"] == "A"
    category = ("robbery", "robbery", "classifier")
    assert pick(body, "category", "classifier_category", "category_source") == category
    assert 0.5 < body["category_confidence"] <= 1
    # « vers 14h »: 13:30–14:30 in Paris, read in the text
    interval = ("2025-03-03T12:30:00+00:00", "2025-03-03T13:30:00+00:00", "text")
    assert pick(body, "occurred_from", "occurred_to", "time_source") == interval
    place = ("Rue Paradis", "street", "PREFECTURE", "text")
    assert pick(body["place"], "name", "precision", "quartier", "place_source") == place
    mentions = {m["label"]: m for m in body["mentions"]}
    person = mentions["Person"]
    assert person["entity"] == city.pseudonym and person["role"] == "suspect"
    assert body["text"][person["start"] : person["end"]] == city.pseudonym
    plate = mentions["Plate"]
    assert plate["entity"] == "AB-123-CD" and body["text"][plate["start"] : plate["end"]] == "AB-123-CD"
    assert body["text"][mentions["Place"]["start"] : mentions["Place"]["end"]] == "rue Paradis"
    seen = [("CAM-1", "Paradis nord", "seen")]
    assert [pick(c, "camera", "label", "state") for c in body["cameras"]] == seen
    assert body["cameras"][0]["distance_m"] == pytest.approx(20.0, abs=0.5)
    assert [(n["id"], n["metres"], n["hours"]) for n in body["near_repeats"]] == [("T:B", 0.0, 32.5)]
    assert body["damaged"] == []
    assert city.person_id not in response.text and "BENALI" not in response.text


def test_an_incident_id_with_a_space_and_what_it_damaged(client: FlaskClient, city: City) -> None:
    body = get(client, city, incident_url("T:D 4"), role="viewer")
    assert body["id"] == "T:D 4" and body["category"] == "vandalism"
    (asset,) = body["damaged"]
    assert asset["id"] == "BS-1" and asset["asset_type"] == "bus_shelter"
    assert asset["distance_m"] == pytest.approx(40.0, abs=0.5)
    assert body["text"][asset["start"] : asset["end"]] == "Abribus"
    assert [(c["camera"], c["state"]) for c in body["cameras"]] == [("CAM-1", "out")]


def test_a_viewer_sees_no_person_plate_or_vehicle_in_an_incident(client: FlaskClient, city: City) -> None:
    body = get(client, city, incident_url("T:A"), role="viewer")
    assert {m["label"] for m in body["mentions"]} == {"Place"}
    assert city.pseudonym not in json.dumps(body["mentions"])


def test_an_unknown_incident_is_404(client: FlaskClient, city: City) -> None:
    error = get(client, city, incident_url("T:nope 1"), status=404)["error"]
    assert error["code"] == "not_found" and "T:nope 1" in error["message"]
    get(client, city, incident_url("T:nope 1", "/connections"), status=404)


# ---------------------------------------------------------------- investigation


def test_connections_with_their_reasons(client: FlaskClient, city: City) -> None:
    response = client.get(incident_url("T:A", "/connections"), headers=bearer(city, "analyst"))
    body = checked(response, 200)
    assert body["incident"] == "T:A" and body["total"] == 1
    (found,) = body["items"]
    assert pick(found, "id", "category") == ("T:B", "burglary") and found["score"] == pytest.approx(14.56)
    kinds = {r["kind"]: r for r in found["reasons"]}
    assert set(kinds) == {"plate", "vehicle", "near_repeat", "camera", "place_time"}
    assert kinds["plate"]["entity"] == "AB-123-CD" and kinds["camera"]["camera"] == "CAM-1"
    wider = get(client, city, incident_url("T:A", "/connections?radius=600"))
    assert [c["id"] for c in wider["items"]] == ["T:B", "T:C"]
    assert city.person_id not in response.text


def test_timelines_by_kind(client: FlaskClient, city: City) -> None:
    def timeline(kind: str, key: str, status: int = 200) -> Any:
        url = f"/api/entities/{kind}/{quote(key, safe='')}/timeline"
        return get(client, city, url, "investigator", status)

    person = timeline("person", city.pseudonym.lower())
    assert [(i["id"], i["relation"], i["role"]) for i in person["items"]] == [("T:A", "INVOLVES", "suspect")]
    assert [i["id"] for i in timeline("plate", "ab 123 cd")["items"]] == ["T:A", "T:B"]
    camera = timeline("camera", "CAM-1")
    assert [(i["id"], i["relation"]) for i in camera["items"]] == [
        ("T:A", "SEEN_BY"), ("T:B", "SEEN_BY"), ("T:D 4", "MISSED_BY")]  # fmt: skip
    assert timeline("asset", "BS-1")["items"][0]["id"] == "T:D 4"
    assert [i["id"] for i in timeline("quartier", "PREFECTURE")["items"]] == ["T:A", "T:B", "T:D 4"]
    assert timeline("place", "Rue Paradis")["total"] == 3
    assert timeline("camera", "AB-123-CD", 404)["error"]["code"] == "not_found"  # a plate, not a camera
    timeline("person", city.person_id, 404)  # a person is found by pseudonym only


def test_hotspots_against_the_previous_period(client: FlaskClient, city: City) -> None:
    body = get(client, city, "/api/hotspots?from=2025-03-01&to=2025-04-01", role="viewer")
    assert body["unit"] == "quartier" and body["from"] == "2025-03-01T00:00:00+01:00"
    assert pick(body["items"][0], "unit", "count", "previous") == ("PREFECTURE", 2, 0)
    assert sum(row["count"] for row in body["items"]) == 3
    noise = get(client, city, "/api/hotspots?from=2025-03-01&to=2025-04-01&category=noise&unit=cell")
    assert [row["count"] for row in noise["items"]] == [1] and noise["items"][0]["unit"].startswith("cell ")


def test_forecasts_most_probable_first(client: FlaskClient, city: City) -> None:
    body = get(client, city, "/api/forecasts", role="viewer")
    assert body["total"] == 2 and [f["id"] for f in body["items"]] == ["f2", "f1"]
    theft = get(client, city, "/api/forecasts?category=theft")["items"]
    assert len(theft) == 1 and theft[0]["cell"] == "grid:500:1" and theft[0]["probability"] == 0.42
    assert theft[0]["explanation"] == "Vols récents dans le carreau et ses voisins."
    assert theft[0]["valid_from"] == "2025-03-09T23:00:00+00:00" and theft[0]["lat"] == pytest.approx(43.30)


def test_cameras_and_their_status_now(client: FlaskClient, city: City) -> None:
    body = get(client, city, "/api/cameras", role="viewer")
    assert body["total"] == 3
    statuses = [("CAM-1", "ok"), ("CAM-2", "out"), ("CAM-3", "inactive")]
    assert [pick(c, "id", "status") for c in body["items"]] == statuses
    first = body["items"][0]
    assert pick(first, "label", "bearing_deg", "fov_deg", "range_m") == ("Paradis nord", 0.0, 90.0, 60.0)
    assert first["installed_at"] == "2019-12-31T23:00:00+00:00" and first["removed_at"] is None
    assert [c["id"] for c in get(client, city, "/api/cameras?limit=1&offset=2")["items"]] == ["CAM-3"]


# ---------------------------------------------------------------- console, reports, errors


def test_console_reads_and_refuses_writes(client: FlaskClient, city: City) -> None:
    count = "MATCH (n) RETURN count(n) AS nodes"
    before = post(client, city, "/api/query", {"statement": count}, role="analyst")
    assert before["columns"] == ["nodes"] and before["rows"][0][0] > 0 and before["truncated"] is False
    rows = post(client, city, "/api/query", {"statement": "MATCH (p:Person) RETURN p", "limit": 5})["rows"]
    assert rows == [[{"labels": ["Person"], "properties": {"pseudonym": city.pseudonym}}]]
    write = {"statement": "CREATE (n:Incident {id: 'x'})"}
    refused = post(client, city, "/api/query", write, status=400)["error"]
    assert refused["message"].startswith("Statement refused: CREATE, which writes to the graph")
    assert post(client, city, "/api/query", {"statement": count})["rows"] == before["rows"]
    broken = post(client, city, "/api/query", {"statement": "MATCH (n RETURN n"}, status=400)["error"]
    assert broken["message"] == "Le serveur du graphe a refusé la requête."
    assert "MATCH" not in json.dumps(broken)
    bad = post(client, city, "/api/query", {"statement": "", "limit": 0, "params": {}}, status=400)["error"]
    assert bad["fields"] == {"params": "unknown field"}
    blank = post(client, city, "/api/query", {"statement": " ", "limit": True}, status=400)["error"]
    assert set(blank["fields"]) == {"statement", "limit"}


def test_a_citizen_report_through_a_token(client: FlaskClient, city: City) -> None:
    response = client.post("/api/reports", json=REPORT, headers=bearer(city, "investigator"))
    body = checked(response, 201)
    assert body["id"] == "citizen:R-1" and body["summary"]["created"] == 1
    assert response.headers["Location"] == body["url"] == "/api/incidents/citizen:R-1"
    extractor = city.app.extensions[resources.EXTRACTOR]
    shown = get(client, city, body["url"], role="viewer")
    assert shown["text"] == REPORT["text"]  # as the JSON string it was, never turned into HTML
    assert pick(shown, "source", "category") == ("citizen", "graffiti")
    assert pick(shown["place"], "name", "place_source") == ("Rue Paradis", "source")  # from the address
    again = post(client, city, "/api/reports", REPORT, role="investigator")  # the same again: no change
    assert again["summary"]["unchanged"] == 1 and city.app.extensions[resources.EXTRACTOR] is extractor
    assert get(client, city, "/api/incidents?source=citizen")["total"] == 1


@pytest.mark.parametrize(
    ("report", "fields"),
    [
        ({**OTHER, "text": "  "}, {"text": "missing text"}),
        ({**OTHER, "reported_at": "midi"}, {"reported_at": "unreadable date 'midi' (expected ISO 8601 or dd/mm/yyyy hh:mm)"}),
        ({**OTHER, "lat": 43.29}, {"lat": "absurd coordinates (lat and lon must be given together)"}),
        ({**OTHER, "source": "T", "category": "theft"}, {"category": "unknown field", "source": "unknown field"}),
        ({**OTHER, "text": ["a"], "lon": True}, {"text": "expected string", "lon": "expected integer or number or string"}),
        (["not", "an", "object"], {"body": "expected a JSON object"}),
    ],
)  # fmt: skip
def test_an_invalid_report_is_refused(client: FlaskClient, city: City, report: Any, fields: Any) -> None:
    error = post(client, city, "/api/reports", report, role="investigator", status=400)["error"]
    assert error["fields"] == fields
    get(client, city, incident_url("citizen:R-2"), status=404)  # nothing written


def test_graph_failures_reach_the_log_not_the_client(
    client: FlaskClient,
    city: City,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(queries, "API_INCIDENT", "MATCH (i:Incident {id: $id} RETURN i.text AS secret_column")
    with caplog.at_level(logging.ERROR, logger="recoupe.web.api"):
        response = client.get(incident_url("T:A"), headers=bearer(city, "admin"))
    assert checked(response, 500) == {"error": {"code": "internal", "message": "erreur interne"}}
    (logged,) = caplog.records
    assert logged.getMessage().startswith("GraphQueryError on GET /api/incidents/T:A: ")
    down = create_app({"TESTING": True, "RECOUPE_HOME": str(tmp_path / "home"),
                       "RECOUPE_GRAPH_URL": f"bolt://127.0.0.1:{free_port()}"})  # fmt: skip
    accounts(down).hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    accounts(down).add_user("viewer", PASSWORD, "viewer")
    token = accounts(down).create_token("viewer", "tests")[1]
    response = down.test_client().get("/api/incidents", headers={"Authorization": f"Bearer {token}"})
    assert checked(response, 503)["error"] == {
        "code": "graph_unavailable",
        "message": "Graphe indisponible : réessayez dans un instant.",
    }
    assert "bolt" not in response.text and "bolt://127.0.0.1" in caplog.text


def test_the_openapi_document_lists_every_route(client: FlaskClient, city: City) -> None:
    document = get(client, city, "/api/openapi.json", role="auditor")  # any logged-in user may read it
    assert document["openapi"] == "3.1.0"
    rules = [r for r in city.app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert len(rules) == len(endpoints.OPERATIONS) + 2  # ours, /api/health and /api/me
    for rule in rules:
        path = rule.rule.replace("<path:", "{").replace("<", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], (method, path)
    query = document["paths"]["/api/query"]["post"]
    assert query["x-permissions"] == ["console"] and "403" in query["responses"]
    limit = next(p for p in document["paths"]["/api/incidents"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    answer = document["paths"]["/api/incidents/{incident_id}"]["get"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"] == {"$ref": "#/components/schemas/Incident"}
    # what the document says the answers hold is what they hold
    schemas = document["components"]["schemas"]
    incident = get(client, city, incident_url("T:A"))
    for name, shown in [("Incident", incident), ("Place", incident["place"]), ("Mention", incident["mentions"][0]),
                        ("CameraView", incident["cameras"][0]), ("NearRepeat", incident["near_repeats"][0]),
                        ("DamagedAsset", get(client, city, incident_url("T:D 4"))["damaged"][0]),
                        ("IncidentRow", get(client, city, "/api/incidents?limit=1")["items"][0]),
                        ("Camera", get(client, city, "/api/cameras?limit=1")["items"][0]),
                        ("Forecast", get(client, city, "/api/forecasts?limit=1")["items"][0])]:  # fmt: skip
        assert set(shown) == set(schemas[name]["properties"]), name


def test_unknown_routes_and_methods_answer_in_the_error_shape(client: FlaskClient, city: City) -> None:
    missing = client.get("/api/nowhere", headers=bearer(city, "admin"))
    assert checked(missing, 404)["error"] == {"code": "not_found", "message": "introuvable"}
    wrong = client.delete("/api/incidents", headers=bearer(city, "admin"))
    assert checked(wrong, 405)["error"]["code"] == "method_not_allowed"
    page = client.get("/nulle-part")
    assert page.status_code == 404 and "introuvable" in page.get_data(as_text=True)
