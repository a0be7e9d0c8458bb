"""`recoupe identity reveal`: the operator's way to the name behind a pseudonym, with a motive, journalled as
the system account running it (`cli:<user>`), like the web's reveal (identity.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from recoupe.ontology.errors import InvalidInput
from recoupe.web import audit
from recoupe.web.cli import cli, emit, json_option
from recoupe.web.identity import ACTION, checked_motive, objects, reveal


@cli.group("identity")
def identity_group() -> None:
    """The identity vault (RECOUPE_HOME/vault): reveal the names behind a pseudonym."""


@identity_group.command("reveal")
@click.argument("pseudonym")
@click.option("--motive", required=True, help="Why (at least 10 characters): journalled with the reveal.")
@click.option("--case", help="The case (procedure) reference, journalled too.")
@json_option
def reveal_command(pseudonym: str, motive: str, case: str | None, as_json: bool) -> None:
    """Print the names written for PSEUDONYM (P-XXXXXXXX) and their incidents; journalled first."""
    try:
        motive, case = checked_motive(motive, case)
    except InvalidInput:
        audit.record("refused." + ACTION, objects(pseudonym, case), why=motive)
        raise
    found = reveal(Path(current_app.config["RECOUPE_HOME"]), pseudonym, motive, case)
    lines = [f"{n['name']}  ({', '.join(n['incidents'])})" for n in found["names"]]
    emit(as_json, found, "\n".join([f"{pseudonym}:", *lines]))
