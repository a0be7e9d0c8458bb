"""How early the forecasts find the demo city's emerging hotspots (rue Félix Pyat from 45 % of the period,
avenue de la Capelette from 62 %, each ramping up over 60 days; docs/demo-city.md): the demo city is
generated and ingested through the real pipeline (text extraction and geocoding included), the GNN is trained
on the days before the first emergence only, then every day is forecast; for each hotspot, the first day on
or after its start when its cell enters the top 5 % of cells (by the sum of the categories' expected counts),
for the GNN and the baselines, and its rank on the day before it started (a cell already in the top 5 % is
reported as such).

Run: .venv/bin/python benchmarks/emerging.py [--logs 20000] [--seed 42] [--unit grid:500] [--epochs 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from recoupe.gnn import baselines
from recoupe.gnn.backtest import prepare
from recoupe.gnn.model import TrainSettings, train
from recoupe.gnn.units import assign
from recoupe.graph.connection import connect
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ingest.democity.params import EMERGING
from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.ingest.layers import load_assets, load_cameras, load_outages, load_quartiers
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.ontology.geo import planar
from recoupe.ontology.loader import ontology

TOP = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--unit", default="grid:500")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="recoupe-emerging-"))
    report: dict[str, object] = {"logs": args.logs, "seed": args.seed, "unit": args.unit}
    try:
        city = work / "city"
        generate(DemoSettings(out=city, logs=args.logs, days=args.days, seed=args.seed))
        server = EmbeddedServer(ServerSettings(home=work / "home", bolt_port=0, http_port=0, heap="2g"))
        server.start(tie_to_parent=True)
        try:
            with connect(server.target()) as graph:
                apply_schema(graph, ontology())
                began = time.perf_counter()
                load_quartiers(graph, city / "quartiers.geojson")
                load_cameras(graph, city / "cameras.csv")
                load_outages(graph, city / "camera_outages.csv")
                load_assets(graph, city / "assets.csv")
                extractor = Extractor()
                Ingestor(graph, extractor, bytes(32)).ingest_file(city / "logs.csv")
                report["ingest_seconds"] = round(time.perf_counter() - began, 1)
                data = prepare(graph, args.unit, 1, None, "Europe/Paris", None)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first_start = min(int(args.days * f) for *_, f in EMERGING)
    val = np.arange(first_start - 60, first_start)
    began = time.perf_counter()
    model = train(
        data.x,
        data.y_counts,
        data.edges,
        np.arange(8, first_start - 60),
        val,
        TrainSettings(epochs=args.epochs, lookback=7),
    )
    report["train_seconds"] = round(time.perf_counter() - began, 1)
    origins = np.arange(first_start - 1, data.valid_until)
    xy = np.array([planar(a, b, 43.3) for a, b in zip(data.units.lat, data.units.lon, strict=True)])
    size = float(args.unit.split(":")[1]) if args.unit.startswith("grid:") else 500.0
    scores = {
        "gnn": model.rates(data.x, data.edges, origins).sum(axis=2),
        "trailing_mean_7d": baselines.trailing_mean(data.counts, origins, 7).sum(axis=2),
        "trailing_mean_30d": baselines.trailing_mean(data.counts, origins, 30).sum(axis=2),
        "kde_hotspots": baselines.kde_hotspots(data.counts, origins, xy, size, 365).sum(axis=2),
    }
    top_k = max(1, round(TOP * data.units.n))
    hotspots = {}
    for name, *_, fraction in EMERGING:
        place = extractor.geocoder.street(name)
        assert place is not None, name
        cell = int(assign(data.units, np.array([place.lat]), np.array([place.lon]))[0])
        start = int(args.days * fraction)
        found: dict[str, object] = {"start_day": start, "cell": data.units.keys[cell] if cell >= 0 else None}
        for model_name, table in scores.items():
            ranks = (-table).argsort(axis=1, kind="stable").argsort(axis=1)[
                :, cell
            ] + 1  # rank of the cell per origin
            before = int(ranks[start - 1 - origins[0]])
            after = [int(o) for o, r in zip(origins, ranks, strict=True) if o >= start and r <= top_k]
            found[model_name] = {
                "rank_before_start": before,
                "days_to_top5": (after[0] - start) if after else None,
            }
        hotspots[name] = found
    report.update(cells=data.units.n, top5_cells=top_k, hotspots=hotspots)
    print(
        f"demo city: {args.logs} logs, {args.days} days, seed {args.seed}; "
        f"{data.units.n} cells ({args.unit}), "
        f"top 5 % = {top_k} cells"
    )
    for name, found in hotspots.items():
        print(f"{name} (starts day {found['start_day']}, cell {found['cell']}):")
        for model_name in scores:
            info = found[model_name]
            assert isinstance(info, dict)
            days = "never" if info["days_to_top5"] is None else f"{info['days_to_top5']} days"
            print(
                f"  {model_name:<18} in the top 5 % after {days:<10} "
                f"(rank {info['rank_before_start']} the day before)"
            )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
