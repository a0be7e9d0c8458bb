"""`recoupe users …`: the web viewer's accounts and API tokens (in RECOUPE_HOME/accounts.db)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from recoupe.web import audit
from recoupe.web.auth import ROLES, Token, User, accounts, check_password
from recoupe.web.cli import cli, emit, json_option

ROLE_HELP = f"One of: {', '.join(ROLES)}."


@cli.group("users")
def users() -> None:
    """Manage the web viewer's accounts and API tokens."""


def _password(username: str, from_stdin: bool) -> str:
    """The new password: stdin's first line, or typed twice without echo; checked before it is hashed."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"Password for {username}", hide_input=True, confirmation_prompt=True, err=True
        )
    check_password(password, username)
    return password


def _user_line(user: User) -> str:
    locked = user.locked_until and datetime.fromisoformat(user.locked_until) > datetime.now(UTC)
    state = "  (disabled)" if user.disabled else f"  (locked until {user.locked_until})" if locked else ""
    return f"{user.username:<20} {user.role:<13} {user.created_at}  {user.name}{state}"


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option("--name", default="", help="Display name (default: the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
@json_option
def add(username: str, role: str, name: str, password_stdin: bool, as_json: bool) -> None:
    """Create the account USERNAME with a ROLE; asks for its password twice (at least 12 characters)."""
    store = accounts()
    username = store.check_new_user(username, role)  # before asking for a password
    user = store.add_user(username, _password(username, password_stdin), role, name)
    audit.record("users.add", [f"user:{user.username}", f"role:{user.role}"])
    emit(as_json, {"user": user.as_dict()}, f"Added {user.username} ({user.role}).")


@users.command("list")
@json_option
def list_users(as_json: bool) -> None:
    """List the accounts (never their password hashes)."""
    found = accounts().users()
    text = "\n".join(map(_user_line, found)) or "No accounts: add one with `recoupe users add`."
    emit(as_json, {"users": [u.as_dict() for u in found]}, text)


@users.command("disable")
@click.argument("username")
@json_option
def disable(username: str, as_json: bool) -> None:
    """Disable USERNAME: logins and tokens are refused and open sessions end at once."""
    user = accounts().set_disabled(username, True)
    audit.record("users.disable", [f"user:{user.username}"])
    emit(as_json, {"user": user.as_dict()}, f"Disabled {user.username}; their sessions have ended.")


@users.command("enable")
@click.argument("username")
@json_option
def enable(username: str, as_json: bool) -> None:
    """Enable USERNAME again (also lifts a lockout after failed logins)."""
    user = accounts().set_disabled(username, False)
    audit.record("users.enable", [f"user:{user.username}"])
    emit(as_json, {"user": user.as_dict()}, f"Enabled {user.username}.")


@users.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
@json_option
def password(username: str, password_stdin: bool, as_json: bool) -> None:
    """Set USERNAME's password; their open sessions end."""
    store = accounts()
    user = store.user(username)
    store.set_password(user.username, _password(user.username, password_stdin))
    audit.record("users.password", [f"user:{user.username}"])
    emit(
        as_json, {"user": user.as_dict()}, f"Password of {user.username} changed; their sessions have ended."
    )


@users.group("token")
def token() -> None:
    """API tokens: `Authorization: Bearer <token>` on /api/, acting with the user's role."""


def _token_line(t: Token) -> str:
    state = "revoked" if t.revoked else f"last used {t.last_used_at or 'never'}"
    return f"{t.id}  {t.username:<20} {t.name:<24} created {t.created_at}, {state}"


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for (a script, a screen).")
@json_option
def token_create(username: str, name: str, as_json: bool) -> None:
    """Create an API token for USERNAME and print it, once: it is stored only as a hash."""
    record, secret = accounts().create_token(username, name)
    audit.record("users.token.create", [f"user:{record.username}", f"token:{record.id}"])
    emit(
        as_json,
        {"token": secret, **record.as_dict()},
        f"{secret}\nToken {record.id} ({record.name}) for {record.username}: shown once, keep it now; "
        f"revoke it with `recoupe users token revoke {record.id}`.",
    )


@token.command("list")
@click.argument("username", required=False)
@json_option
def token_list(username: str | None, as_json: bool) -> None:
    """List the API tokens (of USERNAME, or everyone's); never the tokens themselves."""
    found = accounts().tokens(username=username)
    emit(
        as_json,
        {"tokens": [t.as_dict() for t in found]},
        "\n".join(_token_line(t) for t in found) if found else "No tokens.",
    )


@token.command("revoke")
@click.argument("token_id")
@json_option
def token_revoke(token_id: str, as_json: bool) -> None:
    """Revoke the token TOKEN_ID (as `token list` shows it): it stops working at once."""
    record = accounts().revoke_token(token_id)
    audit.record("users.token.revoke", [f"user:{record.username}", f"token:{record.id}"])
    emit(as_json, record.as_dict(), f"Revoked token {record.id} ({record.name}) of {record.username}.")
