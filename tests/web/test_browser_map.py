"""The map page in a real Chromium (tests/web/browser.py) against the real app served over HTTP on a loopback
port, on the API tests' city (tests/web/test_api.py, rebuilt for this module): log in through the login form,
open /carte, and check that what the map draws is what the API answers and that no request leaves loopback.
A screenshot is left in test-artifacts/carte.png.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import City

city = test_api.city
PERIOD = {"from": "2025-03-01", "to": "2025-06-30"}  # the form's days; the API's `to` is the midnight after
API_PERIOD = "from=2025-03-01T00:00:00&to=2025-07-01T00:00:00"


def api_items(city: City, url: str) -> list[dict[str, Any]]:
    """Every item of a paged API answer, read with the viewer's token through the Flask test client."""
    client: FlaskClient = city.app.test_client()
    body = test_api.get(client, city, url + ("&" if "?" in url else "?") + "limit=500", role="viewer")
    assert body["total"] == len(body["items"])  # one page holds the whole test city
    return list(body["items"])


def test_the_map_draws_what_the_api_answers_and_stays_on_loopback(city: City, visit: Visit) -> None:
    incidents = [i for i in api_items(city, f"/api/incidents?{API_PERIOD}") if i["lat"] is not None]
    noise = [i for i in incidents if i["category"] == "noise"]
    cameras = api_items(city, "/api/cameras")
    assert len(incidents) == 4 and len(noise) == 1 and len(cameras) == 3  # the city of tests/web/test_api.py

    page = visit.page
    visit.login(f"/carte?from={PERIOD['from']}&to={PERIOD['to']}", "viewer")
    page.wait_for_selector('#carte[data-state="ready"]', timeout=WAIT_MS)
    board = page.locator("#carte")
    assert board.get_attribute("data-incidents") == str(len(incidents))
    assert board.get_attribute("data-cameras") == str(len(cameras))
    assert page.locator("path.map-incident").count() == len(incidents)
    assert page.locator("path.map-wedge").count() == len(cameras)
    assert page.locator("path.wedge-out").count() == sum(c["status"] == "out" for c in cameras) == 1
    quartiers = int(board.get_attribute("data-quartiers") or 0)
    assert quartiers == page.locator("path.map-quartier").count() > 100
    assert page.locator("#carte-etat").inner_text() == f"{len(incidents)} incidents sur la carte."
    assert page.locator(".leaflet-tile").count() == 0  # no tiles: nothing to fetch from a tile server

    # a marker's popup links to the incident's page, its id as text
    page.locator("path.map-incident").first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=WAIT_MS)
    assert (link.get_attribute("href") or "").startswith("/incidents/")
    assert (link.text_content() or "").startswith("Incident T:")

    visit.screenshot("carte")

    # the category filter, without reloading the page
    page.select_option("#categorie", "noise")
    page.click("#filtres button[type=submit]")
    page.wait_for_function(
        "n => { const c = document.getElementById('carte');"
        " return c.dataset.state === 'ready' && c.dataset.incidents === String(n); }",
        arg=len(noise),
        timeout=WAIT_MS,
    )
    assert page.locator("path.map-incident").count() == 1
    assert page.locator("path.map-incident.c-noise").count() == 1

    assert any("/vendor/leaflet/dist/leaflet.js" in url for url in visit.requests)
    assert any(f"/api/incidents?{API_PERIOD.replace(':', '%3A')}" in url for url in visit.requests)
