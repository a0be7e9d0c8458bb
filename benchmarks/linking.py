"""Linking at city scale: the real Chicago crime file (2016–2017, 321,877 events,
`../shared/data/crime/chicago`) loaded with `ingest events`, plus a generated layer of cameras and
street assets, then every link rule, then
`connections` on random incidents.

Run: .venv/bin/python benchmarks/linking.py [--events N] [--samples 1000] [--seed 7] [--heap 3g]
Prints a table and one JSON line. Needs ../shared/data (the benchmark says so and stops when it is absent).

The generated layer (seeded; synthetic, since Chicago's camera and furniture inventories are not in the data):
cameras on a random 2 % of the distinct event locations, each within 15 m of it, facing a random bearing, with
a 90° field and a 60 m range (Chicago's Police Observation Devices watch intersections: a few thousand), 10 %
with one outage of 1–30 days; street assets by type at densities in the order of a large city's (bus shelters,
benches, bins, street lights …) scattered around event locations. Chicago's events carry no text, so no asset
is named and DAMAGED stays empty here (the demo city exercises it).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recoupe.graph import store
from recoupe.graph.connection import connect
from recoupe.graph.investigate import connections
from recoupe.graph.links import run_rules
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ingest.inventories import read_events
from recoupe.ingest.layers import load_assets, load_cameras, load_outages
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.ontology.geo import offset
from recoupe.ontology.loader import ontology

HERE = Path(__file__).resolve().parent
CHICAGO = HERE.parent.parent / "shared" / "data" / "crime" / "chicago" / "CHI_Crime.zip"
ASSETS_PER_KM2 = {"bus_shelter": 4, "bench": 10, "bin": 12, "street_light": 60, "bike_station": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=0, help="Only the first N events (0: all).")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heap", default="3g")
    args = parser.parse_args()
    if not CHICAGO.exists():
        sys.exit(f"{CHICAGO} is absent: this benchmark needs ../shared/data beside the clone")
    work = Path(tempfile.mkdtemp(prefix="recoupe-linking-bench-"))
    figures: dict[str, float] = {}
    try:
        server = EmbeddedServer(ServerSettings(home=work / "home", bolt_port=0, http_port=0, heap=args.heap))
        server.start(tie_to_parent=True)
        try:
            with connect(server.target()) as graph:
                apply_schema(graph, ontology())
                mapping = json.loads((HERE / "chicago_categories.json").read_text())
                items = read_events(
                    CHICAGO, ["occurred_at", "offense", "lat", "lon"], "%m/%d/%Y %I:%M:%S %p", mapping,
                    None, "chicago", "America/Chicago",
                )  # fmt: skip
                if args.events:
                    items = (item for n, item in enumerate(items) if n < args.events)
                began = time.perf_counter()
                summary = Ingestor(graph, Extractor(), bytes(32), link=False).ingest_events(
                    CHICAGO, items, "chicago"
                )
                figures["ingest events, s"] = time.perf_counter() - began
                figures["events loaded"] = summary.created
                figures["events rejected"] = summary.rejected
                (work / "CHI_Crime.zip.rejects.csv").unlink(missing_ok=True)

                cameras, outages, assets = _layer(graph, work, args.seed)
                began = time.perf_counter()
                load_cameras(graph, cameras, link=False)
                load_outages(graph, outages, link=False)
                load_assets(graph, assets, link=False)
                figures["load cameras, outages, assets, s"] = time.perf_counter() - began

                began = time.perf_counter()
                results = run_rules(graph)
                figures["link, all rules, s"] = time.perf_counter() - began
                for result in results:
                    figures[f"  rule {result.rule}, s"] = result.seconds
                    for kind, count in result.counts.items():
                        figures[f"  {kind} links"] = count
                began = time.perf_counter()
                rerun = run_rules(graph)
                figures["link again (nothing new), s"] = time.perf_counter() - began
                figures["  created or removed on rerun"] = sum(r.created + r.removed for r in rerun)

                with graph.session() as session:
                    ids = [r["id"] for r in session.run("MATCH (i:Incident) RETURN i.id AS id")]
                    figures["nodes"] = store.count_nodes(session)
                    figures["relationships"] = store.count_relationships(session)
                sample = random.Random(args.seed).sample(ids, min(args.samples, len(ids)))
                connections(graph, sample[0])  # warm the server's paths once
                times, found = [], []
                for incident in sample:
                    began = time.perf_counter()
                    found.append(len(connections(graph, incident)))
                    times.append((time.perf_counter() - began) * 1000)
                times.sort()
                for q in (50, 95, 99):
                    figures[f"connections p{q}, ms"] = times[min(len(times) - 1, int(len(times) * q / 100))]
                figures["connections mean found"] = statistics.mean(found)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, value in figures.items():
        print(f"{name:<40} {value:>14,.1f}" if isinstance(value, float) else f"{name:<40} {value:>14,}")
    print(json.dumps({k.strip(): round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}))


def _layer(graph: object, work: Path, seed: int) -> tuple[Path, Path, Path]:
    """Cameras, outages and assets around the event locations (see the module's docstring)."""
    from recoupe.graph.connection import Graph

    assert isinstance(graph, Graph)
    rng = random.Random(seed)
    with graph.session() as session:
        points = sorted(
            {(r["lat"], r["lon"]) for r in session.run("MATCH (p:Place) RETURN p.lat AS lat, p.lon AS lon")}
        )
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    area_km2 = (max(lats) - min(lats)) * 111.32 * (max(lons) - min(lons)) * 111.32 * 0.74
    cameras = work / "cameras.csv"
    with open(cameras, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "lat", "lon", "bearing_deg", "fov_deg", "range_m", "installed_at"])
        chosen = rng.sample(points, max(1, len(points) // 50))
        for n, (lat, lon) in enumerate(chosen):
            x, y = offset(lon, lat, rng.uniform(-15, 15), rng.uniform(-15, 15))
            out.writerow([f"POD-{n:05d}", f"{y:.6f}", f"{x:.6f}", f"{rng.uniform(0, 360):.1f}", 90, 60,
                          "2015-01-01T00:00:00-06:00"])  # fmt: skip
    outages = work / "outages.csv"
    start = datetime(2016, 1, 1, tzinfo=UTC)
    with open(outages, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["camera_id", "start", "end"])
        for n in range(len(chosen)):
            if rng.random() < 0.10:
                first = start + timedelta(days=rng.uniform(0, 700))
                out.writerow(
                    [
                        f"POD-{n:05d}",
                        first.isoformat(),
                        (first + timedelta(days=rng.uniform(1, 30))).isoformat(),
                    ]
                )
    assets = work / "assets.csv"
    with open(assets, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "type", "lat", "lon"])
        for kind, density in ASSETS_PER_KM2.items():
            for n in range(int(density * area_km2)):
                lat, lon = rng.choice(points)
                x, y = offset(lon, lat, rng.uniform(-100, 100), rng.uniform(-100, 100))
                out.writerow([f"{kind}-{n:06d}", kind, f"{y:.6f}", f"{x:.6f}"])
    return cameras, outages, assets


if __name__ == "__main__":
    main()
