"""Random legal and illegal action sequences keep the lifecycle's invariants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.lifecycle import DomainError, PermissionDenied, TransitionError
from hotline.models import Ticket, TicketEvent
from routing.workflow import replay
from tests.factories import (
    AGENT,
    ASSIST,
    DISPATCHER,
    LEAD,
    MONDAY,
    OTHER,
    OTHER_UNIT,
    SUPERVISOR,
    accepted,
)

Step = Callable[[Ticket], Any]

STEPS: dict[str, Step] = {
    "dispatch": lambda t: lifecycle.dispatch(db.session, t, DISPATCHER, "C-ZJJ", ("S990102001",)),
    "answer": lambda t: lifecycle.answer(db.session, t, AGENT, "已告知办理流程"),
    "sign": lambda t: lifecycle.sign(db.session, t, LEAD),
    "sign_by_other": lambda t: lifecycle.sign(db.session, t, OTHER),
    "contact": lambda t: lifecycle.contact(db.session, t, LEAD, note="已电话联系"),
    "return": lambda t: lifecycle.return_ticket(
        db.session,
        t,
        LEAD,
        reason="非本单位职责",
        legal_basis="三定第三条",
        suggested_unit=OTHER_UNIT,
    ),
    "arbitrate_reject": lambda t: lifecycle.arbitrate(
        db.session, t, DISPATCHER, approve=False, note="驳回"
    ),
    "arbitrate_approve": lambda t: lifecycle.arbitrate(
        db.session, t, DISPATCHER, approve=True, lead=OTHER_UNIT
    ),
    "redispatch": lambda t: lifecycle.redispatch(db.session, t, DISPATCHER, "C-ZJJ", reason="调整"),
    "extension": lambda t: lifecycle.request_extension(
        db.session, t, LEAD, working_days=3, reason="协调"
    ),
    "approve_extension": lambda t: lifecycle.decide_extension(
        db.session, t, DISPATCHER, approve=True
    ),
    "reply_part": lambda t: lifecycle.reply_part(db.session, t, ASSIST, text="已配合"),
    "reply": lambda t: lifecycle.reply(db.session, t, LEAD, text="已处理完毕"),
    "review_ok": lambda t: lifecycle.review(db.session, t, DISPATCHER, approve=True),
    "review_back": lambda t: lifecycle.review(
        db.session, t, DISPATCHER, approve=False, note="补充"
    ),
    "callback_ok": lambda t: lifecycle.callback(
        db.session, t, AGENT, reachable=True, contacted=True, solved=True, satisfaction="satisfied"
    ),
    "callback_bad": lambda t: lifecycle.callback(
        db.session,
        t,
        AGENT,
        reachable=True,
        contacted=True,
        solved=False,
        satisfaction="unsatisfied",
        unit_fault=True,
    ),
    "close": lambda t: lifecycle.close(db.session, t, DISPATCHER),
    "reopen": lambda t: lifecycle.reopen(db.session, t, SUPERVISOR, reason="仍未解决"),
    "urge": lambda t: lifecycle.urge(db.session, t, DISPATCHER, note="请加快"),
    "supervise_by_unit": lambda t: lifecycle.supervise(db.session, t, LEAD, note="x"),
}
REFUSALS = (TransitionError, PermissionDenied, DomainError)


def event_rows(ticket_id: int) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (e.id, e.seq, e.action, e.from_state, e.to_state, e.payload)
        for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.seq)
        )
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=14))
def test_any_sequence_of_actions_keeps_the_lifecycle_invariants(
    app: Flask, steps: list[str]
) -> None:
    ticket = accepted(at=MONDAY - timedelta(hours=1))
    for name in steps:
        before = event_rows(ticket.id)
        state_before = ticket.state
        try:
            with db.session.begin_nested():
                STEPS[name](ticket)
        except REFUSALS:
            db.session.refresh(ticket)
            assert ticket.state == state_before, f"{name} was refused but changed the state"
            assert event_rows(ticket.id) == before, f"{name} was refused but wrote an event"
            continue
        after = event_rows(ticket.id)
        # No event is ever updated or deleted: the old log is a prefix of the new one.
        assert after[: len(before)] == before
        assert len(after) > len(before)
        if state_before == "closed":
            assert name == "reopen", f"a closed ticket accepted {name}"
        # The event log replays to the ticket's state.
        assert replay([(row[3], row[4]) for row in after]) == ticket.state
