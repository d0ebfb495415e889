"""Phone numbers: normalised to E.164 with +86 as the default country, and hashed for matching."""

from __future__ import annotations

import hashlib
import re

_SEPARATORS = re.compile(r"[\s\-()（）.]")
# str.isdigit() also accepts other scripts' digits (٣, ³), which no telephone network dials.
_ASCII_DIGITS = re.compile(r"[0-9]+")


class InvalidPhone(ValueError):
    """A number that cannot be a real telephone number."""


# Full-width digits, plus and hyphen (１３８ ００１３, ＋８６), as Chinese input methods type them.
_FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + n): str(n) for n in range(10)} | {"＋": "+", "－": "-", "\u3000": " "}
)


def normalise(raw: str, default_country: str = "86") -> str:
    """'138 0013 8000', '010-6512 3456', '+86 13800138000', '008613800138000' → E.164.

    Normalising is idempotent: an E.164 number this returns is returned unchanged.
    """
    text = _SEPARATORS.sub("", (raw or "").translate(_FULL_WIDTH))
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
        if not _ASCII_DIGITS.fullmatch(digits):
            raise InvalidPhone(f"电话号码格式不正确：{raw}")
        if digits.startswith("86"):
            return "+86" + _chinese_national(digits[2:], raw)
        if not 8 <= len(digits) <= 15:
            raise InvalidPhone(f"电话号码格式不正确：{raw}")
        return "+" + digits
    if not _ASCII_DIGITS.fullmatch(text):
        raise InvalidPhone(f"电话号码格式不正确：{raw}")
    if default_country == "86":
        if text.startswith("86") and len(text) == 13:
            text = text[2:]
        return "+86" + _chinese_national(text, raw)
    return "+" + default_country + text.lstrip("0")


# China's numbering plan, as national significant numbers (without the trunk prefix 0):
# mobiles are 11 digits from 13 to 19; a landline is a two-digit area code (10 Beijing,
# 20-29) and 8 digits, or a three-digit area code (300-999) and 7 or 8 digits; 400 and 800
# service numbers have 10 digits and read as the latter.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:10|2\d)\d{8}|[3-9]\d{2}\d{7,8}")
_SERVICE_NUMBERS = re.compile(r"12345|110|119|120|122|12315|12369|12333")


def _chinese_national(number: str, raw: str) -> str:
    """The national significant number of a mainland number written with or without its
    trunk 0 (010 6512 3456 and 10 6512 3456 are the same line)."""
    if _MOBILE.fullmatch(number) or _SERVICE_NUMBERS.fullmatch(number):
        return number
    national = number[1:] if number.startswith("0") else number
    if _LANDLINE.fullmatch(national):
        return national
    raise InvalidPhone(f"不是有效的中国大陆电话号码：{raw}")


def caller_number(raw: str, default_country: str = "86") -> str:
    """A citizen's number in E.164: as normalise(), but the hotline's own number and the
    emergency and merged-line service numbers (12345, 110, 12315...) are nobody's phone."""
    number = normalise(raw, default_country)
    if number.startswith("+86") and _SERVICE_NUMBERS.fullmatch(number[3:]):
        raise InvalidPhone(f"服务号码不能作为诉求人电话：{raw}")
    return number


# Twilio passes a withheld caller ID on as a word, or as that word spelt on a phone keypad
# (+266696687 is ANONYMOUS); none of them is anyone's number, and +86282452253 (UNAVAILABLE)
# would otherwise pass for a Chengdu landline.
WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "blocked", "unknown", "unavailable", "private", "withheld"}
)
WITHHELD_NUMBERS = frozenset(
    {
        "+266696687",  # ANONYMOUS
        "+7378742833",  # RESTRICTED
        "+2562533",  # BLOCKED
        "+8656696",  # UNKNOWN
        "+86282452253",  # UNAVAILABLE
    }
)
# A WhatsApp sender arrives as whatsapp:+8613800138000; the number after it is the person's.
_CHANNEL_PREFIX = "whatsapp:"


def sender_number(raw: str | None) -> str | None:
    """Who a text or a call came from, in E.164 (+86 by default); None for a withheld caller
    ID, a short code, an alphanumeric sender or any number no citizen can have."""
    text = (raw or "").strip()
    if text.lower().startswith(_CHANNEL_PREFIX):
        text = text[len(_CHANNEL_PREFIX) :]
    if not text or text.lower() in WITHHELD_WORDS or text in WITHHELD_NUMBERS:
        return None
    try:
        number = caller_number(text)
    except InvalidPhone:
        return None
    return None if number in WITHHELD_NUMBERS else number


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
