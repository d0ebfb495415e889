"""Texts about the messages themselves (unsubscribe, subscribe, help): such a text is never an
appeal. Twilio answers its own English keywords on a long code; the Chinese carriers' words
(退订, TD, 订阅) it neither blocks nor answers, so the hotline does both."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Keyword(StrEnum):
    # The values are those of the OptOutType parameter that Advanced Opt-Out adds.
    STOP = "STOP"
    START = "START"
    HELP = "HELP"


# Twilio's defaults: it blocks (or unblocks) the number and sends its own reply.
TWILIO_WORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        Keyword.STOP,
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.START),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}
# The unsubscribe and subscribe words of Chinese carriers ("回复TD退订").
CARRIER_WORDS: dict[str, Keyword] = {
    **dict.fromkeys(("TD", "退订", "取消订阅", "退订短信"), Keyword.STOP),
    **dict.fromkeys(("订阅", "恢复订阅", "取消退订"), Keyword.START),
}
WORDS: dict[str, Keyword] = TWILIO_WORDS | CARRIER_WORDS
_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def _word(body: str) -> str:
    return _EDGES.sub("", unicodedata.normalize("NFKC", body)).upper()


def keyword_of(body: str, opt_out_type: str = "") -> Keyword | None:
    """The keyword a text is, by Twilio's OptOutType or else by its one word ('Stop.', ' 退订 ')."""
    if opt_out_type.upper() in Keyword.__members__:
        return Keyword(opt_out_type.upper())
    return WORDS.get(_word(body))


def answered_by_twilio(body: str, opt_out_type: str = "") -> bool:
    """Whether Twilio has already replied to this keyword: it says so with OptOutType (Advanced
    Opt-Out, custom words included), and always answers its default words."""
    return bool(opt_out_type) or _word(body) in TWILIO_WORDS


def blocked_by_twilio(word: str) -> bool:
    """Whether an unsubscribe by `word` is one Twilio enforces itself: it then sends nothing to
    the number until it texts one of Twilio's own START words (订阅 does not unblock it)."""
    return _word(word) in TWILIO_WORDS
