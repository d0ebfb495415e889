"""The callback survey closes the loop by SMS: queued at review, sent in business hours,
answered with 1/2/3 by the requester."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.intake import Submission, submit
from hotline.lifecycle import Actor
from hotline.models import Conversation, OutboxMessage, Ticket
from routing.workflow import Role, TicketState
from tests.factories import AGENT, DISPATCHER, MONDAY
from tests.twilio_support import post_signed
from tests.webhooks.test_sms import PATH, SENDER, reply_text, sms
from workers.delivery import deliver

SATURDAY_EVENING = MONDAY + timedelta(days=5, hours=9)  # 2026-11-28 19:00 in Shanghai


def replied_ticket() -> Ticket:
    result = submit(
        db.session,
        AGENT,
        Submission(
            channel="phone",
            appeal_type="complaint",
            text="小区门口的路灯坏了一个多月，晚上出行很不安全",
            area_code="990102001001",
            requester_phone=SENDER,
        ),
        at=MONDAY,
    )
    ticket = result.ticket
    assert ticket.lead_unit_code is not None
    unit = Actor(role=Role.UNIT, name="unit", unit_code=ticket.lead_unit_code)
    lifecycle.sign(db.session, ticket, unit, at=MONDAY + timedelta(hours=1))
    lifecycle.contact(db.session, ticket, unit, at=MONDAY + timedelta(hours=2))
    lifecycle.reply(db.session, ticket, unit, text="路灯已修复", at=MONDAY + timedelta(days=1))
    return ticket


def survey_of(ticket: Ticket) -> OutboxMessage | None:
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.idempotency_key.startswith("callback_survey:"),
        )
    ).first()


def test_an_approved_review_queues_the_survey_for_the_next_business_hours(app: Flask) -> None:
    ticket = replied_ticket()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=SATURDAY_EVENING)
    message = survey_of(ticket)
    assert message is not None and message.payload["template"] == "callback_survey"
    # Saturday evening waits for Monday 2026-11-30 09:00 in Shanghai (01:00 UTC).
    assert message.available_at == MONDAY + timedelta(days=7, hours=-1)


def test_a_rejected_review_sends_no_survey(app: Flask) -> None:
    ticket = replied_ticket()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=False, note="请补充维修时间")
    assert survey_of(ticket) is None


def test_the_sent_survey_is_answered_by_a_reply_of_1(twilio_app: Flask) -> None:
    ticket = replied_ticket()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=1))
    message = survey_of(ticket)
    assert message is not None
    assert deliver(message.id) == "sent"
    conversation = db.session.scalars(
        select(Conversation).where(Conversation.ticket_id == ticket.id)
    ).one()
    assert conversation.kind == "survey"

    response = post_signed(twilio_app.test_client(), PATH, sms(body="1"))
    assert "满意" in reply_text(response)
    assert ticket.state == TicketState.RATED
    assert ticket.rating is not None and ticket.rating["satisfaction"] == "satisfied"
