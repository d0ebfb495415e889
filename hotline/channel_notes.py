"""What a channel writes into a ticket's text beside the citizen's words: a voicemail's
transcription marker with its recording link, or the placeholder of one not transcribed.

Kept in the text for the people who read it, never read as part of the appeal: triage, the
classifier and the duplicate check see the citizen's words only ("电梯还是坏的" plus the marker
had read as a prepaid-card refund, and any two voicemails shared the marker's words).
"""

from __future__ import annotations

import re

TRANSCRIBED = "电话留言自动转写"
UNTRANSCRIBED = "电话留言待转写，请听取录音："

_TRANSCRIBED_NOTE = re.compile(rf"\n?（{TRANSCRIBED}(?:，录音：[^）\n]*)?）\s*\Z")


def transcribed_note(recording_url: str | None) -> str:
    """The line under a transcribed voicemail."""
    return f"（{TRANSCRIBED}，录音：{recording_url}）" if recording_url else f"（{TRANSCRIBED}）"


def untranscribed_text(recording_url: str) -> str:
    """The whole text of a voicemail nobody has transcribed yet."""
    return f"{UNTRANSCRIBED}{recording_url}"


def without_note(text: str) -> str:
    """The text without a transcribed voicemail's closing note."""
    return _TRANSCRIBED_NOTE.sub("", text)


def citizens_words(text: str) -> str:
    """A stored ticket's text without the channel's notes: empty for a voicemail nobody has
    transcribed (its placeholder is no appeal another could repeat)."""
    if text.startswith(UNTRANSCRIBED):
        return ""
    return without_note(text)
