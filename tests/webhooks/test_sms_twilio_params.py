"""Inbound SMS as Twilio really sends them: every parameter it adds, pictures without text,
emoji and long Chinese bodies, and the keywords Twilio answers itself."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline import opt_outs
from hotline.extensions import db
from hotline.models import Conversation, InboundMessage, OutboxMessage, Ticket
from tests.twilio_support import ACCOUNT_SID, post_signed
from tests.webhooks.test_sms import PATH, SENDER, reply_text, sms
from workers.delivery import deliver

MEDIA_URL = (
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'1' * 32}/Media/"
    f"ME{'1' * 32}"
)


def as_twilio_sends(**overrides: str) -> dict[str, str]:
    """The full parameter set of Twilio's request to an incoming-message webhook."""
    sid = overrides.pop("MessageSid", "SM" + "1" * 32)
    return (
        sms(sid=sid)
        | {
            "SmsMessageSid": sid,
            "SmsStatus": "received",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
            "MessagingServiceSid": "MG" + "0" * 32,
            "FromCountry": "CN",
            "FromState": "",
            "FromCity": "",
            "FromZip": "",
            "ToCountry": "CN",
            "ToState": "",
            "ToCity": "",
            "ToZip": "",
        }
        | overrides
    )


def tickets_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket)) or 0


def ticket_for(sid: str) -> Ticket:
    return db.session.scalars(select(Ticket).where(Ticket.external_id == sid)).one()


def test_a_message_with_every_parameter_twilio_sends_becomes_a_ticket(twilio_app: Flask) -> None:
    response = post_signed(twilio_app.test_client(), PATH, as_twilio_sends())
    assert response.status_code == 200
    assert ticket_for("SM" + "1" * 32).channel == "sms"


def test_a_picture_without_text_is_kept_as_the_appeal_for_an_agent(twilio_app: Flask) -> None:
    params = as_twilio_sends(
        Body="", NumMedia="1", MediaUrl0=MEDIA_URL, MediaContentType0="image/jpeg"
    )
    response = post_signed(twilio_app.test_client(), PATH, params)
    ticket = ticket_for("SM" + "1" * 32)
    assert MEDIA_URL in ticket.text
    assert ticket.number in reply_text(response)


def test_emoji_and_a_long_chinese_body_are_kept_whole(twilio_app: Flask) -> None:
    body = ("小区门口的路灯坏了一个多月😀，晚上出行很不安全，请尽快修复。" * 60)[:1600]
    post_signed(twilio_app.test_client(), PATH, as_twilio_sends(Body=body))
    assert ticket_for("SM" + "1" * 32).text == body


@pytest.mark.parametrize("body", ["STOP", "stop", "Stop.", " REVOKE ", "OptOut", "STOPALL"])
def test_an_opt_out_word_twilio_answers_creates_no_ticket_and_no_reply(
    twilio_app: Flask, body: str
) -> None:
    count = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, as_twilio_sends(Body=body))
    assert response.status_code == 200
    assert reply_text(response) == ""
    assert tickets_count() == count


@pytest.mark.parametrize("body", ["HELP", "info", "START", "Yes", "UNSTOP"])
def test_a_help_or_opt_in_word_twilio_answers_creates_no_ticket_and_no_reply(
    twilio_app: Flask, body: str
) -> None:
    count = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, as_twilio_sends(Body=body))
    assert reply_text(response) == ""
    assert tickets_count() == count
    row = db.session.scalars(select(InboundMessage).where(InboundMessage.kind == "sms")).one()
    assert row.outcome in ("keyword_help", "opt_in")


@pytest.mark.parametrize("body", ["退订", "退订。", "TD", "td", "取消订阅"])
def test_a_carriers_unsubscribe_word_is_confirmed_by_the_hotline_and_makes_no_ticket(
    twilio_app: Flask, body: str
) -> None:
    """Twilio neither blocks nor answers 退订 or TD: the hotline does both."""
    count = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, as_twilio_sends(Body=body))
    assert "您已退订" in reply_text(response)
    assert tickets_count() == count
    assert opt_outs.refusal(db.session, SENDER) is not None


def test_a_number_that_unsubscribed_is_sent_nothing_until_it_subscribes_again(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, as_twilio_sends(Body="TD"))
    message = OutboxMessage(
        kind="sms",
        idempotency_key="test:opt-out",
        payload={"to": SENDER, "body": "【12345回访】请回复数字评价"},
    )
    db.session.add(message)
    db.session.commit()
    assert deliver(message.id) == "skipped"
    db.session.refresh(message)
    assert "退订" in (message.last_error or "")

    response = post_signed(client, PATH, as_twilio_sends(MessageSid="SM" + "5" * 32, Body="订阅"))
    assert "已恢复" in reply_text(response)
    assert opt_outs.refusal(db.session, SENDER) is None
    again = OutboxMessage(
        kind="sms", idempotency_key="test:opt-in", payload={"to": SENDER, "body": "【12345】测试"}
    )
    db.session.add(again)
    db.session.commit()
    assert deliver(again.id) == "sent"


@pytest.mark.parametrize(("body", "opt_out_type"), [("STOP", ""), ("不要再发了", "STOP")])
def test_an_opt_out_twilio_answered_is_still_kept_by_the_hotline(
    twilio_app: Flask, body: str, opt_out_type: str
) -> None:
    params = as_twilio_sends(Body=body) | ({"OptOutType": opt_out_type} if opt_out_type else {})
    response = post_signed(twilio_app.test_client(), PATH, params)
    assert reply_text(response) == ""
    assert opt_outs.refusal(db.session, SENDER) is not None


def test_an_advanced_opt_out_keyword_creates_no_ticket(twilio_app: Flask) -> None:
    count = tickets_count()
    params = as_twilio_sends(Body="不要再给我发短信了", OptOutType="STOP")
    response = post_signed(twilio_app.test_client(), PATH, params)
    assert reply_text(response) == ""
    assert tickets_count() == count


def test_an_opt_out_closes_the_open_exchange_with_the_number(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, as_twilio_sends())
    post_signed(client, PATH, as_twilio_sends(MessageSid="SM" + "2" * 32, Body="REVOKE"))
    states = db.session.scalars(select(Conversation.state)).all()
    assert states and set(states) == {"closed"}


def test_a_sentence_that_starts_with_stop_is_still_an_appeal(twilio_app: Flask) -> None:
    body = "Stop the construction noise at night near 3 号楼, it goes on past midnight"
    post_signed(twilio_app.test_client(), PATH, as_twilio_sends(Body=body))
    assert ticket_for("SM" + "1" * 32).text == body


def test_subscribing_again_after_twilios_stop_asks_for_start(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, as_twilio_sends(Body="STOP"))
    response = post_signed(client, PATH, as_twilio_sends(MessageSid="SM" + "6" * 32, Body="订阅"))
    assert "回复 START" in reply_text(response)
    assert opt_outs.refusal(db.session, SENDER) is not None
    post_signed(client, PATH, as_twilio_sends(MessageSid="SM" + "7" * 32, Body="START"))
    assert opt_outs.refusal(db.session, SENDER) is None
