"""The console page, /api/queries and saved queries run through POST /api/query with their parameters, through the
real app on the API tests' city (tests/web/test_api.py, rebuilt for this module: the scooter AB-123-CD is in
T:A and T:B; T:D 4 happened in CAM-1's field during its outage)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from recoupe.graph.saved_queries import SAVED_QUERIES
from recoupe.web import vendor
from tests.web import test_api
from tests.web.test_api import City, bearer, checked, get, post
from tests.web.test_auth import login

city = test_api.city
CYTOSCAPE = vendor.NODE_MODULES / "cytoscape" / "dist" / "cytoscape.min.js"
needs_npm = pytest.mark.skipif(
    not CYTOSCAPE.is_file(), reason="node_modules absent: `make test` runs npm ci first"
)
QUERIES = {q.id: q for q in SAVED_QUERIES}


def logged_in(city: City, role: str) -> FlaskClient:
    client = city.app.test_client()
    assert login(client, role).status_code == 302
    return client


def test_the_console_needs_a_login(city: City) -> None:
    response = city.app.test_client().get("/console")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion?suivant=")


@pytest.mark.parametrize(("role", "status"), [("analyst", 200), ("admin", 200), ("viewer", 403),
                                              ("investigator", 403), ("auditor", 403)])  # fmt: skip
def test_the_console_is_for_roles_with_the_console_permission(city: City, role: str, status: int) -> None:
    response = logged_in(city, role).get("/console")
    assert response.status_code == status
    if status == 200:
        assert '<a href="/console" aria-current="page">Console</a>' in response.text
    else:
        assert 'href="/console"' not in response.text  # no link to a page the role may not open


@needs_npm
def test_the_page_loads_its_scripts_from_this_server_and_nothing_inline(city: City) -> None:
    response = logged_in(city, "analyst").get("/console")
    text = response.text
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self';")
    scripts = re.findall(r"<script([^>]*)>", text)
    assert scripts == [' src="/vendor/cytoscape/dist/cytoscape.min.js"', ' src="/static/console.js"']
    assert "style=" not in text and "<style" not in text and not re.search(r"\son[a-z]+=", text)
    # Cytoscape finds its stylesheet already there and inserts no inline <style> of its own
    assert '<link rel="stylesheet" id="__________cytoscape_stylesheet" href="/static/console.css">' in text
    assert 'data-url="/api/queries"' in text and 'data-url="/api/query"' in text
    assert '<meta name="csrf-token" content="' in text
    assert 'id="resultat" data-state="idle" data-rows="0"' in text
    assert 'max="500" value="100"' in text  # the API's own row cap and default
    for name in ("console.js", "console.css"):
        assert city.app.test_client().get(f"/static/{name}").status_code == 200


def test_the_library_lists_every_saved_query(city: City) -> None:
    client = city.app.test_client()
    body = get(client, city, "/api/queries?limit=500", role="analyst")
    assert body["total"] == len(SAVED_QUERIES) >= 12 and len(body["items"]) == body["total"]
    ids = [item["id"] for item in body["items"]]
    assert len(set(ids)) == len(ids) and "plates-in-several-incidents" in ids
    plates = body["items"][ids.index("plates-in-several-incidents")]
    assert plates["title"] == "Plaques vues dans plusieurs incidents"
    assert plates["parameters"] == [
        {"name": "min_incidents", "label": "Incidents au moins", "type": "integer", "default": 3}
    ]
    assert "$min_incidents" in plates["cypher"] and plates["graph"] is False
    assert {item["id"] for item in body["items"] if item["graph"]} >= {"near-repeats-graph", "suspects-graph"}
    paged = get(client, city, "/api/queries?limit=2&offset=1", role="admin")
    assert [i["id"] for i in paged["items"]] == ids[1:3] and paged["total"] == len(ids)
    for role in ("viewer", "investigator"):
        refused = checked(client.get("/api/queries", headers=bearer(city, role)), 403)["error"]
        assert refused["code"] == "forbidden"
    assert checked(client.get("/api/queries"), 401)["error"]["code"] == "unauthenticated"


def test_the_library_is_in_the_api_document(city: City) -> None:
    document = get(city.app.test_client(), city, "/api/openapi.json", role="analyst")
    listed = document["paths"]["/api/queries"]["get"]
    assert listed["x-permissions"] == ["console"]
    schema = document["components"]["schemas"]["SavedQuery"]
    assert set(schema["properties"]) == set(SAVED_QUERIES[0].as_dict())
    assert "parameters" in document["components"]["schemas"]["ConsoleQuery"]["properties"]


def test_a_saved_query_runs_with_its_parameters(city: City) -> None:
    client = city.app.test_client()
    plate = QUERIES["incidents-of-a-plate"]
    body = post(client, city, "/api/query", {"statement": plate.cypher, "parameters": plate.defaults()},
                role="analyst")  # fmt: skip
    assert body["columns"] == ["incident", "categorie", "survenu_le", "lieu"]
    assert [(r[0], r[1]) for r in body["rows"]] == [("T:A", "robbery"), ("T:B", "burglary")]
    plates = QUERIES["plates-in-several-incidents"]
    statement = plates.cypher
    assert (
        post(client, city, "/api/query", {"statement": statement, "parameters": plates.defaults()})["rows"]
        == []
    )
    rows = post(client, city, "/api/query", {"statement": statement, "parameters": {"min_incidents": 2}})[
        "rows"
    ]
    assert [(r[0], r[1], sorted(r[2])) for r in rows] == [("AB-123-CD", 2, ["T:A", "T:B"])]
    missed = QUERIES["incidents-missed-by-out-cameras"]
    rows = post(client, city, "/api/query", {"statement": missed.cypher, "parameters": missed.defaults()})[
        "rows"
    ]
    assert [(r[0], r[3]) for r in rows] == [("T:D 4", "CAM-1")]


def test_parameters_must_be_named_values(city: City) -> None:
    client = city.app.test_client()
    for bad in ([1, 2], "x", {"not a name": 1}):
        error = post(
            client, city, "/api/query", {"statement": "RETURN $x AS x", "parameters": bad}, status=400
        )
        assert error["error"]["fields"] == {"parameters": "expected an object of $name: value"}
    assert post(client, city, "/api/query", {"statement": "RETURN $x AS x", "parameters": {"x": "é"}})[
        "rows"
    ] == [["é"]]
    assert post(client, city, "/api/query", {"statement": "RETURN 1 AS one", "parameters": None})["rows"] == [
        [1]
    ]
