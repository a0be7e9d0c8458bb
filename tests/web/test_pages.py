"""The viewer's pages through the real app, real accounts and the session's real graph server: the API tests'
city (tests/web/test_api.py, rebuilt for this module) plus three logs of May 2025 read by the real pipeline,
one of them with a planted script:

  W:S1  tags rue Paradis, 20 May 2025, with « <script>alert(1)</script> » in its text; seen by CAM-1
  W:S2  theft rue Paradis, 21 May 2025
  W:S3  noise cours Julien, 27 May 2025
The latest incident is T:D 4 (1 June 2025, 9:30): the data is historical, the dashboard's "now" is then.
"""

from __future__ import annotations

import logging
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from recoupe.graph import queries
from recoupe.graph.connection import connect
from recoupe.graph.home import DataHome
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest.pipeline import Ingestor
from recoupe.nlp.extract import Extractor
from recoupe.web import cli_serve
from recoupe.web.cli import cli
from recoupe.web.highlight import Piece, highlight
from recoupe.web.pages import data_now, week_starts, weekly_chart
from tests.conftest import free_port
from tests.web import test_api
from tests.web.test_api import City
from tests.web.test_auth import login

city = test_api.city  # the API tests' city, built again for this module
PLANTED = "Tags <script>alert(1)</script> peints sur la façade d'une école rue Paradis vers 9h."
LOGS = [
    ["S1", "2025-05-20T10:00:00+02:00", PLANTED],
    ["S2", "2025-05-21T17:00:00+02:00", "Vol d'un téléphone portable à une passante rue Paradis vers 16h."],
    ["S3", "2025-05-28T00:30:00+02:00", "Tapage nocturne cours Julien vers 23h, musique forte."],
]
PLATE_MARK = re.compile(r'<mark class="m-PLATE"[^>]*>AB-123-CD</mark>')


@pytest.fixture(scope="module")
def site(city: City, graph_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> City:
    logs = test_api._csv(tmp_path_factory.mktemp("pages") / "logs.csv", ["id", "reported_at", "text"], LOGS)
    key = DataHome(Path(city.app.config["RECOUPE_HOME"])).pseudonym_key()
    with connect(graph_server.target()) as graph:
        summary = Ingestor(graph, Extractor(), key).ingest_file(logs, source="W")
    assert summary.created == 3
    return city


def browser(site: City, role: str) -> FlaskClient:
    """A client logged in with a session of `role`."""
    client = site.app.test_client()
    assert login(client, role).status_code == 302
    return client


def page(response: TestResponse, status: int = 200) -> str:
    """The page's HTML, after checking what every page carries."""
    assert response.status_code == status, response.text
    assert response.mimetype == "text/html" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self';")  # nothing inline
    text = response.get_data(as_text=True)
    assert text.startswith('<!doctype html>\n<html lang="fr">') and re.search(r"<title>[^<]+</title>", text)
    scripts = re.findall(r'<script src="/(?:static|vendor)/[\w./-]+"></script>', text)
    assert text.count("<script") == len(scripts)  # local files only (the small map), nothing inline
    assert "style=" not in text and "<style" not in text
    return text


def url(incident_id: str) -> str:
    return "/incidents/" + quote(incident_id)


# ---------------------------------------------------------------- logins and permissions


@pytest.mark.parametrize("path", ["/", "/incidents/T:A", "/entites/plate/AB-123-CD", "/incidents/T:D%204"])
def test_pages_need_a_login(site: City, path: str) -> None:
    response = site.app.test_client().get(path)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/connexion" and parse_qs(target.query) == {"suivant": [path]}
    # the login form sends the visitor back there, the id's space included
    client = site.app.test_client()
    assert login(client, "analyst", suivant=path).headers["Location"] == path


@pytest.mark.parametrize(
    ("role", "path", "permission"),
    [("viewer", "/entites/plate/AB-123-CD", "read.entities"), ("auditor", "/", "read.incidents"),
     ("auditor", "/incidents/T:A", "read.incidents")],
)  # fmt: skip
def test_a_role_without_the_permission_is_refused(site: City, role: str, path: str, permission: str) -> None:
    text = page(browser(site, role).get(path), 403)
    assert "<h1>Accès refusé</h1>" in text and f"n&#39;a pas la permission {permission}" in text


def test_the_navigation_logs_out_with_the_csrf_token(site: City) -> None:
    client = browser(site, "analyst")
    text = page(client.get("/"))
    csrf = client.get("/api/me").get_json()["csrf_token"]
    form = re.search(r'<form method="post" action="/deconnexion">\s*<input type="hidden" name="csrf_token" '
                     r'value="([^"]+)">', text)  # fmt: skip
    assert form is not None and form[1] == csrf
    assert '<span class="user">analyst <span class="role">(analyste)</span></span>' in text
    assert client.post("/deconnexion").status_code == 403  # without the token: refused
    assert client.post("/deconnexion", data={"csrf_token": csrf}).headers["Location"] == "/connexion"
    assert client.get("/").status_code == 302


def test_links_follow_the_application_root(site: City) -> None:
    """Addresses are built once and kept (app.template_url_for), per application root: behind a proxy that
    mounts the viewer under /recoupe, every link carries it; served at the root, none does."""
    client = browser(site, "analyst")
    plain = page(client.get("/incidents/W:S2"))
    answer = client.get("/incidents/W:S2", base_url="http://localhost/recoupe")
    mounted = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "/recoupe/" not in page(client.get("/incidents/W:S2"))
    for text, root in ((mounted, "/recoupe"), (plain, "")):
        assert f'<link rel="stylesheet" href="{root}/static/recoupe.css">' in text
        assert f'<a class="brand" href="{root}/">Recoupe</a>' in text
        assert f'<form method="post" action="{root}/deconnexion">' in text
        assert (
            f'<script src="{root}/vendor/leaflet/dist/leaflet.js"></script>' in text
        )  # the kept content too
        assert f'<a href="{root}/entites/quartier/' in text
    assert 'href="/static/' not in mounted and 'src="/static/' not in mounted and "/recoupe/" not in plain


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard(site: City) -> None:
    text = page(browser(site, "viewer").get("/"))
    assert "<title>Tableau de bord — Recoupe</title>" in text
    assert "Données jusqu'au dim. 1 juin 2025, 09:30 (dernier incident enregistré)" in text
    # one rect per (week, category) with incidents, in the 12 weeks to the week of 26 May (T:A–C are older)
    bars = re.findall(r'<rect class="c-(\w+)" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+">'
                      r"<title>([^<]+)</title></rect>", text)  # fmt: skip
    assert sorted(bars) == [
        ("graffiti", "Semaine du 19 mai 2025 — tag : 1"), ("noise", "Semaine du 26 mai 2025 — tapage : 1"),
        ("theft", "Semaine du 19 mai 2025 — vol : 1"), ("vandalism", "Semaine du 26 mai 2025 — dégradation : 1"),
    ]  # fmt: skip
    assert text.count("<rect") == 4 and '<svg class="chart" viewBox="0 0 720 260" role="img"' in text
    assert text.count('<th scope="row">') == 12  # the chart's numbers as a table
    quartiers = re.findall(r'<tr>\s*<td>([A-Z -]+)</td>\s*<td class="num">(\d+)</td><td class="num">(\d+)</td>\s*'
                           r'<td class="num">([^<]+)</td>', text)  # fmt: skip
    assert quartiers == [("PREFECTURE", "3", "0", "nouveau"), ("NOTRE-DAME-DU-MONT", "1", "0", "nouveau")]
    latest = re.findall(r'<a href="/incidents/([^"]+)">', text)
    assert latest == ["T:D%204", "W:S3", "W:S2", "W:S1", "T:C", "T:B", "T:A"]
    assert '<td>tapage</td>\n            <td class="num">61 %</td>' in text  # forecasts, most probable first
    out = re.findall(r"<tr><td>(CAM-\d)</td>", text)
    assert out == ["CAM-1", "CAM-2"] and "sans fin prévue" in text  # CAM-3 is not installed yet
    sources = re.findall(r"<tr><td>(\w+)</td><td>logs</td><td>([^<]+)</td>\s*<td class=\"num\">(\d+)", text)
    assert sorted((name, count) for name, _, count in sources) == [("T", "4"), ("W", "3")]
    assert all(when != "non enregistré" for _, when, _ in sources)  # each ingestion dates its source
    assert "/entites/" not in text  # a viewer gets no links to entity pages


def test_the_dashboard_lists_the_last_loads_with_their_rejects(site: City) -> None:
    from recoupe.ingest import journal
    from recoupe.ingest.pipeline import IngestSummary

    home = Path(site.app.config["RECOUPE_HOME"])
    at = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)
    journal.record(home, "cameras", IngestSummary("/d/cameras.csv", read=3, created=3), at=at)
    bad = IngestSummary("/d/mc-juin.csv", read=12, created=9, unchanged=1, rejected=2,
                        reasons={"unreadable date": 2}, rejects_file="/d/mc-juin.csv.rejects.csv")  # fmt: skip
    journal.record(home, "logs", bad, at=at + timedelta(hours=1))
    text = page(browser(site, "viewer").get("/"))
    section = text[text.index('<h2 id="chargements">') :]
    rows = re.findall(r"<tr( class=\"has-rejects\")?><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td>\s*"
                      r'<td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>\s*'
                      r'<td class="num">(\d+)</td><td class="num">(\d+)</td>\s*<td>([^\n]*)</td></tr>', section)  # fmt: skip
    assert rows[:2] == [
        (' class="has-rejects"', "mains courantes", "mc-juin.csv", "12", "9", "0", "1", "2",
         "unreadable date (2) — lignes dans <code>mc-juin.csv.rejects.csv</code>"),
        ("", "caméras", "cameras.csv", "3", "3", "0", "0", "0", ""),
    ]  # fmt: skip


# ---------------------------------------------------------------- an incident


def test_an_incident_with_its_mentions_and_provenance(site: City) -> None:
    text = page(browser(site, "analyst").get("/incidents/T:A"))
    assert "<title>Incident T:A — Recoupe</title>" in text
    assert '<span class="category">vol avec violence</span>' in text
    assert PLATE_MARK.search(text) and f'<mark class="m-PERSON" title="personne {site.pseudonym} (mis en cause)">' \
        f"{site.pseudonym}</mark>" in text and "BENALI" not in text  # fmt: skip
    assert '<mark class="m-PLACE" title="lieu">rue Paradis</mark>' in text
    assert '<mark class="m-VEHICLE" title="véhicule (plaque AB-123-CD)">scooter</mark>' in text
    assert f'<a href="/entites/person/{site.pseudonym}">{site.pseudonym}</a>' in text
    assert '<a href="/entites/place/street:Rue%20Paradis">Rue Paradis</a>' in text
    assert site.person_id not in text
    facts = re.search(r'<dl class="facts">(.*?)</dl>', text, re.S)
    assert facts is not None
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", facts[1]))
    assert (
        "vol avec violence — classifieur ; le classifieur propose « vol avec violence » (confiance" in plain
    )
    assert "lun. 3 mars 2025, 13:30 – 14:30 — lu dans le texte" in plain
    assert "Rue Paradis (13006) — précision : rue — lu dans le texte" in plain and "PREFECTURE" in plain
    camera = re.search(r'<a href="/entites/camera/CAM-1">CAM-1</a></td>\s*<td>Paradis nord</td>\s*'
                       r'<td class="state-seen">vu</td>', text)  # fmt: skip
    assert camera is not None
    linked = re.search(r'<a href="/incidents/T:B">T:B</a></td>.*?<ul class="reasons">(.*?)</ul>', text, re.S)
    assert linked is not None
    assert (
        "<li>même plaque AB-123-CD</li>" in linked[1] and "<li>vus par la même caméra CAM-1</li>" in linked[1]
    )
    assert "<li>répétition proche : 0 m, 32,5 h d&#39;écart</li>" in linked[1]


def test_a_viewer_reads_the_text_but_no_pseudonym_nor_connection(site: City) -> None:
    text = page(browser(site, "viewer").get("/incidents/T:A"))
    assert PLATE_MARK.search(text) and '<mark class="m-PERSON" title="personne">[personne]</mark>' in text
    assert site.pseudonym not in text and site.person_id not in text
    assert "Incidents liés" not in text and "/entites/" not in text
    assert "<td>vu</td>" not in text and '<td class="state-seen">vu</td>' in text


def test_the_planted_script_is_shown_as_text(site: City) -> None:
    client = browser(site, "admin")
    text = page(client.get("/incidents/W:S1"))
    assert "Tags &lt;script&gt;alert(1)&lt;/script&gt; peints sur la façade d&#39;une école" in text
    assert '<td class="state-seen">vu</td>' in text and '<span class="category">tag</span>' in text
    for path in ("/", "/entites/camera/CAM-1", "/entites/quartier/PREFECTURE"):
        page(client.get(path))  # no <script anywhere


def test_an_incident_with_a_space_a_camera_out_and_a_damaged_asset(site: City) -> None:
    text = page(browser(site, "investigator").get(url("T:D 4")))
    assert '<mark class="m-ASSET" title="mobilier urbain BS-1">Abribus</mark>' in text
    assert '<td class="state-out">en panne</td>' in text
    assert re.search(r'<a href="/entites/asset/BS-1">BS-1</a></td>\s*<td>abribus</td>', text)


@pytest.mark.parametrize("path", ["/incidents/T:nope 1", "/entites/plate/ZZ-999-ZZ", "/entites/galaxy/x",
                                  "/entites/camera/AB-123-CD"])  # fmt: skip
def test_unknown_things_are_a_french_404(site: City, path: str) -> None:
    text = page(browser(site, "analyst").get(path), 404)
    assert "<h1>Introuvable</h1>" in text and "<title>Erreur 404 — Recoupe</title>" in text
    if path.startswith("/incidents/"):
        assert "Aucun incident « T:nope 1 »." in text


def test_a_graph_failure_shows_no_statement(
    site: City, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(queries, "API_INCIDENT", "MATCH (i:Incident {id: $id} RETURN i.text AS secret_column")
    site.app.extensions["recoupe.cache"].clear()  # a read of the graph, not one kept from an earlier test
    with caplog.at_level(logging.ERROR, logger="recoupe.web.pages"):
        text = page(browser(site, "admin").get("/incidents/T:A"), 500)
    assert '<p role="alert">Erreur interne.</p>' in text and "secret_column" not in text
    assert "GraphQueryError on a page" in caplog.text


# ---------------------------------------------------------------- an entity


def test_timelines_of_entities(site: City) -> None:
    client = browser(site, "analyst")

    def rows(path: str) -> list[tuple[str, str]]:
        text = page(client.get(path))
        return re.findall(r'<td>([^<]+)</td>\s*<td>[^<]+</td>\s*<td><a href="/incidents/([^"]+)">', text)

    plate = page(client.get("/entites/plate/ab 123 cd"))
    assert "<h1>Plaque AB-123-CD</h1>" in plate and "<title>Plaque AB-123-CD — Recoupe</title>" in plate
    assert rows("/entites/plate/ab 123 cd") == [("impliqué", "T:A"), ("impliqué", "T:B")]
    assert rows(f"/entites/person/{site.pseudonym.lower()}") == [("impliqué (mis en cause)", "T:A")]
    assert rows("/entites/camera/CAM-1") == [("vu par la caméra", "T:A"), ("vu par la caméra", "T:B"),
        ("vu par la caméra", "W:S1"), ("vu par la caméra", "W:S2"), ("caméra en panne", "T:D%204")]  # fmt: skip
    assert [i for _, i in rows("/entites/quartier/PREFECTURE")] == ["T:A", "T:B", "W:S1", "W:S2", "T:D%204"]
    assert rows("/entites/place/street:Rue Paradis") == rows("/entites/quartier/PREFECTURE")  # its link
    assert page(client.get(f"/entites/person/{site.person_id}"), 404)  # a person is found by pseudonym only


def test_the_style_sheet_is_local(site: City) -> None:
    response = site.app.test_client().get("/static/recoupe.css")
    css = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/css" and ".m-PLATE" in css
    assert "@import" not in css and "url(" not in css and "@font-face" not in css


def test_now_is_the_clock_for_a_feed_and_the_latest_incident_for_an_archive() -> None:
    clock = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
    fresh = [{"occurred_from": clock - timedelta(days=2)}]
    assert data_now(clock, fresh) == (clock, clock, False) and data_now(clock, []) == (clock, clock, False)
    old = datetime(2025, 5, 31, 22, 30, tzinfo=UTC)  # 1 June, 00:30 in Paris
    now, end, historical = data_now(clock, [{"occurred_from": old}])
    assert (now, historical) == (old, True) and end == datetime(2025, 6, 1, 22, 0, tzinfo=UTC)
    mondays = week_starts(end)
    assert len(mondays) == 12 and mondays[-1] == datetime(2025, 5, 25, 22, 0, tzinfo=UTC)
    assert mondays[0] == datetime(2025, 3, 9, 23, 0, tzinfo=UTC)  # before the change to summer time


def test_an_empty_chart_has_no_bar() -> None:
    chart = weekly_chart(
        [(monday, {}) for monday in week_starts(datetime(2025, 6, 2, tzinfo=UTC))], ["theft"]
    )
    assert chart.bars == [] and chart.categories == [] and [v for _, v in chart.ticks] == [0, 1]


def test_highlight_nests_marks_and_leaves_out_crossing_ones() -> None:
    pieces = highlight("un scooter AB-1", [(3, 15, "VEHICLE", "v"), (11, 15, "PLATE", "p"), (0, 5, "X", "x"),
                                           (14, 99, "BAD", "out of the text")])  # fmt: skip
    assert pieces == [Piece("open", mark="X", title="x"), Piece("text", "un sc"), Piece("close"),
                      Piece("text", "ooter "), Piece("open", mark="PLATE", title="p"), Piece("text", "AB-1"),
                      Piece("close")]  # fmt: skip
    nested = highlight("<b>AB</b>", [(0, 9, "VEHICLE", "v"), (3, 5, "PLATE", "p")])
    assert [p.kind for p in nested] == ["open", "text", "open", "text", "close", "text", "close"]
    assert "".join(p.text for p in nested) == "<b>AB</b>"  # the text is kept as is: the template escapes it


# ---------------------------------------------------------------- recoupe serve


def test_serve_help_says_why_remote_is_refused() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "--allow-remote" in result.output and "plain HTTP" in result.output
    assert "[default: 127.0.0.1]" in result.output and "[default: 5000;" in result.output


def test_serve_refuses_a_remote_host_without_allow_remote(tmp_path: Path) -> None:
    env = {"RECOUPE_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Refusing to listen on 0.0.0.0, which is not a loopback address")
    assert not (tmp_path / "home").exists()


def test_serve_says_in_one_line_that_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)], env={"RECOUPE_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: Cannot listen on http://127.0.0.1:{port}/: Address already in use"
    )
    assert "choose another port with --port" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert cli_serve.is_loopback(host) is loopback


@pytest.mark.slow
def test_serve_answers_on_loopback(cli_env: dict[str, str]) -> None:
    port = free_port()
    command = "from recoupe.web import cli_serve; from recoupe.web.cli import main; main()"
    options = ["serve", "--port", str(port), "--workers", "2", "--threads", "2"]
    process = subprocess.Popen([sys.executable, "-c", command, *options],
                               env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first == f"Recoupe on http://127.0.0.1:{port}/ (2 workers × 2 threads; Ctrl+C to stop)\n"
        body = _get(f"http://127.0.0.1:{port}/connexion")
        assert '<html lang="fr">' in body and "Connexion" in body
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        for _ in range(50):  # the first worker may answer before the second is forked
            if len(children.read_text().split()) == 2:
                break
            time.sleep(0.1)
        assert len(children.read_text().split()) == 2  # gunicorn's worker processes, forked by ours
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"http://127.0.0.1:{port}/api/incidents")
        assert refused.value.code == 401
        shared = Path(cli_env["RECOUPE_HOME"]) / "run" / "viewer-cache.sqlite"  # the workers' shared answers
        assert stat.S_IMODE(shared.stat().st_mode) == 0o600
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0 and not shared.exists()  # removed when the server stops


def _get(address: str) -> str:
    for _ in range(100):
        try:
            with urllib.request.urlopen(address, timeout=5) as answer:
                return str(answer.read().decode("utf-8"))
        except urllib.error.URLError as exc:
            if isinstance(exc, urllib.error.HTTPError):
                raise
            time.sleep(0.1)
    raise AssertionError(f"nothing answers on {address}")
