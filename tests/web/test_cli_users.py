"""`recoupe users …` as an administrator runs it: accounts and tokens, one-line errors with a hint."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from recoupe.web import create_app
from recoupe.web.auth import accounts
from tests.conftest import RECOUPE, CliResult

Run = Callable[..., CliResult]
PASSWORD = "correct horse battery staple"


def run_with_input(stdin: str, *args: str, env: dict[str, str], cwd: Path) -> CliResult:
    """`recoupe` with text on its standard input (run_cli gives it none)."""
    done = subprocess.run(
        [str(RECOUPE), *args], input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def one_line_error(result: CliResult) -> str:
    assert result.code == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    return lines[0]


def test_add_list_disable_enable(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    added = run_with_input(
        PASSWORD + "\n", "users", "add", "Alice", "--role", "analyst", "--name", "Alice Martin",
        "--password-stdin", "--json", env=cli_env, cwd=tmp_path,
    )  # fmt: skip
    assert added.code == 0, added.stderr
    assert json.loads(added.stdout)["user"] == {
        "username": "alice", "name": "Alice Martin", "role": "analyst", "disabled": False, "locked_until": None,
        "created_at": json.loads(added.stdout)["user"]["created_at"],
    }  # fmt: skip
    home = Path(cli_env["RECOUPE_HOME"])
    assert stat.S_IMODE((home / "accounts.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700

    listed = run_cli("users", "list", "--json", env=cli_env)
    assert listed.code == 0 and [u["username"] for u in json.loads(listed.stdout)["users"]] == ["alice"]
    assert "argon2" not in listed.stdout and "hash" not in listed.stdout and PASSWORD not in listed.stdout

    assert run_cli("users", "disable", "alice", env=cli_env).stdout.strip() == (
        "Disabled alice; their sessions have ended."
    )
    text = run_cli("users", "list", env=cli_env).stdout
    assert text.startswith("alice ") and "Alice Martin  (disabled)" in text
    assert (
        json.loads(run_cli("users", "enable", "alice", "--json", env=cli_env).stdout)["user"]["disabled"]
        is False
    )

    app = create_app({"RECOUPE_HOME": str(home)})  # the web app sees the account the command made
    assert accounts(app).authenticate("alice", PASSWORD, "127.0.0.1").role == "analyst"


def test_short_password_is_refused(cli_env: dict[str, str], run_cli: Run, tmp_path: Path) -> None:
    refused = run_with_input(
        "too short\n",
        "users",
        "add",
        "bob",
        "--role",
        "viewer",
        "--password-stdin",
        env=cli_env,
        cwd=tmp_path,
    )
    assert one_line_error(refused) == (
        "Error: Password refused: shorter than 12 characters — choose at least 12 characters that are not "
        "the username: a passphrase of several words"
    )
    assert json.loads(run_cli("users", "list", "--json", env=cli_env).stdout) == {"users": []}
    same = run_with_input(
        "Bob.Dupont.13\n", "users", "add", "bob.dupont.13", "--role", "viewer", "--password-stdin",
        env=cli_env, cwd=tmp_path,
    )  # fmt: skip
    assert "the same as the username" in one_line_error(same)


def test_bad_role_duplicate_and_unknown_user(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    role = run_cli("users", "add", "bob", "--role", "boss", env=cli_env)  # refused before any prompt
    assert one_line_error(role) == (
        "Error: Unknown role 'boss' — use one of: viewer, analyst, investigator, admin, auditor"
    )
    args = ("users", "add", "bob", "--role", "viewer", "--password-stdin")
    assert run_with_input(PASSWORD, *args, env=cli_env, cwd=tmp_path).code == 0
    again = run_cli("users", "add", "BOB", "--role", "admin", env=cli_env)  # refused before any prompt too
    assert "The user 'bob' already exists" in one_line_error(again)
    assert one_line_error(run_cli("users", "disable", "nobody", env=cli_env)) == (
        "Error: No user 'nobody' — see `recoupe users list`"
    )


def test_password_command(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    add = ("users", "add", "carol", "--role", "admin", "--password-stdin")
    assert run_with_input(PASSWORD, *add, env=cli_env, cwd=tmp_path).code == 0
    changed = run_with_input(
        "a brand new passphrase\n",
        "users",
        "password",
        "carol",
        "--password-stdin",
        env=cli_env,
        cwd=tmp_path,
    )
    assert (
        changed.code == 0
        and changed.stdout.strip() == "Password of carol changed; their sessions have ended."
    )
    store = accounts(create_app({"RECOUPE_HOME": cli_env["RECOUPE_HOME"]}))
    assert store.authenticate("carol", "a brand new passphrase", "127.0.0.1").username == "carol"


def test_token_create_list_revoke(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    add = ("users", "add", "bot", "--role", "investigator", "--password-stdin")
    assert run_with_input(PASSWORD, *add, env=cli_env, cwd=tmp_path).code == 0
    created = run_cli("users", "token", "create", "bot", "--name", "import nocturne", "--json", env=cli_env)
    assert created.code == 0, created.stderr
    token = json.loads(created.stdout)
    assert token["token"].startswith("rcp_") and token["id"].startswith("t-") and token["username"] == "bot"
    text = run_cli("users", "token", "create", "bot", "--name", "écran", env=cli_env).stdout
    assert text.startswith("rcp_") and "shown once" in text

    listed = run_cli("users", "token", "list", "bot", "--json", env=cli_env).stdout
    assert [t["name"] for t in json.loads(listed)["tokens"]] == ["import nocturne", "écran"]
    assert token["token"] not in listed and "rcp_" not in listed

    app = create_app({"RECOUPE_HOME": cli_env["RECOUPE_HOME"], "TESTING": True})
    bearer = {"Authorization": f"Bearer {token['token']}"}
    with app.test_client() as client:
        assert client.get("/api/me", headers=bearer).get_json()["role"] == "investigator"
        revoked = run_cli("users", "token", "revoke", token["id"], env=cli_env)
        assert revoked.stdout.strip() == f"Revoked token {token['id']} (import nocturne) of bot."
        assert client.get("/api/me", headers=bearer).status_code == 401
    assert one_line_error(run_cli("users", "token", "revoke", "t-00000000", env=cli_env)) == (
        "Error: No token 't-00000000' — see `recoupe users token list`"
    )
    unnamed = run_cli("users", "token", "create", "bot", "--name", " ", env=cli_env)
    assert one_line_error(unnamed) == "Error: A token needs a name — say what it is for: --name NAME"
