"""French words for what the graph holds, for the pages: vocabulary labels, numbers, dates and intervals in
Paris time, a hotspot's change, why two incidents are connected."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")  # fmt: skip
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                "déc.")  # fmt: skip


def term(vocabulary: str, code: str | None) -> str:
    """A vocabulary code's French label ("robbery" → "vol avec violence"); the code itself when unknown."""
    from recoupe.ontology.loader import ontology

    if code is None:
        return "—"
    concept = ontology().vocabulary(vocabulary).concepts.get(code)
    return concept.labels.fr if concept else code


def number(value: float | None, digits: int = 1) -> str:
    """A number as French writes it: 32,5."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def day(at: datetime) -> str:
    local = at.astimezone(PARIS)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def when(at: datetime | str | None) -> str:
    """`lun. 3 mars 2025, 14:30` in Paris time."""
    if at is None:
        return "—"
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    local = moment.astimezone(PARIS)
    return f"{DAYS[local.weekday()]} {day(local)}, {local:%H:%M}"


def interval(start: datetime | str | None, end: datetime | str | None) -> str:
    """An interval, its day written once when it starts and ends on the same day."""
    low, high = (datetime.fromisoformat(v) if isinstance(v, str) else v for v in (start, end))
    if low is None or high is None or high == low:
        return when(low or high)
    if low.astimezone(PARIS).date() == high.astimezone(PARIS).date():
        return f"{when(low)} – {high.astimezone(PARIS):%H:%M}"
    return f"{when(low)} – {when(high)}"


def change(row: Mapping[str, Any]) -> str:
    """A hotspot's change against the previous period, in words."""
    if row["change"] is None:
        return "nouveau" if row["count"] else "—"
    return f"{'+' if row['change'] > 0 else ''}{number(100 * row['change'], 0)} %".replace("-", "−")


def reason(found: Mapping[str, Any]) -> str:
    """Why two incidents are connected, in French (`investigate.connections`' reasons)."""
    kind, entity = found["kind"], found.get("entity")
    if kind == "person":
        roles = f" ({term('PersonRole', found.get('here'))} ici, {term('PersonRole', found.get('there'))} là)"
        return f"même personne {entity}" + (roles if found.get("here") or found.get("there") else "")
    if kind == "vehicle":
        plate = str(entity).removeprefix("plate:")
        return "même véhicule" + (f" (plaque {plate})" if str(entity).startswith("plate:") else "")
    if kind == "near_repeat":
        return f"répétition proche : {number(found['metres'], 0)} m, {number(found['hours'])} h d'écart"
    if kind == "place_time":
        return f"même lieu et moment : {number(found['distance_m'], 0)} m, {number(found['hours'])} h d'écart"
    if kind == "camera":
        return f"vus par la même caméra {found['camera']}"
    if kind == "asset":
        return f"même mobilier endommagé : {found['asset']} ({term('AssetType', found['asset_type'])})"
    others = {"plate": f"même plaque {entity}", "organisation": f"même organisation ({entity})",
              "object": "même objet"}  # fmt: skip
    return others.get(kind, str(kind))
