"""A voicemail whose transcription never comes still becomes a ticket; a late one is a note."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import InboundMessage, Ticket, TicketEvent
from hotline.webhooks import adoption
from hotline.webhooks.adoption import TRANSCRIPTION_WAIT, adopt_recordings
from routing.workflow import TicketState
from tests.twilio_support import post_signed
from tests.webhooks.test_voice import RECORDING_URL, call, phone_tickets, recording

TRANSCRIPTION = "/webhooks/twilio/voice/transcription"
LATER = TRANSCRIPTION_WAIT + timedelta(minutes=1)


def _recorded_without_transcription(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, "/webhooks/twilio/voice", call())
    post_signed(client, "/webhooks/twilio/voice/recording", recording(RecordingStatus="completed"))


def test_a_recording_with_no_transcription_becomes_a_ticket_once_the_wait_is_over(
    twilio_app: Flask,
) -> None:
    _recorded_without_transcription(twilio_app)

    assert adopt_recordings(db.session, now=utcnow()) == 0
    assert phone_tickets() == []

    assert adopt_recordings(db.session, now=utcnow() + LATER) == 1
    [ticket] = phone_tickets()
    assert ticket.state == TicketState.PENDING_DISPATCH
    assert RECORDING_URL in ticket.text and "待转写" in ticket.text

    assert adopt_recordings(db.session, now=utcnow() + LATER) == 0
    assert len(phone_tickets()) == 1


def test_a_transcription_after_the_adoption_is_added_to_the_ticket_as_a_note_once(
    twilio_app: Flask,
) -> None:
    _recorded_without_transcription(twilio_app)
    adopt_recordings(db.session, now=utcnow() + LATER)
    text = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
    form = recording(TranscriptionText=text, TranscriptionStatus="completed")
    client = twilio_app.test_client()

    assert post_signed(client, TRANSCRIPTION, form).status_code == 200
    assert post_signed(client, TRANSCRIPTION, form).status_code == 200

    [ticket] = phone_tickets()
    notes = list(
        db.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.action == "note"
            )
        )
    )
    assert [note.payload["text"] for note in notes] == [f"电话留言转写（晚到）：{text}"]


def test_a_transcription_in_time_leaves_nothing_to_adopt(twilio_app: Flask) -> None:
    _recorded_without_transcription(twilio_app)
    text = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
    form = recording(TranscriptionText=text, TranscriptionStatus="completed")
    post_signed(twilio_app.test_client(), TRANSCRIPTION, form)

    assert adopt_recordings(db.session, now=utcnow() + LATER) == 0
    assert len(phone_tickets()) == 1


def test_a_recording_that_cannot_be_adopted_does_not_hold_up_the_others(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = twilio_app.test_client()
    for digit in ("2", "3"):
        sids = {"CallSid": "CA" + digit * 32, "RecordingSid": "RE" + digit * 32}
        post_signed(client, "/webhooks/twilio/voice", call(**sids))
        post_signed(
            client,
            "/webhooks/twilio/voice/recording",
            recording(RecordingStatus="completed", **sids),
        )
    real = adoption.record_voicemail

    def failing_first(session: Any, voicemail: Any, **kwargs: Any) -> Any:
        if voicemail.recording_sid == "RE" + "2" * 32:
            raise RuntimeError("a broken recording")
        return real(session, voicemail, **kwargs)

    monkeypatch.setattr(adoption, "record_voicemail", failing_first)

    assert adopt_recordings(db.session, now=utcnow() + LATER) == 1
    adopted = db.session.scalars(select(Ticket).where(Ticket.external_id == "RE" + "3" * 32))
    [ticket] = list(adopted)
    # Accepted when the caller left the message, not when the job noticed it.
    call_row = db.session.scalars(
        select(InboundMessage).where(InboundMessage.sid == "CA" + "3" * 32)
    ).one()
    assert ticket.accepted_at == call_row.created_at


def test_the_record_action_after_the_status_callback_keeps_the_recording_sid(
    twilio_app: Flask,
) -> None:
    """<Record>'s action carries no RecordingSid; arriving after the status callback, it must
    not wipe the one kept, or the adoption would make a second ticket of the same message."""
    _recorded_without_transcription(twilio_app)
    client = twilio_app.test_client()
    action = recording()
    del action["RecordingSid"]
    post_signed(client, "/webhooks/twilio/voice/recorded", action)
    text = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
    form = recording(TranscriptionText=text, TranscriptionStatus="completed")
    post_signed(client, TRANSCRIPTION, form)

    assert adopt_recordings(db.session, now=utcnow() + LATER) == 0
    assert len(phone_tickets()) == 1
