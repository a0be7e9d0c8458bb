"""Prévisions — ranked forecast cells, their explanation, the backtest against the baselines, on a map.

The forecasts are the graph's `Forecast` nodes (written by `recoupe forecast`); the model's metadata is read
from its saved file under RECOUPE_HOME/models (without torch); the latest backtest is the report that
`recoupe backtest` keeps under RECOUPE_HOME/forecasts (`recoupe.gnn.reports`), its chart served by this
blueprint from that fixed path only. The map (static/forecasts.js) draws the cells of /api/forecasts/cells.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask.typing import ResponseReturnValue

from recoupe.gnn import reports
from recoupe.ontology.errors import InvalidInput, RecoupeError
from recoupe.ontology.wkt import parse_wkt
from recoupe.web import auth, vendor
from recoupe.web.cache import cached
from recoupe.web.endpoints import answer, endpoint
from recoupe.web.french import MONTHS, number
from recoupe.web.map_page import categories
from recoupe.web.openapi import CATEGORY, Param
from recoupe.web.pages import can, page_error
from recoupe.web.resources import graph

forecast_page = Blueprint("forecast_page", __name__)
forecast_page.register_error_handler(RecoupeError, page_error)
log = logging.getLogger(__name__)

TOP = 50  # forecasts listed on the page
MAX_CELLS = 5000  # cells on the map
RECENT_DAYS, RECENT_SHOWN = 28, 5  # the incidents an explanation links to: same category, in the cell
HORIZONS = {"1d": "1 jour", "7d": "7 jours"}
HORIZON = Param("horizon", "string", "Horizon de la prévision.", choices=tuple(HORIZONS))
MODELS = {"gnn": "GNN (réseau de neurones sur le graphe)", "trailing_mean_7d": "Moyenne des 7 derniers jours",
          "trailing_mean_30d": "Moyenne des 30 derniers jours", "last_period": "Période précédente",
          "kde_hotspots": "Points chauds (densité de noyau)",
          "logistic": "Régression logistique (mêmes variables, sans graphe)"}  # fmt: skip
# (key, French heading, how it is written); Brier is the only one where lower is better
METRICS = (
    ("hit_rate@1", "Taux de capture à 1 %", "percent"),
    ("hit_rate@5", "Taux de capture à 5 %", "percent"),
    ("hit_rate@10", "Taux de capture à 10 %", "percent"),
    ("pai@1", "PAI à 1 %", "pai"),
    ("pai@5", "PAI à 5 %", "pai"),
    ("pai@10", "PAI à 10 %", "pai"),
    ("macro_f1", "F1 macro", "score"),
    ("average_precision", "Précision moyenne", "score"),
    ("brier", "Brier (plus bas = mieux)", "score"),
)
LOWER_IS_BETTER = {"brier"}
YARDSTICKS = {  # gnn/metrics.references: rankings that read the test period itself, under the models
    "level_oracle": "Oracle du niveau (la moyenne réelle de chaque maille sur la période)",
    "chance_ceiling": "Plafond du hasard (chaque maille à ce niveau, le reste tiré au hasard)",
    "ceiling": "Plafond (les mailles où les incidents ont eu lieu)",
}
HEADLINE = "hit_rate@5"
CELL_KEY = re.compile(r"\b(?:grid:\d+(?:\.\d+)?:-?\d+:-?\d+|h3:\d{1,2}:[0-9a-f]{15})\b")


def command(horizon: str | None = None) -> str:
    """The commands that make forecasts, for the page to show when there are none."""
    h = horizon or "7d"
    return f"recoupe train --unit grid:500 --horizon {h} && recoupe forecast --unit grid:500 --horizon {h}"


BACKTEST_COMMAND = "recoupe backtest --from AAAA-MM-JJ --to AAAA-MM-JJ --horizon 7d --unit grid:500"


def _home() -> Path:
    return Path(current_app.config["RECOUPE_HOME"])


def written(value: float | None, kind: str) -> str:
    """A metric as the table shows it: hit rates in per cent, PAI with two decimals, scores with three."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{number(100 * value, 1)} %"
    return number(value, 2 if kind == "pai" else 3)


def long_day(iso: str | None) -> str:
    """An ISO day as French writes it: « 31 mai 2025 »."""
    try:
        d = date.fromisoformat(str(iso)[:10])
    except ValueError:
        return "—"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def percent(probability: float | None) -> str:
    """A probability as a French percentage: 0.4235 → « 42,4 % »."""
    return "—" if probability is None else f"{number(100 * probability, 1)} %"


# ---------------------------------------------------------------- the backtest


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    cells: list[tuple[str, bool]]  # (written value, best of its column)


@dataclass(frozen=True)
class Backtest:
    report: dict[str, Any]
    columns: list[str]
    rows: list[Row]
    yardsticks: list[tuple[str, str, list[str]]]  # (name, French label, cells): metrics.references
    verdict: str
    headline: str
    chart: bool


def best_of(values: Mapping[str, float | None], metric: str) -> float | None:
    present = [v for v in values.values() if v is not None]
    if not present:
        return None
    return min(present) if metric in LOWER_IS_BETTER else max(present)


def beats(value: float | None, other: float | None, metric: str) -> bool:
    if value is None:
        return False
    if other is None:
        return True
    return value < other if metric in LOWER_IS_BETTER else value > other


def verdict(models: Mapping[str, Mapping[str, float | None]]) -> tuple[str, str]:
    """Whether the GNN beat every baseline, metric by metric, in plain words; and the headline metric's
    comparison (the GNN against the best baseline at 5 % of the area)."""
    if "gnn" not in models:
        return "Ce backtest ne contient pas le GNN : il ne dit rien de lui.", ""
    others = {name: values for name, values in models.items() if name != "gnn"}
    outcome: dict[str, list[str]] = {"won": [], "tied": [], "lost": []}
    for key, label, _ in METRICS:
        mine, rival = models["gnn"].get(key), best_of({n: v.get(key) for n, v in others.items()}, key)
        if mine is None and rival is None:
            continue  # nobody has it: it says nothing
        kind = "won" if beats(mine, rival, key) else ("tied" if mine == rival else "lost")
        outcome[kind].append(label if label.split()[0] in ("PAI", "F1", "Brier") else label.lower())
    won, tied, lost = outcome["won"], outcome["tied"], outcome["lost"]
    compared = len(won) + len(tied) + len(lost)
    also = (f" ; à égalité sur : {', '.join(tied)}" if tied else "") + (
        f" ; moins bien sur : {', '.join(lost)}" if lost else ""
    )
    if not tied and not lost:
        text = "Dans ce backtest, le GNN a fait mieux que toutes les références, sur toutes les mesures."
    elif not won:
        text = "Dans ce backtest, le GNN n'a battu les références sur aucune mesure : une référence fait au "
        text += f"moins aussi bien partout{also}."
    else:
        text = (
            f"Dans ce backtest, le GNN a fait mieux que toutes les références sur {len(won)} mesure(s) sur "
        )
        text += f"{compared} ({', '.join(won)}){also}."
    values = {n: v.get(HEADLINE) for n, v in others.items()}
    present = {n: v for n, v in values.items() if v is not None}
    gnn = models["gnn"].get(HEADLINE)
    if not present or gnn is None:
        return text, ""
    leader = max(present, key=lambda n: present[n])
    headline = (f"Part des incidents dans les 5 % de la surface jugés les plus à risque : GNN "
                f"{written(gnn, 'percent')}, meilleure référence ({MODELS.get(leader, leader).lower()}) "
                f"{written(present[leader], 'percent')}.")  # fmt: skip
    return text, headline


def backtest_view(report: dict[str, Any], chart: bool) -> Backtest:
    """The report's table (models in the report's order, the GNN first), best value per column marked."""
    models: dict[str, dict[str, float | None]] = report["models"]
    order = sorted(models, key=lambda name: name != "gnn")
    best = {key: best_of({n: models[n].get(key) for n in order}, key) for key, _, _ in METRICS}
    rows = [
        Row(name, MODELS.get(name, name), [
            (written(value, kind), value is not None and value == best[key])
            for key, _, kind in METRICS
            for value in [models[name].get(key)]
        ])
        for name in order
    ]  # fmt: skip
    yardsticks = [
        (name, label, [written(values[key], kind) if key in values else "" for key, _, kind in METRICS])
        for name, label in YARDSTICKS.items()
        for values in [report.get(name)]
        if values  # a report written before a yardstick existed has none
    ]
    text, headline = verdict(models)
    return Backtest(report, [label for _, label, _ in METRICS], rows, yardsticks, text, headline, chart)


# ---------------------------------------------------------------- the model and the forecasts


def model_card(run: Mapping[str, Any]) -> dict[str, Any]:
    """What the page says about the model behind a set of forecasts: its saved metadata, when it is there."""
    from recoupe.gnn.model import TrainedModel, model_path, version_of

    card: dict[str, Any] = dict(run)
    horizon, unit = run.get("horizon"), run.get("unit")
    card["horizon_name"] = HORIZONS.get(str(horizon), horizon or "—")
    card["meta"], card["same"] = None, None
    if unit and horizon in HORIZONS:
        path = model_path(_home(), str(unit), int(str(horizon)[:-1]))
        try:
            meta = TrainedModel.read_meta(path)
        except (OSError, ValueError, KeyError):
            meta = None
        if meta is not None:
            created = meta.get("created_at")
            card["created_at"] = created or datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat()
            card["meta"], card["saved_version"] = meta, version_of(meta)
            card["same"] = card["saved_version"] == run.get("model_version")
        card["path"] = f"models/{path.name}"
    return card


def pieces(explanation: str | None) -> list[list[tuple[str, str | None]]]:
    """The explanation's clauses, each cut into (text, cell key to link or None) around the cells it names."""
    clauses = []
    for clause in (explanation or "").split(" ; "):
        parts: list[tuple[str, str | None]] = []
        done = 0
        for found in CELL_KEY.finditer(clause):
            parts += [(clause[done : found.start()], None), (found.group(), found.group())]
            done = found.end()
        parts.append((clause[done:], None))
        clauses.append([p for p in parts if p[0]])
    return [c for c in clauses if c]


def recent_incidents(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """For each forecast (by id), the latest incidents of its category in its cell before its period."""
    from recoupe.graph import store

    starts = [r["valid_from"] for r in rows if isinstance(r.get("valid_from"), datetime)]
    if not starts:
        return {}
    low, high = min(starts) - timedelta(days=RECENT_DAYS), max(starts)
    with graph().session() as session:
        cells, kinds = sorted({r["cell"] for r in rows}), sorted({r["category"] for r in rows})
        found = store.web_cell_incidents(session, cells, kinds, low, high)
    shown: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        start = row.get("valid_from")
        if not isinstance(start, datetime):
            continue
        mine = [i for i in found if i["cell"] == row["cell"] and i["category"] == row["category"]
                and start - timedelta(days=RECENT_DAYS) <= i["occurred_from"] < start]  # fmt: skip
        shown[row["id"]] = mine[:RECENT_SHOWN]
    return shown


def _choice(name: str, allowed: list[str]) -> str:
    value = request.args.get(name, "")
    return value if value in allowed else ""


@forecast_page.get("/previsions")
@auth.require("forecasts")
def page() -> ResponseReturnValue:
    """The forecasts of one horizon (the shortest held, unless chosen), the model behind them and the latest
    backtest; `category` and `cell` narrow the list."""
    from recoupe.graph import store

    known = categories()
    category = _choice("category", [code for code, _ in known]) or None
    cell = (request.args.get("cell") or "").strip()[:100] or None
    with graph().session() as session:
        runs = cached(("forecast-runs",), lambda: store.web_forecast_runs(session))
        horizons = sorted({str(r["horizon"]) for r in runs if r["horizon"]}, key=lambda h: (len(h), h))
        horizon = _choice("horizon", horizons) or (horizons[0] if horizons else None)

        def read() -> tuple[int, list[dict[str, Any]]]:
            total = store.web_count_forecasts(session, category, horizon, cell)
            rows = store.web_forecasts(session, category, horizon, cell, 0, TOP) if total else []
            for row in rows:
                row["pieces"] = pieces(row.get("explanation"))
            return total, rows

        total, rows = cached(("forecast-rows", category, horizon, cell), read)
    links = can("read.incidents")
    key = ("forecast-recent", category, horizon, cell)
    recent = cached(key, lambda: recent_incidents(rows)) if links and rows else {}
    report = reports.read_latest(reports.reports_dir(_home()))
    chart = reports.latest_chart(reports.reports_dir(_home())) is not None
    return render_template(
        "forecasts.html", rows=rows, total=total, top=TOP, recent=recent, links=links,
        models=[model_card(r) for r in runs if r["horizon"] == horizon], horizons=horizons, horizon=horizon,
        horizon_names=HORIZONS, categories=known, category=category or "", cell=cell or "",
        backtest=backtest_view(report, chart) if report else None, percent=percent, long_day=long_day,
        make_command=command(horizon), backtest_command=BACKTEST_COMMAND,
        installed=vendor.installed("leaflet/dist/leaflet.js"),
    )  # fmt: skip


@forecast_page.get("/previsions/backtest.png")
@auth.require("forecasts")
def chart() -> ResponseReturnValue:
    """The latest backtest's hit-rate chart: a fixed file of the data directory, no path from the request."""
    path = reports.latest_chart(reports.reports_dir(_home()))
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png", conditional=False)
    response.headers["Cache-Control"] = "no-store"  # as every answer of the app: it is replaced in place
    return response


# ---------------------------------------------------------------- the map's cells


def cell_feature(row: dict[str, Any], rank: int) -> dict[str, Any]:
    """A cell as a GeoJSON feature (its polygon, or its centre when it has none) with its best forecast."""
    props = {key: row[key] for key in ("cell", "category", "probability", "horizon")} | {"rank": rank}
    try:
        polygons = parse_wkt(row["geometry"])
        geometry: dict[str, Any] = {
            "type": "MultiPolygon",
            "coordinates": [[[list(point) for point in ring] for ring in polygon] for polygon in polygons],
        }
    except (InvalidInput, TypeError, ValueError, AttributeError):  # no geometry (or a broken one)
        geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
    return {"type": "Feature", "id": row["cell"], "properties": props, "geometry": geometry}


@endpoint("GET", "/forecasts/cells", "Les mailles prévues, en GeoJSON (WGS84) : pour chacune, sa prévision "
          "la plus probable (catégorie, probabilité, rang parmi les mailles), les plus à risque d'abord.",
          ("forecasts",), (CATEGORY, HORIZON))  # fmt: skip
def forecast_cells(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import store

    with graph().session() as session:
        rows = store.web_forecast_cells(session, q["category"], q["horizon"])
    rows = [r for r in rows if r["probability"] is not None]
    rows.sort(key=lambda r: (-r["probability"], r["cell"], r["category"] or ""))  # the page's order
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        best.setdefault(row["cell"], row)
    features = [cell_feature(row, rank) for rank, row in enumerate(best.values(), 1)]
    return answer({"type": "FeatureCollection", "total": len(features), "features": features[:MAX_CELLS]})
