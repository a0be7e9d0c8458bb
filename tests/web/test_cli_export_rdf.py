"""`recoupe export rdf` as a user runs it on a small demo city (150 logs, plus one naming a person): the whole
graph validates and parses back with the counts it announced, the name never leaves (its pseudonym stands in
the text), a neighbourhood and a period hold what they should, and a broken record fails --validate with its
node and constraint."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import rdflib

from recoupe.web import runtime
from recoupe.web.config import load_config
from tests.conftest import CliResult, jvm_pids_for

Run = Callable[..., CliResult]
RCP = rdflib.Namespace("https://w3id.org/recoupe/ontology#")
TYPE = rdflib.URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BASE = "https://data.example.org/marseille/"
PLANTED = "Vol de sac rue Paradis vers 14h. La victime, Mme Jeanne Martin, a déposé plainte au poste."


def _json(result: CliResult) -> dict[str, object]:
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_export_rdf_validates_round_trips_and_keeps_names_out(
    run_cli: Run, cli_env: dict[str, str], tmp_path: Path
) -> None:
    home, city = Path(cli_env["RECOUPE_HOME"]), tmp_path / "city"
    env = {**cli_env, "RECOUPE_RDF_BASE": BASE}
    assert run_cli("demo-data", "--out", str(city), "--logs", "150", "--days", "30", "--seed", "3",
                   env=env).code == 0  # fmt: skip
    with open(city / "logs.csv", encoding="utf-8") as fh:
        last = list(csv.DictReader(fh))[-1]
    with open(city / "logs.csv", "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["PLANT-1", last["reported_at"], "Police municipale", PLANTED, "", "", ""])
    try:
        assert run_cli("db", "start", env=env).code == 0
        assert run_cli("init", env=env).code == 0
        for kind, file in (
            ("quartiers", "quartiers.geojson"),
            ("cameras", "cameras.csv"),
            ("logs", "logs.csv"),
        ):
            _json(run_cli("ingest", kind, str(city / file), "--json", env=env, timeout=300))

        whole = _json(
            run_cli("export", "rdf", "--validate", "--out", str(tmp_path / "city.ttl"), "--json", env=env)
        )
        assert whole["conforms"] is True and whole["violations"] == []
        graph = rdflib.Graph().parse(tmp_path / "city.ttl", format="turtle")
        assert len(graph) == whole["triples"]
        assert len(set(graph.subjects(RCP.id, None))) == whole["nodes"]
        assert len(set(graph.subjects(TYPE, RCP.Incident))) == 151
        assert len(set(graph.subjects(TYPE, RCP.Camera))) == 300
        planted = rdflib.URIRef(BASE + "Incident/Police%20municipale%3APLANT-1")
        text = str(graph.value(planted, RCP.text))
        people = [str(o) for o in graph.objects(planted, RCP.INVOLVES) if "/Person/P-" in str(o)]
        assert len(people) == 1 and people[0].rsplit("/", 1)[-1] in text and "Martin" not in text
        assert b"Jeanne" not in (tmp_path / "city.ttl").read_bytes()

        near = _json(run_cli("export", "rdf", "--format", "json-ld", "--incident", "Police municipale:PLANT-1",
                             "--depth", "1", "--out", str(tmp_path / "near.jsonld"), "--json", env=env))  # fmt: skip
        around = rdflib.Graph().parse(tmp_path / "near.jsonld", format="json-ld")
        assert len(around) == near["triples"] and planted in set(around.subjects(TYPE, RCP.Incident))
        assert rdflib.URIRef(people[0]) in set(around.subjects(TYPE, RCP.Person))
        assert b"Jeanne" not in (tmp_path / "near.jsonld").read_bytes()

        start, end = "2024-01-05", "2024-01-12"
        period = _json(run_cli("export", "rdf", "--format", "nt", "--from", start, "--to", end,
                               "--out", str(tmp_path / "week.nt"), "--json", env=env))  # fmt: skip
        week = rdflib.Graph().parse(tmp_path / "week.nt", format="nt")
        starts = [
            datetime.fromisoformat(str(o))
            for s in week.subjects(TYPE, RCP.Incident)
            for o in week.objects(s, RCP.occurred_from)
        ]
        assert len(week) == period["triples"] and 0 < len(starts) < 151
        low, high = (
            datetime.fromisoformat(start + "T00:00+01:00"),
            datetime.fromisoformat(end + "T00:00+01:00"),
        )
        assert all(low <= s < high for s in starts)

        with runtime.open_graph(load_config(env)) as admin, admin.session() as session:
            camera = session.run(
                "MATCH (c:Camera) WITH c ORDER BY c.id LIMIT 1 SET c.bearing_deg = 400.0 RETURN c.id AS id"
            ).single(strict=True)["id"]
        broken = run_cli("export", "rdf", "--validate", "--out", str(tmp_path / "broken.ttl"), env=env)
        assert broken.code == 1
        assert "1 violations of shapes.ttl" in broken.stdout
        assert f"{BASE}Camera/{camera} {RCP.bearing_deg}: MaxInclusiveConstraintComponent" in broken.stdout
    finally:
        run_cli("db", "stop", env=env)
    assert jvm_pids_for(home) == []
