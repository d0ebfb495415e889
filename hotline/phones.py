"""Phone numbers: normalised to E.164 with +86 as the default country, and hashed for matching."""

from __future__ import annotations

import hashlib
import re

_SEPARATORS = re.compile(r"[\s\-()（）.]")
# str.isdigit() also accepts other scripts' digits (٣, ³), which no telephone network dials.
_ASCII_DIGITS = re.compile(r"[0-9]+")


class InvalidPhone(ValueError):
    """A number that cannot be a real telephone number."""


def normalise(raw: str, default_country: str = "86") -> str:
    """'138 0013 8000', '010-6512 3456', '+86 13800138000', '008613800138000' → E.164."""
    text = _SEPARATORS.sub("", raw or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
        if not _ASCII_DIGITS.fullmatch(digits) or not 8 <= len(digits) <= 15:
            raise InvalidPhone(f"电话号码格式不正确：{raw}")
        if digits.startswith("86"):
            _check_chinese(digits[2:], raw)
        return "+" + digits
    if not _ASCII_DIGITS.fullmatch(text):
        raise InvalidPhone(f"电话号码格式不正确：{raw}")
    if default_country == "86":
        if text.startswith("86") and len(text) == 13:
            text = text[2:]
        _check_chinese(text, raw)
        national = text[1:] if text.startswith("0") else text
        return "+86" + national
    return "+" + default_country + text.lstrip("0")


def _check_chinese(national: str, raw: str) -> None:
    """Mobile: 11 digits starting 1[3-9]; landline: area code (0 + 2-3 digits) + 7-8 digits."""
    if re.fullmatch(r"1[3-9]\d{9}", national):
        return
    if re.fullmatch(r"0?[1-9]\d{1,2}\d{7,8}", national) and not national.startswith("1"):
        return
    if re.fullmatch(r"(12345|110|119|120|122|12315|12369|12333)", national):
        return
    raise InvalidPhone(f"不是有效的中国大陆电话号码：{raw}")


def phone_key(e164: str | None) -> str | None:
    """A stable digest of the number, so tickets can be matched without reading personal data."""
    if not e164:
        return None
    return hashlib.sha256(e164.encode()).hexdigest()


def mask(e164: str | None) -> str | None:
    """+8613800138000 → 138****8000."""
    if not e164:
        return None
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(national) <= 7:
        return national[:2] + "****"
    return national[:3] + "****" + national[-4:]
