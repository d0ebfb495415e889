"""Folding a citizen's text into the forms the rules and keywords are written in.

Messages arrive in full-width letters and digits (ｔｅｓｔ, １２３４５), in traditional
characters (樓道著火, 電梯壞了) and in simplified ones; triage rules, matter keywords and
model features are written once, in half-width simplified text. Folding is character by
character: NFKC for width and compatibility forms, then a table of traditional characters
(routing/data/traditional_chars.txt).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path

TRADITIONAL_CHARS_PATH = Path(__file__).parent / "data" / "traditional_chars.txt"

_lock = threading.Lock()
_table: dict[int, str] | None = None
# One character class of every traditional character: most messages hold none, and a regex
# search costs far less than translating every character through a dict.
_traditional: re.Pattern[str] | None = None


def parse_table(text: str) -> dict[int, str]:
    """`traditional<TAB>simplified` lines; blank lines and `#` comments are skipped."""
    table: dict[int, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        traditional, simplified = line.split("\t")
        if len(traditional) != 1 or len(simplified) != 1:
            raise ValueError(f"not one character to one character: {line!r}")
        table[ord(traditional)] = simplified
    return table


def traditional_table() -> dict[int, str]:
    """The folding table, read once from the package data."""
    global _table, _traditional
    if _table is None:
        with _lock:
            if _table is None:
                table = parse_table(TRADITIONAL_CHARS_PATH.read_text(encoding="utf-8"))
                _traditional = re.compile("[" + re.escape("".join(map(chr, table))) + "]")
                _table = table
    return _table


def _traditional_chars() -> re.Pattern[str]:
    traditional_table()
    assert _traditional is not None
    return _traditional


def fold(text: str) -> str:
    """Half-width, simplified text for matching: ｔｅｓｔ → test, 樓道著火了 → 楼道着火了,
    電梯壞了 → 电梯坏了. Case is left alone.

    For matching only, never for display: a few characters that simplified text also uses
    (著, 乾) fold to their everyday simplified reading (着, 干)."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    if _traditional_chars().search(text):
        text = text.translate(traditional_table())
    return text
