"""Building tickets and actors for tests, through the lifecycle service itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hotline import lifecycle
from hotline.extensions import db
from hotline.lifecycle import Actor, Intake
from hotline.models import Ticket
from routing.glossary import TriageOutcome
from routing.workflow import Role

AGENT = Actor(role=Role.AGENT, name="agent1", user_id=None)
DISPATCHER = Actor(role=Role.DISPATCHER, name="dispatcher1")
SUPERVISOR = Actor(role=Role.SUPERVISOR, name="supervisor")
LEAD_UNIT = "C-ZJJ"
OTHER_UNIT = "C-CGJ"
ASSIST_UNIT = "S990102001"
LEAD = Actor(role=Role.UNIT, name="u-c-zjj", unit_code=LEAD_UNIT)
OTHER = Actor(role=Role.UNIT, name="u-c-cgj", unit_code=OTHER_UNIT)
ASSIST = Actor(role=Role.UNIT, name="u-s990102001", unit_code=ASSIST_UNIT)

# Monday 2026-11-23 10:00 in Shanghai: an ordinary working week.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def intake(**overrides: Any) -> Intake:
    values: dict[str, Any] = {
        "channel": "phone",
        "appeal_type": "complaint",
        "urgency": "normal",
        "text": "小区电梯坏了三天，老人上下楼很不方便，请尽快处理。",
        "area_code": "990102001001",
        "matter_code": "01.01.01",
    }
    values.update(overrides)
    return Intake(**values)


def accepted(at: datetime = MONDAY, **overrides: Any) -> Ticket:
    return lifecycle.accept(db.session, AGENT, intake(**overrides), TriageOutcome.DISPATCH, at=at)


def dispatched(at: datetime = MONDAY, assists: tuple[str, ...] = (), **overrides: Any) -> Ticket:
    ticket = accepted(at=at, **overrides)
    return lifecycle.dispatch(db.session, ticket, DISPATCHER, LEAD_UNIT, assists, at=at)


def handled(at: datetime = MONDAY) -> Ticket:
    ticket = dispatched(at=at)
    lifecycle.sign(db.session, ticket, LEAD, at=at + timedelta(minutes=30))
    lifecycle.contact(db.session, ticket, LEAD, at=at + timedelta(hours=1))
    return ticket


def replied(at: datetime = MONDAY) -> Ticket:
    ticket = handled(at=at)
    lifecycle.reply(
        db.session, ticket, LEAD, text="已联系物业修复电梯。", at=at + timedelta(days=1)
    )
    return ticket


def rated(satisfaction: str = "satisfied", unit_fault: bool | None = None) -> Ticket:
    ticket = replied()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=1))
    lifecycle.callback(
        db.session,
        ticket,
        AGENT,
        reachable=True,
        contacted=True,
        solved=satisfaction != "unsatisfied",
        satisfaction=satisfaction,
        unit_fault=unit_fault,
        at=MONDAY + timedelta(days=2),
    )
    return ticket
