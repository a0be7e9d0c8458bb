"""The viewer under load on the demo city: 20 concurrent clients on loopback, each endpoint for a bounded
time; p50/p95/p99 latency, errors and the size each answer transfers.

Endpoints: the map's data (`/api/incidents` for the map's default 30 days, 500 per page, and `/api/cameras`),
the incident page (`/incidents/ID`, HTML, with a session cookie as a browser has) and connections
(`/api/incidents/ID/connections`), over random incidents.

Each endpoint runs twice: with the viewer's cache of graph reads on (RECOUPE_CACHE_SECONDS=10, the default)
and off (0), so the table shows what the cache buys and what a cold read costs. `recoupe serve` (gunicorn, the
production server) runs in its own processes with its defaults (a worker process per core, 4 threads each;
`--workers N` and `--threads N` to try others); the load generator is this process. For each endpoint, the CPU
time each process spent per request (the clients, the web server's processes, the graph server) says where the
time went: on 2 cores, 20 clients that never pause measure throughput as much as latency (p50 is about 20 /
requests per second).

With `--mixed 60`, one run instead: every client picks a page or an API call at random for 60 s, and the
server's resident memory is sampled each second (the security issue's load run: zero errors, flat memory).

Run: .venv/bin/python benchmarks/web_load.py [--logs 2000] [--clients 20] [--seconds 15] [--home DIR]
     [--workers N] [--threads N] [--cache on|off|both] [--mixed SECONDS]
(--home: an existing data directory with a demo city, used as it is instead of building one.)
Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from viewer_city import RECOUPE, add_analyst, demo_city, free_port, serve

PASSWORD = "banc d'essai de charge"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    threads_help = "the server's threads (recoupe serve --threads; default: its own, 2 per core, at least 4)"
    parser.add_argument("--threads", type=int, default=0, help=threads_help)
    workers_help = "the server's worker processes (recoupe serve --workers; default: its own, one per core)"
    parser.add_argument("--workers", type=int, default=0, help=workers_help)
    parser.add_argument("--home", type=Path, help="an existing data directory holding a demo city")
    cache_help = "run with the cache on, off, or both side by side (default)"
    parser.add_argument("--cache", choices=("on", "off", "both"), default="both", help=cache_help)
    mixed_help = "instead: one mixed run of pages and API calls; the server's memory sampled"
    parser.add_argument("--mixed", type=int, default=0, metavar="SECONDS", help=mixed_help)
    args = parser.parse_args()
    with demo_city(args.home, args.logs, "recoupe-web-load-") as env:
        add_analyst(env, "charge", PASSWORD, existing_home=args.home is not None)
        create = [RECOUPE, "users", "token", "create", "charge", "--name", "banc", "--json"]
        token = json.loads(subprocess.run(create, env=env, check=True, capture_output=True, text=True).stdout)
        results = load(args, token["token"], env)
    city = f"in {args.home}" if args.home else f"{args.logs} logs"
    each = f"one mixed run of {args.mixed} s" if args.mixed else f"{args.seconds:g} s per endpoint"
    print(f"demo city {city}; {args.clients} concurrent clients, {each}")
    print(
        f"{'endpoint':<46} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'bytes':>9}   CPU ms per request: clients / web / graph"
    )
    for name, r in results.items():
        cpu = " / ".join(
            f"{r[f'cpu_ms_{part}']:.2f}" for part in ("client", "web", "graph") if f"cpu_ms_{part}" in r
        )
        print(
            f"{name:<46} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} {r['bytes_mean']:>9.0f}   {cpu}"
        )
    for name, r in results.items():
        if "rss_mib_max" in r:
            print(f"{name}: {r['rate_per_s']} requests/s; server memory {r['rss_mib_start']} MiB after "
                  f"warm-up, {r['rss_mib_end']} MiB at the end, {r['rss_mib_max']} MiB at most; "
                  f"by quarter of the run {' → '.join(map(str, r['rss_mib_quarters']))} MiB")  # fmt: skip
    print(json.dumps({"logs": args.logs, "clients": args.clients, "results": results}))


def load(args: argparse.Namespace, token: str, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each endpoint with the cache on (the default, RECOUPE_CACHE_SECONDS=10) and off (0), side by side;
    `recoupe serve` runs in its own processes (gunicorn, its default workers and threads unless --workers or
    --threads), as deployed."""
    results: dict[str, dict[str, float]] = {}
    settings = {"on": ("10",), "off": ("0",), "both": ("10", "0")}[args.cache]
    for cache_s in ("10",) if args.mixed else settings:
        port = free_port()
        options = [f"--{name}={n}" for name, n in (("threads", args.threads), ("workers", args.workers)) if n]
        server = serve({**env, "RECOUPE_CACHE_SECONDS": cache_s}, port, *options)  # else its defaults
        try:
            base = f"http://127.0.0.1:{port}"
            endpoints = build_endpoints(args, token, base)
            if args.mixed:
                results["mixed pages and API [cache on]"] = mixed(endpoints, args, server.pid)
                continue
            graph_pid = json.loads((Path(env["RECOUPE_HOME"]) / "run" / "graph.json").read_text())["pid"]
            for name, call in endpoints.items():
                before = cpu_seconds(server.pid, graph_pid)
                r = hammer(call, args.clients, args.seconds)
                spent = [b - a for a, b in zip(before, cpu_seconds(server.pid, graph_pid), strict=True)]
                for part, seconds in zip(("client", "web", "graph"), spent, strict=True):
                    r[f"cpu_ms_{part}"] = round(seconds * 1000 / max(1, r["requests"]), 2)
                results[f"{name} [cache {'on' if cache_s != '0' else 'off'}]"] = r
        finally:
            server.terminate()
            server.wait(timeout=30)
    return results


def mixed(
    endpoints: dict[str, Callable[[int], bytes]], args: argparse.Namespace, pid: int
) -> dict[str, float]:
    """Every client picks a page or an API call at random, for `--mixed` seconds; the server's resident memory
    is sampled each second (flat memory: the last 10 s against the first 10 s after warm-up)."""
    calls = list(endpoints.values())
    samples: list[float] = []
    done = threading.Event()

    def rss_mib(one: int) -> float:
        with open(f"/proc/{one}/status", encoding="ascii") as fh:
            return int(next(line for line in fh if line.startswith("VmRSS:")).split()[1]) / 1024

    def sample() -> None:  # the server's processes together (gunicorn's master and its workers)
        while not done.wait(1.0):
            samples.append(sum(rss_mib(one) for one in tree(pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = hammer(lambda c: random.choice(calls)(c), args.clients, float(args.mixed))
    finally:
        done.set()
        sampler.join(timeout=5)
    first, last = samples[5:15] or samples[:1], samples[-10:] or samples[-1:]
    quarter = max(1, len(samples) // 4)  # the mean of each quarter of the run: does the growth level off?
    quarters = [round(statistics.mean(samples[k : k + quarter]), 1) for k in range(0, 4 * quarter, quarter)]
    return {**result, "rate_per_s": round(result["requests"] / args.mixed, 1),
            "rss_mib_start": round(statistics.mean(first), 1), "rss_mib_end": round(statistics.mean(last), 1),
            "rss_mib_max": round(max(samples), 1), "rss_mib_quarters": quarters}  # fmt: skip


def build_endpoints(args: argparse.Namespace, token: str, base: str) -> dict[str, Callable[[int], bytes]]:
    bearer = {"Authorization": f"Bearer {token}"}

    def get(path: str, headers: dict[str, str], opener: urllib.request.OpenerDirector | None = None) -> bytes:
        request = urllib.request.Request(base + path, headers=headers)
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return bytes(response.read())

    page = json.loads(get("/api/incidents?limit=500", bearer))
    ids = [item["id"] for item in page["items"]]
    latest = max(item["occurred_from"] for item in page["items"])[:10]
    since = time.strftime(
        "%Y-%m-%d", time.gmtime(time.mktime(time.strptime(latest, "%Y-%m-%d")) - 30 * 86400)
    )

    def browser() -> urllib.request.OpenerDirector:
        """A logged-in cookie session, as the viewer's pages need."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = opener.open(base + "/connexion", timeout=30).read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        body = urllib.parse.urlencode(
            {"csrf_token": csrf.group(1), "suivant": "/", "username": "charge", "password": PASSWORD}
        ).encode()
        opener.open(urllib.request.Request(base + "/connexion", data=body), timeout=30).read()
        return opener

    openers = [browser() for _ in range(args.clients)]
    endpoints: dict[str, Callable[[int], bytes]] = {
        "map data /api/incidents (30 days)": lambda c: get(
            f"/api/incidents?from={since}&to={latest}&limit=500", bearer
        ),
        "map data /api/cameras": lambda c: get("/api/cameras?limit=500", bearer),
        "incident page /incidents/ID": lambda c: get(
            f"/incidents/{quote(random.choice(ids))}", {}, openers[c]
        ),
        "connections /api/incidents/ID/…": lambda c: get(
            f"/api/incidents/{quote(random.choice(ids))}/connections", bearer
        ),
    }
    if args.mixed:  # the other pages and the map's background, as browsers ask for them
        endpoints |= {
            "dashboard": lambda c: get("/", {}, openers[c]),
            "map page": lambda c: get("/carte", {}, openers[c]),
            "forecasts page": lambda c: get("/previsions", {}, openers[c]),
            "quartiers": lambda c: get("/api/quartiers", {**bearer, "Accept-Encoding": "gzip"}),
            "incident API": lambda c: get(f"/api/incidents/{quote(random.choice(ids))}", bearer),
        }
    return endpoints


def cpu_seconds(server_pid: int, graph_pid: int) -> tuple[float, float, float]:
    """CPU seconds (user and system) spent so far by this process (the clients), the web server and the
    graph server."""
    tick = os.sysconf("SC_CLK_TCK")

    def of(pid: int) -> float:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime and stime, after the command's name

    mine = os.times()
    return mine.user + mine.system, sum(map(of, tree(server_pid))), of(graph_pid)


def tree(pid: int) -> list[int]:
    """The process and its descendants (the web server's workers)."""
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        for task in Path(f"/proc/{one}/task").iterdir():
            todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def quote(incident_id: str) -> str:
    return urllib.parse.quote(incident_id, safe="")


def hammer(call: Callable[[int], bytes], clients: int, seconds: float) -> dict[str, float]:
    """`clients` threads calling in a loop for `seconds`: latencies, errors, mean answer size."""
    times: list[float] = []
    sizes: list[int] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(c: int) -> None:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            try:
                size = len(call(c))
            except Exception:  # any failure is an error to count, not to stop on
                with lock:
                    errors[0] += 1
                continue
            with lock:
                times.append((time.perf_counter() - began) * 1000)
                sizes.append(size)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    times.sort()

    def pct(q: float) -> float:
        return times[min(len(times) - 1, int(len(times) * q))] if times else float("nan")

    return {
        "requests": len(times) + errors[0],
        "errors": errors[0],
        "p50_ms": round(pct(0.50), 1),
        "p95_ms": round(pct(0.95), 1),
        "p99_ms": round(pct(0.99), 1),
        "bytes_mean": round(statistics.mean(sizes), 0) if sizes else 0,
    }


if __name__ == "__main__":
    main()
