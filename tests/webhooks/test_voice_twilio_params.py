"""Calls as Twilio really reports them: withheld caller IDs, Gather without Digits, the
<Record> callbacks with only the parameters Twilio puts in each, and retried CallSids."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import InboundMessage, Ticket
from hotline.phones import phone_key
from tests.factories import dispatched
from tests.twilio_support import ACCOUNT_SID, post_signed
from tests.webhooks.test_voice import (
    CALL_SID,
    CALLER,
    RECORDING_SID,
    RECORDING_URL,
    call,
    phone_tickets,
    spoken,
    twiml,
)

WITHHELD = ["anonymous", "Anonymous", "+266696687", "Restricted", "+7378742833", "", "+86282452253"]


def transcription(**extra: str) -> dict[str, str]:
    """What Twilio posts to a transcribeCallback."""
    return (
        call(CallStatus="completed")
        | {
            "TranscriptionSid": "TR" + "1" * 32,
            "TranscriptionText": "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。",
            "TranscriptionStatus": "completed",
            "TranscriptionUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/"
            f"Transcriptions/TR{'1' * 32}",
            "TranscriptionType": "fast",
            "RecordingSid": RECORDING_SID,
            "RecordingUrl": RECORDING_URL,
        }
        | extra
    )


def recording_status() -> dict[str, str]:
    """What Twilio posts to a recordingStatusCallback: no From, no To."""
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": CALL_SID,
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": RECORDING_URL,
        "RecordingStatus": "completed",
        "RecordingDuration": "42",
        "RecordingChannels": "1",
        "RecordingStartTime": "Mon, 30 Nov 2026 01:00:00 +0000",
        "RecordingSource": "RecordVerb",
        "RecordingTrack": "both",
        "ErrorCode": "0",
    }


@pytest.mark.parametrize("caller", WITHHELD)
def test_a_withheld_caller_id_is_not_taken_for_the_requesters_number(
    twilio_app: Flask, caller: str
) -> None:
    form = transcription(From=caller, Caller=caller)
    response = post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/transcription", form)
    assert response.status_code == 200
    [ticket] = phone_tickets()
    assert ticket.requester_id is None
    assert ticket.requester_phone_key is None


@pytest.mark.parametrize("caller", ["+266696687", "+86282452253", "anonymous"])
def test_a_withheld_caller_hears_nothing_about_a_ticket_of_a_withheld_caller(
    twilio_app: Flask, caller: str
) -> None:
    ticket = dispatched(requester_phone_key=phone_key(caller))
    digits = ticket.number.replace("-", "")
    root = twiml(
        post_signed(
            twilio_app.test_client(),
            "/webhooks/twilio/voice/status",
            call(From=caller, Digits=digits),
        )
    )
    assert "未查到" in spoken(root)


def test_a_national_caller_id_is_stored_in_e164_with_the_chinese_prefix(twilio_app: Flask) -> None:
    form = transcription(From="13800138000")
    post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/transcription", form)
    [ticket] = phone_tickets()
    assert ticket.requester_phone_key == phone_key(CALLER)


def test_a_transcription_without_from_takes_the_caller_from_its_call(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, "/webhooks/twilio/voice", call())
    form = {k: v for k, v in transcription().items() if k not in ("From", "To")}
    assert post_signed(client, "/webhooks/twilio/voice/transcription", form).status_code == 200
    [ticket] = phone_tickets()
    assert ticket.requester_phone_key == phone_key(CALLER)


def test_the_recording_asks_twilio_for_a_recording_status_callback(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    root = twiml(post_signed(client, "/webhooks/twilio/voice/menu", call(Digits="1")))
    record = root.find("Record")
    assert record is not None
    callback = record.get("recordingStatusCallback") or ""
    assert callback.startswith("http://localhost/webhooks/twilio/")
    assert record.get("recordingStatusCallbackEvent") == "completed"
    path = callback.removeprefix("http://localhost")
    post_signed(client, "/webhooks/twilio/voice", call())
    assert post_signed(client, path, recording_status()).status_code == 200
    row = db.session.scalars(select(InboundMessage).where(InboundMessage.sid == CALL_SID)).one()
    assert row.payload["recording_url"] == RECORDING_URL
    assert row.payload["recording_duration"] == "42"


def test_callback_urls_are_on_the_public_url(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = "https://12345.example.gov.cn"
    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", public)
    path = "/webhooks/twilio/voice/menu"
    response = post_signed(
        twilio_app.test_client(), path, call(Digits="1"), signed_url=public + path
    )
    record = twiml(response).find("Record")
    assert record is not None
    for name in ("action", "recordingStatusCallback", "transcribeCallback"):
        assert (record.get(name) or "").startswith(public + "/webhooks/twilio/voice/")


def test_a_menu_action_without_digits_says_no_choice_was_heard(twilio_app: Flask) -> None:
    root = twiml(post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call()))
    assert "未收到您的选择" in spoken(root)
    assert "输入有误" not in spoken(root)
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"


@pytest.mark.parametrize("digits", ["0", "*", "#", "12", "9"])
def test_a_key_outside_the_menu_says_so_and_repeats_it(twilio_app: Flask, digits: str) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call(Digits=digits))
    )
    assert "未收到您的选择" in spoken(root) or "输入有误" in spoken(root)
    assert root.find("Gather") is not None


def test_the_menu_speaks_mandarin_with_a_voice_that_speaks_it(twilio_app: Flask) -> None:
    root = twiml(post_signed(twilio_app.test_client(), "/webhooks/twilio/voice", call()))
    says = list(root.iter("Say"))
    assert says
    for say in says:
        assert (say.get("voice"), say.get("language")) == ("Polly.Zhiyu", "cmn-CN")
    assert ET.tostring(root).count(b"<Hangup") == 1


def test_a_retried_call_sid_creates_nothing_new(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    for _ in range(3):
        post_signed(client, "/webhooks/twilio/voice", call())
    form = transcription()
    for _ in range(2):
        post_signed(client, "/webhooks/twilio/voice/transcription", form)
    rows = db.session.scalars(select(InboundMessage.kind)).all()
    assert sorted(rows) == ["call", "voicemail"]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == (before or 0) + 1
