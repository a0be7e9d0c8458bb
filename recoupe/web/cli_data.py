"""Data commands of `recoupe`: the demo city generator (ingestion commands join here)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app

from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option


@cli.command("demo-data")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write.",
)
@click.option(
    "--days", type=click.IntRange(7, 3650), default=730, show_default=True, help="Length of the period."
)
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), default="2024-01-01", show_default=True, help="First day."
)
@click.option(
    "--logs", type=click.IntRange(1, 10_000_000), default=20_000, show_default=True, help="Number of logs."
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same files, byte for byte.")
@json_option
def demo_data(out: Path, days: int, start: date, logs: int, seed: int, as_json: bool) -> None:
    """Write a synthetic Marseille (labelled as such): logs, cameras, outages, assets, quartiers, truth."""
    from recoupe.ingest.democity.writer import DemoSettings, generate

    summary = generate(
        DemoSettings(
            out=out, days=days, start=start.date() if hasattr(start, "date") else start, logs=logs, seed=seed
        )
    )
    top = ", ".join(f"{k} {v}" for k, v in summary.by_category.most_common(5))
    emit(
        as_json,
        summary.as_dict(),
        f"Demo city written to {out} (synthetic data, seed {seed}):\n"
        f"  {summary.logs:,} logs over {days} days from {start:%Y-%m-%d}"
        f" — {summary.rate:,.0f} logs/s, {summary.seconds:.1f} s\n"
        f"  {summary.cameras} cameras, {summary.outages} outages, {summary.assets:,} street assets\n"
        f"  top categories: {top}\n"
        f"  {summary.distinct_templates} distinct sentence structures used",
    )


@cli.command("extract")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Source name for rows without a source column.")
def extract(file: Path, source: str | None) -> None:
    """Print one JSON object per log of FILE (CSV or JSONL) in the gold format; rejected rows go to stderr."""
    import json

    from recoupe.ingest.readers import LogRow, read_logs
    from recoupe.nlp.extract import Extractor

    rows, rejected = [], 0
    for item in read_logs(file, source):
        if isinstance(item, LogRow):
            rows.append((item.id, item.text, item.reported_at))
        else:
            rejected += 1
            click.echo(f"{file}:{item.line}: rejected {item.id or '(no id)'}: {item.reason}", err=True)
    for extraction in Extractor().extract(rows):
        click.echo(json.dumps(extraction.as_gold(), ensure_ascii=False))
    click.echo(f"{len(rows)} logs extracted, {rejected} rejected", err=True)


@cli.group("eval")
def evaluate() -> None:
    """Evaluate Recoupe's components against gold data."""


@evaluate.command("nlp")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def eval_nlp(gold: Path, as_json: bool) -> None:
    """Run extraction on GOLD.jsonl's texts and score it: entities, roles, categories, times, places."""
    from datetime import datetime

    from recoupe.nlp.evaluate import Evaluation, baseline_scores
    from recoupe.nlp.extract import Extractor
    from recoupe.nlp.gold import read_gold

    records = read_gold(gold)
    evaluation = Evaluation()
    extractor = Extractor()
    logs = ((r["id"], r["text"], datetime.fromisoformat(r["reported_at"])) for r in records)
    for record, extraction in zip(records, extractor.extract(logs), strict=True):
        evaluation.add(record, extraction.as_gold())
    report = evaluation.report()
    report["baseline_fr_core_news_md"] = baseline_scores(
        records, extractor.statistical_entities(r["text"] for r in records)
    )
    lines = [
        f"{report['logs']} logs from {gold}",
        f"{'label':<10} {'P':>6} {'R':>6} {'F1':>6} {'F1 overlap':>10} {'gold':>5}",
    ]
    for label, scores in report["entities_exact"].items():
        loose = report["entities_overlap"][label]["f1"]
        lines.append(
            f"{label:<10} {scores['precision']:6.3f} {scores['recall']:6.3f} {scores['f1']:6.3f}"
            f" {loose:10.3f} {scores['support']:5d}"
        )
    lines += [
        f"role accuracy (matched persons): {report['role_accuracy']}",
        f"category accuracy: {report['category_accuracy']}   macro-F1: {report['category_macro_f1']}",
        f"time accuracy (start within gold ± 1 h): {report['time_accuracy']}   {report['time_counts']}",
        f"geocoding: median {report['geocoding_median_m']} m, within 250 m {report['geocoding_within_250m']},"
        f" within 1 km {report['geocoding_within_1km']}, precision accuracy {report['precision_accuracy']}",
        "baseline, raw fr_core_news_md (PER→PERSON, ORG→ORG, LOC→ADDRESS/PLACE/DISTRICT), F1 exact/overlap:",
    ]
    base = report["baseline_fr_core_news_md"]
    lines += [
        f"  {label}: {base['exact'][label]['f1']:.3f} / {base['overlap'][label]['f1']:.3f}"
        for label in base["exact"]
    ]
    emit(as_json, report, "\n".join(lines))


@cli.group("ingest")
def ingest() -> None:
    """Load data into the graph."""


def progress_bar(done: int, total: int, rate: float, width: int = 30) -> str:
    """'[#########.....]  62 % · 1,240/2,000 logs · 41 logs/s · ETA 0:18' (total is an estimate: clamped)."""
    total = max(total, done, 1)
    filled = round(width * done / total)
    if rate > 0:
        minutes, seconds = divmod(round((total - done) / rate), 60)
        eta = f"{minutes}:{seconds:02d}"
    else:
        eta = "?"
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {100 * done // total:3d} % · {done:,}/{total:,} logs"
        f" · {rate:,.0f} logs/s · ETA {eta} "
    )


@ingest.command("logs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Source name for rows without a source column.")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=200, show_default=True)
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="spaCy worker processes (worth it for large files on several cores).")  # fmt: skip
@json_option
def ingest_logs(file: Path, source: str | None, batch_size: int, processes: int, as_json: bool) -> None:
    """Extract and load a log file (CSV or JSONL); bad rows go to FILE.rejects.csv, the rest loads."""
    import sys

    from recoupe.graph.home import DataHome
    from recoupe.ingest.pipeline import Ingestor, IngestSummary
    from recoupe.ingest.vault import Vault
    from recoupe.nlp.extract import Extractor
    from recoupe.web import runtime

    config = current_app.config
    with open(file, "rb") as fh:  # an estimate of the rows, for the ETA only
        total = max(1, sum(1 for _ in fh) - (0 if file.suffix.lower() == ".jsonl" else 1))
    interactive = sys.stderr.isatty() and not as_json

    def progress(summary: IngestSummary) -> None:
        if interactive:
            click.echo("\r" + progress_bar(summary.read, total, summary.rate), nl=False, err=True)

    key = DataHome(Path(config["RECOUPE_HOME"])).pseudonym_key()
    with runtime.open_graph(config) as graph:
        extractor = Extractor(processes=processes)
        vault = Vault(Path(config["RECOUPE_HOME"]))
        summary = Ingestor(graph, extractor, key, batch_size, vault=vault).ingest_file(file, source, progress)
    if interactive:
        click.echo("\r" + progress_bar(summary.read, summary.read, summary.rate), err=True)
    _journal("logs", summary)
    rejects = f" — see {summary.rejects_file}" if summary.rejects_file else ""
    emit(
        as_json,
        summary.as_dict(),
        f"{file}: {summary.read:,} rows read, {summary.created:,} created, {summary.updated:,} updated, "
        f"{summary.unchanged:,} unchanged, {summary.rejected:,} rejected{rejects}\n"
        f"{summary.entities:,} entities written; {summary.rate:,.1f} logs/s over {summary.seconds:.1f} s"
        + "".join("\n" + _rule_text(r) for r in summary.links),
    )


def _bounds(given: str | None) -> tuple[float, float, float, float] | None:
    """--bounds, else RECOUPE_CITY_BOUNDS, else none."""
    from recoupe.ontology.errors import InvalidInput

    raw = given if given is not None else str(current_app.config.get("RECOUPE_CITY_BOUNDS") or "")
    if not raw.strip():
        return None
    try:
        south, west, north, east = (float(v) for v in raw.split(","))
    except ValueError:
        raise InvalidInput(
            f"bounds {raw!r} are not four numbers", "give south,west,north,east in degrees"
        ) from None
    if not (south < north and west < east):
        raise InvalidInput(f"bounds {raw!r} are empty", "give south,west,north,east with south < north")
    return south, west, north, east


bounds_option = click.option(
    "--bounds", help="south,west,north,east: reject points outside (default: RECOUPE_CITY_BOUNDS, none)."
)
no_link_option = click.option(
    "--no-link", is_flag=True, help="Do not run the link rules now (run `recoupe link` later)."
)


def _journal(kind: str, summary: Any) -> None:
    """One line in the ingestion journal (RECOUPE_HOME/ingestions.jsonl), which the dashboard shows."""
    from recoupe.ingest import journal

    journal.record(Path(current_app.config["RECOUPE_HOME"]), kind, summary)
    audit.record(f"ingest.{kind}", [f"file:{Path(summary.file).name}"])


def _layer_text(summary: Any) -> str:
    rejects = f" — see {summary.rejects_file}" if summary.rejects_file else ""
    lines = [
        f"{summary.file}: {summary.read:,} rows read, {summary.created:,} created, "
        f"{summary.updated:,} updated, {summary.unchanged:,} unchanged, {summary.rejected:,} rejected"
        f"{rejects} ({summary.seconds:.1f} s)"
    ]
    lines += [_rule_text(r) for r in summary.links]
    return "\n".join(lines)


def _rule_text(result: Any) -> str:
    held = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
    return (
        f"  link {result.rule}: {result.created:,} created, {result.removed:,} removed, "
        f"{result.unchanged:,} unchanged — now {held} ({result.seconds:.1f} s)"
    )


@ingest.command("cameras")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@bounds_option
@no_link_option
@json_option
def ingest_cameras(file: Path, bounds: str | None, no_link: bool, as_json: bool) -> None:
    """Load a camera inventory (CSV or GeoJSON points); bad rows go to FILE.rejects.csv."""
    from recoupe.ingest.layers import load_cameras
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config) as graph:
        summary = load_cameras(graph, file, _bounds(bounds), link=not no_link)
    _journal("cameras", summary)
    emit(as_json, summary.as_dict(), _layer_text(summary))


@ingest.command("outages")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@no_link_option
@json_option
def ingest_outages(file: Path, no_link: bool, as_json: bool) -> None:
    """Load camera outages (camera_id, start, end); unknown cameras are rejected."""
    from recoupe.ingest.layers import load_outages
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config) as graph:
        summary = load_outages(graph, file, link=not no_link)
    _journal("outages", summary)
    emit(as_json, summary.as_dict(), _layer_text(summary))


@ingest.command("assets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@bounds_option
@no_link_option
@json_option
def ingest_assets(file: Path, bounds: str | None, no_link: bool, as_json: bool) -> None:
    """Load street assets (id, type, lat, lon); types from the ontology, French accepted."""
    from recoupe.ingest.layers import load_assets
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config) as graph:
        summary = load_assets(graph, file, _bounds(bounds), link=not no_link)
    _journal("assets", summary)
    emit(as_json, summary.as_dict(), _layer_text(summary))


@ingest.command("quartiers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name-property", help="Feature property holding the name (default: Marseille's nom_qua).")
@click.option("--district-property", help="Feature property holding the district (default: nom_co).")
@no_link_option
@json_option
def ingest_quartiers(
    file: Path, name_property: str | None, district_property: str | None, no_link: bool, as_json: bool
) -> None:
    """Load quartier polygons (GeoJSON) and their arrondissements."""
    from recoupe.ingest.layers import load_quartiers
    from recoupe.web import runtime

    with runtime.open_graph(current_app.config) as graph:
        summary = load_quartiers(graph, file, name_property, district_property, link=not no_link)
    _journal("quartiers", summary)
    emit(as_json, summary.as_dict(), _layer_text(summary))


@ingest.command("events")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Source name (default: the file's name without extension).")
@click.option("--columns", help="Comma-separated column names, for a CSV without a header row.")
@click.option("--time-format", help="strptime format of occurred_at (default: ISO 8601 or dd/mm/yyyy hh:mm).")
@click.option("--timezone", "tz", default="Europe/Paris", show_default=True, help="Zone of naive times.")
@click.option(
    "--category-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file: source label → ontology category.",
)
@bounds_option
@no_link_option
@json_option
def ingest_events(
    file: Path,
    source: str | None,
    columns: str | None,
    time_format: str | None,
    tz: str,
    category_map: Path | None,
    bounds: str | None,
    no_link: bool,
    as_json: bool,
) -> None:
    """Load structured incidents (occurred_at, category, lat, lon [, id, text]): open data."""
    import json

    from recoupe.graph.home import DataHome
    from recoupe.ingest.inventories import read_events
    from recoupe.ingest.pipeline import Ingestor
    from recoupe.nlp.extract import Extractor
    from recoupe.ontology.errors import InvalidInput
    from recoupe.web import runtime

    mapping = None
    if category_map is not None:
        try:
            mapping = json.loads(category_map.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"{category_map} is not JSON ({exc})", "give a JSON object label → category"
            ) from None
        if not isinstance(mapping, dict):
            raise InvalidInput(f"{category_map} is not a JSON object", 'give {"LABEL": "category", …}')
    name = source or file.name.split(".")[0]
    items = read_events(
        file,
        [c.strip() for c in columns.split(",")] if columns else None,
        time_format,
        mapping,
        _bounds(bounds),
        name,
        tz,
    )
    key = DataHome(Path(current_app.config["RECOUPE_HOME"])).pseudonym_key()
    with runtime.open_graph(current_app.config) as graph:
        ingestor = Ingestor(graph, Extractor(), key, link=not no_link)
        summary = ingestor.ingest_events(file, items, name)
    _journal("events", summary)
    rejects = f" — see {summary.rejects_file}" if summary.rejects_file else ""
    lines = [
        f"{file}: {summary.read:,} rows read, {summary.created:,} created, {summary.updated:,} updated, "
        f"{summary.unchanged:,} unchanged, {summary.rejected:,} rejected{rejects}; "
        f"{summary.rate:,.0f} rows/s over {summary.seconds:.1f} s"
    ]
    emit(as_json, summary.as_dict(), "\n".join(lines + [_rule_text(r) for r in summary.links]))
