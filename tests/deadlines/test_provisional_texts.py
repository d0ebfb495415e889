"""Texts that give a due time resting on the provisional year say so (（暂定）), as the ticket does;
a due time in an official year is given plain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.models import OutboxMessage, Requester, Ticket
from tests import factories
from workers.delivery import compose
from workers.sweeper import sweep

# Monday 2026-12-28 10:00 in Shanghai: signing is due that noon (2026 is official); handling
# and an extension of it end in January 2027, the provisional year.
DECEMBER_MONDAY = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)


def _messages(ticket: Ticket, kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
    )


def _text(message: OutboxMessage) -> str:
    return compose(message)[1]


def _extension_text(at: datetime) -> tuple[OutboxMessage, str]:
    ticket = factories.handled(at=at)
    requester = Requester(phone="+8613800138000")
    db.session.add(requester)
    db.session.flush()
    ticket.requester_id = requester.id
    lifecycle.request_extension(
        db.session,
        ticket,
        factories.LEAD,
        working_days=5,
        reason="需协调多部门",
        at=at + timedelta(hours=2),
    )
    lifecycle.decide_extension(
        db.session, ticket, factories.DISPATCHER, approve=True, at=at + timedelta(hours=3)
    )
    (message,) = _messages(ticket, "sms_requester")
    return message, _text(message)


def test_an_extension_into_the_provisional_year_is_texted_as_provisional(app: Flask) -> None:
    message, text = _extension_text(DECEMBER_MONDAY)
    assert message.payload["due_provisional"] is True
    assert "新的办结时限为 2027-" in text
    assert text.endswith("（暂定）。")


def test_an_extension_within_an_official_year_is_texted_plainly(app: Flask) -> None:
    message, text = _extension_text(factories.MONDAY)
    assert message.payload["due_provisional"] is False
    assert "新的办结时限为 2026-" in text
    assert "暂定" not in text


@pytest.mark.parametrize("kind", ["warning", "overdue"])
def test_a_unit_is_warned_of_a_provisional_due_time_as_provisional_and_a_firm_one_plainly(
    app: Flask, kind: str
) -> None:
    ticket = factories.dispatched(at=DECEMBER_MONDAY)
    assert ticket.due_provisional
    assert ticket.sign_due_at is not None and ticket.sign_due_at.year == 2026
    assert ticket.handle_due_at is not None
    sweep(ticket.handle_due_at + timedelta(minutes=1))
    by_clock = {m.payload["clock_name"]: m for m in _messages(ticket, kind)}
    handle, sign = by_clock["handle"], by_clock["sign"]
    assert handle.payload["due_provisional"] is True
    assert "2027-01-05 23:59（暂定） 到期" in _text(handle)
    assert sign.payload["due_provisional"] is False
    assert "暂定" not in _text(sign)


def test_an_urge_from_the_sweeper_names_a_provisional_due_time_as_provisional(
    app: Flask,
) -> None:
    ticket = factories.dispatched(at=DECEMBER_MONDAY)
    assert ticket.handle_due_at is not None
    sweep(ticket.handle_due_at + timedelta(days=3))
    texts = [_text(m) for m in _messages(ticket, "urge")]
    assert any("办结时限" in t and "（暂定）" in t for t in texts)
    assert all("（暂定）" not in t for t in texts if "签收时限" in t)
