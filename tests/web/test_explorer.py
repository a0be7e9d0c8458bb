"""The explorer (Explorateur) through the real app, real accounts and the session's real graph server, on the
API tests' city (tests/web/test_api.py, rebuilt for this module): the search, the neighbours with their
filters and cap, the permissions, the error shape, and the page.

In that city T:A (robbery, 3 March 2025) involves the suspect (by pseudonym), the plate AB-123-CD and the
scooter that carries it, happened rue Paradis and was seen by CAM-1; T:B is its near repeat (same scooter);
T:D 4 (1 June 2025) damaged BS-1 rue Paradis while CAM-1 was out; rue Paradis lies in the quartier PREFECTURE.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from recoupe.graph.explore import GraphNode, relationship_types
from recoupe.web.explorer import label_and_title
from tests.web import test_api
from tests.web.test_api import City, get
from tests.web.test_auth import login

city = test_api.city  # the API tests' city, built again for this module
PARADIS = "place:street:Rue Paradis"
VEHICLE = "vehicle:plate:AB-123-CD"


@pytest.fixture
def client(city: City) -> FlaskClient:
    return city.app.test_client()


def search(client: FlaskClient, city: City, q: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = get(client, city, "/api/graph/search?" + urlencode({"q": q, **extra}), "analyst")
    return body


def neighbours(client: FlaskClient, city: City, node: str, status: int = 200, **extra: Any) -> dict[str, Any]:
    url = "/api/graph/neighbours?" + urlencode({"node": node, **extra})
    body: dict[str, Any] = get(client, city, url, "investigator", status)
    return body


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


def edges(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["type"], e["target"]) for e in body["edges"]}


# ---------------------------------------------------------------- search


def test_search_finds_an_incident_by_its_id_with_its_page(client: FlaskClient, city: City) -> None:
    body = search(client, city, "T:A")
    first = body["items"][0]
    assert body["query"] == "T:A" and body["truncated"] is False
    assert first == {"id": "incident:T:A", "label": "T:A\nvol avec violence", "kind": "incident",
                     "title": "Incident T:A — vol avec violence, lun. 3 mars 2025, 13:30",
                     "url": "/incidents/T:A", "category": "robbery",
                     "occurred_from": first["occurred_from"], "day": "2025-03-03"}  # fmt: skip
    assert first["occurred_from"].startswith("2025-03-03T12:30:00")  # « vers 14h »: from 13:30 in Paris
    prefix = search(client, city, "T:")  # an id's beginning finds every incident it starts
    assert ids(prefix["items"]) == {"incident:T:A", "incident:T:B", "incident:T:C", "incident:T:D 4"}


def test_search_finds_a_plate_however_it_is_written(client: FlaskClient, city: City) -> None:
    for written in ("ab 123 cd", "AB123CD", "ab-123-cd"):
        items = search(client, city, written)["items"]
        assert [i["id"] for i in items] == ["plate:AB-123-CD"], written
        assert items[0]["url"] == "/entites/plate/AB-123-CD" and items[0]["label"] == "AB-123-CD"


def test_search_finds_a_person_by_pseudonym_and_never_shows_the_name(client: FlaskClient, city: City) -> None:
    response = client.get(
        "/api/graph/search?q=" + city.pseudonym.lower(), headers=test_api.bearer(city, "admin")
    )
    items = response.get_json()["items"]
    assert items == [{"id": f"person:{city.pseudonym}", "label": city.pseudonym, "kind": "person",
                      "title": f"Personne {city.pseudonym}", "url": f"/entites/person/{city.pseudonym}",
                      "category": None, "occurred_from": None, "day": None}]  # fmt: skip
    assert city.person_id not in response.text and "BENALI" not in response.text.upper()


def test_search_finds_streets_quartiers_cameras_and_assets(client: FlaskClient, city: City) -> None:
    street = search(client, city, "paradis")["items"]  # the street, then the camera named after it
    assert [i["id"] for i in street] == [PARADIS, "camera:CAM-1"]
    assert (
        street[0]["title"] == "Lieu Rue Paradis" and street[0]["url"] == "/entites/place/street:Rue%20Paradis"
    )
    for written in ("préfecture", "prefecture", "PRÉFECTURE"):  # accents and case aside
        assert ids(search(client, city, written)["items"]) == {"quartier:PREFECTURE"}, written
    assert [i["id"] for i in search(client, city, "PÂRADIS")["items"]] == [PARADIS]  # not the camera's id
    assert ids(search(client, city, "cam-")["items"]) == {"camera:CAM-1", "camera:CAM-2", "camera:CAM-3"}
    camera = search(client, city, "paradis nord")["items"]  # a camera's label
    assert [(c["id"], c["title"]) for c in camera] == [("camera:CAM-1", "Caméra CAM-1 — Paradis nord")]
    asset = search(client, city, "bs-1")["items"]
    assert [(a["id"], a["title"], a["url"]) for a in asset] == [
        ("asset:BS-1", "Mobilier urbain BS-1 — abribus", "/entites/asset/BS-1")
    ]


def test_search_is_bounded_and_says_so(client: FlaskClient, city: City) -> None:
    body = search(client, city, "cam-", limit=2)
    assert [i["id"] for i in body["items"]] == ["camera:CAM-1", "camera:CAM-2"] and body["truncated"] is True
    assert search(client, city, "nothing-like-this")["items"] == []


@pytest.mark.parametrize(
    ("node", "label", "title"),
    [
        (GraphNode("vehicle", "T:C@12", caption="x"), "Véhicule", "Véhicule mentionné par l'incident T:C"),
        (GraphNode("object", "T:A@40", name="telephone"), "Objet", "Objet mentionné par l'incident T:A"),
        (GraphNode("organisation", "sncf", name="SNCF"), "SNCF", "Organisation SNCF"),
        (GraphNode("asset", "BS-9"), "BS-9", "Mobilier urbain BS-9"),
    ],
)
def test_labels_carry_no_text_of_a_log(node: GraphNode, label: str, title: str) -> None:
    assert label_and_title(node) == (label, title)


# ---------------------------------------------------------------- neighbours


def test_an_incident_s_neighbours_and_the_edges_to_them(client: FlaskClient, city: City) -> None:
    body = neighbours(client, city, "incident:T:A")
    person = f"person:{city.pseudonym}"
    assert body["node"] == "incident:T:A" and body["truncated"] is False
    assert body["nodes"][0]["id"] == "incident:T:A"  # the node itself first
    assert ids(body["nodes"]) == {"incident:T:A", "incident:T:B", "camera:CAM-1", "plate:AB-123-CD", VEHICLE,
                                  person, PARADIS}  # fmt: skip
    assert edges(body) == {
        ("incident:T:A", "SEEN_BY", "camera:CAM-1"), ("incident:T:A", "INVOLVES", "plate:AB-123-CD"),
        ("incident:T:A", "INVOLVES", VEHICLE), ("incident:T:A", "INVOLVES", person),
        ("incident:T:A", "OCCURRED_AT", PARADIS), ("incident:T:B", "NEAR_REPEAT", "incident:T:A"),
    }  # fmt: skip
    edge = next(e for e in body["edges"] if e["type"] == "SEEN_BY")
    assert edge == {"id": "incident:T:A|SEEN_BY|camera:CAM-1", "source": "incident:T:A",
                    "target": "camera:CAM-1", "type": "SEEN_BY"}  # fmt: skip
    vehicle = next(n for n in body["nodes"] if n["id"] == VEHICLE)
    assert (vehicle["label"], vehicle["url"]) == ("Véhicule AB-123-CD", None)  # its description is text
    assert city.person_id not in str(body)


def test_neighbours_filtered_by_relationship_type(client: FlaskClient, city: City) -> None:
    body = neighbours(client, city, "incident:T:A", types="INVOLVES")
    assert ids(body["nodes"]) == {"incident:T:A", "plate:AB-123-CD", VEHICLE, f"person:{city.pseudonym}"}
    body = neighbours(client, city, "incident:T:A", types="near_repeat, SEEN_BY")
    assert edges(body) == {
        ("incident:T:B", "NEAR_REPEAT", "incident:T:A"),
        ("incident:T:A", "SEEN_BY", "camera:CAM-1"),
    }


def test_neighbours_leave_out_incidents_outside_the_window(client: FlaskClient, city: City) -> None:
    everything = neighbours(client, city, PARADIS)
    assert ids(everything["nodes"]) == {PARADIS, "incident:T:A", "incident:T:B", "incident:T:D 4",
                                        "quartier:PREFECTURE"}  # fmt: skip
    march = neighbours(client, city, PARADIS, **{"from": "2025-03-01T00:00:00", "to": "2025-04-01T00:00:00"})
    assert ids(march["nodes"]) == {PARADIS, "incident:T:A", "incident:T:B", "quartier:PREFECTURE"}
    june = neighbours(client, city, "camera:CAM-1", **{"from": "2025-06-01T00:00:00"})
    assert edges(june) == {("incident:T:D 4", "MISSED_BY", "camera:CAM-1"),
                           ("camera:CAM-1", "IN", "quartier:PALAIS-DE-JUSTICE")}  # fmt: skip


def test_neighbours_are_capped_and_say_so(client: FlaskClient, city: City) -> None:
    body = neighbours(client, city, "incident:T:A", limit=2)
    assert body["truncated"] is True and len(body["edges"]) == 2 and len(body["nodes"]) == 3
    assert neighbours(client, city, "incident:T:A", limit=6)["truncated"] is False


def test_a_plate_node_may_be_written_any_way_and_a_person_by_pseudonym(
    client: FlaskClient, city: City
) -> None:
    body = neighbours(client, city, "plate:ab 123 cd")
    assert body["node"] == "plate:AB-123-CD"
    assert ids(body["nodes"]) == {"plate:AB-123-CD", "incident:T:A", "incident:T:B", VEHICLE}
    assert (VEHICLE, "HAS_PLATE", "plate:AB-123-CD") in edges(body)
    person = neighbours(client, city, f"person:{city.pseudonym.lower()}")
    assert ids(person["nodes"]) == {f"person:{city.pseudonym}", "incident:T:A"}
    assert neighbours(client, city, f"person:{city.person_id}", 404)["error"]["code"] == "not_found"


def test_unknown_or_unreadable_requests_get_the_error_shape(client: FlaskClient, city: City) -> None:
    missing = neighbours(client, city, "incident:T:Z", 404)["error"]
    assert missing["code"] == "not_found" and "incident:T:Z" in missing["message"]
    bad = neighbours(client, city, "T:A", 400)["error"]
    assert bad["code"] == "invalid_input" and set(bad["fields"]) == {"node"}
    unknown = neighbours(client, city, "incident:T:A", 400, types="INVOLVES,KNOWS")["error"]
    assert unknown["fields"] == {"types": "unknown: KNOWS"}
    hidden = neighbours(client, city, "incident:T:A", 400, types="EXTRACTED_FROM")["error"]  # provenance
    assert hidden["fields"] == {"types": "unknown: EXTRACTED_FROM"}
    empty = neighbours(client, city, PARADIS, 400, **{"from": "2025-04-01", "to": "2025-03-01"})["error"]
    assert set(empty["fields"]) == {"to"}
    assert get(client, city, "/api/graph/search?q=", "analyst", 400)["error"]["fields"] == {"q": "required"}
    assert "EXTRACTED_FROM" not in relationship_types() and "INVOLVES" in relationship_types()


@pytest.mark.parametrize("url", ["/api/graph/search?q=T:A", "/api/graph/neighbours?node=incident:T:A"])
def test_a_viewer_is_refused_and_an_analyst_is_not(client: FlaskClient, city: City, url: str) -> None:
    error = get(client, city, url, "viewer", 403)["error"]
    assert error["code"] == "forbidden"
    assert get(client, city, url, "auditor", 403)["error"]["code"] == "forbidden"
    assert get(client, city, url, "analyst", 200)


# ---------------------------------------------------------------- the page


def test_the_page_lists_the_matches_and_names_the_start_node(client: FlaskClient, city: City) -> None:
    assert login(client, "analyst").status_code == 302
    response = client.get("/explorateur?q=ab+123+cd&from=2025-03-01")
    assert response.status_code == 200 and response.headers["Content-Security-Policy"].startswith(
        "default-src 'self'"
    )
    text = response.text
    assert 'data-start="plate:AB-123-CD"' in text and 'data-neighbours-url="/api/graph/neighbours"' in text
    assert '<a href="/explorateur?q=ab+123+cd&amp;node=plate:AB-123-CD&amp;from=2025-03-01">' in text
    assert '<a href="/entites/plate/AB-123-CD">fiche</a>' in text
    assert (
        'src="/vendor/cytoscape/dist/cytoscape.min.js"' in text
        and 'id="__________cytoscape_stylesheet"' in text
    )
    assert len(re.findall(r'<input type="checkbox" name="types" value="[A-Z_]+" checked>', text)) == len(
        relationship_types()
    )
    assert "<style" not in text and "style=" not in text and not re.search(r"<script>|\son[a-z]+=", text)
    chosen = client.get("/explorateur?q=T:&node=incident:T:B&types=INVOLVES").text
    assert 'data-start="incident:T:B"' in chosen
    assert 'value="INVOLVES" checked' in chosen and 'value="SEEN_BY">' in chosen
    assert "Aucun nœud ne répond" in client.get("/explorateur?q=nothing-like-this").text
    backwards = client.get("/explorateur?q=T:A&from=2025-04-01&to=2025-03-01")
    assert backwards.status_code == 400 and "La période est vide." in backwards.text


def test_the_openapi_document_declares_the_explorer_s_routes(client: FlaskClient, city: City) -> None:
    document = get(client, city, "/api/openapi.json", "viewer")
    search, around = (
        document["paths"]["/api/graph/search"]["get"],
        document["paths"]["/api/graph/neighbours"]["get"],
    )
    assert around["x-permissions"] == search["x-permissions"] == ["read.entities", "explorer"]
    assert [p["name"] for p in around["parameters"]] == ["node", "types", "from", "to", "limit"]
    assert set(document["components"]["schemas"]["GraphNode"]["properties"]) == {
        "id", "label", "kind", "title", "url", "category", "occurred_from", "day"
    }  # fmt: skip


def test_the_page_needs_a_login_and_the_explorer_permission(client: FlaskClient, city: City) -> None:
    anonymous = client.get("/explorateur")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/connexion")
    assert login(client, "viewer").status_code == 302
    assert client.get("/explorateur?q=T:A").status_code == 403
    nav = city.app.test_client()
    assert login(nav, "investigator").status_code == 302
    assert '<a href="/explorateur" aria-current="page">Explorateur</a>' in nav.get("/explorateur").text
