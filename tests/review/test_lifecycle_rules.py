"""The lifecycle's edges: who may do what in which state, what happens twice, and a concurrent
change answered with 409 rather than a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from hotline import lifecycle
from hotline.extensions import db
from hotline.lifecycle import DomainError, PermissionDenied, TransitionError
from routing.glossary import TriageOutcome
from tests.api.conftest import create
from tests.factories import (
    AGENT,
    ASSIST,
    ASSIST_UNIT,
    DISPATCHER,
    LEAD,
    MONDAY,
    OTHER_UNIT,
    accepted,
    dispatched,
    handled,
    rated,
    replied,
)

RETURN = {
    "reason": "不属于本单位职责",
    "legal_basis": "三定方案第三条",
    "suggested_unit": OTHER_UNIT,
}


def test_an_assisting_unit_cannot_reply_sign_or_return_for_the_lead(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    with pytest.raises(PermissionDenied):
        lifecycle.sign(db.session, ticket, ASSIST, at=MONDAY)
    with pytest.raises(PermissionDenied):
        lifecycle.return_ticket(db.session, ticket, ASSIST, at=MONDAY, **RETURN)
    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY + timedelta(minutes=5))
    lifecycle.contact(db.session, ticket, LEAD, at=MONDAY + timedelta(minutes=10))
    with pytest.raises(PermissionDenied):
        lifecycle.reply(db.session, ticket, ASSIST, text="协办单位代答", at=MONDAY)
    lifecycle.reply_part(db.session, ticket, ASSIST, text="已配合排查", at=MONDAY)
    assert ticket.state == "handling"


def test_the_lead_cannot_answer_as_an_assisting_unit(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    with pytest.raises(PermissionDenied):
        lifecycle.reply_part(db.session, ticket, LEAD, text="主办代协办答复", at=MONDAY)


def test_an_extension_cannot_be_decided_twice(app: Flask) -> None:
    ticket = handled()
    lifecycle.request_extension(
        db.session, ticket, LEAD, working_days=3, reason="需协调维保单位", at=MONDAY
    )
    lifecycle.decide_extension(db.session, ticket, DISPATCHER, approve=True, at=MONDAY)
    due = ticket.handle_due_at
    with pytest.raises(DomainError) as error:
        lifecycle.decide_extension(db.session, ticket, DISPATCHER, approve=True, at=MONDAY)
    assert error.value.code == "no_extension_requested"
    with pytest.raises(DomainError):
        lifecycle.decide_extension(db.session, ticket, DISPATCHER, approve=False, at=MONDAY)
    assert ticket.handle_due_at == due and ticket.extension_state == "approved"


def test_a_return_after_a_rejected_arbitration_is_refused_even_inside_the_window(
    app: Flask,
) -> None:
    ticket = dispatched()
    lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=1), **RETURN)
    lifecycle.arbitrate(db.session, ticket, DISPATCHER, approve=False, note="属于本单位职责")
    assert ticket.state == "dispatched"
    # The centre's decision on a return is final (DOMAIN.md): no second return of it.
    with pytest.raises(DomainError) as error:
        lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=2), **RETURN)
    assert error.value.code == "return_already_arbitrated"
    assert ticket.state == "dispatched"


def test_a_ticket_answered_at_intake_cannot_be_reopened(app: Flask) -> None:
    ticket = accepted()
    lifecycle.answer(db.session, ticket, AGENT, "已电话解答", at=MONDAY)
    with pytest.raises(TransitionError):
        lifecycle.reopen(db.session, ticket, DISPATCHER, reason="再次来电")
    assert ticket.state == "closed"


def test_an_emergency_transfer_cannot_be_reopened(app: Flask) -> None:
    from tests.factories import intake

    ticket = lifecycle.accept(db.session, AGENT, intake(), TriageOutcome.EMERGENCY, at=MONDAY)
    with pytest.raises(TransitionError):
        lifecycle.reopen(db.session, ticket, DISPATCHER, reason="再次来电")
    assert ticket.state == "closed"


def test_a_merged_ticket_cannot_be_reopened_into_its_old_unit(app: Flask) -> None:
    parent = dispatched()
    child = dispatched()
    lifecycle.merge(db.session, child, parent, DISPATCHER, at=MONDAY)
    assert child.lead_unit_code is not None  # what made the old reopen go through
    with pytest.raises(TransitionError):
        lifecycle.reopen(db.session, child, DISPATCHER, reason="再次来电")
    assert child.state == "closed" and child.reopen_count == 0


def test_a_ticket_closed_after_a_satisfied_callback_cannot_be_reopened(app: Flask) -> None:
    # Reopening follows an unsatisfied callback for the unit's fault, which cannot be closed;
    # a recurrence after a satisfied close is a new appeal (linked as a repeat at intake).
    ticket = rated()
    lifecycle.close(db.session, ticket, DISPATCHER, at=MONDAY + timedelta(days=3))
    with pytest.raises(TransitionError):
        lifecycle.reopen(db.session, ticket, DISPATCHER, reason="诉求人反映问题复发")
    assert ticket.state == "closed"


def test_a_ticket_cannot_merge_into_itself_or_into_a_closed_ticket(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DomainError) as itself:
        lifecycle.merge(db.session, ticket, ticket, DISPATCHER)
    assert itself.value.code == "merge_into_self"
    closed = rated()
    lifecycle.close(db.session, closed, DISPATCHER)
    with pytest.raises(DomainError) as into_closed:
        lifecycle.merge(db.session, ticket, closed, DISPATCHER)
    assert into_closed.value.code == "merge_into_closed"
    assert ticket.state == "dispatched"


def test_a_closed_ticket_cannot_be_urged(app: Flask) -> None:
    ticket = rated()
    lifecycle.close(db.session, ticket, DISPATCHER)
    with pytest.raises(TransitionError):
        lifecycle.urge(db.session, ticket, DISPATCHER)


def test_a_callback_before_the_review_is_an_illegal_transition(app: Flask) -> None:
    ticket = replied()
    with pytest.raises(TransitionError):
        lifecycle.callback(
            db.session, ticket, AGENT, reachable=True, contacted=True, solved=True,
            satisfaction="satisfied",
        )  # fmt: skip
    assert ticket.state == "replied" and ticket.rating is None


def test_a_merge_into_itself_over_http_is_422_not_500(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    response = dispatcher.post(f"/api/v1/tickets/{ticket['id']}/merge", json={"into": ticket["id"]})
    assert response.status_code == 422
    unknown = dispatcher.post(f"/api/v1/tickets/{ticket['id']}/merge", json={"into": "²"})
    assert unknown.status_code == 404


def test_a_concurrent_change_to_the_ticket_is_409_and_writes_nothing(
    client: Any, dispatcher: Any, no_catalogue: None, monkeypatch: Any
) -> None:
    ticket = create(client)
    original = lifecycle.urge

    def urge_while_someone_else_writes(session: Any, target: Any, *args: Any, **kw: Any) -> Any:
        # Another request commits a change to the same row between our read and our write.
        session.execute(
            text("UPDATE tickets SET version = version + 1 WHERE id = :id"), {"id": target.id}
        )
        return original(session, target, *args, **kw)

    monkeypatch.setattr(lifecycle, "urge", urge_while_someone_else_writes)
    response = dispatcher.post(f"/api/v1/tickets/{ticket['id']}/urge", json={"note": "请尽快"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "concurrent_change"
    monkeypatch.setattr(lifecycle, "urge", original)
    events = dispatcher.get(f"/api/v1/tickets/{ticket['id']}").get_json()["events"]
    assert "urge" not in [event["action"] for event in events]
