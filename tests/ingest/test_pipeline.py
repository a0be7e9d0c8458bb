"""Ingestion into the real graph: idempotent, replacing changed logs' facts, rejecting bad rows, resumable
after kill -9, persons stored as pseudonyms only, every fact with its evidence span."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pty
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from recoupe.graph import store
from recoupe.graph.connection import Graph, connect
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer
from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.ingest.graph_rows import person_key, row_hash
from recoupe.ingest.pipeline import Ingestor
from recoupe.ingest.readers import LogRow
from recoupe.nlp.extract import Extractor
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.loader import ontology
from tests.conftest import RECOUPE, CliResult, wipe

KEY = bytes(32)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(DemoSettings(out=out, logs=240, days=60, seed=11))
    return out


def _counts(graph: Graph) -> tuple[dict[str, int], dict[str, int]]:
    with graph.session() as s:
        return store.node_counts_by_label(s), store.relationship_counts_by_type(s)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_ingest_is_idempotent(graph: Graph, extractor: Extractor, city: Path) -> None:
    apply_schema(graph, ontology())
    ingestor = Ingestor(graph, extractor, KEY, batch_size=50)
    first = ingestor.ingest_file(city / "logs.csv")
    assert (first.read, first.created, first.updated, first.rejected) == (240, 240, 0, 0)
    nodes, rels = _counts(graph)
    assert nodes["Incident"] == 240 and rels["OCCURRED_AT"] == 240
    assert nodes["Source"] == 7 and nodes["Person"] > 50 and nodes["Plate"] >= 3
    second = ingestor.ingest_file(city / "logs.csv")
    assert (second.created, second.updated, second.unchanged, second.entities) == (0, 0, 240, 0)
    assert _counts(graph) == (nodes, rels)
    fresh = Extractor()  # nothing new to read: a re-ingestion never loads the model
    ticks: list[int] = []
    third = Ingestor(graph, fresh, KEY, batch_size=50).ingest_file(
        city / "logs.csv", progress=lambda s: ticks.append(s.read)
    )
    assert (third.read, third.unchanged, fresh._nlp) == (240, 240, None)
    assert ticks == [50, 100, 150, 200, 240]  # the bar moves per batch


def test_a_changed_log_replaces_its_facts(graph: Graph, extractor: Extractor, tmp_path: Path) -> None:
    apply_schema(graph, ontology())
    ingestor = Ingestor(graph, extractor, KEY)
    header = {"id": "", "reported_at": "2025-03-14T23:40:00+01:00", "source": "PM", "text": ""}
    before = [header | {"id": "1", "text": "Vol à l'arraché rue Paradis vers 23h, victime Mme Nadia BENALI."}]
    ingestor.ingest_file(_write(tmp_path / "a.csv", before))
    nadia = person_key("Nadia BENALI", KEY)
    with graph.session() as s:
        assert s.run("MATCH (p:Person {id: $id}) RETURN p.pseudonym AS p", id=nadia).single() is not None
    after = [header | {"id": "1", "text": "Vol à l'arraché rue Paradis vers 23h, victime M. Paul DURAND."}]
    summary = ingestor.ingest_file(_write(tmp_path / "a.csv", after))
    assert (summary.created, summary.updated) == (0, 1)
    with graph.session() as s:
        assert s.run("MATCH (p:Person {id: $id}) RETURN p", id=nadia).single() is None  # no stale person
        rows = s.run(
            "MATCH (p:Person)-[r:EXTRACTED_FROM]->(i:Incident) RETURN r.start AS s, r.end AS e, i.text AS t"
        ).data()
    paul = "P-" + person_key("Paul DURAND", KEY)[:8].upper()
    assert [row["t"][row["s"] : row["e"]] for row in rows] == [paul]  # provenance: the span, pseudonymised


def test_the_stored_text_holds_pseudonyms_and_its_spans_follow(
    graph: Graph, extractor: Extractor, tmp_path: Path
) -> None:
    """The graph's own text has no name (the console reads it as stored); every span written with it points
    at the same words in it, after a name replaced by a shorter or a longer pseudonym."""
    apply_schema(graph, ontology())
    text = ("Vol à l'arraché rue Paradis vers 23h, victime Mme Marie-Christine DUPONT-MARCHAND. "
            "Le suspect, Jo LI, a fui à bord d'une Clio immatriculée AB-123-CD, un abribus dégradé.")  # fmt: skip
    row = {"id": "1", "reported_at": "2025-03-14T23:40:00+01:00", "source": "PM", "text": text}
    Ingestor(graph, extractor, KEY).ingest_file(_write(tmp_path / "names.csv", [row]))
    with graph.session() as s:
        stored = s.run("MATCH (i:Incident {id: 'PM:1'}) RETURN i.text AS t, i.asset_spans AS a").single()
        spans = s.run(
            "MATCH (n)-[e:EXTRACTED_FROM]->(:Incident {id: 'PM:1'}) "
            "RETURN labels(n)[0] AS label, n.pseudonym AS p, e.start AS s, e.end AS e"
        ).data()
    said = sorted((r["label"], stored["t"][r["s"] : r["e"]]) for r in spans)
    pseudonyms = sorted(("Person", r["p"]) for r in spans if r["label"] == "Person")
    assert len(pseudonyms) == 2 and [w for label, w in said if label == "Person"] == [
        p for _, p in pseudonyms
    ]
    assert ("Plate", "AB-123-CD") in said and ("Place", "rue Paradis") in said
    assert ("Vehicle", "Clio") in said
    assert "MARCHAND" not in stored["t"] and "Jo LI" not in stored["t"] and "Marie" not in stored["t"]
    assert all(p in stored["t"] for _, p in pseudonyms)
    (asset,) = stored["a"]
    start, end = (int(v) for v in asset.split(":"))
    assert stored["t"][start:end] == "abribus"


def test_the_text_hash_is_keyed() -> None:
    """A guessed text cannot be confirmed from the stored hash without the data directory's key."""
    at = datetime.fromisoformat("2025-03-14T23:40:00+01:00")
    row = LogRow(1, "1", "Vol à l'arraché, victime Mme Nadia BENALI.", at, "PM", {})
    plain = hashlib.sha256("\x1f".join([row.text, row.reported_at.isoformat(), "", ""]).encode()).hexdigest()
    assert row_hash(row, KEY) == row_hash(row, bytes(KEY)) != row_hash(row, b"\x01" * 32)
    assert plain not in (row_hash(row, KEY), row_hash(row, b"\x01" * 32))


def test_the_source_place_wins_and_unknown_times_are_flagged(
    graph: Graph, extractor: Extractor, tmp_path: Path
) -> None:
    apply_schema(graph, ontology())
    base = {"reported_at": "2025-03-14T23:40:00+01:00", "source": "PM", "address": "", "lat": "", "lon": ""}
    rows = [
        base | {"id": "gps", "text": "Dégradation d'un banc rue Paradis.", "lat": "43.2951", "lon": "5.3810"},
        base | {"id": "addr", "text": "Tags sur un abribus.", "address": "12 bd National, 13003 Marseille"},
        base | {"id": "text", "text": "Vol à l'arraché rue Paradis vers 23h."},
    ]
    ingestor = Ingestor(graph, extractor, KEY)
    ingestor.ingest_file(_write(tmp_path / "places.csv", rows))
    with graph.session() as s:
        found = {
            r["id"]: r
            for r in s.run(
                "MATCH (i:Incident)-[:OCCURRED_AT]->(p:Place) RETURN i.source_id AS id, i.lat AS lat, "
                "i.lon AS lon, i.precision AS precision, i.place_source AS origin, i.time_source AS time, "
                "p.name AS place"
            ).data()
        }
    assert (found["gps"]["lat"], found["gps"]["lon"], found["gps"]["origin"]) == (43.2951, 5.381, "source")
    assert found["gps"]["place"] == "43.295100, 5.381000"  # not the rue Paradis of the text
    assert found["addr"]["place"] == "12 Boulevard National" and found["addr"]["origin"] == "source"
    assert found["addr"]["precision"] == "address"
    assert found["text"]["place"] == "Rue Paradis" and found["text"]["origin"] == "text"
    assert [found[k]["time"] for k in ("gps", "addr", "text")] == ["reported", "reported", "text"]
    rows[0]["lat"] = "43.2960"  # a corrected position is a changed log
    again = ingestor.ingest_file(_write(tmp_path / "places.csv", rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)


def test_persons_are_pseudonyms_only(graph: Graph, extractor: Extractor, city: Path) -> None:
    apply_schema(graph, ontology())
    Ingestor(graph, extractor, KEY, batch_size=80).ingest_file(city / "logs.csv")
    with graph.session() as s:
        people = s.run("MATCH (p:Person) RETURN properties(p) AS props").data()
        incident_keys = {
            k for row in s.run("MATCH (i:Incident) RETURN keys(i) AS k").data() for k in row["k"]
        }
    assert all(
        set(p["props"]) == {"id", "pseudonym"} and p["props"]["pseudonym"].startswith("P-") for p in people
    )
    assert incident_keys <= set(ontology().node_type("Incident").properties)  # the ontology is the schema


def test_bad_rows_go_to_the_rejects_file(
    graph: Graph, extractor: Extractor, city: Path, tmp_path: Path
) -> None:
    apply_schema(graph, ontology())
    rows = _rows(city / "logs.csv")[:20]
    rows[3]["id"] = ""
    rows[5]["reported_at"] = "32/13/2025 25:00"
    rows[7]["text"] = "x" * 20_001
    rows[9]["id"] = rows[8]["id"]  # the same id with another text
    summary = Ingestor(graph, extractor, KEY).ingest_file(_write(tmp_path / "bad.csv", rows))
    assert (summary.read, summary.created, summary.rejected) == (20, 16, 4)
    rejects = _rows(tmp_path / "bad.csv.rejects.csv")
    assert [(r["line"], r["reason"][:22]) for r in rejects] == [
        ("5", "missing id"),
        ("7", "unreadable date '32/13"),
        ("9", "text longer than 20000"),
        ("11", "duplicate id with a di"),
    ]


@pytest.mark.slow
def test_resumes_after_kill_9(
    graph_server: EmbeddedServer, run_cli: Callable[..., CliResult], cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Kill the ingesting process mid-file; the rerun finishes it with no duplicates and nothing missing."""
    city = tmp_path / "big"
    generate(DemoSettings(out=city, logs=800, days=90, seed=12))  # long enough to be caught mid-file
    target = graph_server.target()
    env = {**cli_env, "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
           "RECOUPE_GRAPH_PASSWORD": target.password, "RECOUPE_GRAPH_DATABASE": "recoupe"}  # fmt: skip
    with connect(target) as g:
        with g.session() as s:
            s.run("MATCH (n) DETACH DELETE n").consume()
        apply_schema(g, ontology())
        child = subprocess.Popen(
            [str(RECOUPE), "ingest", "logs", str(city / "logs.csv"), "--batch-size", "20"], env=env
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            with g.session() as s:
                if store.node_counts_by_label(s).get("Incident", 0) >= 40:
                    break
            time.sleep(0.2)
        assert child.poll() is None, "the ingestion ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with g.session() as s:
            partial = store.node_counts_by_label(s).get("Incident", 0)
        assert 0 < partial < 800 and partial % 20 == 0  # whole batches only
        rerun = run_cli("ingest", "logs", str(city / "logs.csv"), "--json", env=env)
        assert rerun.code == 0, rerun.stderr
        assert json.loads(rerun.stdout)["created"] == 800 - partial
        nodes, rels = _counts(g)
        assert nodes["Incident"] == 800 and rels["OCCURRED_AT"] == 800
        with g.session() as s:
            doubled = s.run(
                "MATCH (n)-[r:EXTRACTED_FROM]->(i:Incident) WITH n, i, r.start AS st, count(*) AS c WHERE c > 1 RETURN count(*) AS d"
            ).single()["d"]
        assert doubled == 0


def test_a_terminal_gets_a_progress_bar_and_a_summary(
    graph_server: EmbeddedServer, cli_env: dict[str, str], city: Path, tmp_path: Path
) -> None:
    """stderr on a pseudo-terminal: a bar redrawn per batch with rate and ETA; stdout: the summary."""
    target = graph_server.target()
    env = {**cli_env, "RECOUPE_GRAPH_URL": target.url, "RECOUPE_GRAPH_USER": target.user,
           "RECOUPE_GRAPH_PASSWORD": target.password, "RECOUPE_GRAPH_DATABASE": "recoupe"}  # fmt: skip
    with connect(target) as g:
        wipe(g)
        apply_schema(g, ontology())
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [str(RECOUPE), "ingest", "logs", str(city / "logs.csv"), "--batch-size", "60"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=follower, text=True,
    )  # fmt: skip
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    stdout = child.communicate(timeout=180)[0]
    os.close(leader)
    assert child.returncode == 0
    frames = [f for f in drawn.decode().replace("\r\n", "\r").split("\r") if f.strip()]
    assert [f.split("·")[1].strip() for f in frames] == [
        "60/240 logs",
        "120/240 logs",
        "180/240 logs",
        "240/240 logs",
        "240/240 logs",
    ]  # one frame per batch, then the finished bar
    assert frames[0].startswith("[" + "#" * 8 + "." * 22 + "]  25 %") and "ETA 0:" in frames[0]
    assert frames[-1].startswith("[" + "#" * 30 + "] 100 %")
    assert "240 rows read, 240 created, 0 updated, 0 unchanged, 0 rejected" in stdout


def test_a_citizen_report_takes_the_same_path_as_a_file(
    graph: Graph, extractor: Extractor, tmp_path: Path
) -> None:
    """The API's caller and the file's caller share checks, extraction, pseudonyms and idempotence."""
    apply_schema(graph, ontology())
    ingestor = Ingestor(graph, extractor, KEY)
    text = "Mon scooter noir AB-123-CD a été volé hier soir devant la gare Saint-Charles. Mme Nadia BENALI."
    report = {"id": "r-1", "text": text, "reported_at": "2025-03-15T09:00:00+01:00"}
    incident, summary = ingestor.ingest_report(report)
    assert (incident, summary.created, summary.entities) == ("citizen:r-1", 1, 3)
    again = ingestor.ingest_report(report)[1]
    assert (again.created, again.unchanged) == (0, 1)
    with graph.session() as s:
        found = s.run(
            "MATCH (i:Incident {id: 'citizen:r-1'})-[:INVOLVES]->(n) RETURN labels(n)[0] AS l, n.id AS id"
        ).data()
    assert sorted((r["l"], r["id"]) for r in found if r["l"] in ("Person", "Plate")) == [
        ("Person", person_key("Nadia BENALI", KEY)),
        ("Plate", "AB-123-CD"),  # the canonical SIV form
    ]
    with pytest.raises(InvalidInput, match=r"report rejected: absurd coordinates \(0, 0\)"):
        ingestor.ingest_report(report | {"id": "r-2", "lat": 0, "lon": 0})
    with graph.session() as s:
        assert s.run("MATCH (i:Incident {id: 'citizen:r-2'}) RETURN i").single() is None
