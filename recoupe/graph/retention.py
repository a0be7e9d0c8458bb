"""Retention: erase incidents older than the retention period and all that existed only because of them.

An incident's time is the end of its occurrence (`occurred_to`), else its start (`occurred_from`), else when
it was reported (`reported_at`): an incident is kept as long as any part of it is within the period. Incidents
with none of the three are never purged (they are counted as `undated`).

What goes: the incidents, with all their relationships (provenance EXTRACTED_FROM, OCCURRED_AT, INVOLVES,
NEAR_REPEAT, SEEN_BY, MISSED_BY, DAMAGED); the people, plates, vehicles, objects, organisations and places
involved in no kept incident, with their own relationships (HAS_PLATE, IN); sources left without incidents;
and every Forecast, because forecasts were computed from the erased history (run `recoupe train` and
`recoupe forecast` again). When the graph holds analytics (series, centrality), they are recomputed so that no
series id derived from an erased incident stays behind. Cameras, street assets, quartiers and cells stay.
Given the identity vault, the purge erases there too: the erased incidents' original texts, and their
sightings from each person's names (a person left with no incident loses its row).

The vault goes first, then entities and forecasts before the incidents that reveal them, emptied sources
last: a purge killed at any point leaves what a rerun finishes (but for the analytics: `recoupe analytics`
then). A dry run reads only (the vault's counts come from a transaction rolled back).
"""

from __future__ import annotations

import calendar
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import neo4j

from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.graph.values import to_graph
from recoupe.ontology.errors import InvalidInput

BATCH = 500
PERIOD = re.compile(r"^\s*(\d{1,4})\s*([dmy])\s*$")


class Vault(Protocol):
    """What the purge needs of the identity vault (recoupe/ingest/vault.py: the graph does not import it)."""

    def forget(self, incidents: Iterable[str], dry_run: bool = False) -> dict[str, int]: ...


@dataclass(frozen=True)
class Period:
    """A retention period: a number of days, months or years."""

    amount: int
    unit: str  # "d", "m" or "y"

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def before(self, now: datetime) -> datetime:
        """The cutoff: `now` moved back by the period (calendar months and years; 29 February → 28)."""
        if self.unit == "d":
            return now - timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "y" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day)


def parse_period(text: str) -> Period:
    """'3y', '18m', '90d' → a Period (at least one day)."""
    found = PERIOD.match(text or "")
    if found is None or int(found.group(1)) == 0:
        raise InvalidInput(
            f"retention period {text!r} is not a number of days, months or years",
            "write it like 3y, 18m or 90d",
            {"older_than": "expected <number><d|m|y>, e.g. 3y"},
        )
    return Period(int(found.group(1)), found.group(2))


@dataclass
class PurgeSummary:
    """What a purge erased (or, dry, would erase): counts only, never names."""

    cutoff: datetime
    dry_run: bool
    incidents: int = 0
    undated: int = 0
    nodes: dict[str, int] = field(default_factory=dict)  # label → erased entities and places
    relationships: dict[str, int] = field(default_factory=dict)  # type → relationships of erased incidents
    sources: int = 0
    forecasts: int = 0
    analytics_recomputed: bool = False
    vault: dict[str, int] = field(default_factory=dict)  # texts, persons_updated, persons_removed
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(), "dry_run": self.dry_run, "incidents": self.incidents,
            "undated": self.undated, "nodes": self.nodes, "relationships": self.relationships,
            "sources": self.sources, "forecasts": self.forecasts,
            "analytics_recomputed": self.analytics_recomputed, "vault": self.vault,
            "seconds": round(self.seconds, 2),
        }  # fmt: skip

    def audit_objects(self) -> list[str]:
        """The journal's objects: the cutoff and the counts."""
        counts = {"incidents": self.incidents, **self.nodes, "sources": self.sources}
        vault = [f"vault_{k}={v}" for k, v in self.vault.items()]
        return [f"cutoff={self.cutoff.isoformat()}", *(f"{k}={v}" for k, v in counts.items()),
                f"forecasts={self.forecasts}", *vault]  # fmt: skip


@dataclass
class _Plan:
    incidents: list[str]
    doomed: dict[str, list[str]]  # label → ids involved in no kept incident
    survivors: dict[str, list[str]]  # label → ids that lose incidents but stay


def purge(graph: Graph, cutoff: datetime, dry_run: bool = False, vault: Vault | None = None) -> PurgeSummary:
    """Erase (or count, with `dry_run`) incidents before `cutoff` and what only they used, in the graph and,
    given one, in the identity vault."""
    began = time.perf_counter()
    summary = PurgeSummary(cutoff, dry_run)
    with graph.session() as session:
        plan = _plan(session, cutoff)
        summary.incidents = len(plan.incidents)
        summary.undated = int(session.run(queries.RETENTION_UNDATED).single(strict=True)["count"])
        summary.nodes = {label: len(ids) for label, ids in plan.doomed.items() if ids}
        summary.relationships = _relationships(session, plan.incidents)
        summary.sources = len(_emptied_sources(session, plan.incidents))
        summary.forecasts = (
            int(session.run(queries.RETENTION_COUNT_FORECASTS).single(strict=True)["count"])
            if plan.incidents
            else 0
        )
        if vault is not None:  # before the graph: a purge killed between the two is finished by a rerun
            summary.vault = vault.forget(plan.incidents, dry_run)
        if dry_run:
            summary.seconds = time.perf_counter() - began
            return summary
        analysed = int(session.run(queries.RETENTION_ANALYSED).single(strict=True)["count"]) > 0
        for label, ids in plan.doomed.items():
            _in_batches(session, queries.RETENTION_DELETE_NODES[label], ids)
        for label, ids in plan.survivors.items():
            if label in queries.RETENTION_CLEAR_CENTRALITY:
                _in_batches(session, queries.RETENTION_CLEAR_CENTRALITY[label], ids)
        if plan.incidents:
            session.run(queries.RETENTION_DELETE_FORECASTS).consume()
        _in_batches(session, queries.RETENTION_DELETE_INCIDENTS, plan.incidents)
        _in_batches(session, queries.RETENTION_DELETE_SOURCES, _emptied_sources(session, []))
    if analysed and plan.incidents:
        from recoupe.graph.analytics import analyse

        analyse(graph)
        summary.analytics_recomputed = True
    summary.seconds = time.perf_counter() - began
    return summary


def _plan(session: neo4j.Session, cutoff: datetime) -> _Plan:
    ids = [r["id"] for r in session.run(queries.RETENTION_EXPIRED, cutoff=to_graph(cutoff))]
    erased = set(ids)
    doomed: dict[str, list[str]] = {}
    survivors: dict[str, list[str]] = {}
    for label in queries.RETENTION_LABELS:
        incidents: dict[str, set[str]] = {}
        for start in range(0, len(ids), BATCH):
            for r in session.run(queries.RETENTION_INCIDENTS_OF[label], ids=ids[start : start + BATCH]):
                incidents.setdefault(r["id"], set()).update(r["incidents"])
        doomed[label] = sorted(n for n, used in incidents.items() if used <= erased)
        survivors[label] = sorted(n for n, used in incidents.items() if not used <= erased)
    return _Plan(ids, doomed, survivors)


def _relationships(session: neo4j.Session, ids: list[str]) -> dict[str, int]:
    """Relationships of the erased incidents by type (one between two erased incidents counted once)."""
    counts: Counter[str] = Counter()
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        for r in session.run(queries.RETENTION_LINKS_OUT, ids=part):
            counts[r["type"]] += r["count"]
        for r in session.run(queries.RETENTION_LINKS_IN, ids=part, all=ids):
            counts[r["type"]] += r["count"]
    return dict(sorted(counts.items()))


def _emptied_sources(session: neo4j.Session, ids: list[str]) -> list[str]:
    """Sources left without incidents once `ids` are erased (and any already empty)."""
    lost: Counter[str] = Counter()
    for start in range(0, len(ids), BATCH):
        for r in session.run(queries.RETENTION_SOURCES_OF, ids=ids[start : start + BATCH]):
            lost[r["id"]] += r["count"]
    return [r["id"] for r in session.run(queries.RETENTION_SOURCE_SIZES) if r["incidents"] == lost[r["id"]]]


def _in_batches(session: neo4j.Session, statement: str, ids: list[str]) -> None:
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        session.execute_write(_run, statement, part)


def _run(tx: neo4j.ManagedTransaction, statement: str, ids: list[str]) -> None:
    tx.run(statement, ids=ids).consume()
