"""The Prévisions page in a real Chromium (tests/web/browser.py) against the real app served over HTTP on a
loopback port, on the forecasting city of tests/web/test_forecast_page.py (rebuilt for this module): log in
through the form, open /previsions, and check that the map draws every cell the API answers, coloured by
probability, that a cell's popup links to its forecasts, that the backtest's chart loads, and that no request
leaves loopback. A screenshot is left in test-artifacts/previsions.png.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from tests.web import test_forecast_page
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_forecast_page import City

city = test_forecast_page.city


def cells(city: City, query: str) -> dict[str, Any]:
    client = city.app.test_client()
    response = client.get(f"/api/forecasts/cells?{query}",
                          headers={"Authorization": f"Bearer {city.tokens['viewer']}"})  # fmt: skip
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_the_forecast_map_draws_the_cells_the_api_answers(city: City, visit: Visit) -> None:
    answered = cells(city, "horizon=1d")
    assert answered["total"] == len(answered["features"]) == 36  # the 6 × 6 block

    page = visit.page
    visit.login("/previsions", "viewer")
    page.wait_for_selector('#carte-previsions[data-state="ready"]', timeout=WAIT_MS)
    board = page.locator("#carte-previsions")
    assert board.get_attribute("data-cells") == str(answered["total"])
    assert page.locator("path.forecast-cell").count() == 36
    assert page.locator("path.forecast-cell.risk-5").count() >= 1  # the hotspot, at the top of the scale
    assert page.locator("path.map-quartier").count() > 100  # the background: Marseille's quartiers
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator("#legende-risque li").count() == 5
    assert page.locator("#carte-etat").inner_text() == "36 mailles sur la carte."
    assert page.locator("#classement tbody tr").count() == 50
    assert page.locator("#metriques tr[data-model]").count() == 6
    assert page.evaluate("document.querySelector('img.hit-rate-chart').naturalWidth") > 0

    # the first cell's popup: its rank, its probability, a link to its forecasts
    top = answered["features"][0]["properties"]
    visit.screenshot("previsions")
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("path.forecast-cell.risk-5").first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=WAIT_MS)
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Rang " in popup and "Probabilité : " in popup and "%" in popup
    href = unquote(link.get_attribute("href") or "")
    assert href.startswith("/previsions?cell=grid:500:") and href.endswith("&horizon=1d")
    if "Rang 1 " in popup:
        assert href == f"/previsions?cell={top['cell']}&horizon=1d"

    # the category filter: the page again, the map with that category's cells
    page.select_option("#categorie", "theft")
    with page.expect_navigation():
        page.click("#filtres button[type=submit]")
    page.wait_for_selector('#carte-previsions[data-state="ready"]', timeout=WAIT_MS)
    theft = cells(city, "category=theft&horizon=1d")
    assert page.locator("#carte-previsions").get_attribute("data-cells") == str(theft["total"]) == "36"
    assert page.locator("#classement tbody tr[data-category=theft]").count() == 36
    assert any("/api/forecasts/cells?category=theft&horizon=1d" in url for url in visit.requests)
    assert any(url.endswith("/previsions/backtest.png") for url in visit.requests)
