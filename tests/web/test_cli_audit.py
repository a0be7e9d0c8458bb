"""`recoupe audit verify|show` as an auditor runs them, and the commands that change things writing their
entries: account changes, an ingestion and a link run (on the session's graph server), each by `cli:<os user>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from recoupe.graph.server import EmbeddedServer
from recoupe.web import audit
from tests.conftest import CliResult, wipe
from tests.web.test_cli_users import PASSWORD, run_with_input

Run = Callable[..., CliResult]
ME = f"cli:{audit.os_user()}"


def journal(cli_env: dict[str, str]) -> audit.Journal:
    return audit.Journal(Path(cli_env["RECOUPE_HOME"]))


def test_account_changes_are_journalled_and_verify_and_show_read_them(
    run_cli: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert run_with_input(PASSWORD + "\n", "users", "add", "alice", "--role", "analyst", "--password-stdin",
                          env=cli_env, cwd=tmp_path).code == 0  # fmt: skip
    created = json.loads(
        run_cli("users", "token", "create", "alice", "--name", "script", "--json", env=cli_env).stdout
    )
    for args in (("users", "disable", "alice"), ("users", "enable", "alice"),
                 ("users", "token", "revoke", created["id"])):  # fmt: skip
        assert run_cli(*args, env=cli_env).code == 0
    entries = list(journal(cli_env).entries())
    assert [(e["actor"], e["role"], e["action"], e["objects"], e["client"]) for e in entries] == [
        (ME, None, "users.add", ["user:alice", "role:analyst"], "local"),
        (ME, None, "users.token.create", ["user:alice", f"token:{created['id']}"], "local"),
        (ME, None, "users.disable", ["user:alice"], "local"),
        (ME, None, "users.enable", ["user:alice"], "local"),
        (ME, None, "users.token.revoke", ["user:alice", f"token:{created['id']}"], "local"),
    ]
    assert created["token"] not in journal(cli_env).path.read_text(encoding="utf-8")  # never the secret

    verified = run_cli("audit", "verify", env=cli_env)
    assert verified.code == 0 and verified.stdout == (
        f"Audit journal intact: 5 entries.\nhead: seq 5 sha256 {entries[-1]['hash']}\n"
    )
    shown = json.loads(run_cli("audit", "show", "--action", "users.token", "--object", "alice", "--json",
                               env=cli_env).stdout)  # fmt: skip
    assert shown["total"] == 2 and [e["action"] for e in shown["items"]] == [
        "users.token.revoke",
        "users.token.create",
    ]
    text = run_cli("audit", "show", "--actor", ME, "--limit", "2", env=cli_env).stdout.splitlines()
    assert text[0] == "6 entries (the latest 2 shown)"  # five changes and the reading above
    assert text[1].split()[0] == "6" and f"{ME}  audit.read  action=users.token · object=alice" in text[1]
    assert "users.token.revoke  user:alice" in text[2]
    today = entries[0]["at"][:10]
    assert (
        json.loads(run_cli("audit", "show", "--to", "2000-01-01", "--json", env=cli_env).stdout)["total"] == 0
    )
    assert json.loads(run_cli("audit", "show", "--from", today, "--to", today, "--json",
                              env=cli_env).stdout)["total"] == 8  # fmt: skip
    last = list(journal(cli_env).entries())[-1]
    tomorrow = date.fromisoformat(today) + timedelta(days=1)
    assert (last["action"], last["objects"]) == ("audit.read", [f"from={today}T00:00:00+00:00",
                                                                f"to={tomorrow}T00:00:00+00:00"])  # fmt: skip


def test_verify_exits_1_naming_the_first_bad_entry(
    run_cli: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    kept = journal(cli_env)
    for n in range(4):
        kept.append(f"user{n}", "viewer", "view.incident", [f"incident:T:{n}"])
    lines = kept.path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept.path.write_text("".join([*lines[:2], lines[2].replace("incident:T:2", "incident:T:7"), *lines[3:]]),
                         encoding="utf-8")  # fmt: skip
    broken = run_cli("audit", "verify", env=cli_env)
    assert broken.code == 1 and broken.stdout.startswith(
        "Audit journal BROKEN at seq 3: its hash does not match its content: the entry was edited."
    )
    report = json.loads(run_cli("audit", "verify", "--json", env=cli_env).stdout)
    assert (report["ok"], report["bad_seq"], report["entries"], report["last_seq"]) == (False, 3, 2, 2)
    kept.path.write_text("".join(lines[:3]), encoding="utf-8")  # the last one cut off
    cut = run_cli("audit", "verify", env=cli_env)
    assert (
        cut.code == 1 and "BROKEN at seq 4: the journal ends at seq 3 but the head names seq 4" in cut.stdout
    )


def test_a_cli_ingestion_and_link_run_are_journalled(
    run_cli: Run, cli_env: dict[str, str], tmp_path: Path, graph_server: EmbeddedServer
) -> None:
    target = graph_server.target()
    env = {**cli_env, "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
           "RECOUPE_GRAPH_PASSWORD": target.password, "RECOUPE_GRAPH_DATABASE": target.database or ""}  # fmt: skip
    from recoupe.graph.connection import connect

    with connect(target) as graph:
        wipe(graph)
    logs = tmp_path / "logs.csv"
    logs.write_text("id,reported_at,text\nA-1,2025-03-03T15:00:00+01:00,Vol à l'arraché rue Paradis vers 14h.\n",
                    encoding="utf-8")  # fmt: skip
    assert run_cli("init", env=env).code == 0
    ingested = run_cli("ingest", "logs", str(logs), "--source", "T", env=env, timeout=300)
    assert ingested.code == 0, ingested.stderr
    assert run_cli("link", "--rule", "near_repeat", env=env).code == 0
    ingest, link = list(journal(cli_env).entries())
    assert (ingest["actor"], ingest["action"], ingest["objects"]) == (ME, "ingest.logs", ["file:logs.csv"])
    assert (link["actor"], link["action"], link["objects"]) == (ME, "link.run", ["rule:near_repeat"])
    assert run_cli("audit", "verify", env=env).code == 0
