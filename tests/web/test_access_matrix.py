"""Every route of the app × every role (and anonymous), on the API tests' city (tests/web/test_api.py, rebuilt
for this module): the answer each gets follows from one table, ROUTES, and the roles' permissions as the
README's "Roles" table gives them. Walking `app.url_map`, a route missing from ROUTES fails, so that a new
route cannot slip in unreviewed. Also: ids that cannot be guessed, security headers on every answer, logins
logged and rate-limited, sessions that expire (idle and absolute, as configured) and logouts that end them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from recoupe.web import create_app
from recoupe.web.auth import PERMISSIONS_BY_ROLE, ROLES, accounts
from tests.conftest import REPO
from tests.web import test_api
from tests.web.test_api import City
from tests.web.test_auth import MATRIX, PASSWORD, SESSION, Clock, HttpsClient, login

city = test_api.city  # the API tests' city, built again for this module

README_ROLES = MATRIX  # the README's "Roles" table, permission → roles (tests/web/test_auth.py)
PUBLIC, LOGIN, OWN_TEST = "public", "login", "own test"  # no login; any login; tested on its own below
ENTITIES = ("read.entities", "explorer")
PERIOD = "from=2025-03-01T00:00:00&to=2025-07-01T00:00:00"
T_A = quote("T:A", safe="")
# (method, rule) → (the URL tried, with the city's ids; what it needs; the status when allowed; a JSON body)
ROUTES: dict[tuple[str, str], tuple[str, str | tuple[str, ...], int, Any]] = {
    ("GET", "/"): ("/", ("read.incidents",), 200, None),
    ("GET", "/carte"): ("/carte", ("read.incidents",), 200, None),
    ("GET", "/incidents/<path:incident_id>"): ("/incidents/T:A", ("read.incidents",), 200, None),
    ("GET", "/entites/<kind>/<path:key>"): ("/entites/plate/AB-123-CD", ENTITIES, 200, None),
    ("GET", "/explorateur"): ("/explorateur?q=AB-123-CD", ENTITIES, 200, None),
    ("GET", "/console"): ("/console", ("console",), 200, None),
    ("GET", "/previsions"): ("/previsions", ("forecasts",), 200, None),
    ("GET", "/previsions/backtest.png"): ("/previsions/backtest.png", ("forecasts",), 404, None),  # none run
    ("GET", "/docs/api"): ("/docs/api", ("read.incidents",), 200, None),
    ("GET", "/ontologie"): ("/ontologie", ("read.incidents",), 200, None),
    ("GET", "/ontologie.ttl"): ("/ontologie.ttl", ("read.incidents",), 200, None),
    ("GET", "/ontologie.jsonld"): ("/ontologie.jsonld", ("read.incidents",), 200, None),
    ("GET", "/ontologie/shapes"): ("/ontologie/shapes", ("read.incidents",), 200, None),
    ("GET", "/ontologie/shapes.ttl"): ("/ontologie/shapes.ttl", ("read.incidents",), 200, None),
    ("GET", "/ontologie/shapes.jsonld"): ("/ontologie/shapes.jsonld", ("read.incidents",), 200, None),
    ("GET", "/journal"): ("/journal", ("audit.read",), 200, None),
    ("GET", "/connexion"): ("/connexion", PUBLIC, 200, None),
    ("POST", "/connexion"): ("/connexion", OWN_TEST, 0, None),  # test_logins_are_logged_and_rate_limited
    ("POST", "/deconnexion"): ("/deconnexion", OWN_TEST, 0, None),  # test_logout_ends_the_session…
    ("GET", "/static/<path:filename>"): ("/static/recoupe.css", PUBLIC, 200, None),
    ("GET", "/vendor/<path:name>"): ("/vendor/leaflet/dist/leaflet.js", PUBLIC, 200, None),
    ("GET", "/api/health"): ("/api/health", PUBLIC, 200, None),
    ("GET", "/api/me"): ("/api/me", LOGIN, 200, None),
    ("GET", "/api/openapi.json"): ("/api/openapi.json", LOGIN, 200, None),
    ("GET", "/api/incidents"): ("/api/incidents", ("read.incidents",), 200, None),
    ("GET", "/api/incidents/<path:incident_id>"): (f"/api/incidents/{T_A}", ("read.incidents",), 200, None),
    ("GET", "/api/incidents/<path:incident_id>/connections"): (
        f"/api/incidents/{T_A}/connections", ENTITIES, 200, None),
    ("GET", "/api/entities/<kind>/<path:key>/timeline"): (
        "/api/entities/plate/AB-123-CD/timeline", ENTITIES, 200, None),
    ("GET", "/api/hotspots"): (f"/api/hotspots?{PERIOD}", ("read.incidents",), 200, None),
    ("GET", "/api/forecasts"): ("/api/forecasts", ("forecasts",), 200, None),
    ("GET", "/api/forecasts/cells"): ("/api/forecasts/cells", ("forecasts",), 200, None),
    ("GET", "/api/cameras"): ("/api/cameras", ("read.incidents",), 200, None),
    ("GET", "/api/quartiers"): ("/api/quartiers?name=Belsunce", ("read.incidents",), 200, None),
    ("GET", "/api/map/assets"): ("/api/map/assets", ("read.incidents",), 200, None),
    ("GET", "/api/map/streets"): ("/api/map/streets", ("read.incidents",), 200, None),
    ("GET", "/api/map/forecasts"): ("/api/map/forecasts", ("forecasts",), 200, None),
    ("GET", "/api/graph/search"): ("/api/graph/search?q=AB-123-CD", ENTITIES, 200, None),
    ("GET", "/api/graph/neighbours"): ("/api/graph/neighbours?node=plate:AB-123-CD", ENTITIES, 200, None),
    ("GET", "/api/exports/graphml"): (f"/api/exports/graphml?incident={T_A}", ENTITIES, 200, None),
    ("GET", "/api/exports/gexf"): (f"/api/exports/gexf?incident={T_A}", ENTITIES, 200, None),
    ("GET", "/api/exports/csv"): (f"/api/exports/csv?incident={T_A}", ENTITIES, 200, None),
    ("GET", "/api/exports/geojson"): (f"/api/exports/geojson?{PERIOD}", ("read.incidents",), 200, None),
    ("GET", "/api/audit"): ("/api/audit", ("audit.read",), 200, None),
    ("GET", "/api/queries"): ("/api/queries", ("console",), 200, None),
    ("POST", "/api/query"): ("/api/query", ("console",), 200, {"statement": "RETURN 1 AS one"}),
    # a report the row check refuses (an id must be text or a whole number): allowed, and nothing ingested
    ("POST", "/api/persons/<pseudonym>/identity"): (  # no motive: allowed, and nothing revealed
        "/api/persons/P-00000000/identity", ("identity.reveal",), 400, {"case": "PV 1"}),
    ("POST", "/api/incidents/<path:incident_id>/original"): (  # no motive: allowed, and no text given
        f"/api/incidents/{T_A}/original", ("identity.reveal",), 400, {"case": "PV 1"}),
    ("POST", "/api/reports"): ("/api/reports", ("ingest.reports",), 400, {"id": 1.5, "text": "x"}),
}  # fmt: skip
NOT_STORED = ("/static/", "/vendor/")  # public files the browser may keep; everything else: no-store


def may(role: str | None, needs: str | tuple[str, ...]) -> bool:
    if needs == PUBLIC:
        return True
    if role is None:
        return False
    return needs == LOGIN or all(role in README_ROLES[p] for p in needs)


def expected(role: str | None, url: str, needs: str | tuple[str, ...], allowed: int) -> int:
    if may(role, needs):
        return allowed
    if role is None:
        return 401 if url.startswith("/api/") else 302
    return 403


@pytest.fixture(scope="module")
def sessions(city: City) -> Iterator[dict[str, FlaskClient]]:
    """A client logged in through the form for each role (the session cookie and its CSRF token)."""
    clients = {}
    for role in ROLES:
        client = city.app.test_client()
        assert login(client, role).status_code == 302
        client.environ_base["HTTP_X_CSRF_TOKEN"] = client.get("/api/me").get_json()["csrf_token"]
        clients[role] = client
    yield clients


def secure_headers(response: TestResponse, url: str) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';") and "frame-ancestors 'none'" in policy, url
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY", url
    assert headers["Referrer-Policy"] == "same-origin", url
    if not url.startswith(NOT_STORED):
        assert headers["Cache-Control"] == "no-store", url


def test_the_readme_roles_table_is_the_one_tested() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8").split("## Roles", 1)[1].split("\n## ", 1)[0]
    header = next(line for line in text.splitlines() if line.startswith("| Permission |"))
    roles = [cell.strip() for cell in header.strip("|").split("|")[1:]]
    table = {}
    for line in text.splitlines():
        if m := re.match(r"\| `([a-z.]+)`[^|]*\|(.*)\|$", line):
            table[m[1]] = {r for r, cell in zip(roles, m[2].split("|"), strict=True) if "✓" in cell}
    assert roles == list(ROLES) and table == README_ROLES
    assert {p: {r for r in ROLES if p in PERMISSIONS_BY_ROLE[r]} for p in table} == README_ROLES


def test_every_route_is_in_the_table(city: City) -> None:
    served = {
        (m, rule.rule)
        for rule in city.app.url_map.iter_rules()
        for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert sorted(served - set(ROUTES)) == [], "routes missing from ROUTES: decide who may use them"
    assert sorted(set(ROUTES) - served) == [], "ROUTES names routes the app no longer has"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_each_role_gets_what_the_table_says(
    city: City, sessions: dict[str, FlaskClient], role: str | None
) -> None:
    """With a session cookie (pages and API) and with a bearer token (API): allowed, 401/login, or 403."""
    wrong = []
    for (method, _), (url, needs, allowed, body) in ROUTES.items():
        if needs == OWN_TEST:
            continue
        want = expected(role, url, needs, allowed)
        ways: list[tuple[FlaskClient, dict[str, str]]] = [
            (sessions[role] if role else city.app.test_client(), {})
        ]
        if role and url.startswith("/api/"):
            ways.append((city.app.test_client(), {"Authorization": f"Bearer {city.tokens[role]}"}))
        for client, headers in ways:
            response = client.open(url, method=method, json=body, headers=headers)
            secure_headers(response, url)
            if response.status_code != want:
                wrong.append(f"{role} {method} {url} {'token' if headers else 'cookie'}: "
                             f"{response.status_code}, expected {want}")  # fmt: skip
                continue
            if want == 302:
                target = urlsplit(response.headers["Location"])
                assert target.path == "/connexion" and parse_qs(target.query)["suivant"] == [url], url
            elif want in (401, 403) and url.startswith("/api/"):
                code = response.get_json()["error"]["code"]
                assert code == ("unauthenticated" if want == 401 else "forbidden"), url
            elif want == 403:
                assert "Accès refusé" in response.text and f"« {role} »" in response.text, url
    assert wrong == []


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("GET", "/nulle-part", 404), ("GET", "/api/nulle-part", 404), ("POST", "/carte", 405),
     ("DELETE", "/api/incidents", 405), ("GET", "/incidents/T:NOPE", 404), ("GET", "/api/incidents/T%3ANOPE", 404)],
)  # fmt: skip
def test_error_answers_carry_the_headers_too(
    sessions: dict[str, FlaskClient], method: str, url: str, status: int
) -> None:
    response = sessions["admin"].open(url, method=method)
    assert response.status_code == status
    secure_headers(response, url)
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] in ("not_found", "method_not_allowed")


# ---------------------------------------------------------------- ids that cannot be guessed

GUESSES = [  # (a URL on an object that exists, the same on one that does not, what it needs)
    ("/entites/person/{pseudonym}", "/entites/person/P-00000000", ENTITIES),
    ("/api/entities/person/{pseudonym}/timeline", "/api/entities/person/P-00000000/timeline", ENTITIES),
    ("/entites/plate/AB-123-CD", "/entites/plate/ZZ-999-ZZ", ENTITIES),
    ("/api/graph/neighbours?node=person:{pseudonym}", "/api/graph/neighbours?node=person:P-00000000", ENTITIES),
    ("/explorateur?q={pseudonym}", "/explorateur?q=P-00000000", ENTITIES),
    (f"/api/incidents/{T_A}/connections", "/api/incidents/T%3ANOPE/connections", ENTITIES),
    (f"/api/exports/csv?incident={T_A}", "/api/exports/csv?incident=T%3ANOPE", ENTITIES),
    ("/incidents/T:A", "/incidents/T:NOPE", ("read.incidents",)),
    (f"/api/incidents/{T_A}", "/api/incidents/T%3ANOPE", ("read.incidents",)),
]  # fmt: skip
REFUSED_GUESSES = [
    (role, real, made_up, needs)
    for real, made_up, needs in GUESSES
    for role in (None, *ROLES)
    if not may(role, needs)
]


@pytest.mark.parametrize(("role", "real", "made_up", "needs"), REFUSED_GUESSES)
def test_a_guessed_id_answers_as_a_made_up_one(
    city: City, sessions: dict[str, FlaskClient], role: str | None, real: str, made_up: str,
    needs: tuple[str, ...],
) -> None:  # fmt: skip
    """A role that may not see an object gets the same answer whether or not it exists."""
    real = real.format(pseudonym=city.pseudonym)
    client = sessions[role] if role else city.app.test_client()
    answers = [client.get(url) for url in (real, made_up)]
    want = expected(role, real, needs, 200)
    assert [a.status_code for a in answers] == [want, want]
    if want == 302:
        assert [parse_qs(urlsplit(a.headers["Location"]).query)["suivant"] for a in answers] == [
            [real],
            [made_up],
        ]
    else:
        assert answers[0].get_data() == answers[1].get_data()
        assert city.pseudonym not in answers[0].text and "BENALI" not in answers[0].text


def test_the_guesses_exist_for_those_who_may_see_them(city: City, sessions: dict[str, FlaskClient]) -> None:
    """The made-up ids are unknown and the real ones known, so the test above compares what it says."""
    for real, made_up, _ in GUESSES:
        answers = [sessions["admin"].get(url.format(pseudonym=city.pseudonym)) for url in (real, made_up)]
        assert answers[0].status_code == 200, real
        assert answers[1].status_code in (200, 404) and answers[1].get_data() != answers[0].get_data(), (
            made_up
        )


# ---------------------------------------------------------------- logins, sessions and logouts


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def small(tmp_path: Path, clock: Clock) -> Flask:
    """An app without graph, its sessions configured shorter than the defaults: 5 idle minutes, 1 hour."""
    app = create_app({"TESTING": True, "RECOUPE_HOME": str(tmp_path / "home"), "RECOUPE_COOKIE_SECURE": 1,
                      "RECOUPE_SESSION_IDLE_MINUTES": 5, "RECOUPE_SESSION_MAX_HOURS": 1})  # fmt: skip
    app.test_client_class = HttpsClient
    store = accounts(app)
    store.clock = clock
    store.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    store.add_user("cible", PASSWORD, "viewer")
    store.add_user("autre", PASSWORD, "analyst")
    return app


def live_sessions(app: Flask) -> int:
    with accounts(app)._db() as conn:
        return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])


def test_logins_are_logged_and_rate_limited(
    small: Flask, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="recoupe.web.auth")
    client = small.test_client()
    assert (
        client.post("/connexion", data={"username": "cible", "password": PASSWORD}).status_code == 403
    )  # no token
    for _ in range(5):
        assert login(client, "cible", "wrong password!", ip="198.51.100.7").status_code == 401
    assert login(client, "cible", ip="198.51.100.7").status_code == 401  # locked: the right password too
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert refused == ["login refused for 'cible' from 198.51.100.7"] * 6
    assert all(
        "wrong password" not in r.getMessage() and PASSWORD not in r.getMessage() for r in caplog.records
    )
    clock.advance(minutes=15)
    caplog.clear()
    assert login(client, "cible", ip="198.51.100.7").status_code == 302
    assert [r.getMessage() for r in caplog.records] == ["login of cible (viewer) from 198.51.100.7"]
    for n in range(20):  # one address trying many names is stopped too, whoever it tries next
        assert (
            login(small.test_client(), f"nobody{n}", "wrong password!", ip="203.0.113.9").status_code == 401
        )
    assert login(small.test_client(), "autre", ip="203.0.113.9").status_code == 401
    assert login(small.test_client(), "autre", ip="203.0.113.10").status_code == 302


def test_sessions_end_after_the_configured_idle_time(small: Flask, clock: Clock) -> None:
    client = small.test_client()
    assert login(client, "cible").status_code == 302
    for _ in range(3):
        clock.advance(minutes=4, seconds=59)
        assert client.get("/api/me").status_code == 200
    clock.advance(minutes=5)
    assert client.get("/api/me").status_code == 401
    assert client.get("/carte").headers["Location"] == "/connexion?suivant=/carte"
    assert live_sessions(small) == 0  # deleted on the server, not merely refused


def test_sessions_end_after_the_configured_lifetime_however_active(small: Flask, clock: Clock) -> None:
    client = small.test_client()
    assert login(client, "cible").status_code == 302
    for _ in range(14):
        clock.advance(minutes=4)
        assert client.get("/api/me").status_code == 200
    clock.advance(minutes=4)  # 60 minutes after the login
    assert client.get("/api/me").status_code == 401 and live_sessions(small) == 0


def test_logout_ends_the_session_on_the_server(small: Flask) -> None:
    assert small.test_client().post("/deconnexion").headers["Location"] == "/connexion"  # anonymous: nothing
    client = small.test_client()
    assert login(client, "cible").status_code == 302
    cookie, csrf = client.get_cookie(SESSION), client.get("/api/me").get_json()["csrf_token"]
    assert cookie is not None and live_sessions(small) == 1
    assert client.post("/deconnexion").status_code == 403  # without the CSRF token
    out = client.post("/deconnexion", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 302 and out.headers["Location"] == "/connexion"
    assert live_sessions(small) == 0 and client.get_cookie(SESSION) is None
    replay = small.test_client()
    replay.set_cookie(SESSION, cookie.value)
    assert replay.get("/api/me").status_code == 401
