"""The ontology page and the map's download links in a real Chromium (tests/web/browser.py), on the API tests'
city (tests/web/test_api.py): the page is reached from the navigation bar and lists the classes with both
labels, the same address answers Turtle to a script that asks for it, and the map's "Exporter" link downloads
the period's GeoJSON. Screenshots: test-artifacts/ontologie.png, carte-exporter.png."""

from __future__ import annotations

import json
from pathlib import Path

from recoupe.ontology.loader import ontology
from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import City

city = test_api.city


def test_the_ontology_page_from_the_navigation_bar(city: City, visit: Visit) -> None:
    visit.login("/", "viewer")
    page = visit.page
    with page.expect_navigation():
        page.click("nav >> text=Ontologie")
    assert page.url.endswith("/ontologie")
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Ontologie"
    classes = page.locator("#classes tbody tr")
    assert classes.count() == len(ontology().node_types)
    camera = page.locator('#classes tr[data-term="Camera"]')
    assert camera.locator(".label-fr").inner_text() == ontology().node_type("Camera").labels.fr
    assert camera.locator(".label-en").inner_text() == ontology().node_type("Camera").labels.en
    assert "sosa:Sensor" in camera.inner_text()
    categories = page.locator("#vocabulaire-IncidentCategory-termes tbody tr")
    assert categories.count() == len(ontology().vocabulary("IncidentCategory").concepts)
    answer = page.evaluate(
        "() => fetch('/ontologie', { headers: { Accept: 'text/turtle' }, credentials: 'same-origin' })"
        ".then(r => r.text().then(t => [r.headers.get('content-type'), t.includes('@prefix rcp:')]))"
    )
    assert answer[0].startswith("text/turtle") and answer[1] is True
    visit.screenshot("ontologie")


def test_the_map_downloads_the_period_as_geojson(city: City, visit: Visit, tmp_path: Path) -> None:
    visit.login("/carte?from=2025-03-01&to=2025-03-31", "analyst")
    page = visit.page
    page.wait_for_function(
        "() => document.getElementById('carte').dataset.state === 'ready'", timeout=WAIT_MS
    )
    links = page.locator("#exporter a")
    assert links.all_inner_texts()[-1].startswith("GeoJSON") and links.count() == 4  # the analyst: all four
    with page.expect_download() as pending:
        page.click("#exporter >> text=GeoJSON")
    download = pending.value
    assert download.suggested_filename == "recoupe-2025-03-01-2025-04-01.geojson"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    features = json.loads(saved.read_text(encoding="utf-8"))["features"]
    assert sorted(f["id"] for f in features) == [
        "Camera:CAM-1",
        "Incident:T:A",
        "Incident:T:B",
        "Incident:T:C",
    ]
    page.locator("#exporter").scroll_into_view_if_needed()
    visit.screenshot("carte-exporter")
