"""The Prévisions page through the real app, real accounts and the session's real graph server, on a city whose
forecasts and backtest the project's own code made: the synthetic events of tests/web/test_cli_forecast.py
(a 6 × 6 block of 500 m cells south of the Vieux-Port, a hotspot in one corner, thefts and burglaries over 150
days) ingested by the real pipeline, a GNN trained on them (3 epochs) and saved under RECOUPE_HOME/models, its
72 forecasts written with their explanations and cell polygons, and a backtest's report and chart kept with
`recoupe.gnn.reports` in RECOUPE_HOME/forecasts, as `recoupe backtest` keeps them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from recoupe.graph import queries
from recoupe.graph.connection import connect
from recoupe.graph.home import DataHome
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest.layers import load_quartiers
from recoupe.nlp.gazetteer import MARSEILLE
from recoupe.ontology.loader import ontology
from recoupe.web import create_app, resources
from recoupe.web.auth import ROLES, accounts
from recoupe.web.forecast_page import MODELS, backtest_view, pieces, verdict, written
from recoupe.web.french import number
from tests.conftest import wipe
from tests.web.test_auth import PASSWORD, HttpsClient, login
from tests.web.test_cli_forecast import synthetic_events

TEST_FROM, TEST_TO = date(2025, 5, 1), date(2025, 5, 30)


@dataclass
class City:
    """The app, the latest backtest's report as saved, and a way to write the forecasts again."""

    app: Flask
    tokens: dict[str, str]
    report: dict[str, Any]
    rewrite: Callable[[], int]


@pytest.fixture(scope="module")
def city(graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    from recoupe.gnn import reports
    from recoupe.gnn.backtest import BacktestSettings, backtest, prepare, train_for_forecast
    from recoupe.gnn.forecast import forecast, link_cells, write_forecasts
    from recoupe.gnn.model import TrainSettings, model_path
    from recoupe.ingest.inventories import read_events
    from recoupe.ingest.pipeline import Ingestor
    from recoupe.nlp.extract import Extractor

    tmp = tmp_path_factory.mktemp("previsions")
    home, events = tmp / "home", tmp / "events.csv"
    synthetic_events(events)
    quick = TrainSettings(epochs=3, seed=7, lookback=7)
    with connect(graph_server.target()) as graph:
        wipe(graph)
        apply_schema(graph, ontology())
        load_quartiers(graph, MARSEILLE / "quartiers.geojson")
        key = DataHome(home).pseudonym_key()
        Ingestor(graph, Extractor(), key, link=False).ingest_events(events, read_events(events), "synth")
        model, data = train_for_forecast(graph, "grid:500", 1, "Europe/Paris", quick)
        model.save(model_path(home, "grid:500", 1))
        # as `recoupe forecast` does: one empty step after the data, the day after the last, is forecast
        data = prepare(graph, "grid:500", 1, None, "Europe/Paris", ("burglary", "theft"), extra_steps=1)
        origin = data.x.shape[0] - 1

        def rewrite() -> int:
            rows = forecast(model, data, origin)
            count = write_forecasts(graph, model, data, origin, rows, "Europe/Paris")
            link_cells(graph, data.units)
            return count

        assert rewrite() == 72
        directory = reports.reports_dir(home)
        drawn = reports.staging_chart(directory)
        results = backtest(graph, BacktestSettings(TEST_FROM, TEST_TO, 1, "grid:500", train=quick), drawn)
        saved = reports.save_latest(directory, results, drawn)
        assert not drawn.exists() and reports.latest_chart(directory) is not None
        app = create_app({"TESTING": True, "RECOUPE_HOME": str(home), "RECOUPE_COOKIE_SECURE": 1,
                          "RECOUPE_GRAPH_URL": graph_server.target().url,
                          "RECOUPE_GRAPH_USER": graph_server.target().user,
                          "RECOUPE_GRAPH_PASSWORD": graph_server.target().password,
                          "RECOUPE_GRAPH_DATABASE": graph_server.target().database or ""})  # fmt: skip
        app.test_client_class = HttpsClient
        users = accounts(app)
        users.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
        tokens = {}
        for role in ROLES:
            users.add_user(role, PASSWORD, role)
            tokens[role] = users.create_token(role, "tests")[1]
        yield City(app, tokens, json.loads(saved.read_text(encoding="utf-8")), rewrite)
        resources.close_graphs(app)


def browser(city: City, role: str) -> FlaskClient:
    client = city.app.test_client()
    assert login(client, role).status_code == 302
    return client


def html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.text
    text = response.get_data(as_text=True)
    assert "<script>" not in text and "style=" not in text and "<style" not in text
    return text


def api_forecasts(city: City, query: str = "") -> dict[str, Any]:
    client = city.app.test_client()
    response = client.get(f"/api/forecasts?limit=500{query}",
                          headers={"Authorization": f"Bearer {city.tokens['viewer']}"})  # fmt: skip
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def rows_of(text: str) -> list[str]:
    return re.findall(r'<tr id="prevision-\d+".*?</tr>', text, re.S)


def cell_of(row: str) -> str:
    found = re.search(r'data-cell="([^"]+)"', row)
    assert found is not None
    return found[1]


def percent(p: float) -> str:
    return f"{number(100 * p, 1)} %"


# ---------------------------------------------------------------- the ranking


def test_a_viewer_sees_the_forecasts_in_rank_order_with_their_explanation(city: City) -> None:
    forecasts = api_forecasts(city)
    assert forecasts["total"] == 72
    ordered = sorted(forecasts["items"], key=lambda f: (-f["probability"], f["cell"], f["category"]))
    text = html(browser(city, "viewer"), "/previsions")
    rows = rows_of(text)
    assert len(rows) == 50 and "Les 50 plus probables sur 72" in text
    for n, (row, expected) in enumerate(zip(rows, ordered, strict=False), 1):
        assert f'<td class="num">{n}</td>' in row and cell_of(row) == expected["cell"]
        assert f'<td class="num probability">{percent(expected["probability"])}</td>' in row
    first, top = rows[0], ordered[0]
    label = ontology().vocabulary("IncidentCategory").concepts[top["category"]].labels.fr
    assert f">{label}</span>" in first and "sur 7 jours" in first and "sur 28 jours dans la maille" in first
    assert "facteurs principaux" in first  # the ten first of each category are explained by attribution
    # the hotspot's recent incidents of that category link to their pages
    links = re.findall(r'<a href="/incidents/(synth%3AE\d+|synth:E\d+)">', first)
    assert 1 <= len(links) <= 5
    # the model: the forecasts' version is the saved model's, with its training window
    version = top["model_version"]
    assert f'data-version="{version}"' in text and "réentraîné" not in text
    assert "<dd>du 8 janvier 2025 au 31 mai 2025 (exclu)</dd>" in text


def test_the_filters_narrow_the_list(city: City) -> None:
    client = browser(city, "viewer")
    theft = api_forecasts(city, "&category=theft")["items"]
    rows = rows_of(html(client, "/previsions?category=theft&horizon=1d"))
    assert len(rows) == 36 and all('data-category="theft"' in row for row in rows)
    assert [cell_of(row) for row in rows][:5] == [
        f["cell"] for f in sorted(theft, key=lambda f: (-f["probability"], f["cell"]))
    ][:5]
    one = rows_of(html(client, f"/previsions?cell={theft[0]['cell']}"))
    assert len(one) == 2 and {cell_of(row) for row in one} == {theft[0]["cell"]}
    unknown = html(client, "/previsions?category=pickpocket&horizon=12d")  # ignored: all categories, 1 day
    assert len(rows_of(unknown)) == 50


def test_the_map_endpoint_gives_each_cell_once_with_its_polygon(city: City) -> None:
    client = city.app.test_client()
    headers = {"Authorization": f"Bearer {city.tokens['viewer']}"}
    body = client.get("/api/forecasts/cells?horizon=1d", headers=headers).get_json()
    assert body["type"] == "FeatureCollection" and body["total"] == len(body["features"]) == 36
    first = body["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon" and len(first["geometry"]["coordinates"][0][0]) == 5
    probabilities = [f["properties"]["probability"] for f in body["features"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert [f["properties"]["rank"] for f in body["features"]] == list(range(1, 37))
    bad = client.get("/api/forecasts/cells?horizon=2d", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {"horizon": "not one of 1d, 7d"}


def test_an_auditor_is_refused(city: City) -> None:
    client = browser(city, "auditor")
    assert client.get("/previsions").status_code == 403
    assert client.get("/previsions/backtest.png").status_code == 403
    token = {"Authorization": f"Bearer {city.tokens['auditor']}"}
    assert city.app.test_client().get("/api/forecasts/cells", headers=token).status_code == 403
    assert city.app.test_client().get("/previsions").status_code == 302  # no login: to the login form


# ---------------------------------------------------------------- the backtest


def test_the_backtest_table_shows_the_numbers_and_marks_the_best(city: City) -> None:
    report = city.report
    assert set(report["models"]) == set(MODELS) and report["test"]["origins"] == 30
    text = html(browser(city, "viewer"), "/previsions")
    table = re.search(r'<table class="metrics".*?</table>', text, re.S)
    assert table is not None
    rows = dict(re.findall(r'<tr data-model="([a-z_0-9]+)".*?>(.*?)</tr>', table[0], re.S))
    assert list(rows) == ["gnn", "trailing_mean_7d", "trailing_mean_30d", "last_period", "kde_hotspots",
                          "logistic"]  # fmt: skip
    for column, key in ((0, "hit_rate@1"), (1, "hit_rate@5"), (6, "macro_f1"), (8, "brier")):
        values = {name: report["models"][name][key] for name in rows}
        best = (min if key == "brier" else max)(v for v in values.values() if v is not None)
        for name, row in rows.items():
            cell = re.findall(r'<td class="num( best)?">(.*?)</td>', row, re.S)[column]
            shown = percent(values[name]) if key.startswith("hit_rate") else number(values[name], 3)
            assert cell[1].startswith(shown), (name, key, cell)
            assert (cell[0] == " best") == (values[name] == best) and ("★" in cell[1]) == (
                values[name] == best
            )
    # the yardsticks under the models: the level oracle, then the ceiling, each as the report has it
    sticks = dict(re.findall(r'<tr class="ceiling" data-yardstick="([a-z_]+)">(.*?)</tr>', table[0], re.S))
    assert list(sticks) == ["level_oracle", "chance_ceiling", "ceiling"]
    for name, row in sticks.items():
        cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
        assert cells[1] == written(report[name]["hit_rate@5"], "percent") != "—"
        assert cells[4] == written(report[name]["pai@5"], "pai") and cells[6] == ""  # no F1 for a ranking
    assert report["level_oracle"]["pai@5"] <= report["ceiling"]["pai@5"]
    assert (
        "Plafond du hasard (chaque maille à ce niveau, le reste tiré au hasard)" in sticks["chance_ceiling"]
    )
    expected, headline = verdict(report["models"])
    assert f'<p class="verdict" id="verdict">{expected}</p>'.replace("'", "&#39;") in text
    assert percent(report["models"]["gnn"]["hit_rate@5"]) in headline
    assert "du 1 mai 2025 au 30 mai 2025 (30 origines)" in text and "grid:500 (36 mailles)" in text
    assert '<img class="hit-rate-chart" src="/previsions/backtest.png"' in text


def test_the_verdict_says_plainly_who_won() -> None:
    def models(gnn: float, other: float, brier_gnn: float, brier_other: float) -> dict[str, Any]:
        row = {key: None for key in ("hit_rate@1", "hit_rate@10", "pai@1", "pai@5", "pai@10", "macro_f1",
                                     "average_precision")}  # fmt: skip
        return {"gnn": {**row, "hit_rate@5": gnn, "brier": brier_gnn},
                "kde_hotspots": {**row, "hit_rate@5": other, "brier": brier_other}}  # fmt: skip

    lost, headline = verdict(models(0.20, 0.25, 0.10, 0.09))
    assert "le GNN n'a battu les références sur aucune mesure" in lost
    assert headline.endswith("GNN 20,0 %, meilleure référence (points chauds (densité de noyau)) 25,0 %.")
    mixed, _ = verdict(models(0.30, 0.25, 0.10, 0.09))
    assert mixed == (
        "Dans ce backtest, le GNN a fait mieux que toutes les références sur 1 mesure(s) sur 2 (taux de capture "
        "à 5 %) ; moins bien sur : Brier (plus bas = mieux)."
    )
    tie = backtest_view({"models": models(0.25, 0.25, 0.1, 0.1)}, chart=False)
    assert all(row.cells[1] == ("25,0 %", True) for row in tie.rows)  # a tie marks both, and no one beat
    assert tie.verdict.endswith("aucune mesure : une référence fait au moins aussi bien partout ; à égalité "
                                "sur : taux de capture à 5 %, Brier (plus bas = mieux).")  # fmt: skip
    won, _ = verdict(models(0.30, 0.25, 0.08, 0.09))
    assert won == "Dans ce backtest, le GNN a fait mieux que toutes les références, sur toutes les mesures."
    assert verdict({"logistic": {}})[0].startswith("Ce backtest ne contient pas le GNN")


def test_the_chart_route_serves_the_png_and_nothing_else(city: City) -> None:
    client = browser(city, "viewer")
    png = Path(city.app.config["RECOUPE_HOME"]) / "forecasts" / "backtest-latest.png"
    response = client.get("/previsions/backtest.png?path=/etc/passwd&name=../backtest-latest.json")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data == png.read_bytes() and response.data[:8] == b"\x89PNG\r\n\x1a\n"
    for url in ("/previsions/backtest-latest.json", "/previsions/..%2Fforecasts%2Fbacktest-latest.json",
                "/previsions/backtest.png/../backtest-latest.json"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_without_a_report_the_page_says_how_to_make_one(city: City) -> None:
    directory = Path(city.app.config["RECOUPE_HOME"]) / "forecasts"
    aside = directory.with_name("forecasts-aside")
    directory.rename(aside)
    try:
        client = browser(city, "viewer")
        text = html(client, "/previsions")
        assert 'id="sans-backtest"' in text and "<code>recoupe backtest --from AAAA-MM-JJ" in text
        assert "metrics" not in text and client.get("/previsions/backtest.png").status_code == 404
    finally:
        aside.rename(directory)


def test_without_forecasts_the_page_says_how_to_make_them(city: City, graph_server: EmbeddedServer) -> None:
    with connect(graph_server.target()) as graph, graph.session() as session:
        session.run(queries.REMOVE_FORECASTS, unit="grid:500", horizon="1d").consume()
    city.app.extensions["recoupe.cache"].clear()  # written behind the app's back: as after the cache's delay
    try:
        text = html(browser(city, "viewer"), "/previsions")
        assert 'id="sans-prevision"' in text and "recoupe train --unit grid:500 --horizon 7d" in text
        assert "carte-previsions" not in text and 'id="verdict"' in text  # the backtest is still there
    finally:
        assert city.rewrite() == 72
        city.app.extensions["recoupe.cache"].clear()


def test_the_explanation_links_the_cells_it_names() -> None:
    text = "vol : 1 sur 7 jours ; mailles voisines qui pèsent : grid:500:12:-3, grid:500:13:-3"
    assert pieces(text) == [
        [("vol : 1 sur 7 jours", None)],
        [("mailles voisines qui pèsent : ", None), ("grid:500:12:-3", "grid:500:12:-3"), (", ", None),
         ("grid:500:13:-3", "grid:500:13:-3")],
    ]  # fmt: skip
    assert pieces(None) == []


def test_the_openapi_document_declares_the_cells(city: City) -> None:
    headers = {"Authorization": f"Bearer {city.tokens['auditor']}"}
    document = city.app.test_client().get("/api/openapi.json", headers=headers).get_json()
    operation = document["paths"]["/api/forecasts/cells"]["get"]
    assert operation["x-permissions"] == ["forecasts"] and "403" in operation["responses"]
    horizon = next(p for p in operation["parameters"] if p["name"] == "horizon")
    assert horizon["schema"] == {"type": "string", "enum": ["1d", "7d"]}


def test_recoupe_backtest_keeps_its_latest_report_for_the_page(city: City, tmp_path: Path) -> None:
    from recoupe.web.cli import cli

    directory = Path(city.app.config["RECOUPE_HOME"]) / "forecasts"
    kept = shutil.copytree(directory, tmp_path / "kept")
    chart = tmp_path / "chart.png"
    try:
        args = [
            "backtest",
            "--from",
            "2025-05-20",
            "--to",
            "2025-05-30",
            "--epochs",
            "1",
            "--chart",
            str(chart),
        ]
        result = city.app.test_cli_runner().invoke(cli, [*args, "--json"])
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        saved = json.loads((directory / "backtest-latest.json").read_text(encoding="utf-8"))
        assert printed["report"] == str(directory / "backtest-latest.json") and printed["chart"] == str(chart)
        assert saved["test"] == {"from": "2025-05-20", "to": "2025-05-30", "origins": 11}
        assert saved["models"] == printed["models"] and saved["saved_at"].endswith("+00:00")
        assert (directory / "backtest-latest.png").read_bytes() == chart.read_bytes()
        assert sorted(p.name for p in directory.iterdir()) == ["backtest-latest.json", "backtest-latest.png"]
        text = html(browser(city, "viewer"), "/previsions")
        assert "du 20 mai 2025 au 30 mai 2025 (11 origines)" in text
    finally:
        shutil.rmtree(directory)
        shutil.copytree(kept, directory)
