"""The web side of access control: the login pages, server-side sessions in cookies, CSRF on every
cookie-authenticated write, bearer tokens, and `require(permission)` on every page and endpoint. Roles, the
permission table and the account records are in accounts.py, the account store in account_store.py."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote

from flask import Blueprint, Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from recoupe.ontology.errors import InvalidInput, RecoupeError
from recoupe.web.account_store import (  # re-exported: the web side's callers import them from here
    TOKEN_PREFIX as TOKEN_PREFIX,
)
from recoupe.web.account_store import (
    AccountStore as AccountStore,
)
from recoupe.web.account_store import (
    utc_now as utc_now,
)
from recoupe.web.accounts import (
    MIN_PASSWORD as MIN_PASSWORD,
)
from recoupe.web.accounts import (
    PERMISSIONS as PERMISSIONS,
)
from recoupe.web.accounts import (
    PERMISSIONS_BY_ROLE as PERMISSIONS_BY_ROLE,
)
from recoupe.web.accounts import (
    ROLES as ROLES,
)
from recoupe.web.accounts import (
    LoginRefused as LoginRefused,
)
from recoupe.web.accounts import (
    Session as Session,
)
from recoupe.web.accounts import (
    Token as Token,
)
from recoupe.web.accounts import (
    Unauthenticated as Unauthenticated,
)
from recoupe.web.accounts import (
    User as User,
)
from recoupe.web.accounts import (
    allowed as allowed,
)
from recoupe.web.accounts import (
    check_password as check_password,
)
from recoupe.web.accounts import (
    check_username as check_username,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXTENSION = "recoupe.accounts"
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
log = logging.getLogger(__name__)


class Forbidden(RecoupeError):
    """Logged in, but the role does not allow it (403)."""

    code = "forbidden"


class CsrfRefused(Forbidden):
    """A request made with a session cookie lacks the session's CSRF token (403)."""

    code = "csrf"


# ---------------------------------------------------------------------------- the web side


@dataclass(frozen=True)
class Identity:
    """Who makes the request, and how: a session cookie (with its CSRF token) or a bearer token."""

    user: User
    session_id: str | None = None
    csrf_token: str | None = None


bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Attach the account store (opened on first use) and the login pages to `app`."""
    config = app.config
    for name, ok in (
        ("RECOUPE_SESSION_IDLE_MINUTES", config["RECOUPE_SESSION_IDLE_MINUTES"] > 0),
        ("RECOUPE_SESSION_MAX_HOURS", config["RECOUPE_SESSION_MAX_HOURS"] > 0),
        ("RECOUPE_COOKIE_SECURE", config["RECOUPE_COOKIE_SECURE"] in (0, 1)),
    ):
        if not ok:
            raise InvalidInput(
                f"{name} = {config[name]!r} is out of range",
                f"set {name} to {'0 or 1' if name == 'RECOUPE_COOKIE_SECURE' else 'a positive number'}",
                {name: "out of range"},
            )
    app.extensions[EXTENSION] = AccountStore(
        Path(app.config["RECOUPE_HOME"]) / "accounts.db",
        idle=timedelta(minutes=config["RECOUPE_SESSION_IDLE_MINUTES"]),
        max_age=timedelta(hours=config["RECOUPE_SESSION_MAX_HOURS"]),
    )
    app.register_blueprint(bp)


def accounts(app: Flask | None = None) -> AccountStore:
    """The app's account store."""
    store: AccountStore = (app or current_app).extensions[EXTENSION]
    return store


def cookie_name(base: str = "recoupe_session") -> str:
    """`__Host-` when cookies are Secure: the browser then refuses one set by a subdomain or another path."""
    return f"__Host-{base}" if current_app.config["RECOUPE_COOKIE_SECURE"] else base


def _set_cookie(response: Response, base: str, value: str) -> None:
    response.set_cookie(cookie_name(base), value, path="/", httponly=True, samesite="Strict",
                        secure=bool(current_app.config["RECOUPE_COOKIE_SECURE"]))  # fmt: skip


def current_identity() -> Identity | None:
    """The request's identity, resolved once: a bearer token on `/api/`, else the session cookie."""
    if "recoupe_identity" not in g:
        g.recoupe_identity = _resolve_identity()
    identity: Identity | None = g.recoupe_identity
    return identity


def _resolve_identity() -> Identity | None:
    store = accounts()
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if request.path.startswith("/api/") and scheme.lower() == "bearer":
        user = store.token_user(secret.strip())
        return Identity(user) if user else None  # a bad token is a failure, not a fall back to the cookie
    session_id = request.cookies.get(cookie_name())
    session = store.session(session_id) if session_id else None
    return Identity(session.user, session_id, session.csrf_token) if session else None


def _is_api() -> bool:
    return request.path.startswith("/api/")


def require(permission: str | None = None) -> Callable[[F], F]:
    """Protect a view: a login (and `permission`, when given) is needed; 401/403 in the API error shape under
    `/api/`, elsewhere a redirect to the login page or a 403 page."""
    if permission is not None and permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; known: {', '.join(sorted(PERMISSIONS))}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            identity = current_identity()
            if identity is None:
                if _is_api():
                    raise Unauthenticated(
                        "Connexion requise.",
                        "connectez-vous sur /connexion, ou envoyez « Authorization: Bearer <jeton> »",
                    )
                query = request.query_string.decode("latin-1")
                # the path as the browser sent it (percent-encoded): a decoded space would fail safe_next
                here = quote(request.path, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
                return redirect(url_for("auth.login_page", suivant=here))
            if permission is not None and not allowed(identity.user.role, permission):
                raise Forbidden(
                    f"Accès refusé : le rôle « {identity.user.role} » n'a pas la permission {permission}.",
                    "demandez à un administrateur le rôle qu'il vous faut",
                )
            return view(*args, **kwargs)

        return cast(F, guarded)

    return decorate


@bp.before_app_request
def check_csrf() -> None:
    """Every unsafe request made with a session cookie carries the session's CSRF token (form or header)."""
    if request.method in SAFE_METHODS or request.endpoint == "auth.login_submit":
        return
    identity = current_identity()
    if identity is None or identity.csrf_token is None:
        return  # no session: nothing to forge; a bearer token is not sent by browsers on their own
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    if not hmac.compare_digest(sent.encode(), identity.csrf_token.encode()):
        raise CsrfRefused(
            "Jeton CSRF manquant ou invalide : requête refusée.",
            "rechargez la page et recommencez (champ csrf_token ou en-tête X-CSRF-Token)",
        )


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never another site (`//host`, `/\\host`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x21 or ord(c) == 0x7F or c == "\\" for c in target):
        return "/"  # browsers drop tabs and newlines and read \ as /: "/\t/evil" would become "//evil"
    return target


def _login_token(nonce: str) -> str:
    """The login form's CSRF token: an HMAC of the pre-login cookie, so anonymous visitors cost no row."""
    return hmac.new(accounts().secret_key("login_csrf"), nonce.encode(), hashlib.sha256).hexdigest()


def _login_form(status: int = 200, error: str = "", username: str = "", suivant: str = "") -> Response:
    nonce = request.cookies.get(cookie_name("recoupe_login")) or secrets.token_urlsafe(32)
    page = render_template("login.html", csrf_token=_login_token(nonce), error=error, username=username,
                           suivant=safe_next(suivant))  # fmt: skip
    response = current_app.make_response((page, status))
    _set_cookie(response, "recoupe_login", nonce)
    return response


@bp.get("/connexion")
def login_page() -> ResponseReturnValue:
    return _login_form(suivant=request.args.get("suivant", ""))


@bp.post("/connexion")
def login_submit() -> ResponseReturnValue:
    form = request.form
    nonce, sent = request.cookies.get(cookie_name("recoupe_login"), ""), form.get("csrf_token", "")
    username, suivant = form.get("username", "")[:200], form.get("suivant", "")
    if not nonce or not hmac.compare_digest(sent.encode(), _login_token(nonce).encode()):
        error = "La page de connexion a expiré (jeton CSRF manquant ou invalide) : recommencez."
        return _login_form(403, error, username, suivant)
    store, client = accounts(), request.remote_addr or "?"
    try:
        user = store.authenticate(username, form.get("password", ""), client)
    except LoginRefused as refused:
        log.warning("login refused for %r from %s", username, client)  # never the password
        _audit().record("login.failed", [f"user:{username[:64]}"], actor="anonymous")
        return _login_form(401, refused.message, username, suivant)
    log.info("login of %s (%s) from %s", user.username, user.role, client)
    _audit().record("login.ok", [f"user:{user.username}"], actor=user.username, role=user.role)
    session_id, _ = store.open_session(user.username, replaces=request.cookies.get(cookie_name()))
    target = safe_next(suivant)
    if target == "/" and not allowed(user.role, "read.incidents") and allowed(user.role, "audit.read"):
        target = url_for("journal_page.page")  # an auditor reads the journal, not the incidents
    response = redirect(target)
    _set_cookie(response, "recoupe_session", session_id)
    response.delete_cookie(cookie_name("recoupe_login"), path="/", httponly=True, samesite="Strict",
                           secure=bool(current_app.config["RECOUPE_COOKIE_SECURE"]))  # fmt: skip
    return response


@bp.post("/deconnexion")
def logout() -> ResponseReturnValue:
    """End the session on the server (CSRF checked by `check_csrf`) and forget the cookie."""
    identity = current_identity()
    if identity is not None and identity.session_id is not None:
        _audit().record("logout", [f"user:{identity.user.username}"])
        accounts().end_session(identity.session_id)
    response = redirect(url_for("auth.login_page"))
    response.delete_cookie(cookie_name(), path="/", httponly=True, samesite="Strict",
                           secure=bool(current_app.config["RECOUPE_COOKIE_SECURE"]))  # fmt: skip
    return response


def _audit() -> Any:
    from recoupe.web import audit  # (audit imports this module)

    return audit


@bp.get("/api/me")
@require()
def me() -> ResponseReturnValue:
    """Who is logged in, with what role and permissions (and, for a browser session, its CSRF token)."""
    identity = current_identity()
    assert identity is not None  # require() saw to it
    user = identity.user
    body: dict[str, Any] = {"username": user.username, "name": user.name, "role": user.role,
                            "permissions": user.permissions}  # fmt: skip
    if identity.csrf_token is not None:
        body["csrf_token"] = identity.csrf_token
    return jsonify(body)
