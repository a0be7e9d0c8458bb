"""A script planted in a log never runs in the browser: the API tests' city (tests/web/test_api.py, rebuilt for
this module) plus the log of tests/web/test_pages.py that carries `<script>alert(1)</script>` (W:S1), read by
the real pipeline; its incident page opened in a real Chromium (tests/web/browser.py) must open no dialog, add
no script element, and show the payload as text. Screenshot: test-artifacts/incident-script.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recoupe.graph.connection import connect
from recoupe.graph.home import DataHome
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import City
from tests.web.test_pages import PLANTED

city = test_api.city  # the API tests' city, built again for this module
PAYLOAD = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def planted(city: City, graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The planted log ingested into the city; its incident's page path."""
    logs = tmp_path_factory.mktemp("planted") / "logs.csv"
    test_api._csv(logs, ["id", "reported_at", "text"], [["S1", "2025-05-20T10:00:00+02:00", PLANTED]])
    key = DataHome(Path(city.app.config["RECOUPE_HOME"])).pseudonym_key()
    with connect(graph_server.target()) as graph:
        assert Ingestor(graph, Extractor(), key).ingest_file(logs, source="W").created == 1
    return "/incidents/W:S1"


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_a_planted_script_is_shown_and_never_run(visit: Visit, planted: str, role: str) -> None:
    dialogs: list[str] = []

    def opened(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    visit.page.on("dialog", opened)
    visit.login(planted, role)
    shown = visit.page.locator("blockquote.log-text")
    shown.wait_for(timeout=WAIT_MS)
    assert shown.inner_text() == PLANTED  # the payload as text, marks and all
    assert PAYLOAD in visit.page.locator("main").inner_text()
    scripts = visit.page.eval_on_selector_all(
        "script", "nodes => nodes.map(n => n.getAttribute('src') || 'inline: ' + n.textContent)"
    )
    assert scripts and all(s.startswith(("/static/", "/vendor/")) for s in scripts), scripts
    assert visit.page.locator("blockquote.log-text script").count() == 0
    visit.page.wait_for_timeout(500)  # time for a script that would run late
    assert dialogs == []
    if role == "viewer":
        visit.screenshot("incident-script")
