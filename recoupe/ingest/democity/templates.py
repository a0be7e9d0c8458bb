"""Templates of the phrase bank, parsed once, and the context that says which slots a log can fill."""

from __future__ import annotations

import re
from dataclasses import dataclass

from recoupe.ingest.democity.world import Asset, Camera, Person, Vehicle

SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    voices: frozenset[str] | None
    pieces: tuple[str, ...]  # fixed, slot, fixed, slot, …, fixed
    slots: frozenset[str]
    text: str


def parse(text: str, voices: str = "*") -> Template:
    pieces = tuple(SLOT.split(text))
    return Template(
        None if voices.strip() == "*" else frozenset(voices.split()), pieces, frozenset(pieces[1::2]), text
    )


def lowered(template: Template) -> Template:
    """The template with its first letter in lower case, unless it starts an acronym (SDF, PM …)."""
    first = template.pieces[0]
    if len(first) >= 2 and first[0].isupper() and not first[1].isupper():
        pieces = (first[0].lower() + first[1:], *template.pieces[1:])
        return Template(template.voices, pieces, template.slots, template.text)
    return template


@dataclass
class Context:
    """What one log can mention, and what it already did."""

    camera: Camera | None
    asset: Asset | None
    vehicle: Vehicle | None
    suspect: Person | None
    complainant: Person | None
    place_used: bool = False
    suspect_used: bool = False
    vehicle_used: bool = False
    plate_used: bool = False
    camera_used: bool = False
    asset_used: bool = False

    def available(self) -> frozenset[str]:
        always = {
            "time",
            "place",
            "victim",
            "witness",
            "complainant",
            "suspect",
            "officer",
            "suspects",
            "object",
            "weapon",
            "drug",
            "org",
            "n",
        }
        if self.camera is not None:
            always.add("camera")
        if self.asset is not None:
            always.add("asset")
        if self.vehicle is not None:
            always |= {"vehicle", "plate"}
        return frozenset(always)
