"""What each page of the viewer transfers, measured in a real browser on the demo city.

Chromium (the system's /usr/bin/chromium, driven by Playwright) logs in as an analyst and opens each page;
once the network is idle (the map's, the explorer's and the forecasts' data loaded), every response the page
caused is counted: the document, the app's scripts and style sheets (/static/), the npm libraries (/vendor/)
and the data (/api/). Sizes are the bodies as received (encoded: the API's JSON is gzipped, pages and files
are not). A second visit with
the browser's cache warm shows what the libraries cost only once (they are served with max-age).

Run: .venv/bin/python benchmarks/page_weight.py [--logs 2000] [--home DIR]
Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from viewer_city import add_analyst, demo_city, free_port, serve

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "banc d'essai des pages"
KINDS = ("document", "static", "vendor", "api")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=2000)
    parser.add_argument("--home", type=Path, help="an existing data directory holding a demo city")
    args = parser.parse_args()
    with demo_city(args.home, args.logs, "recoupe-page-weight-") as env:
        add_analyst(env, "pages", PASSWORD, existing_home=args.home is not None)
        port = free_port()
        server = serve(env, port)
        try:
            rows = weigh(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"demo city {'in ' + str(args.home) if args.home else str(args.logs) + ' logs'}; bytes per page load"
    )
    head = (
        f"{'page':<28} {'requests':>8} " + " ".join(f"{k:>9}" for k in KINDS) + f" {'total':>10} {'warm':>10}"
    )
    print(head)
    for row in rows:
        print(
            f"{row['page']:<28} {row['requests']:>8} " + " ".join(f"{row[k]:>9}" for k in KINDS)
            + f" {row['total']:>10} {row['warm_total']:>10}"
        )  # fmt: skip
    print(json.dumps({"pages": rows}))


def weigh(base: str) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(base + "/connexion")
        page.fill("#username", "pages")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("form:has(#password) button[type=submit]")
        incidents = page.request.get(base + "/api/incidents?limit=1").json()["items"]
        incident = incidents[0]["id"] if incidents else "none"
        paths = {
            "Tableau de bord": "/",
            "Carte": "/carte",
            "Incident": "/incidents/" + urllib.parse.quote(incident, safe=""),
            "Explorateur": "/explorateur?q=" + urllib.parse.quote(incident, safe=""),
            "Console": "/console",
            "Prévisions": "/previsions",
            "API (documentation)": "/docs/api",
        }
        rows = []
        for name, path in paths.items():
            cold = load(context, base, path, fresh=True, browser=browser)
            warm = load(context, base, path, fresh=False, browser=browser)
            rows.append({"page": name, "path": path, **cold, "warm_total": warm["total"]})
        browser.close()
    return rows


def load(context: Any, base: str, path: str, fresh: bool, browser: Any) -> dict[str, Any]:
    """One visit of `path`: bytes per kind of response. `fresh`: with the browser's cache emptied first."""
    page = context.new_page()
    if fresh:
        session = context.new_cdp_session(page)
        session.send("Network.clearBrowserCache")
    sizes = dict.fromkeys(KINDS, 0)
    count = [0]

    def done(request: Any) -> None:
        response = request.response()
        if response is None or not request.url.startswith(base):
            return
        sent = request.sizes()["responseBodySize"]  # 0 when served from the browser's cache
        route = urllib.parse.urlsplit(request.url).path
        kind = "static" if route.startswith("/static/") else "vendor" if route.startswith("/vendor/") else (
            "api" if route.startswith("/api/") else "document")  # fmt: skip
        sizes[kind] += max(0, sent)
        count[0] += 1

    page.on("requestfinished", done)
    page.goto(base + path, wait_until="networkidle")
    page.close()
    return {"requests": count[0], **sizes, "total": sum(sizes.values())}


if __name__ == "__main__":
    main()
