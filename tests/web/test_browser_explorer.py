"""The explorer page in a real Chromium (tests/web/browser.py) against the real app served on a loopback port,
on the API tests' city (tests/web/test_api.py, rebuilt for this module): open /explorateur?q=T:A, check that
what Cytoscape draws is what the API answers, click a neighbour where it is drawn and check the graph grew to
what the API says, filter by period and relationship type, and export JSON and PNG. The visit fixture checks
that the console stayed clean (Cytoscape's inline style sheet would be a CSP error) and that nothing left
loopback. A screenshot is left in test-artifacts/explorateur.png.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import City

city = test_api.city
PARADIS = "place:street:Rue Paradis"
DRAWN = "() => explorateur.elements().not('.hidden').map(e => e.id()).sort()"
SETTLED = (
    "n => { const c = document.getElementById('graphe');"
    " return c.dataset.state === 'ready' && c.dataset.nodes === String(n); }"
)


def neighbours(city: City, node: str) -> dict[str, Any]:
    """The API's answer for a node, read with the analyst's token through the Flask test client."""
    client: FlaskClient = city.app.test_client()
    body: dict[str, Any] = test_api.get(client, city, f"/api/graph/neighbours?node={quote(node)}", "analyst")
    return body


def element_ids(*answers: dict[str, Any]) -> list[str]:
    return sorted({item["id"] for body in answers for item in (*body["nodes"], *body["edges"])})


def drawn(visit: Visit) -> list[str]:
    found: list[str] = visit.page.evaluate(DRAWN)
    return found


def click_node(visit: Visit, node: str) -> None:
    """A real mouse click where Cytoscape drew the node."""
    canvas = visit.page.locator("#graphe")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    at = visit.page.evaluate("id => explorateur.getElementById(id).renderedPosition()", node)
    assert box is not None and 0 < at["x"] < box["width"] and 0 < at["y"] < box["height"]
    visit.page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])


def test_the_explorer_draws_the_api_s_answer_and_expands_a_clicked_node(city: City, visit: Visit) -> None:
    start = neighbours(city, "incident:T:A")
    paradis = neighbours(city, PARADIS)
    assert len(start["nodes"]) == 7 and len(paradis["nodes"]) == 5  # the city of tests/web/test_api.py

    page = visit.page
    visit.login("/explorateur?q=T:A", "analyst")
    page.wait_for_selector('#graphe[data-state="ready"]', timeout=WAIT_MS)
    board = page.locator("#graphe")
    assert board.get_attribute("data-nodes") == str(len(start["nodes"]))
    assert board.get_attribute("data-edges") == str(len(start["edges"]))
    assert drawn(visit) == element_ids(start)
    assert page.locator("#details-id").inner_text() == "incident:T:A"  # the start node, selected
    assert page.locator("#details-lien a").get_attribute("href") == "/incidents/T:A"

    # a click on the street adds its neighbours: T:D 4 and the quartier are new, T:A and T:B already there
    grown = element_ids(start, paradis)
    nodes = len({n["id"] for n in (*start["nodes"], *paradis["nodes"])})
    assert nodes == 9
    asked = f"/api/graph/neighbours?node={quote(PARADIS, safe='')}"
    for attempt in range(3):  # a click can be dropped by a page still busy (the suite loads both cores)
        click_node(visit, PARADIS)
        try:
            page.wait_for_function(SETTLED, arg=nodes, timeout=WAIT_MS // 3)
            break
        except PlaywrightTimeout:
            if attempt == 2 or any(url.endswith(asked) for url in visit.requests):
                raise  # the click was taken (its neighbours were asked for) and the graph did not grow
    assert drawn(visit) == grown
    assert board.get_attribute("data-edges") == str(
        len({e["id"] for e in (*start["edges"], *paradis["edges"])})
    )
    assert page.locator("#details-titre").inner_text() == "Lieu Rue Paradis"
    assert page.locator("#details-lien a").get_attribute("href") == "/entites/place/street:Rue%20Paradis"
    assert page.locator("#explorateur-etat").inner_text().startswith(f"{nodes} nœuds et ")

    # the period filters the drawn graph: T:D 4 (June) goes, and comes back
    page.fill("#debut", "2025-03-01")
    page.fill("#fin", "2025-03-31")
    page.locator("#fin").dispatch_event("change")
    page.wait_for_function(SETTLED, arg=nodes - 1, timeout=WAIT_MS)
    assert "incident:T:D 4" not in drawn(visit)
    page.fill("#debut", "")
    page.fill("#fin", "")
    page.locator("#fin").dispatch_event("change")
    page.wait_for_function(SETTLED, arg=nodes, timeout=WAIT_MS)
    # so do the relationship types: without INVOLVES, the person, the plate and the scooter go
    page.uncheck("#types input[value=INVOLVES]")
    page.wait_for_function(SETTLED, arg=nodes - 3, timeout=WAIT_MS)
    assert not any(e.startswith(("person:", "plate:", "vehicle:")) for e in drawn(visit))
    page.check("#types input[value=INVOLVES]")
    page.wait_for_function(SETTLED, arg=nodes, timeout=WAIT_MS)

    # the same from the keyboard, through the list of drawn nodes: the camera brings its quartier
    camera = neighbours(city, "camera:CAM-1")
    grown = element_ids(start, paradis, camera)
    nodes = len({n["id"] for n in (*start["nodes"], *paradis["nodes"], *camera["nodes"])})
    assert nodes == 10
    page.click("details.explorer-list summary")
    page.focus('#liste-noeuds button[data-node="camera:CAM-1"]')
    page.keyboard.press("Enter")
    page.wait_for_function(SETTLED, arg=nodes, timeout=WAIT_MS)
    assert drawn(visit) == grown
    assert page.locator("#details-titre").inner_text() == "Caméra CAM-1 — Paradis nord"
    assert page.locator("#liste-noeuds button").count() == nodes

    visit.screenshot("explorateur")

    with page.expect_download() as exported:
        page.click("#export-json")
    assert exported.value.suggested_filename == "explorateur.json"
    graph = json.loads(Path(exported.value.path()).read_text(encoding="utf-8"))
    assert graph["start"] == "incident:T:A"
    assert sorted(e["data"]["id"] for e in (*graph["nodes"], *graph["edges"])) == grown
    person = next(n["data"] for n in graph["nodes"] if n["data"]["kind"] == "person")
    assert person["label"] == city.pseudonym and city.person_id not in json.dumps(graph)
    near = next(e["data"] for e in graph["edges"] if e["data"]["type"] == "NEAR_REPEAT")
    assert (near["source"], near["target"], near["label"]) == (
        "incident:T:B",
        "incident:T:A",
        "répétition proche",
    )

    with page.expect_download() as picture:
        page.click("#export-png")
    assert picture.value.suggested_filename == "explorateur.png"
    assert Path(picture.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert any("/vendor/cytoscape/dist/cytoscape.min.js" in url for url in visit.requests)
    assert any("/api/graph/neighbours?node=place%3Astreet%3ARue+Paradis" in url for url in visit.requests)
