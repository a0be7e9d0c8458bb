"""Logins, roles, sessions, CSRF and API tokens, through the real app, a real SQLite file and real argon2."""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Blueprint, Flask, jsonify
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from recoupe.ontology.errors import DataDirError, InvalidInput
from recoupe.web import create_app
from recoupe.web.auth import PERMISSIONS, ROLES, AccountStore, accounts, allowed, require, safe_next

BASE = "https://localhost"
SESSION = "__Host-recoupe_session"
PASSWORD = "correct horse battery staple"
REFUSED = "Identifiant ou mot de passe incorrect, ou compte temporairement bloqué après trop d&#39;essais."
# The permission table, written out again on purpose: changing auth.PERMISSIONS_BY_ROLE must change this too.
MATRIX = {
    "read.incidents": {"viewer", "analyst", "investigator", "admin"},
    "forecasts": {"viewer", "analyst", "investigator", "admin"},
    "read.entities": {"analyst", "investigator", "admin"},
    "explorer": {"analyst", "investigator", "admin"},
    "console": {"analyst", "admin"},
    "ingest.reports": {"investigator", "admin"},
    "users.manage": {"admin"},
    "audit.read": {"auditor"},
    "identity.reveal": {"investigator"},
}


class HttpsClient(FlaskClient):
    """The test client over https://localhost, so that Secure cookies are real."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", BASE)
        return super().open(*args, **kwargs)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def probes() -> Blueprint:
    """Test-only views: one JSON view per permission, a page, and two write endpoints."""
    bp = Blueprint("probe", __name__)
    for permission in sorted(PERMISSIONS):

        def view(permission: str = permission) -> Any:
            return jsonify({"ok": permission})

        bp.add_url_rule(f"/api/probe/{permission}", permission.replace(".", "_"), require(permission)(view))
    bp.add_url_rule("/page", "page", require("read.incidents")(lambda: "page vue"))
    bp.add_url_rule(
        "/api/probe/write", "write", require()(lambda: jsonify({"written": True})), methods=["POST"]
    )
    bp.add_url_rule("/formulaire", "form", require()(lambda: "reçu"), methods=["POST"])
    return bp


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Flask:
    app = create_app({"TESTING": True, "RECOUPE_HOME": str(tmp_path / "home"), "RECOUPE_COOKIE_SECURE": 1,
                      "RECOUPE_SESSION_IDLE_MINUTES": 30, "RECOUPE_SESSION_MAX_HOURS": 12})  # fmt: skip
    app.register_blueprint(probes())
    app.test_client_class = HttpsClient
    store = accounts(app)
    store.clock = clock
    # Real argon2id, with small costs so that a hundred logins take seconds (the defaults: see test_hashes).
    store.hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    return app


@pytest.fixture
def store(app: Flask) -> AccountStore:
    return accounts(app)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


def login(client: FlaskClient, username: str, password: str = PASSWORD, suivant: str = "",
          ip: str = "192.0.2.1") -> TestResponse:  # fmt: skip
    page = client.get("/connexion")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token[1], "username": username, "password": password, "suivant": suivant}
    return client.post("/connexion", data=form, environ_overrides={"REMOTE_ADDR": ip})


def session_id(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(SESSION)
    return cookie.value if cookie else None


def me(client: FlaskClient, **kwargs: Any) -> TestResponse:
    return client.get("/api/me", **kwargs)


def test_login_page_is_french_and_has_no_inline_code(client: FlaskClient) -> None:
    page = client.get("/connexion")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    for label in ("Identifiant", "Mot de passe", "Se connecter"):
        assert label in page.text
    assert "<script" not in page.text and "<style" not in page.text and "style=" not in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"


def test_login_sets_a_hardened_cookie_and_me_answers(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("Alice", PASSWORD, "analyst", "Alice Martin")
    assert me(client).status_code == 401
    response = login(client, "ALICE")  # usernames are case-insensitive
    assert response.status_code == 302 and response.headers["Location"] == "/"
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(SESSION + "=")]
    assert {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"} <= {p.strip() for p in cookie.split(";")}
    body = me(client).get_json()
    assert body["username"] == "alice" and body["name"] == "Alice Martin" and body["role"] == "analyst"
    assert body["permissions"] == ["console", "explorer", "forecasts", "read.entities", "read.incidents"]
    assert len(body["csrf_token"]) >= 40


def test_bearer_token(client: FlaskClient, store: AccountStore, clock: Clock) -> None:
    store.add_user("bot", PASSWORD, "investigator")
    record, secret = store.create_token("bot", "import nocturne")
    auth = {"Authorization": f"Bearer {secret}"}
    body = me(client, headers=auth).get_json()
    assert body == {"username": "bot", "name": "bot", "role": "investigator",
                    "permissions": ["explorer", "forecasts", "identity.reveal", "ingest.reports", "read.entities",
                                    "read.incidents"]}  # fmt: skip
    assert client.post("/api/probe/write", headers=auth).status_code == 200  # no CSRF token for a bearer
    assert store.tokens("bot")[0].last_used_at == "2025-03-14T12:00:00+00:00"
    assert me(client, headers={"Authorization": f"Bearer {secret}x"}).status_code == 401
    assert client.get("/page", headers=auth).status_code == 302  # pages want a session, not a token
    store.revoke_token(record.id)
    refused = me(client, headers=auth)
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthenticated"


def test_secrets_are_stored_as_hashes_only(app: Flask, store: AccountStore, tmp_path: Path) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    _, secret = store.create_token("alice", "écran")
    with app.test_client() as c:
        login(c, "alice")
        cookie = session_id(c)
        assert cookie and me(c).status_code == 200
    stored = b"".join(p.read_bytes() for p in (tmp_path / "home").glob("accounts.db*"))
    assert secret.encode() not in stored and hashlib.sha256(secret.encode()).hexdigest().encode() in stored
    assert cookie.encode() not in stored and hashlib.sha256(cookie.encode()).hexdigest().encode() in stored
    assert PASSWORD.encode() not in stored and b"$argon2id$" in stored


def test_file_modes(store: AccountStore, tmp_path: Path) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    home = tmp_path / "home"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "accounts.db").stat().st_mode) == 0o600
    (home / "accounts.db").chmod(0o644)
    with pytest.raises(DataDirError, match="readable by other users") as err:
        AccountStore(home / "accounts.db").users()
    assert err.value.hint == f"run `chmod 600 {home / 'accounts.db'}`"


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: FlaskClient, store: AccountStore
) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    wrong, unknown = login(client, "alice", "not the password"), login(client, "mallory", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert REFUSED in wrong.text and REFUSED in unknown.text
    assert wrong.text.replace("alice", "mallory") == unknown.text
    assert session_id(client) is None


def test_lockout_after_five_failures_and_not_before(
    client: FlaskClient, store: AccountStore, clock: Clock
) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    for _ in range(4):
        assert login(client, "alice", "wrong password!").status_code == 401
    assert login(client, "alice").status_code == 302  # the fifth try succeeds and resets the counter
    for _ in range(4):
        login(client, "alice", "wrong password!")
    assert login(client, "alice").status_code == 302
    for _ in range(5):
        login(client, "alice", "wrong password!")
    locked = login(client, "alice")
    assert locked.status_code == 401 and REFUSED in locked.text  # says nothing more than a wrong password
    clock.advance(minutes=14, seconds=59)
    assert login(client, "alice").status_code == 401
    clock.advance(seconds=1)
    assert login(client, "alice").status_code == 302


def test_failures_per_client_address(client: FlaskClient, store: AccountStore, clock: Clock) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    for n in range(20):
        login(client, f"guess{n}", "wrong password!", ip="198.51.100.7")
    assert login(client, "alice", ip="198.51.100.7").status_code == 401
    assert login(client, "alice", ip="198.51.100.8").status_code == 302
    clock.advance(minutes=15)
    assert login(client, "alice", ip="198.51.100.7").status_code == 302


def test_failures_per_client_are_counted_by_every_worker(
    app: Flask, client: FlaskClient, store: AccountStore, clock: Clock
) -> None:
    """`recoupe serve` runs several worker processes: each is an app of its own on the same accounts file, and
    a client's failures on one count on the others (and after a restart)."""
    store.add_user("alice", PASSWORD, "viewer")
    other = create_app(
        {"TESTING": True, "RECOUPE_HOME": app.config["RECOUPE_HOME"], "RECOUPE_COOKIE_SECURE": 1}
    )
    other.test_client_class = HttpsClient
    accounts(other).clock = clock
    for n in range(10):
        login(client, f"guess{n}", "wrong password!", ip="198.51.100.7")
    with other.test_client() as elsewhere:
        for n in range(10):
            login(elsewhere, f"guess{n}", "wrong password!", ip="198.51.100.7")
        assert login(elsewhere, "alice", ip="198.51.100.7").status_code == 401
    assert login(client, "alice", ip="198.51.100.7").status_code == 401
    assert login(client, "alice", ip="198.51.100.8").status_code == 302


def test_disabled_user(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    _, secret = store.create_token("alice", "script")
    login(client, "alice")
    old = session_id(client)
    assert old and me(client).status_code == 200
    store.set_disabled("alice", True)
    assert me(client).status_code == 401  # the open session ended
    assert me(client, headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    refused = login(client, "alice")
    assert refused.status_code == 401 and REFUSED in refused.text
    store.set_disabled("alice", False)
    client.set_cookie(SESSION, old)
    assert me(client).status_code == 401  # ended for good, not suspended
    assert me(client, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert login(client, "alice").status_code == 302 and me(client).status_code == 200


def test_a_new_password_ends_the_sessions(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    login(client, "alice")
    store.set_password("alice", "another long passphrase")
    assert me(client).status_code == 401
    assert login(client, "alice").status_code == 401
    assert login(client, "alice", "another long passphrase").status_code == 302


def test_csrf(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    login(client, "alice")
    csrf = me(client).get_json()["csrf_token"]
    missing = client.post("/api/probe/write")
    error = missing.get_json()["error"]
    assert missing.status_code == 403 and error["code"] == "csrf" and "CSRF" in error["message"]
    assert client.post("/api/probe/write", headers={"X-CSRF-Token": csrf + "x"}).status_code == 403
    assert client.post("/api/probe/write", headers={"X-CSRF-Token": csrf}).get_json() == {"written": True}
    page = client.post("/formulaire")
    assert page.status_code == 403 and "Jeton CSRF manquant ou invalide" in page.text
    assert client.post("/formulaire", data={"csrf_token": csrf}).text == "reçu"


def test_login_form_needs_its_token(app: Flask, client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text)
    assert token is not None
    form = {"username": "alice", "password": PASSWORD}
    forged = client.post("/connexion", data={**form, "csrf_token": "x" * 64})
    assert forged.status_code == 403 and "jeton CSRF manquant ou invalide" in forged.text
    assert session_id(client) is None
    with app.test_client() as other:  # the token is tied to the browser's pre-login cookie
        other.get("/connexion")
        assert other.post("/connexion", data={**form, "csrf_token": token[1]}).status_code == 403
    assert client.post("/connexion", data={**form, "csrf_token": token[1]}).status_code == 302


def test_logout_ends_the_session_on_the_server(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    login(client, "alice")
    old, csrf = session_id(client), me(client).get_json()["csrf_token"]
    assert old is not None
    assert client.post("/deconnexion").status_code == 403  # without its token: refused
    out = client.post("/deconnexion", data={"csrf_token": csrf})
    assert out.status_code == 302 and out.headers["Location"] == "/connexion"
    assert session_id(client) is None
    client.set_cookie(SESSION, old)  # the old cookie, replayed
    assert me(client).status_code == 401


def test_a_login_replaces_the_session_id(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    store.add_user("bob", PASSWORD, "analyst")
    login(client, "alice")
    first = session_id(client)
    login(client, "bob")
    second = session_id(client)
    assert first and second and first != second and me(client).get_json()["username"] == "bob"
    client.set_cookie(SESSION, first)
    assert me(client).status_code == 401


def test_idle_expiry(client: FlaskClient, store: AccountStore, clock: Clock) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    login(client, "alice")
    for _ in range(3):  # each request restarts the idle time
        clock.advance(minutes=29, seconds=59)
        assert me(client).status_code == 200
    clock.advance(minutes=30)
    assert me(client).status_code == 401
    clock.advance(seconds=-1)  # a deleted session does not come back
    assert me(client).status_code == 401


def test_activity_is_written_once_a_minute(client: FlaskClient, store: AccountStore, clock: Clock) -> None:
    """Requests read the accounts file; only those a minute apart write the session's last activity and the
    token's last use, so a busy screen does not queue every request behind a write."""
    import sqlite3

    def recorded() -> tuple[str, str | None]:
        with sqlite3.connect(store.path) as conn:
            seen = conn.execute("SELECT last_seen_at FROM sessions").fetchone()[0]
            used = conn.execute("SELECT last_used_at FROM tokens").fetchone()[0]
        return seen, used

    store.add_user("alice", PASSWORD, "viewer")
    _, secret = store.create_token("alice", "écran")
    login(client, "alice")
    at_login = recorded()[0]
    assert at_login == "2025-03-14T12:00:00+00:00"
    assert me(client, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    clock.advance(seconds=59)
    assert me(client).status_code == 200
    assert me(client, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert recorded() == (at_login, "2025-03-14T12:00:00+00:00")  # under a minute: nothing written
    clock.advance(seconds=1)
    assert me(client).status_code == 200
    assert me(client, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert recorded() == ("2025-03-14T12:01:00+00:00", "2025-03-14T12:01:00+00:00")
    clock.advance(minutes=29, seconds=59)  # idle time runs from the last activity written
    assert me(client).status_code == 200
    clock.advance(minutes=30)
    assert me(client).status_code == 401


def test_a_restored_accounts_file_is_read_at_once(
    client: FlaskClient, store: AccountStore, tmp_path: Path
) -> None:
    """Each thread keeps its reading connection open while the file is the same; a file put in its place (a
    backup restored) is the one read by the next request."""
    import shutil
    import sqlite3

    store.add_user("alice", PASSWORD, "viewer")
    backup = tmp_path / "accounts-before-login.db"
    with sqlite3.connect(store.path) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)
    login(client, "alice")
    assert me(client).status_code == 200
    with sqlite3.connect(store.path) as live:  # its write-ahead log emptied into it, as before a restore
        live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(backup, store.path.with_suffix(".new"))
    store.path.with_suffix(".new").replace(store.path)  # a new file (a new inode) without the session
    assert me(client).status_code == 401


def test_absolute_expiry(client: FlaskClient, store: AccountStore, clock: Clock) -> None:
    store.add_user("alice", PASSWORD, "viewer")
    login(client, "alice")
    for _ in range(12 * 3 - 1):
        clock.advance(minutes=20)
        assert me(client).status_code == 200
    clock.advance(minutes=20)  # 12 hours after the login, however active
    assert me(client).status_code == 401


@pytest.mark.parametrize(
    ("suivant", "location"),
    [
        ("/page?x=1&y=é", "/page?x=1&y=é"),
        ("//evil.example", "/"),
        ("//evil.example/page", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_next_page_is_local_only(
    client: FlaskClient, store: AccountStore, suivant: str, location: str
) -> None:
    assert safe_next(suivant) == location
    store.add_user("alice", PASSWORD, "viewer")
    response = login(client, "alice", suivant=suivant)
    assert response.status_code == 302 and response.headers["Location"] == location.replace("é", "%C3%A9")


def test_pages_redirect_to_the_login_and_come_back(client: FlaskClient, store: AccountStore) -> None:
    response = client.get("/page?quartier=Belsunce")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion?suivant=/page?quartier%3DBelsunce"
    page = client.get(response.headers["Location"])
    assert 'name="suivant" value="/page?quartier=Belsunce"' in page.text
    store.add_user("alice", PASSWORD, "viewer")
    back = login(client, "alice", suivant="/page?quartier=Belsunce")
    assert back.headers["Location"] == "/page?quartier=Belsunce"
    assert client.get("/page").text == "page vue"


def test_role_matrix(app: Flask, store: AccountStore) -> None:
    assert set(MATRIX) == PERMISSIONS
    assert ROLES == ("viewer", "analyst", "investigator", "admin", "auditor")
    with app.test_client() as anonymous:
        answer = anonymous.get("/api/probe/console")
        assert answer.status_code == 401 and answer.get_json()["error"]["message"] == "Connexion requise."
    for role in ROLES:
        store.add_user(f"user-{role}", PASSWORD, role)
        with app.test_client() as c:
            login(c, f"user-{role}")
            for permission, roles in MATRIX.items():
                expected = 200 if role in roles else 403
                assert allowed(role, permission) is (role in roles)
                answer = c.get(f"/api/probe/{permission}")
                assert answer.status_code == expected, (role, permission)
                if expected == 403:
                    assert answer.get_json()["error"]["code"] == "forbidden"
            page = c.get("/page")
            assert page.status_code == (200 if role != "auditor" else 403)
    assert "Accès refusé" in page.text and 'lang="fr"' in page.text  # the auditor's 403 page
    assert not allowed("nobody", "read.incidents")
    with pytest.raises(ValueError, match=r"unknown permission 'read\.everything'"):
        require("read.everything")


def test_password_rules(store: AccountStore) -> None:
    with pytest.raises(InvalidInput, match="shorter than 12 characters") as err:
        store.add_user("alice", "elevenchars", "viewer")
    assert err.value.fields == {"password": "shorter than 12 characters"} and "at least 12" in err.value.hint
    with pytest.raises(InvalidInput, match="the same as the username"):
        store.add_user("alice.martin", "Alice.Martin", "viewer")
    with pytest.raises(InvalidInput, match="Unknown role 'boss'"):
        store.add_user("alice", PASSWORD, "boss")
    with pytest.raises(InvalidInput, match="Invalid username"):
        store.add_user("alice martin", PASSWORD, "viewer")
    store.add_user("alice", "twelve chars", "viewer")
    with pytest.raises(InvalidInput, match="already exists"):
        store.add_user("ALICE", PASSWORD, "viewer")


def test_hashes_are_argon2id_and_upgraded_at_login(client: FlaskClient, store: AccountStore) -> None:
    store.add_user("alice", PASSWORD, "viewer")  # with the fixture's small costs
    store.hasher = PasswordHasher()  # the product's: argon2-cffi's defaults (RFC 9106 low-memory profile)
    assert login(client, "alice").status_code == 302
    with store._db() as conn:
        stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert AccountStore(store.path).hasher.check_needs_rehash(stored) is False


def test_health_stays_public(client: FlaskClient) -> None:
    assert client.get("/api/health").status_code == 200
