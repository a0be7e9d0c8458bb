"""Time, size and peak memory of `recoupe export rdf` on the demo city, per format (each export in its own
process), with a one-incident export as the memory floor: the whole city should not need much more.

Run: .venv/bin/python benchmarks/export.py [--home DIR] [--logs 20000] [--formats turtle json-ld] [--validate]
With --home, the city built there earlier (`recoupe demo`) is reused; without, one is built in a temporary
home. The server this script starts is stopped at the end. Prints a table and one JSON line; peak memory is
the export process's maximum resident set size (neo4j driver, rdflib and interpreter included).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RECOUPE = Path(sys.executable).with_name("recoupe")
# One export in a child: the CLI in-process, then its own peak resident set size on the last line.
CHILD = """
import json, resource, sys
from recoupe.web.cli import main
try:
    main()
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recoupe(env: dict[str, str], *args: str, timeout: float = 7200) -> dict[str, object]:
    done = subprocess.run(
        [str(RECOUPE), *args, "--json"], env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise SystemExit(f"recoupe {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def export(env: dict[str, str], fmt: str, out: Path, extra: list[str]) -> dict[str, object]:
    args = ["export", "rdf", "--format", fmt, "--out", str(out), "--json", *extra]
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, timeout=7200
    )
    wall = time.monotonic() - began
    lines = done.stdout.strip().splitlines()
    peak = json.loads(lines[-1])
    if peak["code"] not in (0, None):
        raise SystemExit(f"export {fmt} failed:\n{done.stderr[-2000:]}")
    summary = json.loads("\n".join(lines[:-1]))
    return {
        "format": fmt, "what": "one incident" if "--incident" in extra else "whole city",
        "seconds": summary["seconds"], "wall_s": round(wall, 1), "triples": summary["triples"],
        "nodes": summary["nodes"], "relationships": summary["relationships"],
        "mib": round(out.stat().st_size / 2**20, 1), "peak_mib": round(peak["peak_mib"]),
        **({"conforms": summary["conforms"]} if "conforms" in summary else {}),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, help="RECOUPE_HOME holding (or to hold) the demo city")
    parser.add_argument("--logs", type=int, default=20_000)
    parser.add_argument("--formats", nargs="+", default=["turtle", "json-ld"])
    parser.add_argument("--validate", action="store_true", help="also validate each export (slower)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="recoupe-export-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOUPE_")}
    env.update(
        RECOUPE_HOME=str(home),
        RECOUPE_GRAPH_BOLT_PORT=os.environ.get("RECOUPE_GRAPH_BOLT_PORT", str(free_port())),
        RECOUPE_GRAPH_HTTP_PORT=os.environ.get("RECOUPE_GRAPH_HTTP_PORT", str(free_port())),
        RECOUPE_GRAPH_HEAP=os.environ.get("RECOUPE_GRAPH_HEAP", "1g"),
    )
    started = recoupe(env, "db", "start")["status"] != "already_running"
    try:
        if not (home / "demo-city" / "logs.csv").exists():
            print(f"building the demo city ({args.logs:,} logs) in {home} …", file=sys.stderr)
            subprocess.run([str(RECOUPE), "demo", "--logs", str(args.logs)], env=env, check=True,
                           capture_output=True, timeout=7200)  # fmt: skip
        counts = recoupe(env, "db", "status")
        one = _an_incident(env)
        check = ["--validate"] if args.validate else []
        out = Path(tempfile.mkdtemp(prefix="recoupe-rdf-"))
        rows = [export(env, "turtle", out / "one.ttl", ["--incident", one, "--depth", "2", *check])]
        suffix = {"turtle": "ttl", "json-ld": "jsonld", "nt": "nt"}
        rows += [export(env, fmt, out / f"city.{suffix[fmt]}", check) for fmt in args.formats]
    finally:
        if started:
            recoupe(env, "db", "stop")
    print(f"graph: {json.dumps({k: counts.get(k) for k in ('nodes', 'relationships')})}")
    print(
        f"{'what':<13} {'format':<8} {'seconds':>8} {'triples':>11} {'nodes':>8} {'rels':>8} {'MiB':>7} ",
        end="",
    )
    print(f"{'peak MiB':>9}")
    for r in rows:
        print(
            f"{r['what']:<13} {r['format']:<8} {r['seconds']:>8} {r['triples']:>11,} {r['nodes']:>8,} "
            f"{r['relationships']:>8,} {r['mib']:>7} {r['peak_mib']:>9}"
            + (f"  conforms={r['conforms']}" if "conforms" in r else "")
        )
    print(json.dumps(rows))


def _an_incident(env: dict[str, str]) -> str:
    """An incident that names a person, through the read-only console command."""
    found = recoupe(
        env, "query", "MATCH (i:Incident)<-[:EXTRACTED_FROM]-(:Person) RETURN i.id AS id ORDER BY id LIMIT 1"
    )
    rows = found["rows"]
    assert isinstance(rows, list) and rows, "the demo city has no incident naming a person"
    return str(rows[0][0])


if __name__ == "__main__":
    main()
