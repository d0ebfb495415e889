"""A channel's notes in a ticket's text are for people to read, not part of the appeal."""

from __future__ import annotations

from hotline.channel_notes import (
    citizens_words,
    transcribed_note,
    untranscribed_text,
    without_note,
)


def test_a_transcribed_voicemails_note_and_link_are_not_the_citizens_words() -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    text = f"电梯还是坏的\n{transcribed_note(url)}"
    assert citizens_words(text) == without_note(text) == "电梯还是坏的"
    assert citizens_words(f"电梯还是坏的\n{transcribed_note(None)}") == "电梯还是坏的"


def test_an_untranscribed_voicemail_says_nothing_of_its_own() -> None:
    placeholder = untranscribed_text("https://api.twilio.com/rec/RE2")
    assert citizens_words(placeholder) == ""
    # Typed into another channel it is read as it stands.
    assert without_note(placeholder) == placeholder


def test_words_that_only_look_like_a_note_are_the_citizens() -> None:
    text = "我想问（电话留言自动转写）是什么意思，然后我家停水了"
    assert citizens_words(text) == text
