"""Licence plates as one key, whatever the spelling: the value type shared by extraction (which finds plates),
ingestion (which keys Plate nodes) and the investigators' lookups (which resolve what a user types)."""

from __future__ import annotations

import re


def normalise_plate(written: str) -> str:
    """One plate, one key, whatever the format: 'ab 123 cd' → 'AB-123-CD'; '1234abc13' → '1234 ABC 13'."""
    compact = re.sub(r"[\s-]", "", written.upper())
    siv = re.fullmatch(r"([A-Z]{2})(\d{3})([A-Z]{2})", compact)
    if siv:
        return "-".join(siv.groups())
    fni = re.fullmatch(r"(\d{1,4})([A-Z]{2,3})(\d{2}|2[AB])", compact)
    return " ".join(fni.groups()) if fni else compact
