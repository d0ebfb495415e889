"""The caller of a Twilio call in E.164 (+86 by default), or None when the number is withheld.

Twilio passes a withheld caller ID on as a word or as that word spelt on a phone keypad
(+266696687 is ANONYMOUS); none of them is anyone's number, and +86282452253 (UNAVAILABLE)
would otherwise pass for a Chengdu landline.
"""

from __future__ import annotations

from hotline.conversations import requester_phone

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


def caller_phone(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text or text.lower() in WITHHELD_WORDS or text in WITHHELD_NUMBERS:
        return None
    phone = requester_phone(text)
    return None if phone in WITHHELD_NUMBERS else phone
