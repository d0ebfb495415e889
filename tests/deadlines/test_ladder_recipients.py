"""Escalation messages go to whom the configured ladder says, and reach that person's phone."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import lifecycle, opt_outs
from hotline.domain import reset_domain
from hotline.extensions import db
from hotline.lifecycle.deadlines import record_breach
from hotline.models import OutboxMessage, Ticket, TicketEvent, Unit
from hotline.phones import phone_key
from hotline.recipients import contact_for
from routing.escalation import DEMO_LADDER_MAPPING
from tests import factories
from tests.factories import DISPATCHER, LEAD_UNIT, MONDAY
from workers.delivery import deliver

AREA = "990102001001"  # a community of 江城区 (D990102)


def _messages(ticket: Ticket, kind: str) -> list[OutboxMessage]:
    db.session.flush()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
    )


def _breach_notify(ticket: Ticket, level: str) -> str:
    events = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "breach"
        )
    )
    (notify,) = [e.payload["notify"] for e in events if e.payload["level"] == level]
    return str(notify)


def _ladder(monkeypatch: pytest.MonkeyPatch, app: Flask, **notify: str) -> None:
    steps = [dict(step) for step in DEMO_LADDER_MAPPING["steps"]]
    for step in steps:
        step["notify"] = notify.get(step["level"], step["notify"])
    monkeypatch.setitem(app.config, "LADDER", DEMO_LADDER_MAPPING | {"steps": steps})
    reset_domain(app)


def test_the_sweepers_urge_supervise_and_escalate_messages_go_to_the_ladders_recipients(
    fresh_domain: Flask,
) -> None:
    ticket = factories.dispatched()
    assert ticket.handle_due_at is not None
    at = ticket.handle_due_at + timedelta(days=4)
    for level in ("urge", "supervise", "escalate"):
        assert record_breach(db.session, ticket, "handle", level, ticket.handle_due_at, at)

    for level, recipient in (
        ("urge", "unit_head"),
        ("supervise", "unit_head"),
        ("escalate", "district_government"),
    ):
        (message,) = _messages(ticket, level)
        assert message.payload["recipient"] == recipient == _breach_notify(ticket, level)


def test_a_hand_taken_urge_and_supervise_follow_the_configured_ladder(
    fresh_domain: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ladder(monkeypatch, fresh_domain, urge="unit_liaison", supervise="unit_head")
    ticket = factories.dispatched()
    lifecycle.urge(db.session, ticket, DISPATCHER, note="请尽快办理")
    lifecycle.supervise(db.session, ticket, DISPATCHER, note="请单位负责人督促")
    assert _messages(ticket, "urge")[0].payload["recipient"] == "unit_liaison"
    assert _messages(ticket, "supervise")[0].payload["recipient"] == "unit_head"


def _phone(code: str, column: str) -> Any:
    unit = db.session.get(Unit, code)
    assert unit is not None
    return getattr(unit, column)


def test_each_ladder_target_resolves_to_its_own_phone(app: Flask) -> None:
    def phone(target: str, unit: str) -> str | None:
        return contact_for(db.session, target, unit, AREA).phone

    assert phone("unit_liaison", LEAD_UNIT) == _phone(LEAD_UNIT, "liaison_phone")
    assert phone("unit_head", LEAD_UNIT) == _phone(LEAD_UNIT, "head_phone")
    assert phone("supervisor", LEAD_UNIT) == _phone("CENTRE", "head_phone")
    # A city department has no parent unit: the district of the ticket's place answers.
    assert phone("district_government", LEAD_UNIT) == _phone("D990102", "head_phone")
    # A street office's district government is its parent.
    assert phone("district_government", "S990102001") == _phone("D990102", "head_phone")


def test_a_recipient_without_a_contact_is_skipped_with_the_reason_and_a_warning(
    fresh_domain: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _ladder(monkeypatch, fresh_domain, urge="leaders")
    ticket = factories.dispatched()
    lifecycle.urge(db.session, ticket, DISPATCHER, note="请尽快办理", at=MONDAY)
    (message,) = _messages(ticket, "urge")

    # Alembic's fileConfig in the session's migration disables loggers that already existed.
    monkeypatch.setattr(logging.getLogger("workers.delivery"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="workers.delivery"):
        assert deliver(message.id) == "skipped"

    assert message.last_error is not None and "leaders" in message.last_error
    assert any("leaders" in record.getMessage() for record in caplog.records)


def test_a_supervise_order_reaches_the_units_head_not_its_liaison(
    fresh_domain: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        "workers.delivery.sender_for",
        lambda _app: type(
            "S", (), {"send": lambda _self, to, _body, _reference=None: _record(sent, to)}
        )(),
    )
    ticket = factories.dispatched()
    lifecycle.supervise(db.session, ticket, DISPATCHER, note="请督促办理", at=MONDAY)
    (message,) = _messages(ticket, "supervise")
    assert deliver(message.id) == "sent"
    assert sent == [_phone(LEAD_UNIT, "head_phone")]
    assert sent != [_phone(LEAD_UNIT, "liaison_phone")]


def test_an_urge_or_supervision_order_on_a_fresh_ticket_claims_no_lateness(
    fresh_domain: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies: list[str] = []
    monkeypatch.setattr(
        "workers.delivery.sender_for",
        lambda _app: type(
            "S",
            (),
            {"send": lambda _self, to, body, _reference=None: _record(bodies, body)},
        )(),
    )
    ticket = factories.dispatched()
    lifecycle.urge(db.session, ticket, DISPATCHER, note="市民再次来电", at=MONDAY)
    lifecycle.supervise(db.session, ticket, DISPATCHER, note="请督促办理", at=MONDAY)
    for kind in ("urge", "supervise"):
        (message,) = _messages(ticket, kind)
        assert deliver(message.id) == "sent"
    urged, supervised = bodies
    assert urged == f"【12345催办】请尽快办理工单 {ticket.number}。市民再次来电"
    assert supervised.startswith(f"【12345督办】工单 {ticket.number} 已列入督办")
    assert not any("超期" in body or "超过" in body for body in bodies)


def _record(sent: list[str], to: str) -> Any:
    from hotline.sms import Sent

    sent.append(to)
    return Sent(provider_id=f"SM{len(sent)}", status="queued")


def test_a_unit_head_who_texted_td_still_receives_the_supervision_order(app: Flask) -> None:
    # Duty texts are no subscription: a reflexive "TD" to a 【12345督办】 text must not
    # silence the next order (an unsubscribe stops only texts to citizens).
    ticket = factories.dispatched()
    head = _phone(LEAD_UNIT, "head_phone")
    assert head
    opt_outs.record(db.session, phone_key(head), "TD", None)
    assert ticket.handle_due_at is not None
    at = ticket.handle_due_at + timedelta(days=4)
    assert record_breach(db.session, ticket, "handle", "supervise", ticket.handle_due_at, at)
    db.session.commit()
    (order,) = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "supervise"
        )
    )
    assert deliver(order.id) == "sent"
