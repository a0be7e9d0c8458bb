"""The inventory, link and investigation commands as a user runs them: a small demo city loaded layer by layer
(bad rows rejected with their reasons, reloads changing nothing), `recoupe link` idempotent, a slice of the real
Chicago file through `ingest events`, and the query commands answering in JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from recoupe.ingest import journal
from tests.conftest import CliResult, jvm_pids_for

Run = Callable[..., CliResult]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _json(result: CliResult) -> dict[str, object]:
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_layers_links_and_queries(run_cli: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    city = tmp_path / "city"
    assert run_cli("demo-data", "--out", str(city), "--logs", "150", "--days", "30", "--seed", "3",
                   env=cli_env).code == 0  # fmt: skip
    with open(city / "cameras.csv", "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["BAD-1", "43.3", "5.37", "400", "90", "60", "", ""],
                ["BAD-2", "43.3", "5.37", "90", "90", "-5", "", ""],
            ]
        )
    try:
        assert run_cli("db", "start", env=cli_env).code == 0
        assert run_cli("init", env=cli_env).code == 0
        quartiers = _json(
            run_cli("ingest", "quartiers", str(city / "quartiers.geojson"), "--json", env=cli_env)
        )
        assert quartiers["created"] == 111 and quartiers["rejected"] == 0
        cameras = _json(run_cli("ingest", "cameras", str(city / "cameras.csv"), "--json", env=cli_env))
        assert cameras["created"] == 300 and cameras["rejected"] == 2
        rejects = (city / "cameras.csv.rejects.csv").read_text(encoding="utf-8")
        assert "BAD-1" in rejects and "bearing_deg" in rejects and "BAD-2" in rejects and "range" in rejects
        again = _json(run_cli("ingest", "cameras", str(city / "cameras.csv"), "--json", env=cli_env))
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 300)
        outages = _json(run_cli("ingest", "outages", str(city / "camera_outages.csv"), "--json", env=cli_env))
        assert outages["rejected"] == 0 and outages["created"] > 0
        assets = _json(run_cli("ingest", "assets", str(city / "assets.csv"), "--json", env=cli_env))
        assert assets["created"] > 1000 and assets["rejected"] == 0
        logs = _json(run_cli("ingest", "logs", str(city / "logs.csv"), "--json", env=cli_env, timeout=300))
        assert logs["created"] == 150
        # every load is in the ingestion journal the dashboard shows, latest first, rejects included
        loads = journal.latest(home, 10)
        assert [(e["kind"], e["file"]) for e in loads] == [
            ("logs", "logs.csv"), ("assets", "assets.csv"), ("outages", "camera_outages.csv"),
            ("cameras", "cameras.csv"), ("cameras", "cameras.csv"), ("quartiers", "quartiers.geojson")]  # fmt: skip
        first_cameras = loads[4]
        assert (first_cameras["created"], first_cameras["rejected"]) == (300, 2)
        assert first_cameras["rejects_file"] == "cameras.csv.rejects.csv"
        assert sum(first_cameras["reasons"].values()) == 2
        rules = {r["rule"]: r for r in logs["links"]}  # type: ignore[union-attr]
        assert set(rules) == {"seen_by", "damaged", "near_repeat", "in"}
        assert rules["near_repeat"]["created"] > 0 and rules["in"]["created"] > 0

        relinked = _json(run_cli("link", "--json", env=cli_env))
        assert [(r["created"], r["removed"]) for r in relinked["rules"]] == [(0, 0)] * 4  # type: ignore[union-attr]
        wider = _json(
            run_cli("link", "--rule", "near_repeat", "--near-repeat-radius", "400", "--json", env=cli_env)
        )
        assert wider["rules"][0]["created"] > 0  # type: ignore[index]

        events = _json(
            run_cli(
                "ingest",
                "events",
                str(FIXTURES / "chicago_slice.csv"),
                "--columns",
                "occurred_at,offense,lat,lon",
                "--time-format",
                "%m/%d/%Y %I:%M:%S %p",
                "--timezone",
                "America/Chicago",
                "--category-map",
                str(Path(__file__).resolve().parents[2] / "benchmarks" / "chicago_categories.json"),
                "--source",
                "chicago",
                "--json",
                env=cli_env,
            )
        )
        assert (events["read"], events["created"], events["rejected"]) == (40, 40, 0)
        unmapped = run_cli(
            "ingest", "events", str(FIXTURES / "chicago_slice.csv"), "--columns", "occurred_at,offense,lat,lon",
            "--time-format", "%m/%d/%Y %I:%M:%S %p", "--source", "chicago2", "--json", env=cli_env,
        )  # fmt: skip
        refused = _json(unmapped)
        assert refused["created"] == 0 and refused["rejected"] == 40
        assert "unknown category" in next(iter(refused["reasons"]))  # type: ignore[call-overload]

        truth = [json.loads(line) for line in (city / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
        first = truth[0]
        incident = f"{first['source']}:{first['id']}"
        found = _json(run_cli("connections", incident, "--json", env=cli_env))
        assert found["incident"] == incident and isinstance(found["connections"], list)
        assert all(c["reasons"] for c in found["connections"])  # type: ignore[union-attr]
        assert _json(run_cli("cameras-for", incident, "--json", env=cli_env))["subject"] == incident
        hot = _json(run_cli("hotspots", "--from", "2024-01-01", "--to", "2024-02-01", "--json", env=cli_env))
        assert sum(r["count"] for r in hot["rows"]) > 0  # type: ignore[union-attr]
        missing = run_cli("connections", "nowhere:1", env=cli_env)
        assert missing.code == 1 and "no incident 'nowhere:1'" in missing.stderr
    finally:
        run_cli("db", "stop", env=cli_env)
    assert jvm_pids_for(home) == []
