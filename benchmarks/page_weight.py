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
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "banc d'essai des pages"
KINDS = ("document", "static", "vendor", "api")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=2000)
    parser.add_argument("--home", type=Path, help="an existing data directory holding a demo city")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="recoupe-page-weight-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOUPE_")}
    env.update(
        RECOUPE_HOME=str(args.home or work / "home"),
        RECOUPE_GRAPH_BOLT_PORT=os.environ.get("RECOUPE_GRAPH_BOLT_PORT", str(free_port())),
        RECOUPE_GRAPH_HTTP_PORT=os.environ.get("RECOUPE_GRAPH_HTTP_PORT", str(free_port())),
        RECOUPE_COOKIE_SECURE="0",
    )
    recoupe = str(Path(sys.executable).with_name("recoupe"))
    port = free_port()
    server = None
    try:
        if args.home is None:
            subprocess.run(
                [recoupe, "demo", "--logs", str(args.logs)], env=env, check=True, capture_output=True
            )
        add = [recoupe, "users", "add", "pages", "--role", "analyst", "--password-stdin"]
        subprocess.run(add, env=env, input=PASSWORD, text=True, capture_output=True, check=args.home is None)
        server = subprocess.Popen(
            [recoupe, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/api/health")
        rows = weigh(base)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if args.home is None:
            subprocess.run([recoupe, "db", "stop"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
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


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within 60 s")


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
