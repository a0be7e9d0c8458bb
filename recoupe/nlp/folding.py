"""Case and accent folding shared by the geocoder, the rules and the time parser."""

from __future__ import annotations

import unicodedata


def fold_chars(text: str) -> str:
    """Lower case without accents, one character for one, so offsets into the original text still hold."""
    return "".join((unicodedata.normalize("NFD", c)[0] if c.isalpha() else c).lower() for c in text)
