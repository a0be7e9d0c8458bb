"""Retention purge on a real ingestion: old incidents and what only they involved leave no trace, in the graph
and in the identity vault; shared people, plates and places of kept incidents stay; a dry run changes nothing;
the purge is journalled by counts only."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recoupe.graph import queries
from recoupe.graph.analytics import analyse, series_id
from recoupe.graph.connection import Graph
from recoupe.graph.retention import Period, parse_period
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest.graph_rows import person_key
from recoupe.ingest.pipeline import Ingestor
from recoupe.ingest.vault import Vault
from recoupe.nlp.extract import Extractor
from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.ontology.loader import ontology
from recoupe.web.app import create_app
from recoupe.web.audit import journal
from recoupe.web.cli import cli
from tests.graph.test_console import snapshot

KEY = bytes(32)
NOW = "2026-11-01"  # the moved clock: with 3y, everything before 2023-11-01 goes
OLD = "2020-03-14T23:40:00+01:00"
RECENT = "2026-10-20T21:10:00+02:00"
LOGS = [  # (id, reported_at, text): Nadia BENALI and AB-123-CD are in an old and a recent incident
    ("1", OLD, "Vol à l'arraché rue Paradis vers 23h, victime Mme Nadia BENALI. Le suspect, Karim SADI, "
               "a fui à bord d'une Clio immatriculée AB-123-CD."),
    ("2", OLD, "Cambriolage rue de la Joliette, témoin M. Julien MOREAU, voiture EF-456-GH aperçue."),
    ("3", RECENT, "Nouvelle agression rue de Rome, victime Mme Nadia BENALI, le suspect est reparti dans la "
                  "Clio AB-123-CD."),
    ("4", RECENT, "Tapage nocturne cours Julien, plainte de M. Paul DURAND."),
]  # fmt: skip
GONE_PEOPLE = ("Karim SADI", "Julien MOREAU")
KEPT_PEOPLE = ("Nadia BENALI", "Paul DURAND")


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _ingest(graph: Graph, extractor: Extractor, tmp_path: Path, vault: Vault) -> None:
    apply_schema(graph, ontology())
    path = tmp_path / "logs.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "reported_at", "source", "text"])
        writer.writerows([(i, t, "archives" if i == "2" else "PM", text) for i, t, text in LOGS])
    summary = Ingestor(graph, extractor, KEY, vault=vault).ingest_file(path)
    assert (summary.created, summary.rejected) == (4, 0)
    analyse(graph)  # series and centrality: the old and recent incidents of Nadia BENALI form one series
    with graph.session() as s:  # a forecast, as `recoupe forecast` writes them (training is not the point)
        s.run(queries.MERGE_CELLS, rows=[{"id": "grid:500:1:2", "unit": "grid:500", "lat": 43.3, "lon": 5.4,
                                           "geometry": None}]).consume()  # fmt: skip
        s.run(queries.CREATE_FORECASTS, rows=[{"cell": "grid:500:1:2", "id": "f1",
                                               "props": {"probability": 0.4}}]).consume()  # fmt: skip


def _everything(graph: Graph) -> str:
    """Every label, property and relationship of the graph, as text."""
    with graph.session() as s:
        nodes = s.run("MATCH (n) RETURN labels(n) AS l, properties(n) AS p").data()
        rels = s.run(
            "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p"
        ).data()
    return json.dumps([nodes, rels], default=str, ensure_ascii=False)


def _count(graph: Graph, statement: str) -> int:
    with graph.session() as s:
        return int(s.run(statement).single(strict=True)[0])


def test_periods_move_the_calendar_back() -> None:
    now = datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert parse_period("3y") == Period(3, "y") and parse_period(" 18m") == Period(18, "m")
    assert parse_period("3y").before(now) == datetime(2021, 2, 28, 12, tzinfo=UTC)
    assert parse_period("18m").before(now) == datetime(2022, 8, 29, 12, tzinfo=UTC)
    assert parse_period("90d").before(now) == datetime(2023, 12, 1, 12, tzinfo=UTC)
    for bad in ("", "3", "0y", "3w", "-1y", "y3"):
        with pytest.raises(InvalidInput):
            parse_period(bad)


def test_purge_leaves_no_trace_of_old_incidents(
    graph: Graph, graph_server: EmbeddedServer, extractor: Extractor, tmp_path: Path
) -> None:
    vault = Vault(tmp_path / "home")  # the app's data directory below: the command purges this vault
    _ingest(graph, extractor, tmp_path, vault)
    before = _everything(graph)
    nadia = person_key("Nadia BENALI", KEY)
    gone_ids = [person_key(name, KEY) for name in GONE_PEOPLE]
    gone_pseudonyms = ["P-" + key[:8].upper() for key in gone_ids]
    for trace in ["PM:1", "archives:2", "EF-456-GH", *gone_ids, *gone_pseudonyms]:
        assert trace in before, trace  # the test would prove nothing otherwise
    assert not any(name in before for name in GONE_PEOPLE + KEPT_PEOPLE)  # names: in the vault only
    assert vault.original("PM:1") == LOGS[0][2] and vault.count() == 4
    assert series_id("PM:1") in before  # PM:1 and PM:3 share Nadia BENALI and AB-123-CD
    app = create_app({"TESTING": True, "RECOUPE_HOME": str(tmp_path / "home"),
                      "RECOUPE_GRAPH_URL": graph_server.target().url,
                      "RECOUPE_GRAPH_USER": graph_server.target().user,
                      "RECOUPE_GRAPH_PASSWORD": graph_server.target().password,
                      "RECOUPE_GRAPH_DATABASE": graph_server.target().database or ""})  # fmt: skip
    runner = app.test_cli_runner()

    bad = runner.invoke(cli, ["retention", "purge", "--older-than", "3w"])
    assert bad.exit_code == 1 and "write it like 3y, 18m or 90d" in bad.output

    fingerprint, sealed = snapshot(graph, graph_server), vault.path.read_bytes()
    dry = runner.invoke(cli, ["retention", "purge", "--dry-run", "--now", NOW, "--json"])
    assert dry.exit_code == 0, dry.output
    planned = json.loads(dry.output)
    assert snapshot(graph, graph_server) == fingerprint  # a dry run changes nothing
    assert vault.path.read_bytes() == sealed and vault.original("PM:1") == LOGS[0][2]  # nor the vault
    assert planned["vault"] == {"texts": 2, "persons_updated": 1, "persons_removed": 2}  # BENALI keeps PM:3
    assert (planned["dry_run"], planned["incidents"], planned["period"]) == (True, 2, "3y")
    assert planned["cutoff"] == "2023-11-01T00:00:00+00:00" and planned["forecasts"] == 1
    assert planned["sources"] == 1  # "archives" held only incident 2; "PM" keeps incidents 3 and 4
    assert planned["nodes"]["Person"] == 2 and planned["relationships"]["EXTRACTED_FROM"] >= 4
    with app.app_context():
        assert list(journal().entries()) == []  # a dry run erases nothing, so journals nothing

    done = runner.invoke(cli, ["retention", "purge", "--now", NOW, "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert {k: v for k, v in report.items() if k not in ("dry_run", "seconds", "analytics_recomputed")} == {
        k: v for k, v in planned.items() if k not in ("dry_run", "seconds", "analytics_recomputed")
    }  # the dry run counted exactly what went
    assert report["analytics_recomputed"] is True

    after = _everything(graph)
    for trace in ["PM:1", "archives:2", "Karim SADI", "Julien MOREAU", "EF-456-GH", "Joliette", "Paradis", "archives",
                  *gone_ids, *gone_pseudonyms, series_id("PM:1"), series_id("archives:2")]:  # fmt: skip
        assert trace not in after, trace
    for trace in ["PM:3", "PM:4", nadia, "AB-123-CD", "Rome"]:  # shared entities of kept incidents stay
        assert trace in after, trace
    assert _count(graph, "MATCH (i:Incident) RETURN count(i)") == 2
    assert _count(graph, "MATCH (f:Forecast) RETURN count(f)") == 0
    assert _count(graph, "MATCH (s:Source) RETURN count(s)") == 1  # PM; archives held only incident 2
    assert _count(graph, "MATCH (n) WHERE n.series_id IS NOT NULL RETURN count(n)") == 0  # one left: none

    with app.app_context():
        (entry,) = journal().entries()
    assert entry["action"] == "retention.purge" and entry["actor"].startswith("cli:")
    assert "cutoff=2023-11-01T00:00:00+00:00" in entry["objects"] and "incidents=2" in entry["objects"]
    assert all("PM:" not in o and "P-" not in o for o in entry["objects"])  # counts, never names
    assert "vault_texts=2" in entry["objects"] and "vault_persons_removed=2" in entry["objects"]

    for gone in ("PM:1", "archives:2"):  # the vault: the old texts, and the names read only in them, gone
        with pytest.raises(NotFound):
            vault.original(gone)
    for pseudonym in gone_pseudonyms:
        with pytest.raises(NotFound):
            vault.reveal(pseudonym)
    (benali,) = vault.reveal("P-" + nadia[:8].upper())
    assert benali.names == {"Nadia BENALI": ["PM:3"]} and vault.original("PM:3") == LOGS[2][2]
    assert vault.count() == 2  # BENALI and DURAND

    again = runner.invoke(cli, ["retention", "purge", "--now", NOW])
    assert again.output.startswith("erased 0 incident(s) older than 3y (before 2023-11-01 00:00 UTC)\n")
    assert _everything(graph) == after  # nothing left to do
