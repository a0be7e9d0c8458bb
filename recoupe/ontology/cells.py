"""Text written into CSV files that people open in spreadsheets (rejects files, exports)."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text: one that would start a formula gets a leading quote
    (OWASP, "CSV injection")."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
