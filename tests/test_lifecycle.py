"""The lifecycle service on PostgreSQL and SQLite: every transition of DOMAIN.md."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.lifecycle import DomainError, NotFound, PermissionDenied, TransitionError
from hotline.models import OutboxMessage, TicketEvent
from routing.glossary import TriageOutcome
from routing.workflow import replay
from tests.factories import (
    AGENT,
    ASSIST,
    ASSIST_UNIT,
    DISPATCHER,
    LEAD,
    LEAD_UNIT,
    MONDAY,
    OTHER,
    OTHER_UNIT,
    SUPERVISOR,
    accepted,
    dispatched,
    handled,
    intake,
    rated,
    replied,
)


def events_of(ticket_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.seq)
        )
    )


def test_an_accepted_dispatch_ticket_waits_with_a_dated_number(app: Flask) -> None:
    first = accepted()
    second = accepted()
    assert first.state == "pending_dispatch"
    day, serial = first.number.split("-")
    assert day == "20261123" and len(serial) == 6
    assert second.number == f"{day}-{int(serial) + 1:06d}"
    assert [e.action for e in events_of(first.id)] == ["accept"]


@pytest.mark.parametrize(
    "outcome",
    [
        TriageOutcome.EMERGENCY,
        TriageOutcome.REFERRAL,
        TriageOutcome.NOT_ACCEPTED,
        TriageOutcome.ANSWER,
    ],
)
def test_an_intake_outcome_other_than_dispatch_ends_the_ticket_at_once(
    app: Flask, outcome: TriageOutcome
) -> None:
    ticket = lifecycle.accept(db.session, AGENT, intake(), outcome, reason="r", at=MONDAY)
    assert ticket.state == "closed"
    assert ticket.triage_outcome == outcome
    assert ticket.lead_unit_code is None


def test_dispatch_starts_the_clocks_and_notifies_every_unit(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    assert ticket.state == "dispatched"
    assert ticket.lead_unit_code == LEAD_UNIT
    assert ticket.assist_unit_codes == [ASSIST_UNIT]
    assert ticket.sign_due_at is not None and ticket.sign_due_at > MONDAY
    assert ticket.handle_due_at is not None and ticket.handle_due_at > ticket.sign_due_at
    assert ticket.policy_snapshot is not None
    assert ticket.next_due_at is not None
    units = {
        m.payload["unit_code"]
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
        )
    }
    assert units == {LEAD_UNIT, ASSIST_UNIT}


def test_dispatch_to_an_unknown_unit_is_refused_and_changes_nothing(app: Flask) -> None:
    ticket = accepted()
    with pytest.raises(NotFound):
        lifecycle.dispatch(db.session, ticket, DISPATCHER, "NO-SUCH-UNIT", at=MONDAY)
    assert ticket.state == "pending_dispatch"
    assert [e.action for e in events_of(ticket.id)] == ["accept"]


def test_the_whole_loop_from_dispatch_to_close_is_recorded_event_by_event(app: Flask) -> None:
    ticket = rated()
    lifecycle.close(db.session, ticket, DISPATCHER, at=MONDAY + timedelta(days=3))
    events = events_of(ticket.id)
    assert [e.action for e in events] == [
        "accept",
        "dispatch",
        "sign",
        "contact",
        "reply",
        "review",
        "callback",
        "close",
    ]
    assert replay([(e.from_state, e.to_state) for e in events]) == ticket.state == "closed"
    assert ticket.sign_met_at is not None and ticket.contact_met_at is not None
    assert ticket.handle_met_at is not None and ticket.callback_met_at is not None
    assert ticket.next_due_at is None


def test_a_unit_cannot_sign_a_ticket_whose_lead_is_another_unit(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(PermissionDenied):
        lifecycle.sign(db.session, ticket, OTHER, at=MONDAY)
    assert ticket.state == "dispatched"


def test_an_agent_cannot_sign_for_a_unit(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(PermissionDenied):
        lifecycle.sign(db.session, ticket, AGENT, at=MONDAY)


def test_replying_before_contacting_the_requester_is_an_illegal_transition(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(TransitionError):
        lifecycle.reply(db.session, ticket, LEAD, text="done", at=MONDAY)
    assert ticket.state == "dispatched"


def test_a_closed_ticket_accepts_nothing_but_reopen(app: Flask) -> None:
    ticket = rated()
    lifecycle.close(db.session, ticket, DISPATCHER, at=MONDAY + timedelta(days=3))
    with pytest.raises(TransitionError):
        lifecycle.urge(db.session, ticket, DISPATCHER, at=MONDAY)
    with pytest.raises(TransitionError):
        lifecycle.sign(db.session, ticket, LEAD, at=MONDAY)
    lifecycle.reopen(db.session, ticket, SUPERVISOR, reason="市民再次来电反映未解决")
    assert ticket.state == "dispatched"
    assert ticket.reopen_count == 1


def test_a_return_needs_a_reason_a_legal_basis_and_a_suggested_unit(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DomainError) as error:
        lifecycle.return_ticket(
            db.session,
            ticket,
            LEAD,
            reason="不属于本单位职责",
            legal_basis="",
            suggested_unit="",
            at=MONDAY + timedelta(hours=1),
        )
    assert error.value.details["missing"] == ["legal_basis", "suggested_unit"]
    assert ticket.state == "dispatched"


def test_a_return_after_the_window_is_refused(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DomainError) as error:
        lifecycle.return_ticket(
            db.session,
            ticket,
            LEAD,
            reason="非本单位职责",
            legal_basis="三定规定第三条",
            suggested_unit=OTHER_UNIT,
            at=MONDAY + timedelta(days=7),
        )
    assert error.value.code == "return_window_closed"


def test_an_approved_return_redispatches_and_a_rejected_one_keeps_the_clocks(app: Flask) -> None:
    ticket = dispatched()
    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY + timedelta(minutes=5))
    due = ticket.handle_due_at
    lifecycle.return_ticket(
        db.session,
        ticket,
        LEAD,
        reason="非本单位职责",
        legal_basis="三定规定第三条",
        suggested_unit=OTHER_UNIT,
        at=MONDAY + timedelta(hours=2),
    )
    assert ticket.state == "returned"
    lifecycle.arbitrate(db.session, ticket, DISPATCHER, approve=False, note="属本单位职责")
    assert ticket.state == "signed"
    assert ticket.handle_due_at == due
    lifecycle.return_ticket(
        db.session,
        ticket,
        LEAD,
        reason="非本单位职责",
        legal_basis="三定规定第三条",
        suggested_unit=OTHER_UNIT,
        at=MONDAY + timedelta(hours=3),
    )
    lifecycle.arbitrate(
        db.session,
        ticket,
        DISPATCHER,
        approve=True,
        lead=OTHER_UNIT,
        at=MONDAY + timedelta(hours=4),
    )
    assert ticket.state == "dispatched"
    assert ticket.lead_unit_code == OTHER_UNIT
    assert ticket.hop_count == 2


def test_a_ticket_bounced_between_three_units_is_escalated(app: Flask) -> None:
    ticket = dispatched()
    lifecycle.redispatch(db.session, ticket, DISPATCHER, OTHER_UNIT, reason="职责调整")
    assert not ticket.escalated
    lifecycle.redispatch(db.session, ticket, DISPATCHER, "C-SCJGJ", reason="职责再调整")
    assert ticket.escalated
    assert events_of(ticket.id)[-1].action == "escalate"


def test_one_extension_before_the_deadline_moves_the_handle_due_time(app: Flask) -> None:
    ticket = handled()
    due = ticket.handle_due_at
    assert due is not None
    lifecycle.request_extension(
        db.session,
        ticket,
        LEAD,
        working_days=5,
        reason="需协调多部门",
        at=MONDAY + timedelta(days=1),
    )
    with pytest.raises(DomainError):
        lifecycle.request_extension(
            db.session, ticket, LEAD, working_days=5, reason="again", at=MONDAY + timedelta(days=1)
        )
    lifecycle.decide_extension(db.session, ticket, DISPATCHER, approve=True)
    assert ticket.handle_due_at is not None and ticket.handle_due_at > due
    assert ticket.extension_state == "approved"


def test_an_extension_asked_after_the_deadline_or_too_long_is_refused(app: Flask) -> None:
    ticket = handled()
    assert ticket.handle_due_at is not None
    with pytest.raises(DomainError) as late:
        lifecycle.request_extension(
            db.session,
            ticket,
            LEAD,
            working_days=2,
            reason="r",
            at=ticket.handle_due_at + timedelta(minutes=1),
        )
    assert late.value.code == "extension_too_late"
    with pytest.raises(DomainError) as long:
        lifecycle.request_extension(
            db.session, ticket, LEAD, working_days=11, reason="r", at=MONDAY + timedelta(hours=2)
        )
    assert long.value.code == "extension_too_long"


def test_assisting_units_answer_their_part_and_the_lead_replies_for_the_ticket(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY)
    lifecycle.contact(db.session, ticket, LEAD, at=MONDAY)
    lifecycle.reply_part(db.session, ticket, ASSIST, text="街道已督促物业报修", at=MONDAY)
    with pytest.raises(PermissionDenied):
        lifecycle.reply_part(db.session, ticket, OTHER, text="x", at=MONDAY)
    lifecycle.reply(db.session, ticket, LEAD, text="电梯已修复", at=MONDAY + timedelta(hours=5))
    assert events_of(ticket.id)[-1].payload["assist_parts"] == {ASSIST_UNIT: "街道已督促物业报修"}


def test_a_rejected_review_sends_the_reply_back_to_the_unit(app: Flask) -> None:
    ticket = replied()
    with pytest.raises(DomainError):
        lifecycle.review(db.session, ticket, DISPATCHER, approve=False, note="")
    lifecycle.review(db.session, ticket, DISPATCHER, approve=False, note="答复未说明维修时间")
    assert ticket.state == "handling"
    assert ticket.handle_met_at is None


def test_unsatisfied_for_the_units_fault_must_be_reopened_not_closed(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=True)
    with pytest.raises(DomainError) as error:
        lifecycle.close(db.session, ticket, DISPATCHER)
    assert error.value.code == "must_reopen"
    lifecycle.reopen(db.session, ticket, DISPATCHER, reason="回访不满意")
    assert ticket.state == "dispatched"


def test_unsatisfied_without_the_units_fault_is_a_written_off_close(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=False)
    lifecycle.close(db.session, ticket, DISPATCHER)
    assert events_of(ticket.id)[-1].payload["write_off"] is True


def test_three_reopens_escalate_the_ticket(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=True)
    for round_ in range(3):
        if round_:
            lifecycle.sign(db.session, ticket, LEAD)
            lifecycle.contact(db.session, ticket, LEAD)
            lifecycle.reply(db.session, ticket, LEAD, text="再次处理")
            lifecycle.review(db.session, ticket, DISPATCHER, approve=True)
            lifecycle.callback(
                db.session,
                ticket,
                AGENT,
                reachable=True,
                contacted=True,
                solved=False,
                satisfaction="unsatisfied",
                unit_fault=True,
            )
        lifecycle.reopen(db.session, ticket, DISPATCHER, reason="不满意")
    assert ticket.reopen_count == 3
    assert ticket.escalated


def test_merging_closes_the_ticket_and_counts_a_repeat_on_the_open_one(app: Flask) -> None:
    parent = dispatched()
    child = accepted()
    lifecycle.merge(db.session, child, parent, DISPATCHER)
    assert child.state == "closed" and child.parent_id == parent.id
    assert parent.repeat_count == 1
    assert events_of(parent.id)[-1].action == "link"


def test_urge_and_supervise_write_events_and_queue_messages_without_changing_state(
    app: Flask,
) -> None:
    ticket = dispatched()
    lifecycle.urge(db.session, ticket, DISPATCHER, note="请尽快签收")
    lifecycle.supervise(db.session, ticket, SUPERVISOR, note="超期未办")
    assert ticket.state == "dispatched"
    kinds = [
        m.kind
        for m in db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket.id)
            .order_by(OutboxMessage.id)
        )
    ]
    assert kinds[-2:] == ["urge", "supervise"]


def test_a_unit_cannot_supervise(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(PermissionDenied):
        lifecycle.supervise(db.session, ticket, LEAD, note="x")
