"""`recoupe demo-data`: write the demo city's files, streaming the logs day by day (flat memory)."""

from __future__ import annotations

import csv
import heapq
import json
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from recoupe.ingest.democity.compose import Composer, LogRecord
from recoupe.ingest.democity.dynamics import PARIS, Process
from recoupe.ingest.democity.world import World, build_world
from recoupe.nlp.gazetteer import MARSEILLE, Gazetteer, marseille
from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.loader import ontology

LOG_COLUMNS = ("id", "reported_at", "source", "text", "address", "lat", "lon")
MAX_DELAY_DAYS = 5  # no log is reported later than this after its incident (compose.DELAY_MINUTES)


@dataclass(frozen=True)
class DemoSettings:
    out: Path
    days: int = 730
    start: date = date(2024, 1, 1)
    logs: int = 20_000
    seed: int = 42


@dataclass
class DemoSummary:
    out: Path
    logs: int = 0
    cameras: int = 0
    outages: int = 0
    assets: int = 0
    seconds: float = 0.0
    by_category: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    distinct_templates: int = 0

    @property
    def rate(self) -> float:
        return self.logs / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "logs": self.logs,
            "cameras": self.cameras,
            "outages": self.outages,
            "assets": self.assets,
            "seconds": round(self.seconds, 2),
            "logs_per_second": round(self.rate),
            "by_category": dict(self.by_category.most_common()),
            "by_source": dict(self.by_source.most_common()),
            "distinct_templates": self.distinct_templates,
        }


def generate(settings: DemoSettings, gazetteer: Gazetteer | None = None) -> DemoSummary:
    """Write every file of the demo city into `settings.out`; the same settings give the same bytes."""
    if settings.logs < 1 or settings.days < 7:
        raise InvalidInput("The demo city needs at least 1 log and 7 days", "raise --logs or --days")
    began = time.perf_counter()
    gazetteer = gazetteer or marseille()
    rng = random.Random(settings.seed)
    start = datetime(settings.start.year, settings.start.month, settings.start.day, tzinfo=PARIS)
    world = build_world(gazetteer, rng, start, settings.days, settings.logs)
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    summary = DemoSummary(out)
    summary.cameras, summary.outages = _write_cameras(out, world)
    summary.assets = _write_assets(out, world)
    shutil.copyfile(MARSEILLE / "quartiers.geojson", out / "quartiers.geojson")
    postcodes = {q.name: q.postcode for q in gazetteer.quartiers}
    asset_labels = {
        code: (c.labels.fr, *c.alt_labels_fr)
        for code, c in ontology().vocabulary("AssetType").concepts.items()
    }
    composer = Composer(world, rng, postcodes, asset_labels)
    with (
        open(out / "logs.csv", "w", encoding="utf-8", newline="") as logs_file,
        open(out / "truth.jsonl", "w", encoding="utf-8") as truth_file,
    ):
        writer = csv.DictWriter(logs_file, LOG_COLUMNS, lineterminator="\n")
        writer.writeheader()
        pending: list[tuple[datetime, int, LogRecord]] = []
        for day_index, events in enumerate(Process(world, rng).days(settings.logs)):
            for event in events:
                record = composer.compose(event)
                heapq.heappush(pending, (record.reported_at, event.number, record))
                summary.by_category[event.category] += 1
                summary.by_source[record.row["source"]] += 1
            horizon = start + timedelta(days=day_index - MAX_DELAY_DAYS)
            while pending and pending[0][0] < horizon:
                _emit(heapq.heappop(pending)[2], writer, truth_file)
        while pending:
            _emit(heapq.heappop(pending)[2], writer, truth_file)
    summary.logs = sum(summary.by_category.values())
    summary.distinct_templates = len(composer.templates_used)
    _write_readme(out, settings, summary)
    summary.seconds = time.perf_counter() - began
    return summary


def _emit(record: LogRecord, writer: csv.DictWriter[str], truth_file: IO[str]) -> None:
    writer.writerow(record.row)
    truth_file.write(json.dumps(record.truth, ensure_ascii=False) + "\n")


def _write_cameras(out: Path, world: World) -> tuple[int, int]:
    outages = 0
    with (
        open(out / "cameras.csv", "w", encoding="utf-8", newline="") as cam_file,
        open(out / "camera_outages.csv", "w", encoding="utf-8", newline="") as outage_file,
    ):
        cams = csv.writer(cam_file, lineterminator="\n")
        cams.writerow(("id", "lat", "lon", "bearing_deg", "fov_deg", "range_m", "installed_at", "label"))
        gaps = csv.writer(outage_file, lineterminator="\n")
        gaps.writerow(("camera_id", "start", "end"))
        for cam in world.cameras:
            cams.writerow(
                (
                    cam.id,
                    cam.lat,
                    cam.lon,
                    cam.bearing_deg,
                    cam.fov_deg,
                    cam.range_m,
                    cam.installed_at.isoformat(),
                    f"Caméra {cam.number} - {cam.label}",
                )
            )
            for begin, end in cam.outages:
                gaps.writerow((cam.id, begin.isoformat(), end.isoformat()))
                outages += 1
    return len(world.cameras), outages


def _write_assets(out: Path, world: World) -> int:
    with open(out / "assets.csv", "w", encoding="utf-8", newline="") as fh:
        rows = csv.writer(fh, lineterminator="\n")
        rows.writerow(("id", "type", "lat", "lon", "installed_at"))
        for asset in world.assets:
            rows.writerow((asset.id, asset.type, asset.lat, asset.lon, asset.installed_at.isoformat()))
    return len(world.assets)


def _write_readme(out: Path, settings: DemoSettings, summary: DemoSummary) -> None:
    (out / "README.txt").write_text(
        f"""DONNÉES SYNTHÉTIQUES — SYNTHETIC DATA

Every incident, person, vehicle, plate, camera and street asset in this directory is invented by
`recoupe demo-data` (seed {settings.seed}, {settings.logs} logs over {settings.days} days from
{settings.start.isoformat()}).
No real person or event is described. Only the geography is real: street names, landmarks and quartier
boundaries of Marseille (© OpenStreetMap contributors, ODbL 1.0; quartiers from Marseille's open data).

Files
  logs.csv             id, reported_at, source, text, address, lat, lon — free-text French incident logs
  cameras.csv          id, lat, lon, bearing_deg, fov_deg, range_m, installed_at, label
  camera_outages.csv   camera_id, start, end — periods when a camera was broken or masked
  assets.csv           id, type, lat, lon, installed_at — street furniture (types from the ontology)
  quartiers.geojson    the real quartier boundaries (simplified to about 1 m)
  truth.jsonl          per log: category, occurrence interval the text supports (occurred_from/_to) and the
                       actual time (occurred_at), true place, every entity mention (start, end, label, role,
                       ref), cameras that saw it or were out, damaged asset, near-repeat parent, hotspot

Counts: {summary.logs} logs, {summary.cameras} cameras, {summary.outages} outages, {summary.assets} assets.
""",
        encoding="utf-8",
    )
