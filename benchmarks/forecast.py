"""Forecasting on real data: Chicago 2016–2017 (`../shared/data/crime/chicago`, 321,877 events), the last
92 days (2017-10-01 → 2017-12-31) forecast from what comes before, in the published papers' setting (3 km
grid, daily, four categories) and a fine one (500 m cells, 7-day horizon); every model side by side, backtest
times, the time to forecast the whole city, and peak memory.

Run: .venv/bin/python benchmarks/forecast.py [--settings paper,fine] [--epochs 40] [--out DIR]
Prints the tables and one JSON line; writes the hit-rate charts to --out (default: a temporary directory).
Needs ../shared/data beside the clone.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from recoupe.gnn.backtest import BacktestSettings, backtest, prepare
from recoupe.gnn.forecast import forecast
from recoupe.gnn.model import TrainSettings, train
from recoupe.graph.connection import connect
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ingest.inventories import read_events
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.ontology.loader import ontology
from recoupe.web.cli_forecast import table

HERE = Path(__file__).resolve().parent
CHICAGO = HERE.parent.parent / "shared" / "data" / "crime" / "chicago" / "CHI_Crime.zip"
SETTINGS = {"paper": ("grid:3000", 1), "fine": ("grid:500", 7)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settings", default="paper,fine")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not CHICAGO.exists():
        sys.exit(f"{CHICAGO} is absent: this benchmark needs ../shared/data beside the clone")
    work = Path(tempfile.mkdtemp(prefix="recoupe-forecast-bench-"))
    out = args.out or work
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {}
    try:
        server = EmbeddedServer(ServerSettings(home=work / "home", bolt_port=0, http_port=0, heap="3g"))
        server.start(tie_to_parent=True)
        try:
            with connect(server.target()) as graph:
                apply_schema(graph, ontology())
                began = time.perf_counter()
                mapping = json.loads((HERE / "chicago_categories.json").read_text())
                items = read_events(
                    CHICAGO,
                    ["occurred_at", "offense", "lat", "lon"],
                    "%m/%d/%Y %I:%M:%S %p",
                    mapping,
                    None,
                    "chicago",
                    "America/Chicago",
                )
                Ingestor(graph, Extractor(), bytes(32), link=False).ingest_events(CHICAGO, items, "chicago")
                report["load_seconds"] = round(time.perf_counter() - began, 1)
                for name in args.settings.split(","):
                    unit, horizon = SETTINGS[name]
                    settings = BacktestSettings(
                        date(2017, 10, 1),
                        date(2017, 12, 31),
                        horizon,
                        unit,
                        None,
                        0,
                        "America/Chicago",
                        TrainSettings(epochs=args.epochs, lookback=7 if horizon == 1 else 4),
                    )
                    began = time.perf_counter()
                    results = backtest(graph, settings, out / f"chicago-{name}.png")
                    seconds = time.perf_counter() - began
                    print(
                        f"\n== {name}: {unit}, horizon {horizon} d — {results['cells']} cells, "
                        f"{results['test']['origins']} test origins, {seconds:.0f} s"
                    )
                    print(table(results))
                    report[name] = {"seconds": round(seconds, 1), **results}
                # forecasting the whole city with a trained model (paper setting: the most cells per step)
                unit, horizon = SETTINGS["fine"]
                data = prepare(graph, unit, horizon, None, "America/Chicago", None, extra_steps=1)
                origins = np.arange(8, data.x.shape[0] - 12)
                model = train(
                    data.x,
                    data.y_counts,
                    data.edges,
                    origins,
                    np.arange(data.x.shape[0] - 12, data.x.shape[0] - 1),
                    TrainSettings(epochs=3, lookback=4),
                )
                began = time.perf_counter()
                rows = forecast(model, data, data.x.shape[0] - 1)
                report["forecast_city_seconds"] = round(time.perf_counter() - began, 2)
                report["forecast_rows"] = len(rows)
        finally:
            server.stop()
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)
    report["peak_memory_mb_python"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(
        f"\nload {report['load_seconds']} s; forecast of the whole city ({report['forecast_rows']} cell × "
        f"category rows, with explanations): {report['forecast_city_seconds']} s; "
        f"peak memory (this process) {report['peak_memory_mb_python']} MB"
    )
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
