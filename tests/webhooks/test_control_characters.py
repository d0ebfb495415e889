"""An SMS or a transcript with control characters, NUL included, still becomes a ticket on every
database: they are removed, since a text cannot be sent again."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import InboundMessage, Ticket
from tests.twilio_support import post_signed
from tests.webhooks.test_sms import PATH, sms, ticket_for
from tests.webhooks.test_voice import recording


def test_an_sms_with_nul_and_escape_characters_becomes_a_ticket_without_them(
    twilio_app: Flask,
) -> None:
    body = "小区门口的路灯\x00坏了一个多月\x1b，晚上出行很不安全，请尽快修复。"
    response = post_signed(twilio_app.test_client(), PATH, sms(body=body))
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    clean = "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
    assert ticket_for("SM" + "1" * 32).text == clean
    message = db.session.scalars(select(InboundMessage)).one()
    assert message.body == clean
    assert message.payload["Body"] == clean


def test_a_transcription_with_control_characters_becomes_a_ticket_without_them(
    twilio_app: Flask,
) -> None:
    text = "我家小区门口的路灯\x00坏了\x07一个多月，晚上出行很不安全，请尽快修复。"
    form = recording(TranscriptionText=text, TranscriptionStatus="completed")
    response = post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/transcription", form)
    assert response.status_code == 200
    ticket = db.session.scalars(select(Ticket).where(Ticket.channel == "phone")).one()
    assert ticket.text.startswith("我家小区门口的路灯坏了一个多月，")
