"""The words Twilio itself answers on a long code (opt-out, opt-in, help): such a text is
a request about messages, never an appeal, and Twilio has already replied to it."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Keyword(StrEnum):
    # The values are those of the OptOutType parameter that Advanced Opt-Out adds.
    STOP = "STOP"
    START = "START"
    HELP = "HELP"


# Twilio's defaults, plus 退订/TD, the unsubscribe words of Chinese carriers.
WORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        Keyword.STOP,
    ),
    **dict.fromkeys(("TD", "退订"), Keyword.STOP),
    **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.START),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}
_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def keyword_of(body: str, opt_out_type: str = "") -> Keyword | None:
    """The keyword a text is, by Twilio's OptOutType or else by its one word ('Stop.', ' 退订 ')."""
    if opt_out_type.upper() in Keyword.__members__:
        return Keyword(opt_out_type.upper())
    word = _EDGES.sub("", unicodedata.normalize("NFKC", body)).upper()
    return WORDS.get(word)
