"""A queued message the ticket no longer wants never goes out: cancelled, with the reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.intake import Submission, submit
from hotline.lifecycle import Actor
from hotline.lifecycle.deadlines import record_breach
from hotline.models import OutboxMessage, Ticket
from hotline.sms import Sent
from hotline.stale_messages import stale_reason
from routing.workflow import Role
from tests import factories
from tests.factories import AGENT, DISPATCHER, LEAD, MONDAY, OTHER_UNIT
from tests.webhooks.test_callback_survey import replied_ticket
from workers.delivery import compose, deliver


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every number a text went to."""
    numbers: list[str] = []

    class Sender:
        def send(self, to: str, _body: str, _reference: int | None = None) -> Sent:
            numbers.append(to)
            return Sent(provider_id=f"SM{len(numbers)}", status="queued")

    monkeypatch.setattr("workers.delivery.sender_for", lambda _app: Sender())
    return numbers


def _rows(ticket: Ticket, key_prefix: str) -> list[OutboxMessage]:
    db.session.flush()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.ticket_id == ticket.id,
                OutboxMessage.idempotency_key.startswith(key_prefix),
            )
            .order_by(OutboxMessage.id)
        )
    )


def _review_and_call_back(ticket: Ticket, day: int, **rating: Any) -> None:
    at = MONDAY + timedelta(days=day)
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=at)
    lifecycle.callback(
        db.session,
        ticket,
        AGENT,
        reachable=True,
        contacted=True,
        solved=False,
        satisfaction="unsatisfied",
        unit_fault=True,
        at=at + timedelta(hours=1),
        **rating,
    )


def _redo(ticket: Ticket, day: int) -> None:
    """Reopen, then the unit handles and replies again."""
    assert ticket.lead_unit_code is not None
    at = MONDAY + timedelta(days=day)
    lifecycle.reopen(db.session, ticket, DISPATCHER, reason="诉求人不满意", at=at)
    unit = Actor(role=Role.UNIT, name="unit", unit_code=ticket.lead_unit_code)
    lifecycle.sign(db.session, ticket, unit, at=at + timedelta(hours=1))
    lifecycle.contact(db.session, ticket, unit, at=at + timedelta(hours=2))
    lifecycle.reply(db.session, ticket, unit, text="已再次处理", at=at + timedelta(hours=3))


def test_three_review_callback_reopen_rounds_leave_no_survey_sms_pending(app: Flask) -> None:
    ticket = replied_ticket()
    for round_ in range(3):
        _review_and_call_back(ticket, day=1 + 3 * round_)
        _redo(ticket, day=2 + 3 * round_)

    surveys = _rows(ticket, "callback_survey:")
    assert len(surveys) == 3
    assert {s.state for s in surveys} == {"cancelled"}
    assert all(s.last_error and "回访" in s.last_error for s in surveys)


def test_closing_the_ticket_cancels_a_survey_sms_still_waiting(app: Flask) -> None:
    ticket = replied_ticket()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=1))
    (survey,) = _rows(ticket, "callback_survey:")
    survey.state = "pending"  # a survey the callback did not cancel (written before the fix)
    lifecycle.callback(db.session, ticket, AGENT, reachable=False, at=MONDAY + timedelta(days=2))
    survey.state = "pending"
    db.session.flush()
    lifecycle.close(db.session, ticket, DISPATCHER, at=MONDAY + timedelta(days=2))
    db.session.refresh(survey)
    assert survey.state == "cancelled" and "办结" in (survey.last_error or "")


def test_a_survey_sms_whose_callback_is_already_recorded_is_cancelled_at_delivery(
    app: Flask, sent: list[str]
) -> None:
    ticket = replied_ticket()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=1))
    (survey,) = _rows(ticket, "callback_survey:")
    lifecycle.callback(db.session, ticket, AGENT, reachable=False, at=MONDAY + timedelta(days=2))
    # As a row queued before callbacks cancelled surveys would be: still pending.
    survey.state, survey.last_error, survey.done_at = "pending", None, None
    db.session.flush()

    assert deliver(survey.id) == "cancelled"
    assert "回访已记录" in (survey.last_error or "")
    assert sent == []


def test_a_survey_sms_of_the_current_review_is_still_sent(app: Flask, sent: list[str]) -> None:
    ticket = replied_ticket()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=1))
    (survey,) = _rows(ticket, "callback_survey:")
    assert deliver(survey.id) == "sent"
    assert len(sent) == 1


def test_a_unit_notice_for_a_unit_the_ticket_was_redispatched_from_is_cancelled(
    app: Flask, sent: list[str]
) -> None:
    ticket = factories.dispatched()
    (old,) = _rows(ticket, "notify_unit:")
    lifecycle.redispatch(db.session, ticket, DISPATCHER, OTHER_UNIT, reason="属城管职责", at=MONDAY)
    new = [row for row in _rows(ticket, "notify_unit:") if row.id != old.id]

    assert deliver(old.id) == "cancelled"
    assert "改派" in (old.last_error or "")
    assert [deliver(row.id) for row in new] == ["sent"]
    assert len(sent) == 1


def test_an_urge_for_a_ticket_the_unit_already_replied_to_is_cancelled(
    app: Flask, sent: list[str]
) -> None:
    ticket = factories.handled()
    assert ticket.handle_due_at is not None
    due = ticket.handle_due_at
    assert record_breach(db.session, ticket, "handle", "urge", due, due + timedelta(hours=1))
    (urge,) = _rows(ticket, "urge:")
    lifecycle.reply(db.session, ticket, LEAD, text="已修复", at=due + timedelta(hours=2))

    assert deliver(urge.id) == "cancelled"
    assert "办结时限已完成" in (urge.last_error or "")
    assert sent == []


def test_a_warning_for_a_clock_already_met_is_cancelled(app: Flask, sent: list[str]) -> None:
    ticket = factories.dispatched()
    assert ticket.sign_due_at is not None
    due = ticket.sign_due_at
    assert record_breach(db.session, ticket, "sign", "warning", due, due - timedelta(minutes=5))
    (warning,) = _rows(ticket, "warning:")
    lifecycle.sign(db.session, ticket, LEAD, at=due - timedelta(minutes=1))

    assert deliver(warning.id) == "cancelled"
    assert "签收时限已完成" in (warning.last_error or "")
    assert sent == []


def test_a_warning_held_for_working_hours_past_its_deadline_is_cancelled(app: Flask) -> None:
    ticket = factories.dispatched()
    assert ticket.sign_due_at is not None
    due = ticket.sign_due_at
    assert record_breach(db.session, ticket, "sign", "warning", due, due - timedelta(minutes=5))
    (warning,) = _rows(ticket, "warning:")
    assert stale_reason(db.session, warning, now=due - timedelta(minutes=1)) is None
    assert stale_reason(db.session, warning, now=due) == "签收时限已过，预警作废"


NEIGHBOUR = "+8613900139001"


def _with_a_neighbours_repeat() -> tuple[Ticket, Ticket]:
    ticket = replied_ticket()
    repeat = submit(
        db.session,
        AGENT,
        Submission(
            channel="sms",
            text="小区门口路灯坏了一个多月了，晚上出行很不安全",
            area_code="990102001001",
            requester_phone=NEIGHBOUR,
        ),
        at=MONDAY + timedelta(days=1, hours=1),
    )
    assert repeat.parent is ticket
    return ticket, repeat.ticket


def test_a_neighbour_whose_appeal_was_merged_is_told_it_was_answered(
    app: Flask, sent: list[str]
) -> None:
    ticket, merged = _with_a_neighbours_repeat()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=2))
    (told,) = _rows(merged, "merged_result:")
    assert told.payload["parent"] == ticket.number
    _, text = compose(told)
    assert merged.number in text and ticket.number in text and "路灯已修复" not in text
    assert deliver(told.id) == "sent"
    assert sent == [NEIGHBOUR]
    # The survey is the first requester's alone.
    assert len(_rows(ticket, "callback_survey:")) == 1
    assert _rows(merged, "callback_survey:") == []


def test_the_answer_told_to_a_merged_neighbour_is_cancelled_when_the_ticket_is_redone(
    app: Flask, sent: list[str]
) -> None:
    ticket, merged = _with_a_neighbours_repeat()
    _review_and_call_back(ticket, day=2)
    (told,) = _rows(merged, "merged_result:")
    lifecycle.reopen(
        db.session, ticket, DISPATCHER, reason="诉求人不满意", at=MONDAY + timedelta(days=3)
    )
    assert deliver(told.id) == "cancelled"
    assert "重办" in (told.last_error or "")
    assert sent == []


def test_only_the_latest_rounds_answer_is_told_to_a_merged_neighbour(
    app: Flask, sent: list[str]
) -> None:
    ticket, merged = _with_a_neighbours_repeat()
    _review_and_call_back(ticket, day=2)
    _redo(ticket, day=3)
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=4))
    older, newer = _rows(merged, "merged_result:")
    assert deliver(older.id) == "cancelled"
    assert "更新一轮" in (older.last_error or "")
    assert deliver(newer.id) == "sent"
    assert sent == [NEIGHBOUR]


def test_a_merged_neighbour_is_told_of_an_approved_extension(app: Flask, sent: list[str]) -> None:
    ticket = factories.dispatched()
    merged = submit(
        db.session,
        AGENT,
        Submission(
            channel="sms",
            text="小区电梯坏了三天，还是没人来修，老人上下楼很不方便",
            area_code=ticket.area_code,
            requester_phone=NEIGHBOUR,
        ),
        at=MONDAY + timedelta(hours=2),
    )
    assert merged.parent is ticket
    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=3))
    lifecycle.request_extension(
        db.session,
        ticket,
        LEAD,
        working_days=3,
        reason="需更换主板",
        at=MONDAY + timedelta(hours=4),
    )
    lifecycle.decide_extension(
        db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(hours=5)
    )
    (told,) = _rows(merged.ticket, "merged_extension:")
    _, text = compose(told)
    assert ticket.number in text and "新的办结时限" in text
    assert deliver(told.id) == "sent"
    assert sent == [NEIGHBOUR]
