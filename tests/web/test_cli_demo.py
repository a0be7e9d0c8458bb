"""`recoupe demo` ends on the viewer's door: a demo analyst account with a random password, kept private in the
data directory, the same on every run."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult, jvm_pids_for

Run = Callable[..., CliResult]


def test_demo_prints_a_private_login_that_stays(run_cli: Run, cli_env: dict[str, str]) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    try:
        first = run_cli("demo", "--logs", "0", env=cli_env)
        assert first.code == 0, first.stderr
        kept = home / "secrets" / "demo-login"
        username, password = kept.read_text(encoding="utf-8").split()
        assert username == "demo" and len(password) >= 12
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert f"login demo / {password}" in first.stdout and "http://127.0.0.1:5000" in first.stdout
        again = run_cli("demo", "--logs", "0", env=cli_env)
        assert again.code == 0 and f"login demo / {password}" in again.stdout
        users = json.loads(run_cli("users", "list", "--json", env=cli_env).stdout)
        assert [(u["username"], u["role"]) for u in users["users"]] == [("demo", "analyst")]
    finally:
        run_cli("db", "stop", env=cli_env)
    assert jvm_pids_for(home) == []
