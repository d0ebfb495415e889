"""Personal data hidden in the free text the public Open311 feed publishes: phone numbers (mobile
and landline, as people write them), ID and bank card numbers, and e-mail addresses."""

from __future__ import annotations

import re
from collections.abc import Callable

# Full-width forms (U+FF01-FF5E: digits, letters, ＠, －), dashes and the ideographic space, read
# as ASCII. One character for one, so that a match in the folded text is at the same place in
# the original, which is published as written.
_FOLD = (
    {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    | dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212), ord("-"))
    | {0x3000: ord(" ")}
)
# Between two groups of digits: spaces, or one dash or dot with spaces around it.
_SEP = r"(?:[ \t]*[-.][ \t]*|[ \t]+)?"
_COUNTRY = r"(?:(?:\+|00)[ \t]*86|86)[ \t]*-?[ \t]*"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 18 characters (the last may be X), as written or in 6-8-4 groups; 15 to 19 digits written
# together are an old ID or a bank card number.
_ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])(?:\d{{6}}{_SEP}\d{{8}}{_SEP}\d{{3}}[\dXx]|\d{{15,19}})(?![0-9A-Za-z])"
)
# 11 digits from 13x to 19x: together, 3-4-4 or 4-3-4, with or without +86 / 0086.
_MOBILE = re.compile(
    rf"(?<!\d)(?:{_COUNTRY})?"
    rf"(?:(?P<head>1[3-9]\d){_SEP}\d{{4}}|(?P<head4>1[3-9]\d\d){_SEP}\d{{3}})"
    rf"{_SEP}(?P<tail>\d{{4}})(?!\d)"
)
# An area code (010, 02x, 0xxx; without its 0 after +86), in brackets or not, then 7-8 digits.
_LANDLINE = re.compile(
    rf"(?<!\d)(?:{_COUNTRY}\(?0?|\(?0)(?:10|2\d|[3-9]\d\d)\)?{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)
# A local number without its area code counts only after a word that says it is one.
_CUED_NUMBER = re.compile(
    r"(?:电话|手机|座机|号码|联系|致电|拨打|打给|来电|tel|phone)[^\d\n]{0,8}?"
    rf"(?P<number>(?<!\d)\d{{3,4}}{_SEP}\d{{4}})(?!\d)",
    re.IGNORECASE,
)


def _hidden_mobile(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])[-11:]
    return f"{digits[:3]}****{match['tail']}"


_MASKS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, lambda match: "***@***"),
    (_ID_NUMBER, lambda match: "*" * 18),
    (_MOBILE, _hidden_mobile),
    (_LANDLINE, lambda match: "****"),
    (_CUED_NUMBER, lambda match: "****"),
)


def scrub(text: str | None) -> str | None:
    """Hide the phone numbers, ID numbers and e-mail addresses citizens type into free text."""
    if not text:
        return text
    folded = text.translate(_FOLD)
    for pattern, mask in _MASKS:
        text, folded = _masked(pattern, mask, text, folded)
    return text


def _masked(
    pattern: re.Pattern[str], mask: Callable[[re.Match[str]], str], text: str, folded: str
) -> tuple[str, str]:
    """Both texts with what `pattern` finds in the folded one replaced by its mask (the
    `number` group only, where the pattern has one)."""
    group = "number" if "number" in pattern.groupindex else 0
    kept: list[str] = []
    kept_folded: list[str] = []
    last = 0
    for match in pattern.finditer(folded):
        start, end = match.span(group)
        hidden = mask(match)
        kept += [text[last:start], hidden]
        kept_folded += [folded[last:start], hidden]
        last = end
    kept.append(text[last:])
    kept_folded.append(folded[last:])
    return "".join(kept), "".join(kept_folded)
