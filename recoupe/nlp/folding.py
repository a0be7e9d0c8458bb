"""Case and accent folding shared by the geocoder, the rules and the time parser."""

from __future__ import annotations

import functools
import unicodedata

# Every Latin-1 and Latin Extended-A letter to its lower-case base letter, one character for one.
_TABLE = {
    code: unicodedata.normalize("NFD", chr(code))[0].lower()
    for code in range(0xC0, 0x180)
    if chr(code).isalpha() and len(unicodedata.normalize("NFD", chr(code))[0].lower()) == 1
}


@functools.lru_cache(maxsize=256)
def fold_chars(text: str) -> str:
    """Lower case without accents, one character for one, so offsets into the original text still hold.

    Cached: the rules, the entity finders and the classifier all fold the same log."""
    folded = text.translate(_TABLE).lower()
    if len(folded) == len(text):
        return folded
    # a rare character whose lower case is longer ('İ'): fold character by character
    return "".join((unicodedata.normalize("NFD", c)[0] if c.isalpha() else c).lower()[:1] or c for c in text)
