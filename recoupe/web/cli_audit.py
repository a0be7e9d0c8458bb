"""`recoupe audit …`: verify the audit journal's chain and read it (each reading is journalled too)."""

from __future__ import annotations

from typing import Any

import click

from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option


@cli.group("audit")
def audit_group() -> None:
    """The audit journal (RECOUPE_HOME/audit/journal.jsonl): verify it, read it."""


@audit_group.command("verify")
@json_option
def verify(as_json: bool) -> None:
    """Check every entry's seq, chain and hash, and the end against the head; exit 1 on the first bad one.
    Keep the printed head (last seq and hash) elsewhere: a later verify proves the journal still holds it."""
    verdict = audit.journal().verify()
    head = f"head: seq {verdict.last_seq} sha256 {verdict.last_hash}"
    if verdict.ok:
        emit(as_json, verdict.as_dict(), f"Audit journal intact: {verdict.entries} entries.\n{head}")
        return
    emit(as_json, verdict.as_dict(),
         f"Audit journal BROKEN at seq {verdict.bad_seq}: {verdict.reason}.\n"
         f"Entries before it are intact ({verdict.entries}); {head}")  # fmt: skip
    raise click.exceptions.Exit(1)


def _line(entry: dict[str, Any]) -> str:
    motive = f"  motif: {entry['motive']}" if entry.get("motive") else ""
    role = f" ({entry['role']})" if entry.get("role") else ""
    return (f"{entry['seq']:>7}  {entry['at'][:19]}Z  {entry['actor']}{role}  {entry['action']}  "
            f"{' · '.join(entry.get('objects') or ())}{motive}")  # fmt: skip


@audit_group.command("show")
@click.option("--actor", help="Only this account (or cli:<os user>, anonymous).")
@click.option("--action", help="Only this action, or its prefix: `view` for view.incident, view.entity…")
@click.option("--object", "obj", help="Only entries naming this object (or part of its name).")
@click.option("--from", "start", help="From this day (YYYY-MM-DD) or time (ISO 8601), included.")
@click.option("--to", "end", help="To this day (YYYY-MM-DD) included, or this time (ISO 8601) excluded.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=50, show_default=True,
              help="Entries shown, latest first.")  # fmt: skip
@json_option
def show(actor: str | None, action: str | None, obj: str | None, start: str | None, end: str | None,
         limit: int, as_json: bool) -> None:  # fmt: skip
    """The journal's entries, latest first, filtered; this reading is journalled as `audit.read`."""
    filters = audit.Filters(actor, action, obj, audit.moment(start), audit.moment(end, end=True))
    found = audit.show(audit.journal(), filters)
    audit.record("audit.read", filters.described())
    shown = found[:limit]
    more = f" (the latest {len(shown)} shown)" if len(found) > len(shown) else ""
    emit(as_json, {"total": len(found), "items": shown},
         "\n".join([f"{len(found)} entries{more}", *map(_line, shown)]))  # fmt: skip
