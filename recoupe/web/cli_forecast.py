"""Forecasting commands of `recoupe`: backtest, train, forecast."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app

from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option

METRICS = (
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
)


def _horizon(value: str) -> int:
    from recoupe.ontology.errors import InvalidInput

    if value not in ("1d", "7d"):
        raise InvalidInput(f"horizon {value!r}", "use --horizon 1d or 7d")
    return int(value[:-1])


def _categories(value: str | None) -> tuple[str, ...] | None:
    return tuple(c.strip() for c in value.split(",") if c.strip()) if value else None


unit_option = click.option(
    "--unit", default="grid:500", show_default=True, help="Cells: grid:METRES (square) or h3:RESOLUTION."
)
horizon_option = click.option("--horizon", default="1d", show_default=True, help="1d or 7d.")
tz_option = click.option(
    "--timezone", "tz", default="Europe/Paris", show_default=True, help="The city's zone (calendar days)."
)
categories_option = click.option("--categories", help="Comma-separated categories (default: all present).")


def table(results: dict[str, Any]) -> str:
    """Models side by side, one row each, the metrics as columns; under them the yardsticks that read the test
    period itself (gnn/metrics.references), where the report has them."""
    widths = [max(12, len(m) + 2) for m in METRICS]
    rows = [(name, values, "—") for name, values in results["models"].items()]
    rows += [
        (label, results[key], "")
        for key, label in (
            ("level_oracle", "(level oracle)"),
            ("chance_ceiling", "(chance ceiling)"),
            ("ceiling", "(ceiling)"),
        )
        if key in results
    ]
    lines = [f"{'model':<18}" + "".join(f"{m:>{w}}" for m, w in zip(METRICS, widths, strict=True))]
    for name, values, missing in rows:
        cells = "".join(
            f"{values[m]:>{w}.3f}" if values.get(m) is not None else f"{missing:>{w}}"
            for m, w in zip(METRICS, widths, strict=True)
        )
        lines.append(f"{name:<18}{cells}".rstrip())
    return "\n".join(lines)


@cli.command("backtest")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First test day.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last test day.")
@horizon_option
@unit_option
@categories_option
@tz_option
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also copy the PNG of hit rate vs area here (RECOUPE_HOME/forecasts keeps the latest).",
)
@click.option("--epochs", type=click.IntRange(1, 500), default=40, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@json_option
def backtest_command(
    start: Any,
    end: Any,
    horizon: str,
    unit: str,
    categories: str | None,
    tz: str,
    chart: Path | None,
    epochs: int,
    seed: int,
    as_json: bool,
) -> None:
    """Rolling-origin backtest of the GNN against the baselines on whatever the graph holds."""
    from recoupe.gnn.backtest import BacktestSettings, backtest
    from recoupe.gnn.model import TrainSettings
    from recoupe.gnn.reports import reports_dir, save_latest, staging_chart
    from recoupe.web import runtime

    days = _horizon(horizon)
    settings = BacktestSettings(
        start.date(),
        end.date(),
        days,
        unit,
        _categories(categories),
        0,
        tz,
        TrainSettings(epochs=epochs, seed=seed, lookback=7 if days == 1 else 4),
    )
    # the latest report and chart stay in the data directory for the viewer's Prévisions page
    reports = reports_dir(Path(current_app.config["RECOUPE_HOME"]))
    drawn = staging_chart(reports)
    try:
        with runtime.open_graph(current_app.config, read_only=True) as graph:
            results = backtest(graph, settings, drawn)
        if chart is not None:
            shutil.copyfile(drawn, chart)
        results["chart"] = str(chart) if chart else None
        results["report"] = str(save_latest(reports, results, drawn))
    finally:
        drawn.unlink(missing_ok=True)
    text = (
        f"{results['cells']} cells ({unit}), horizon {horizon}, test {results['test']['from']} → "
        f"{results['test']['to']} ({results['test']['origins']} origins), {results['seconds']} s\n"
        + table(results)
        + f"\nkept for the viewer's Prévisions page: {results['report']}"
    )
    emit(as_json, results, text)


@cli.command("train")
@horizon_option
@unit_option
@categories_option
@tz_option
@click.option("--epochs", type=click.IntRange(1, 500), default=40, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@json_option
def train_command(
    horizon: str, unit: str, categories: str | None, tz: str, epochs: int, seed: int, as_json: bool
) -> None:
    """Train the GNN on all the history and save it (with its metadata) under RECOUPE_HOME/models."""
    from recoupe.gnn.backtest import train_for_forecast
    from recoupe.gnn.forecast import model_version
    from recoupe.gnn.model import TrainSettings, model_path
    from recoupe.web import runtime

    days = _horizon(horizon)
    settings = TrainSettings(epochs=epochs, seed=seed, lookback=7 if days == 1 else 4)
    with runtime.open_graph(current_app.config, read_only=True) as graph:
        model, _ = train_for_forecast(graph, unit, days, tz, settings, _categories(categories))
    path = model_path(Path(current_app.config["RECOUPE_HOME"]), unit, days)
    model.save(path)
    audit.record("model.train", [f"unit:{unit}", f"horizon:{horizon}"])
    info = {"model": str(path), "version": model_version(model), **model.meta}
    emit(
        as_json,
        info,
        f"saved {path} ({info['version']}): {model.meta['cells']} cells, "
        f"{model.meta['epochs_run']} epochs, best validation loss {model.meta['best_validation_loss']:.4f}",
    )


@cli.command("forecast")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d"]), help="Day to forecast (default: the next).")
@horizon_option
@unit_option
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True)
@json_option
def forecast_command(at: Any, horizon: str, unit: str, top: int, as_json: bool) -> None:
    """Forecast every cell with the trained model and write the Forecast nodes (with explanations)."""
    from recoupe.gnn.backtest import prepare
    from recoupe.gnn.forecast import forecast, link_cells, write_forecasts
    from recoupe.gnn.model import TrainedModel, model_path
    from recoupe.ontology.errors import InvalidInput
    from recoupe.web import runtime

    days = _horizon(horizon)
    path = model_path(Path(current_app.config["RECOUPE_HOME"]), unit, days)
    if not path.exists():
        raise InvalidInput(
            f"no trained model for {unit}, {horizon}", f"run: recoupe train --unit {unit} --horizon {horizon}"
        )
    model = TrainedModel.load(path)
    tz = str(model.meta.get("tz", "Europe/Paris"))
    with runtime.open_graph(current_app.config) as graph:
        data = prepare(graph, unit, days, None, tz, tuple(model.meta["categories"]), extra_steps=1)
        if data.units.n != model.meta["cells"] or data.names != model.meta["features"]:
            raise InvalidInput(
                "the graph's cells or features changed since training",
                f"run: recoupe train --unit {unit} --horizon {horizon}",
            )
        last = data.x.shape[0] - 1
        origin = last if at is None else ((at.date() - data.events.start).days // data.step_days)
        if not 0 < origin <= last:
            raise InvalidInput(
                f"--at {at:%Y-%m-%d} is outside the data", "give a day within the history or the next one"
            )
        rows = forecast(model, data, origin)
        written = write_forecasts(graph, model, data, origin, rows, tz)
        link_cells(graph, data.units)
    audit.record("forecast.write", [f"unit:{unit}", f"horizon:{horizon}", f"written={written}"])
    best = sorted(rows, key=lambda r: -r.probability)[:top]
    day = date.fromordinal(data.events.start.toordinal() + origin * data.step_days)
    emit(
        as_json,
        {"day": day.isoformat(), "written": written, "top": [r.__dict__ for r in best]},
        f"{written} forecasts written for {day} ({unit}, {horizon})\n"
        + "\n".join(f"{r.probability:6.3f}  {r.category:<16} {r.cell:<28} {r.explanation}" for r in best),
    )
