"""The one rule for comparing names of places and organisations everywhere.

Gazetteer, municipality search, geocoding cache keys, import look-ups and duplicate
warnings all compare through `place_name_normalize`: accents, case, apostrophes and
punctuation are ignored, so "citta di castello" matches "Città di Castello".
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def place_name_normalize(name: str) -> str:
    """Lower-case ASCII words, single spaces: "Sant'Angelo-Lodigiano" -> "sant angelo lodigiano"."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(" ", ascii_only).strip()
