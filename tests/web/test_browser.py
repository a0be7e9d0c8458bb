"""The map page in a real Chromium (the system's /usr/bin/chromium, driven by Playwright, which downloads no
browser) against the real app served over HTTP on a loopback port, on the API tests' city
(tests/web/test_api.py, rebuilt for this module): log in through the login form, open /carte, and check that
what the map draws is what the API answers and that no request leaves loopback. A screenshot is left in
test-artifacts/carte.png.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from recoupe.web import api, create_app, map_page
from tests.conftest import REPO
from tests.web import test_api
from tests.web.test_api import City
from tests.web.test_auth import PASSWORD

city = test_api.city
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = REPO / "test-artifacts"
PERIOD = {"from": "2025-03-01", "to": "2025-06-30"}  # the form's days; the API's `to` is the midnight after
API_PERIOD = "from=2025-03-01T00:00:00&to=2025-07-01T00:00:00"
WAIT_MS = 30_000


@dataclass
class Site:
    base: str  # http://127.0.0.1:PORT
    port: int


@pytest.fixture(scope="module")
def site(city: City) -> Iterator[Site]:
    """The city's app again, with plain-HTTP cookies, served by werkzeug on a free loopback port."""
    config = {key: city.app.config[key] for key in city.app.config if key.startswith("RECOUPE_")}
    app = create_app({**config, "TESTING": True, "RECOUPE_COOKIE_SECURE": 0})  # same home: same accounts
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="recoupe-test-server", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", server.server_port)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        api.close_graphs(app)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need the system's Chromium — run "
                    "`apt-get install -y chromium` (as root), then the tests again")  # fmt: skip
    if not (map_page.NODE_MODULES / "leaflet" / "dist" / "leaflet.js").is_file():
        pytest.fail("node_modules/leaflet is missing: run `make test` (or `npm ci`) at the repository's root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def api_items(city: City, url: str) -> list[dict[str, Any]]:
    """Every item of a paged API answer, read with the viewer's token through the Flask test client."""
    client: FlaskClient = city.app.test_client()
    body = test_api.get(client, city, url + ("&" if "?" in url else "?") + "limit=500", role="viewer")
    assert body["total"] == len(body["items"])  # one page holds the whole test city
    return list(body["items"])


def test_the_map_draws_what_the_api_answers_and_stays_on_loopback(
    city: City, site: Site, chromium: Any
) -> None:
    incidents = [i for i in api_items(city, f"/api/incidents?{API_PERIOD}") if i["lat"] is not None]
    noise = [i for i in incidents if i["category"] == "noise"]
    cameras = api_items(city, "/api/cameras")
    assert len(incidents) == 4 and len(noise) == 1 and len(cameras) == 3  # the city of tests/web/test_api.py

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    requests: list[str] = []
    problems: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()

    def console(message: Any) -> None:
        where = message.location.get("url", "")
        # the viewer has no icon yet: the browser's own request for one is a 404, not the page's doing
        if message.type in ("error", "warning") and not where.endswith("/favicon.ico"):
            problems.append(f"{message.type}: {message.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    try:
        page.goto(f"{site.base}/carte?from={PERIOD['from']}&to={PERIOD['to']}")
        assert urlsplit(page.url).path == "/connexion"  # not logged in yet: the login form, then back here
        page.fill("#username", "viewer")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("form:has(#password) button[type=submit]")
        assert urlsplit(page.url).path == "/carte"

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

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "carte.png"), full_page=True)

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
    finally:
        context.close()

    assert requests, "the page made no request"
    outside = [url for url in requests if urlsplit(url).netloc != f"127.0.0.1:{site.port}"]
    assert outside == [], f"requests left loopback: {outside}"
    assert any("/vendor/leaflet/dist/leaflet.js" in url for url in requests)
    assert any(f"/api/incidents?{API_PERIOD.replace(':', '%3A')}" in url for url in requests)
    assert problems == [], problems  # a Content-Security-Policy violation would be a console error
