"""Forecasting as a user runs it, on a small synthetic events file loaded with `ingest events`: the backtest
reports every model with every metric and draws its chart, `train` saves a model, `forecast` writes one Forecast
per cell and category with a French explanation, cells with their geometry, and places in their cells; and an
incident planted after the cut-off stays invisible to the backtest's units and features."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from recoupe.gnn.backtest import prepare
from recoupe.graph.connection import connect
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.geo import offset
from recoupe.web.cli_forecast import METRICS as COLUMNS
from recoupe.web.cli_forecast import table
from tests.conftest import CliResult, jvm_pids_for

Run = Callable[..., CliResult]
METRICS = {
    "hit_rate@1",
    "hit_rate@5",
    "hit_rate@10",
    "pai@1",
    "pai@5",
    "pai@10",
    "micro_f1",
    "macro_f1",
    "average_precision",
    "brier",
}


def synthetic_events(path: Path, days: int = 150) -> None:
    """A 6 × 6 block of 500 m cells; a persistent hotspot in one corner cell, background elsewhere; two
    categories. Seeded."""
    rng = random.Random(5)
    start = datetime(2025, 1, 1, 12, 0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "occurred_at", "category", "lat", "lon"])
        n = 0
        for day in range(days):
            for ix in range(6):
                for iy in range(6):
                    rate = 0.9 if (ix, iy) == (0, 0) else 0.08
                    for category in ("theft", "burglary"):
                        if rng.random() < rate:
                            lon, lat = offset(5.35, 43.28, ix * 500 + 250, iy * 500 + 250)
                            when = start + timedelta(days=day, hours=rng.randint(-10, 10))
                            out.writerow([f"E{n}", when.isoformat(), category, f"{lat:.6f}", f"{lon:.6f}"])
                            n += 1


def test_backtest_train_forecast(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    events = tmp_path / "events.csv"
    synthetic_events(events)
    try:
        assert run_cli("db", "start", env=cli_env).code == 0
        assert run_cli("init", env=cli_env).code == 0
        loaded = run_cli(
            "ingest", "events", str(events), "--source", "synth", "--no-link", "--json", env=cli_env
        )
        assert loaded.code == 0, loaded.stderr
        chart = tmp_path / "chart.png"
        result = run_cli(
            "backtest",
            "--from",
            "2025-05-01",
            "--to",
            "2025-05-30",
            "--horizon",
            "1d",
            "--unit",
            "grid:500",
            "--epochs",
            "3",
            "--chart",
            str(chart),
            "--json",
            env=cli_env,
            timeout=600,
        )
        assert result.code == 0, result.stderr
        report = json.loads(result.stdout)
        assert set(report["models"]) == {
            "gnn",
            "trailing_mean_7d",
            "trailing_mean_30d",
            "last_period",
            "kde_hotspots",
            "logistic",
        }
        assert all(set(m) == METRICS for m in report["models"].values())
        assert set(report["per_category"]["gnn"]) == {"burglary", "theft"}
        assert report["cells"] == 36 and report["test"]["origins"] == 30
        # the hotspot: 1/36 of the area, 0.9 of 3.7 incidents a day per category (24 %); 5 % of the area is two
        # cells: the hotspot and one background cell, about 26 % of the incidents for a model that finds it
        rates = {name: m["hit_rate@5"] for name, m in report["models"].items()}
        assert all(0.2 < rate < 0.35 for rate in rates.values()), rates
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        trained = run_cli(
            "train",
            "--unit",
            "grid:500",
            "--horizon",
            "1d",
            "--epochs",
            "3",
            "--json",
            env=cli_env,
            timeout=600,
        )
        assert trained.code == 0, trained.stderr
        assert Path(json.loads(trained.stdout)["model"]).exists()
        forecast = run_cli(
            "forecast", "--unit", "grid:500", "--horizon", "1d", "--json", env=cli_env, timeout=600
        )
        assert forecast.code == 0, forecast.stderr
        made = json.loads(forecast.stdout)
        assert made["written"] == 72 and made["day"] == "2025-05-31"
        top = made["top"][0]
        assert top["cell"].startswith("grid:500:") and "sur 7 jours" in top["explanation"]
        missing = run_cli("forecast", "--unit", "grid:250", "--horizon", "1d", env=cli_env)
        assert missing.code == 1 and "recoupe train --unit grid:250" in missing.stderr
    finally:
        run_cli("db", "stop", env=cli_env)
    assert jvm_pids_for(home) == []


def test_an_incident_after_the_cutoff_is_invisible(graph_server: EmbeddedServer, tmp_path: Path) -> None:
    from recoupe.graph.schema import apply_schema
    from recoupe.ingest.inventories import read_events
    from recoupe.ingest.pipeline import Ingestor
    from recoupe.nlp.extract import Extractor
    from recoupe.ontology.loader import ontology
    from tests.conftest import wipe

    events = tmp_path / "events.csv"
    synthetic_events(events, days=60)
    with open(events, "a", newline="", encoding="utf-8") as fh:  # far from the block, after the cut-off
        lon, lat = offset(5.35, 43.28, 10_000, 10_000)
        csv.writer(fh).writerow(["LATE", "2025-02-25T12:00:00", "theft", f"{lat:.6f}", f"{lon:.6f}"])
    with connect(graph_server.target()) as graph:
        wipe(graph)
        apply_schema(graph, ontology())
        Ingestor(graph, Extractor(), bytes(32), link=False).ingest_events(
            events, read_events(events), "synth"
        )
        cut = prepare(graph, "grid:500", 1, datetime(2025, 2, 20).date(), "Europe/Paris", None)
        full = prepare(graph, "grid:500", 1, None, "Europe/Paris", None)
    assert (
        cut.units.n == 36 and full.units.n == 37
    )  # the late incident's cell exists only without the cut-off
    last = (datetime(2025, 2, 20).date() - cut.events.start).days
    same = [full.units.keys.index(k) for k in cut.units.keys]
    assert (cut.x[: last + 1] == full.x[: last + 1][:, same]).all()


def test_the_text_table_has_a_column_per_metric_and_the_yardsticks_under_the_models() -> None:
    gnn = {m: 0.5 for m in COLUMNS} | {"brier": None}
    ranking = {"hit_rate@5": 0.25, "pai@5": 5.0694}
    text = table({"models": {"gnn": gnn}, "level_oracle": ranking, "ceiling": {"pai@5": 6.06}})
    head, model, oracle, ceiling = text.splitlines()
    assert head.split() == ["model", *COLUMNS]  # "macro_f1" and "average_precision" apart
    assert model.split() == ["gnn", *["0.500"] * (len(COLUMNS) - 1), "—"]
    assert oracle.split() == ["(level", "oracle)", "0.250", "5.069"] and ceiling.split() == [
        "(ceiling)",
        "6.060",
    ]
    # each value under its own column's name
    assert oracle.index("5.069") + len("5.069") == head.index("pai@5") + len("pai@5")
