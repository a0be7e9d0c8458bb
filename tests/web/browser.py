"""The browser harness shared by the viewer's browser tests: the real app served over HTTP on a loopback port,
the system's Chromium (/usr/bin/chromium, driven by Playwright, which downloads no browser), a login through
the login form, a record of every request and of the console's errors, and screenshots in test-artifacts/.

The fixtures (`site`, `chromium`, `visit`) are offered to every module of tests/web by its conftest.py; a
module that uses them defines `city`, the app they serve.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from werkzeug.serving import make_server

from recoupe.web import create_app, resources, vendor
from tests.conftest import REPO
from tests.web.test_api import City
from tests.web.test_auth import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = REPO / "test-artifacts"
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
        resources.close_graphs(app)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need the system's Chromium — run "
                    "`apt-get install -y chromium` (as root), then the tests again")  # fmt: skip
    if not (vendor.NODE_MODULES / "leaflet" / "dist" / "leaflet.js").is_file():
        pytest.fail("node_modules is missing: run `make test` (or `npm ci`) at the repository's root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One browser context: its page, every URL it requested, and the console's errors and warnings."""

    site: Site
    page: Any
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def login(self, path: str, username: str) -> None:
        """Open `path`, log in through the login form it redirects to, and land back on `path`."""
        self.page.goto(self.site.base + path)
        assert urlsplit(self.page.url).path == "/connexion"
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("form:has(#password) button[type=submit]")
        assert unquote(urlsplit(self.page.url).path) == unquote(urlsplit(path).path)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def outside(self) -> list[str]:
        """The requests that left the app's loopback address (there must be none)."""
        return [url for url in self.requests if urlsplit(url).netloc != f"127.0.0.1:{self.site.port}"]


@pytest.fixture
def visit(site: Site, chromium: Any) -> Iterator[Visit]:
    """A fresh browser context (no cookies) on the site; after the test: no request left loopback and the
    console stayed clean (a Content-Security-Policy violation is a console error)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    seen = Visit(site, page)
    context.on("request", lambda request: seen.requests.append(request.url))

    def console(message: Any) -> None:
        where = message.location.get("url", "")
        # the viewer has no icon: the browser's own request for one is a 404, not the page's doing
        if message.type in ("error", "warning") and not where.endswith("/favicon.ico"):
            seen.problems.append(f"{message.type}: {message.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda error: seen.problems.append(f"pageerror: {error}"))
    try:
        yield seen
    finally:
        context.close()
    assert seen.requests, "the page made no request"
    assert seen.outside() == [], f"requests left loopback: {seen.outside()}"
    assert seen.problems == [], seen.problems
