"""Ingestion speed on the demo city, same texts, same machine, one run.

End to end:
  (a)  raw `nlp.pipe` of fr_core_news_md as shipped (every component);
  (a') raw `nlp.pipe` of the components Recoupe loads (NER only, see docs/extraction.md), first and last
       (the load of a shared machine drifts: the ratios use the mean of the two);
  (b)  extraction (`recoupe extract`'s code: the spaCy pass plus Recoupe's rules, times, category, place),
       with the rules in a process beside the model's (the default), and all in one process;
  (c)  `recoupe ingest` end to end into an embedded server (batched extraction, one transaction per batch),
       five times on one server started for it: fresh, then again as its JVM compiles the write path
       (a server runs for days: the fifth run is the one compared, the first is reported beside it);
  (c)/(a') side by side: then nine rounds of one (a') pass and one warm (c) run back to back, each round's
       ratio printed and their median compared (a shared machine's load drifts within a minute: a round's
       two runs share it, the median drops a round a neighbour's burst spoiled); every other round runs (c)
       first, so that a drift within a round favours neither;
  (d)  a naive loader: the same extraction called once per log, one transaction per log.
Writes alone, the same extracted facts into an emptied graph:
  (w-c) one transaction per batch of 200 logs (what (c) does);
  (w-d) one transaction per log (what (d) does);
  (w-n) one transaction per log and one statement per fact, as a loader written without batching would (the
        same statements with one row each); the three leave the same graph, counted label by label.

CPU: the processor time of each row per log, in this process (all its threads), in the rules' process
beside it and in the graph server's JVM, read from /proc: the end-to-end rate uses the second core.

Run: .venv/bin/python benchmarks/ingest.py [--logs 1000] [--seed 42]
Prints a table, the ratios, and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recoupe.graph import store
from recoupe.graph.connection import Graph, connect
from recoupe.graph.incidents import IncidentBatch, write_batch
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.graph.values import packed
from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.ingest.graph_rows import incident_id
from recoupe.ingest.pipeline import Ingestor, IngestSummary
from recoupe.ingest.readers import LogRow, read_logs
from recoupe.nlp.extract import BESIDE_MIN, Extractor
from recoupe.ontology.loader import ontology

BATCH = 200
WARM_RUN = 5  # the run of (c) compared: the graph server's JIT has compiled the write path by then
ROUNDS = 9  # (a') and (c) back to back, the median ratio compared
TICKS = os.sysconf("SC_CLK_TCK")
Clock = tuple[float, float, float, float]  # wall, this process, the rules' process, the JVM (seconds)


def write_fact_by_fact(graph: Graph, batch: IncidentBatch) -> None:
    """(w-n): the batch's facts in one transaction, one statement each."""

    def work(tx: Any) -> None:
        now = packed(datetime.now(UTC), graph.protocol)
        for row in batch.incidents:
            store.merge_incidents(tx, [{**row, "props": packed(row["props"], graph.protocol)}])
            store.link_sources(tx, [{"id": row["id"], "source": row["source"]}], now)
        for place in batch.places:
            store.merge_places(tx, [place])
        for link in batch.place_links:
            store.link_places(tx, [link])
        for evidence in batch.place_evidence:  # a place may have several spans
            store.place_evidence(tx, [evidence])
        for label, rows in batch.nodes.items():
            for row in rows:
                store.merge_entities(tx, label, [row])
            for row in batch.involved[label]:
                store.link_involved(tx, label, [row])
            for row in batch.evidence[label]:
                store.link_evidence(tx, label, [row])
        for row in batch.vehicle_plates:
            store.link_plates_to_vehicles(tx, [row])

    with graph.session() as session:
        session.execute_write(work)


def cpu_seconds(pid: int) -> float:
    """User and system time of one process so far (0 when there is none)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="recoupe-ingest-bench-"))
    rates: dict[str, float] = {}
    cpu: dict[str, list[float]] = {}  # ms per log: here, the rules' process, the JVM
    pids = {"rules": 0, "jvm": 0}

    def clock() -> Clock:
        return time.perf_counter(), time.process_time(), cpu_seconds(pids["rules"]), cpu_seconds(pids["jvm"])

    def timed(name: str, began: Clock) -> None:
        now = clock()
        rates[name] = len(rows) / (now[0] - began[0])
        cpu[name] = [1000 * (now[i] - began[i]) / len(rows) for i in (1, 2, 3)]

    try:
        generate(DemoSettings(out=work / "city", logs=args.logs, seed=args.seed))
        logs = work / "city" / "logs.csv"
        rows = [r for r in read_logs(logs) if isinstance(r, LogRow)]
        texts = [r.text for r in rows]
        inputs = [(incident_id(r), r.text, r.reported_at) for r in rows]
        extractor = Extractor()
        extractor.nlp("Chargement du modèle.")  # load both models outside every timing
        shipped = extractor.full_model()
        shipped("Chargement du modèle.")

        began = clock()
        for _ in shipped.pipe(texts, batch_size=64):
            pass
        timed("(a) raw nlp.pipe, model as shipped", began)
        began = clock()
        for _ in extractor.nlp.pipe(texts, batch_size=64):
            pass
        timed("(a') raw nlp.pipe, Recoupe's components", began)
        list(extractor.extract(inputs[:BESIDE_MIN]))  # the rules' process forked outside the timing
        if extractor._beside is not None:
            pids["rules"] = next(iter(extractor._beside._processes))  # type: ignore[attr-defined]
        began = clock()
        extractor.read_beside = 0
        extractions = list(extractor.extract(inputs))
        timed("(b) extraction, rules beside the model", began)
        read_beside = extractor.read_beside / len(rows)
        alone = Extractor(rules_beside=False)
        alone._nlp = extractor.nlp  # the same model, loaded once
        began = clock()
        list(alone.extract(inputs))
        timed("(b) extraction, all in one process", began)

        server = EmbeddedServer(ServerSettings(home=work / "home", bolt_port=0, http_port=0, heap="1g"))
        server.start(tie_to_parent=True)
        pids["jvm"] = server.state().pid or 0
        try:
            with connect(server.target()) as graph:
                apply_schema(graph, ontology())

                def empty() -> None:
                    with graph.session() as session:
                        session.run("MATCH (n) DETACH DELETE n").consume()

                # links are timed by benchmarks/linking.py: here extraction and writes (issue 4)
                ingestor = Ingestor(graph, extractor, bytes(32), batch_size=BATCH, link=False)
                for run in range(1, WARM_RUN + 1):
                    name = f"(c) ingest end to end, run {run}" + (" (fresh server)" if run == 1 else "")
                    began = clock()
                    ingestor.ingest_file(logs)
                    timed(name, began)
                    empty()

                def model_alone(round_: int) -> None:
                    began = clock()
                    for _ in extractor.nlp.pipe(texts, batch_size=64):
                        pass
                    timed(f"(a') round {round_}", began)

                def ingest(round_: int) -> None:
                    began = clock()
                    ingestor.ingest_file(logs)
                    timed(f"(c) round {round_}", began)
                    empty()

                for round_ in range(1, ROUNDS + 1):
                    for run_ in (model_alone, ingest) if round_ % 2 else (ingest, model_alone):
                        run_(round_)
                summary = IngestSummary(str(logs))
                began = clock()
                for row in rows:  # one extraction call and one transaction per log
                    ingestor.ingest_rows([row], summary)
                timed("(d) naive end to end, per log", began)

                batches = [
                    ingestor.batch(rows[i : i + BATCH], extractions[i : i + BATCH], summary)
                    for i in range(0, len(rows), BATCH)
                ]
                singles = [ingestor.batch([r], [x], summary) for r, x in zip(rows, extractions, strict=True)]
                graphs = []  # what each way of writing left: nodes by label, relationships by type
                for name, write, chunks in (
                    ("(w-c) writes only, per batch", write_batch, batches),
                    ("(w-d) writes only, per log", write_batch, singles),
                    ("(w-n) writes only, per log and per fact", write_fact_by_fact, singles),
                ):
                    empty()
                    began = clock()
                    for batch in chunks:
                        write(graph, batch)
                    timed(name, began)
                    with graph.session() as session:
                        graphs.append(
                            (store.node_counts_by_label(session), store.relationship_counts_by_type(session))
                        )
                same = all(g == graphs[0] for g in graphs)
        finally:
            server.stop()
            extractor.close()
        began = clock()  # again: on a shared machine the load drifts; the ratios use the mean of both
        for _ in extractor.nlp.pipe(texts, batch_size=64):
            pass
        timed("(a') again, after the rest", began)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(len(rows), rates, cpu, read_beside, same)


def report(
    logs: int, rates: dict[str, float], cpu: dict[str, list[float]], read_beside: float, same: bool
) -> None:
    print(f"{logs:,} demo-city logs, batches of {BATCH}")
    print(f"{'':<48} {'logs/s':>8}   CPU ms per log: here rules   JVM")
    for name, rate in rates.items():
        here, rules, jvm = cpu[name]
        print(f"{name:<48} {rate:8.1f}   {'':15}{here:5.2f} {rules:5.2f} {jvm:5.2f}")
    values = list(rates.values())
    a, a_first, b, b_alone, c_fresh, *c_runs = values[: 5 + WARM_RUN - 1]
    c = c_runs[-1]
    paired = [rates[f"(c) round {i}"] / rates[f"(a') round {i}"] for i in range(1, ROUNDS + 1)]
    d, wc, wd, wn, a_again = values[-5:]
    a_ = (a_first + a_again) / 2
    ratios = {
        "c/a": c / a, "c/a_": c / a_, "c_fresh/a_": c_fresh / a_, "b/a_": b / a_, "b_alone/a_": b_alone / a_,
        "c/a_paired": statistics.median(paired), "c/d": c / d, "c_fresh/d": c_fresh / d, "wc/wd": wc / wd,
        "wc/wn": wc / wn,
    }  # fmt: skip
    print(
        f"(a') = {a_:.1f} logs/s, the mean of both runs\n"
        f"(c)/(a) = {ratios['c/a']:.2f}, (c)/(a') = {ratios['c/a_']:.2f} (fresh server "
        f"{ratios['c_fresh/a_']:.2f}) (goal ≥ 0.85)\n"
        f"(c)/(a') side by side, each round: {', '.join(f'{r:.2f}' for r in paired)}; median "
        f"{ratios['c/a_paired']:.2f} (goal ≥ 0.85)\n"
        f"(b)/(a') = {ratios['b/a_']:.2f} (all in one process {ratios['b_alone/a_']:.2f}); the process "
        f"beside made the model's pass of {read_beside:.0%} of the logs\n"
        f"(c)/(d) = {ratios['c/d']:.1f} (fresh server {ratios['c_fresh/d']:.1f}), "
        f"(w-c)/(w-d) = {ratios['wc/wd']:.1f} (goal ≥ 20); (w-c)/(w-n) = {ratios['wc/wn']:.1f}, "
        f"the same graph all three ways: {'yes' if same else 'NO'}"
    )
    print(json.dumps({"logs": logs, "read_beside": round(read_beside, 3), "same_graph": same,
                      "rates": {k: round(v, 1) for k, v in rates.items()},
                      "cpu_ms_per_log": {k: [round(x, 2) for x in v] for k, v in cpu.items()},
                      "ratios": {k: round(v, 2) for k, v in ratios.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
