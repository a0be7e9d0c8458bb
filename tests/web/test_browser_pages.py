"""The server-rendered pages in a real Chromium (tests/web/browser.py) on the API tests' city
(tests/web/test_api.py): the dashboard, an incident with its mentions highlighted, an entity's timeline and the
API's interactive documentation. Each test leaves a screenshot in test-artifacts/ and checks, through the
`visit` fixture, that no request left loopback and that the console stayed clean (no CSP violation).
"""

from __future__ import annotations

from urllib.parse import quote

from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import City

city = test_api.city


def test_the_dashboard_shows_the_city(city: City, visit: Visit) -> None:
    visit.login("/", "analyst")
    page = visit.page
    assert page.locator("h1").first.inner_text() == "Tableau de bord"
    latest = test_api.get(city.app.test_client(), city, "/api/incidents?limit=20", role="viewer")
    rows = page.locator("section[aria-labelledby=derniers] tbody tr")
    assert rows.count() == latest["total"] == 4  # the four incidents of the test city
    assert rows.first.locator("a").inner_text() == latest["items"][0]["id"]
    nav = page.locator("nav ul a").all_inner_texts()
    assert nav == ["Tableau de bord", "Carte", "Explorateur", "Console", "Prévisions", "API", "Ontologie"]
    visit.screenshot("tableau-de-bord")


def test_a_viewer_sees_only_the_pages_of_its_role(city: City, visit: Visit) -> None:
    visit.login("/", "viewer")
    assert visit.page.locator("nav ul a").all_inner_texts() == [
        "Tableau de bord",
        "Carte",
        "Prévisions",
        "API",
        "Ontologie",
    ]


def test_the_incident_page_highlights_the_mentions(city: City, visit: Visit) -> None:
    visit.login("/incidents/" + quote("T:A"), "analyst")
    page = visit.page
    plate = page.locator("blockquote.log-text mark.m-PLATE")
    assert plate.all_inner_texts() == ["AB-123-CD"]
    person = page.locator("blockquote.log-text mark.m-PERSON")
    assert person.count() == 1 and person.inner_text() == city.pseudonym  # never the name
    # highlighted for real: the style sheet gives each label a background (no inline style is allowed)
    colours = {
        mark: page.locator(f"blockquote.log-text mark.m-{mark}").first.evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        for mark in ("PLATE", "PERSON")
    }
    assert all(c not in ("rgba(0, 0, 0, 0)", "transparent") for c in colours.values()), colours
    assert colours["PLATE"] != colours["PERSON"]
    visit.screenshot("incident-mentions")


def test_the_entity_page_lists_the_plates_incidents(city: City, visit: Visit) -> None:
    visit.login("/entites/plate/AB-123-CD", "investigator")
    timeline = test_api.get(
        city.app.test_client(), city, "/api/entities/plate/AB-123-CD/timeline", role="analyst"
    )
    links = visit.page.locator("main a[href^='/incidents/']").all_inner_texts()
    assert [i["id"] for i in timeline["items"]] == ["T:A", "T:B"]
    assert all(i in " ".join(links) for i in ("T:A", "T:B"))
    visit.screenshot("entite")


def test_the_api_documentation_is_interactive_and_local(city: City, visit: Visit) -> None:
    visit.login("/docs/api", "viewer")
    page = visit.page
    page.wait_for_selector('#swagger[data-state="ready"]', timeout=WAIT_MS)
    spec = test_api.get(city.app.test_client(), city, "/api/openapi.json", role="viewer")
    operations = sum(len(methods) for methods in spec["paths"].values())
    page.wait_for_selector(".opblock", timeout=WAIT_MS)
    assert page.locator(".opblock").count() == operations
    assert any(url.endswith("/vendor/swagger-ui-dist/swagger-ui-bundle.js") for url in visit.requests)
    visit.screenshot("api-docs")
