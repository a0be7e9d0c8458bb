"""`recoupe identity reveal` and `recoupe identity original`: the operator's way to the name behind a
pseudonym and to an incident's original text, with a motive, journalled as the system account running it
(`cli:<user>`), like the web's reveals (identity.py); `recoupe identity rotate-key` reseals the vault under a
new key (recoupe/ingest/vault_key.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from recoupe.ingest.vault import Vault
from recoupe.ontology.errors import InvalidInput
from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option
from recoupe.web.identity import ACTION, ORIGINAL, checked_motive, objects, original, reveal


@cli.group("identity")
def identity_group() -> None:
    """The identity vault (RECOUPE_HOME/vault): the names behind a pseudonym, an incident's original text."""


def _motive(action: str, subject: str, motive: str, case: str | None) -> tuple[str, str | None]:
    """The checked motive and case; a bad motive is journalled as refused, then raised."""
    try:
        return checked_motive(motive, case)
    except InvalidInput:
        audit.record("refused." + action, objects(subject, case), why=motive)
        raise


@identity_group.command("reveal")
@click.argument("pseudonym")
@click.option("--motive", required=True, help="Why (at least 10 characters): journalled with the reveal.")
@click.option("--case", help="The case (procedure) reference, journalled too.")
@json_option
def reveal_command(pseudonym: str, motive: str, case: str | None, as_json: bool) -> None:
    """Print the names written for PSEUDONYM (P-XXXXXXXX) and their incidents; journalled first."""
    motive, case = _motive(ACTION, f"person:{pseudonym}", motive, case)
    found = reveal(Path(current_app.config["RECOUPE_HOME"]), pseudonym, motive, case)
    lines = [f"{n['name']}  ({', '.join(n['incidents'])})" for n in found["names"]]
    emit(as_json, found, "\n".join([f"{pseudonym}:", *lines]))


@identity_group.command("original")
@click.argument("incident_id")
@click.option("--motive", required=True, help="Why (at least 10 characters): journalled with the reveal.")
@click.option("--case", help="The case (procedure) reference, journalled too.")
@json_option
def original_command(incident_id: str, motive: str, case: str | None, as_json: bool) -> None:
    """Print the original text of INCIDENT_ID (SOURCE:ID), names included; journalled first."""
    motive, case = _motive(ORIGINAL, f"incident:{incident_id}", motive, case)
    found = original(Path(current_app.config["RECOUPE_HOME"]), incident_id, motive, case)
    emit(as_json, found, found["text"])


@identity_group.command("rotate-key")
@json_option
def rotate_key_command(as_json: bool) -> None:
    """Reseal the identity vault under a new key (secrets/vault.key); back up the new key afterwards."""
    vault = Vault(Path(current_app.config["RECOUPE_HOME"]))
    counts = vault.rotate()
    audit.record("identity.rotate_key", [f"{name}={n}" for name, n in counts.items()])
    emit(as_json, {**counts, "key": str(vault.key_path)},
         f"Identity vault resealed under a new key: {counts['persons']} persons, {counts['texts']} texts.\n"
         f"Back up {vault.key_path} now: the previous key opens nothing any more.")  # fmt: skip
