"""The map page and the incident page's small map in a real Chromium (tests/web/browser.py) against the real
app served over HTTP on a loopback port, on the API tests' city (tests/web/test_api.py, rebuilt for this
module, its forecast cells given their outlines by tests/web/test_map.py): log in through the login form, and
check that what the maps draw is what the API answers, that the clusters, the time window and the layers'
popups work, and that no request leaves loopback; then a configured tile server's tiles under the map.
Screenshots: test-artifacts/carte.png (the city), carte-zoom.png (a cluster opened), incident.png.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from werkzeug.serving import make_server

from recoupe.web import create_app, vendor
from recoupe.web.resources import close_graphs
from tests.web import test_api, test_map
from tests.web.browser import WAIT_MS, Site, Visit
from tests.web.test_api import City

city = test_api.city
cell_outlines = test_map.cell_outlines
PERIOD = {"from": "2025-03-01", "to": "2025-06-30"}  # the form's days; the API's `to` is the midnight after
API_PERIOD = "from=2025-03-01T00:00:00&to=2025-07-01T00:00:00"
PARIS = ZoneInfo("Europe/Paris")


def api(city: City, url: str) -> Any:
    """An API answer, read with the viewer's token through the Flask test client."""
    client: FlaskClient = city.app.test_client()
    return test_api.get(client, city, url, role="viewer")


def api_items(city: City, url: str) -> list[dict[str, Any]]:
    body = api(city, url + ("&" if "?" in url else "?") + "limit=500")
    assert body["total"] == len(body["items"])  # one page holds the whole test city
    return list(body["items"])


def ready(visit: Visit, attribute: str, value: str) -> None:
    """Wait until the map is drawn and its container's `data-<attribute>` is `value`."""
    visit.page.wait_for_function(
        "([name, value]) => { const c = document.getElementById('carte');"
        " return c.dataset.state === 'ready' && c.getAttribute('data-' + name) === value; }",
        arg=[attribute, value],
        timeout=WAIT_MS,
    )


def slide(visit: Visit, first: int, last: int) -> None:
    """Move the time window's sliders (days after the period's first day) as a user would, input events."""
    visit.page.evaluate(
        "([first, last]) => { for (const [id, v] of [['fenetre-debut', first], ['fenetre-fin', last]]) {"
        " const s = document.getElementById(id); s.value = String(v);"
        " s.dispatchEvent(new Event('input', { bubbles: true })); } }",
        [first, last],
    )


def close_popup(visit: Visit) -> None:
    visit.page.locator(".leaflet-popup-close-button").dispatch_event("click")  # (it may be moving: auto-pan)
    visit.page.locator(".leaflet-popup").wait_for(state="detached", timeout=WAIT_MS)  # after its fading


def clustered_total(visit: Visit) -> int:
    """Incidents on the map: those inside the clusters' counts plus the markers drawn alone."""
    counts = visit.page.locator(".incident-cluster").all_inner_texts()
    return sum(int(c) for c in counts) + visit.page.locator(".leaflet-marker-icon.map-incident").count()


def test_the_map_draws_what_the_api_answers_and_stays_on_loopback(city: City, visit: Visit) -> None:
    incidents = [i for i in api_items(city, f"/api/incidents?{API_PERIOD}") if i["lat"] is not None]
    noise = [i for i in incidents if i["category"] == "noise"]
    cameras = api_items(city, "/api/cameras")
    assets = api(city, f"/api/map/assets?bbox={test_map.CITY_BOX}")["items"]
    cells = api(city, f"/api/map/forecasts?bbox={test_map.CITY_BOX}")["features"]
    assert (len(incidents), len(noise), len(cameras), len(assets), len(cells)) == (4, 1, 3, 1, 2)

    page = visit.page
    visit.login(f"/carte?from={PERIOD['from']}&to={PERIOD['to']}", "analyst")  # analysts open entity pages
    ready(visit, "incidents", str(len(incidents)))
    board = page.locator("#carte")
    assert board.get_attribute("data-cameras") == str(len(cameras))
    assert board.get_attribute("data-assets") == str(len(assets))
    assert board.get_attribute("data-cells") == str(len(cells))
    assert board.get_attribute("data-streets") == "0"  # the whole city: below the streets' zoom
    assert page.locator("path.map-wedge").count() == len(cameras)
    assert page.locator("path.wedge-out").count() == sum(c["status"] == "out" for c in cameras) == 1
    quartiers = int(board.get_attribute("data-quartiers") or 0)
    assert quartiers == page.locator("path.map-quartier").count() > 100
    assert page.locator("#carte-etat").inner_text() == f"{len(incidents)} incidents sur la carte."
    assert page.locator(".leaflet-tile").count() == 0  # no tiles: nothing to fetch from a tile server

    # zoomed out, the incidents are clustered, and the clusters hold them all
    assert page.locator(".incident-cluster").count() >= 1
    assert clustered_total(visit) == len(incidents)
    # the forecasts' cells, one heat step each: 61 % (noise) is step 4, 42 % (theft) step 3
    steps = {f["properties"]["step"] for f in cells}
    assert steps == {3, 4} and page.locator("path.map-heat").count() == len(cells)
    assert page.locator("path.map-heat.heat-4").count() == page.locator("path.map-heat.heat-3").count() == 1
    visit.screenshot("carte")

    # popups: the street asset links to its entity page, a forecast cell to the forecasts' page
    page.locator(".leaflet-marker-icon.map-asset").dispatch_event("click")
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=WAIT_MS)
    assert (link.get_attribute("href"), link.text_content()) == ("/entites/asset/BS-1", "Mobilier BS-1")
    assert "abribus" in page.locator(".leaflet-popup-content").inner_text()
    assert "Endommagé 1 fois" in page.locator(".leaflet-popup-content").inner_text()
    close_popup(visit)
    page.locator("path.map-heat.heat-4").dispatch_event("click")  # (a small square at this zoom)
    page.locator(".leaflet-popup-content .map-card-more").wait_for(timeout=WAIT_MS)
    card = page.locator(".leaflet-popup-content")
    assert card.locator("strong").inner_text() == "Maille grid:500:2" and "tapage : 61 %" in card.inner_text()
    assert card.locator(".map-card-more").get_attribute("href") == "/previsions"
    close_popup(visit)

    # a cluster, clicked, zooms in: T:C stands alone, the three at rue Paradis (one point) stay grouped
    for attempt in range(3):  # a click while the map still pans (the last popup's auto-pan) can be dropped
        page.locator(".incident-cluster").first.click()
        try:
            page.locator(".leaflet-marker-icon.map-incident").first.wait_for(timeout=WAIT_MS // 3)
            break
        except PlaywrightTimeout:
            if attempt == 2 or page.locator("#carte").get_attribute("data-streets") != "0":
                raise  # the click was taken (the map zoomed in) and still no marker: a real failure
    page.wait_for_function(
        "() => Number(document.getElementById('carte').dataset.streets) > 0", timeout=WAIT_MS
    )
    assert clustered_total(visit) == len(incidents)
    page.locator(".leaflet-marker-icon.map-incident").first.click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=WAIT_MS)
    assert link.get_attribute("href") == "/incidents/T%3AC" and link.text_content() == "Incident T:C"
    # the streets, from that zoom on: what the API holds for the box the map asked for
    streets = api(city, f"/api/map/streets?bbox={board.get_attribute('data-streets-bbox')}&limit=2000")
    assert board.get_attribute("data-streets") == str(len(streets["items"])) == str(streets["total"])
    assert page.locator("path.map-street").count() == streets["total"]
    visit.screenshot("carte-zoom")

    # the time window narrows what is drawn without a request: March, then 1 June onwards
    def days(first: date, last: date) -> int:
        local = [datetime.fromisoformat(i["occurred_from"]).astimezone(PARIS).date() for i in incidents]
        return sum(first <= d <= last for d in local)

    asked = len(visit.requests)
    slide(visit, 0, 30)
    march = days(date(2025, 3, 1), date(2025, 3, 31))
    ready(visit, "incidents", str(march))
    assert march == 3 and page.locator("#fenetre-texte").inner_text() == "du 1 mars 2025 au 31 mars 2025"
    assert page.locator("#carte-etat").inner_text() == (
        "3 incidents sur la carte (du 1 mars 2025 au 31 mars 2025 ; 4 sur la période)."
    )
    slide(visit, 92, 121)
    june = days(date(2025, 6, 1), date(2025, 6, 30))
    ready(visit, "incidents", str(june))
    assert june == 1 and clustered_total(visit) == 1
    assert page.locator("#fenetre-texte").inner_text() == "du 1 juin 2025 au 30 juin 2025"
    assert not any("/api/incidents" in url for url in visit.requests[asked:])

    # the category filter, without reloading the page: the incidents and the forecasts' cells follow it
    page.select_option("#categorie", "noise")
    page.click("#filtres button[type=submit]")
    ready(visit, "incidents", str(len(noise)))  # (the forecasts' cells are read again before "ready")
    box = board.get_attribute("data-cells-bbox")
    noisy = api(city, f"/api/map/forecasts?category=noise&bbox={box}")
    assert board.get_attribute("data-cells") == str(len(noisy["features"])) == str(noisy["total"])
    assert page.locator("path.map-heat").count() == noisy["total"]
    assert page.locator(".leaflet-marker-icon.map-incident.c-noise").count() == 1
    assert page.locator("#fenetre-texte").inner_text() == "toute la période"  # a new period: the whole of it

    assert any("/vendor/leaflet.markercluster/dist/leaflet.markercluster.js" in url for url in visit.requests)
    assert any(f"/api/incidents?{API_PERIOD.replace(':', '%3A')}" in url for url in visit.requests)
    assert any("/api/map/forecasts?category=noise" in url for url in visit.requests)


def test_the_incident_page_shows_its_place_and_precision_on_a_small_map(city: City, visit: Visit) -> None:
    facts = api(city, test_api.incident_url("T:A"))["place"]
    assert facts["precision"] == "street" and facts["quartier"] == "PREFECTURE"

    page = visit.page
    visit.login("/incidents/T:A", "viewer")  # (a space in the path is lost by the login redirect)
    page.wait_for_selector('#petite-carte[data-state="ready"]', timeout=WAIT_MS)
    box = page.locator("#petite-carte")
    assert box.get_attribute("data-circle") == "1" and box.get_attribute("data-quartier-drawn") == "1"
    assert page.locator("#petite-carte path.incident-precision").count() == 1
    assert page.locator("#petite-carte path.map-quartier").count() == 1
    streets = int(box.get_attribute("data-streets") or 0)
    assert streets > 0 and page.locator("#petite-carte path.map-street").count() == streets
    assert page.locator(".leaflet-tile").count() == 0
    # the point is the circle's centre: a street is placed at its centre, the circle says how far it may be
    point = page.locator("#petite-carte path.incident-point").bounding_box()
    circle = page.locator("#petite-carte path.incident-precision").bounding_box()
    assert point is not None and circle is not None
    assert (
        abs(circle["width"] - circle["height"]) < 0.1 * circle["width"]
        and circle["width"] > 5 * point["width"]
    )
    for axis, size in (("x", "width"), ("y", "height")):
        assert abs((circle[axis] + circle[size] / 2) - (point[axis] + point[size] / 2)) < 2
    assert "cercle : la précision « rue », environ 250 m autour" in page.locator("figcaption").inner_text()
    assert 1 <= page.locator("#petite-carte .map-street-name").count() <= 5  # the nearest, named
    visit.screenshot("incident")
    page.locator("#petite-carte path.incident-point").click(force=True)
    popup = page.locator("#petite-carte .leaflet-popup-content")
    popup.wait_for(timeout=WAIT_MS)
    assert "Précision : rue" in popup.inner_text()
    assert any(u.endswith("/api/quartiers?name=PREFECTURE") for u in visit.requests)


def test_a_configured_tile_server_is_drawn_under_the_map_and_allowed_by_the_csp(
    city: City, chromium: Any
) -> None:
    """RECOUPE_TILE_URL set: Leaflet asks for tiles there and the CSP lets the images in. The tile server is
    Playwright's (`page.route` answers every tile with a PNG): no request leaves the machine."""
    config = {key: city.app.config[key] for key in city.app.config if key.startswith("RECOUPE_")}
    tiles = "https://{s}.tiles.example.test/{z}/{x}/{y}.png"
    app = create_app({**config, "TESTING": True, "RECOUPE_COOKIE_SECURE": 0, "RECOUPE_TILE_URL": tiles})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    try:
        visit = Visit(Site(f"http://127.0.0.1:{server.server_port}", server.server_port), context.new_page())
        visit.page.on("console", lambda m: visit.problems.append(m.text) if m.type == "error" else None)
        png = (vendor.NODE_MODULES / "leaflet" / "dist" / "images" / "layers.png").read_bytes()
        served: list[str] = []
        visit.page.route(re.compile(r"^https://[abc]\.tiles\.example\.test/"),
                         lambda route: (served.append(route.request.url),
                                        route.fulfill(status=200, content_type="image/png", body=png)))  # fmt: skip
        visit.login(f"/carte?from={PERIOD['from']}&to={PERIOD['to']}", "viewer")
        ready(visit, "incidents", "4")
        visit.page.wait_for_selector(".leaflet-tile-loaded", timeout=WAIT_MS)
        assert served and all(
            re.fullmatch(r"https://[abc]\.tiles\.example\.test/\d+/\d+/\d+\.png", u) for u in served
        )
        assert visit.page.locator(".leaflet-tile-loaded").count() > 0
        assert [p for p in visit.problems if "favicon" not in p] == []  # no Content-Security-Policy refusal
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=10)
        close_graphs(app)
