"""Ingestion: read → extract → write, in batches; idempotent, resumable, and no bad row stops the file.

Each batch is one transaction. An incident whose text hash is already stored is skipped (re-ingesting a file
changes nothing); one whose text changed has its earlier facts removed before the new ones are written; a run
killed at any point leaves only whole batches, and the rerun finishes the file without duplicates (and
links the incidents it finds unchanged: the killed run may have written them without their links). Persons are
stored under a keyed hash of their normalised name (the key lives in the data directory), never by name, and
the text stored is the log's with each person mention replaced by its pseudonym (the original goes to the
vault; with no vault, as in library use, it is not kept at all). The text hash is keyed too.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recoupe.graph.connection import Graph
from recoupe.graph.incidents import IncidentBatch, existing_hashes, write_batch
from recoupe.graph.links import RuleResult, run_rules
from recoupe.ingest.graph_rows import GraphRows, incident_id, row_hash
from recoupe.ingest.inventories import EventRow
from recoupe.ingest.readers import LogRow, Rejected, check_row, read_logs, write_rejects
from recoupe.ingest.redact import pseudonymised_batch
from recoupe.ingest.vault import Vault, sightings
from recoupe.nlp.extract import Extraction, Extractor
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.geo import geo_key

EVENT_BATCH = 2_000  # structured events need no extraction: larger transactions


@dataclass
class IngestSummary:
    file: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    entities: int = 0
    orphans_removed: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    incident_ids: list[str] = field(default_factory=list)  # created or updated, for their links
    # unchanged ones are linked again: a run killed after writing them may not have linked them yet
    unchanged_ids: list[str] = field(default_factory=list)
    links: list[RuleResult] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.created + self.updated

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "read": self.read, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected, "entities": self.entities,
            "orphans_removed": self.orphans_removed, "seconds": round(self.seconds, 2),
            "logs_per_second": round(self.rate, 1), "rejects_file": self.rejects_file,
            "reasons": self.reasons, "links": [r.as_dict() for r in self.links],
        }  # fmt: skip


def event_hash(row: EventRow) -> str:
    """What identifies an event's content."""
    parts = [row.occurred_at.isoformat(), row.category, repr(row.lat), repr(row.lon), row.text or ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class _ReadBatch:
    """One batch of a file as read, waiting for its extractions."""

    rows: list[LogRow]  # new or changed: to extract and write
    replaced: list[str]  # the ids among them whose earlier facts go first
    read: int  # rows read, repeated ids included
    unchanged_ids: list[str]


class Ingestor:
    """One extractor and one graph, for any number of files (a citizen report through the API takes the same
    path: `ingest_rows`)."""

    def __init__(
        self,
        graph: Graph,
        extractor: Extractor,
        pseudonym_key: bytes,
        batch_size: int = 200,
        link: bool = True,
        vault: Vault | None = None,
    ) -> None:
        self.graph, self.extractor, self.key, self.batch_size = graph, extractor, pseudonym_key, batch_size
        self.vault = vault  # where the persons' names go (before the graph: no pseudonym without its name)
        self.link = link  # run the link rules over what each call created or updated
        self.graph_rows = GraphRows(pseudonym_key, extractor.geocoder)

    def ingest_file(
        self, path: Path, source: str | None = None, progress: Callable[[IngestSummary], None] | None = None
    ) -> IngestSummary:
        summary = IngestSummary(str(path))
        began = time.perf_counter()
        rejects: list[Rejected] = []
        # One extraction stream over the whole file (the model never waits at a batch's end), cut back into
        # the file's batches; batch N is written by a second thread while the stream goes on, and a write's
        # failure surfaces at the next wait. A batch is counted (and the progress bar moves) in file order,
        # once everything before it is done, however far ahead the stream has read.
        batches: deque[_ReadBatch] = deque()
        todo = self._rows_to_extract(self._read_batches(path, source, rejects), batches)
        extractions = self.extractor.extract(  # the model's batches no longer than the file's
            ((incident_id(r), r.text, r.reported_at) for r in todo), batch_size=min(64, self.batch_size)
        )

        def settle(read: _ReadBatch) -> None:
            summary.read += read.read
            summary.unchanged += read.read - len(read.rows)
            summary.unchanged_ids += read.unchanged_ids
            summary.seconds = time.perf_counter() - began

        def settle_unchanged() -> None:  # the batches at the front with nothing to write
            while batches and not batches[0].rows:
                settle(batches.popleft())
                if progress:
                    progress(summary)

        done: list[Extraction] = []
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future[None] | None = None
            for extraction in extractions:
                settle_unchanged()
                done.append(extraction)
                if len(done) < len(batches[0].rows):  # its rows were read before their extractions came
                    continue
                read = batches.popleft()
                batch = self.batch(read.rows, done, summary)
                batch.replaced = read.replaced
                done = []
                if pending is not None:
                    pending.result()
                pending = writer.submit(self.commit, batch, summary)
                settle(read)
                if progress:
                    progress(summary)
            settle_unchanged()
            if pending is not None:
                pending.result()
        self._finish(path, rejects, summary, began)
        return summary

    def _read_batches(
        self, path: Path, source: str | None, rejects: list[Rejected]
    ) -> Iterator[tuple[list[LogRow], int]]:
        """The file's valid rows in batches, each id once, with how many rows of the batch repeated an id
        already read (counted as unchanged: no batch races an earlier one); bad rows go to `rejects`."""
        rows: list[LogRow] = []
        repeated = 0
        seen: set[str] = set()
        for item in read_logs(path, source):
            if isinstance(item, Rejected):
                rejects.append(item)
            elif item.source is None:
                rejects.append(Rejected(item.line, item.id, "no source: give a source column or --source"))
            elif incident_id(item) in seen:
                repeated += 1
            else:
                seen.add(incident_id(item))
                rows.append(item)
            if len(rows) >= self.batch_size:
                yield rows, repeated
                rows, repeated = [], 0
        if rows or repeated:
            yield rows, repeated

    def _rows_to_extract(
        self, batches_read: Iterable[tuple[list[LogRow], int]], queued: deque[_ReadBatch]
    ) -> Iterator[LogRow]:
        """The rows whose content is new or changed, batch by batch; each batch is queued in `queued` before
        the first of its rows is yielded."""
        for rows, repeated in batches_read:
            todo, replaced, unchanged_ids = self._changed(rows)
            queued.append(_ReadBatch(todo, replaced, len(rows) + repeated, unchanged_ids))
            yield from todo

    def _changed(self, rows: list[LogRow]) -> tuple[list[LogRow], list[str], list[str]]:
        """Of these rows: those whose content is new or changed, the ids of those that replace an incident,
        and the ids of the unchanged ones."""
        known = existing_hashes(self.graph, [incident_id(row) for row in rows]) if rows else {}
        same = {incident_id(r) for r in rows if known.get(incident_id(r)) == row_hash(r, self.key)}
        todo = [row for row in rows if incident_id(row) not in same]
        replaced = [incident_id(r) for r in todo if incident_id(r) in known]
        return todo, replaced, [incident_id(r) for r in rows if incident_id(r) in same]

    def ingest_events(
        self, path: Path, items: Iterable[EventRow | Rejected], source: str | None = None
    ) -> IngestSummary:
        """Already-structured incidents (open crime data, a records system's export): no text to read, so no
        extraction; the same idempotent writes, rejects and links as logs."""
        summary = IngestSummary(str(path))
        began = time.perf_counter()
        rejects: list[Rejected] = []
        rows: list[EventRow] = []
        for item in items:
            if isinstance(item, Rejected):
                rejects.append(item)
                continue
            if not (item.source or source):
                rejects.append(Rejected(item.line, item.id, "no source: give a source column or --source"))
                continue
            rows.append(item)
            if len(rows) >= EVENT_BATCH:
                self._events(rows, source, summary)
                rows = []
        if rows:
            self._events(rows, source, summary)
        self._finish(path, rejects, summary, began)
        return summary

    def _events(self, rows: list[EventRow], default_source: str | None, summary: IngestSummary) -> None:
        ids = [f"{row.source or default_source}:{row.id}" for row in rows]
        known = existing_hashes(self.graph, ids)
        summary.read += len(rows)
        batch = IncidentBatch()
        for incident, row in zip(ids, rows, strict=True):
            digest = event_hash(row)
            if known.get(incident) == digest:
                summary.unchanged += 1
                summary.unchanged_ids.append(incident)
                continue
            if incident in known:
                batch.replaced.append(incident)
            quartier = self.extractor.geocoder.quartier_of(row.lat, row.lon)
            place_id = f"point:{row.lat:.6f},{row.lon:.6f}"
            props: dict[str, Any] = {
                "source_id": row.id, "source": row.source or default_source, "text_hash": digest,
                "category": row.category, "category_source": "source",
                "occurred_from": row.occurred_at, "occurred_to": row.occurred_at, "time_source": "source",
                "lat": row.lat, "lon": row.lon, "precision": "address", "place_source": "source",
                "geo_key": geo_key(row.lat, row.lon, row.occurred_at.timestamp()),
            }  # fmt: skip
            if row.text:
                props["text"] = row.text
            batch.incidents.append({"id": incident, "source": props["source"], "props": props})
            batch.places.append(
                {"id": place_id, "name": f"{row.lat:.6f}, {row.lon:.6f}", "precision": "address",
                 "lat": row.lat, "lon": row.lon, "postcode": quartier.postcode if quartier else None}
            )  # fmt: skip
            batch.place_links.append({"incident": incident, "id": place_id})
        if batch.incidents:
            self.commit(batch, summary)

    def _finish(self, path: Path, rejects: list[Rejected], summary: IngestSummary, began: float) -> None:
        summary.rejected = len(rejects)
        summary.read += len(rejects)
        for r in rejects:
            reason = r.reason.split(" (")[0]
            summary.reasons[reason] = summary.reasons.get(reason, 0) + 1
        summary.rejects_file = write_rejects(path, rejects)
        summary.seconds = time.perf_counter() - began
        self._link(summary)

    def _link(self, summary: IngestSummary) -> None:
        """The link rules over the incidents just created or updated (timed apart from the ingestion)."""
        if self.link and (summary.incident_ids or summary.unchanged_ids):
            summary.links = run_rules(self.graph, scope=summary.incident_ids + summary.unchanged_ids)

    def ingest_report(
        self, report: Mapping[str, object], source: str = "citizen"
    ) -> tuple[str, IngestSummary]:
        """One report arriving alone (a citizen report through the API): the same checks as a file's row, then
        the same extraction and writes. Returns the incident's id and the summary; an invalid report raises
        InvalidInput naming the reason, and nothing is written."""
        checked = check_row(1, report, source)
        if isinstance(checked, Rejected):
            raise InvalidInput(
                f"report rejected: {checked.reason}",
                "fix the field named and send it again",
                {"report": checked.reason},
            )
        summary = IngestSummary("report")
        began = time.perf_counter()
        self.ingest_rows([checked], summary)
        summary.seconds = time.perf_counter() - began
        self._link(summary)
        return incident_id(checked), summary

    def ingest_rows(self, rows: list[LogRow], summary: IngestSummary) -> None:
        """Extract and write rows whose content is new or changed; count the rest as unchanged."""
        batch = self.prepare(rows, summary)
        if batch is not None:
            self.commit(batch, summary)

    def prepare(self, rows: list[LogRow], summary: IngestSummary) -> IncidentBatch | None:
        """The batch of rows whose content is new or changed, extracted; None when there is none."""
        todo, replaced, unchanged_ids = self._changed(rows)
        summary.read += len(rows)
        summary.unchanged += len(unchanged_ids)
        summary.unchanged_ids += unchanged_ids
        if not todo:
            return None
        extractions = self.extractor.extract((incident_id(r), r.text, r.reported_at) for r in todo)
        batch = self.batch(todo, extractions, summary)
        batch.replaced = replaced
        return batch

    def batch(
        self, rows: list[LogRow], extractions: Iterable[Extraction], summary: IngestSummary
    ) -> IncidentBatch:
        """The graph rows for these logs and their extractions (nothing replaced), their texts pseudonymised;
        the names and the original texts into the vault first."""
        batch = IncidentBatch()
        for row, extraction in zip(rows, extractions, strict=True):
            summary.entities += self.graph_rows.add(batch, row, extraction)
        seen = sightings(batch)  # the names as written: read before the texts are rewritten
        originals = pseudonymised_batch(batch)
        if self.vault is not None:
            self.vault.keep(seen, originals)
        return batch

    def commit(self, batch: IncidentBatch, summary: IngestSummary) -> None:
        """Write one prepared batch in one transaction."""
        summary.orphans_removed += write_batch(self.graph, batch)
        summary.incident_ids += [row["id"] for row in batch.incidents]
        summary.updated += len(batch.replaced)
        summary.created += len(batch.incidents) - len(batch.replaced)
