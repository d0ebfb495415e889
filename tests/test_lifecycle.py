"""The lifecycle service on PostgreSQL and SQLite: every transition of DOMAIN.md."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.lifecycle import DomainError, PermissionDenied, TransitionError
from hotline.models import Breach, OutboxMessage, Requester, Ticket, TicketEvent, Unit
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
from workers.delivery import compose

BEIJING = ZoneInfo("Asia/Shanghai")


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
    with pytest.raises(DomainError) as refused:
        lifecycle.dispatch(db.session, ticket, DISPATCHER, "NO-SUCH-UNIT", at=MONDAY)
    assert refused.value.code == "unknown_code"
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


def test_a_closed_ticket_accepts_no_more_work_not_even_a_reopen(app: Flask) -> None:
    ticket = rated()
    lifecycle.close(db.session, ticket, DISPATCHER, at=MONDAY + timedelta(days=3))
    with pytest.raises(TransitionError):
        lifecycle.urge(db.session, ticket, DISPATCHER, at=MONDAY)
    with pytest.raises(TransitionError):
        lifecycle.sign(db.session, ticket, LEAD, at=MONDAY)
    with pytest.raises(TransitionError):
        lifecycle.reopen(db.session, ticket, SUPERVISOR, reason="市民再次来电反映未解决")
    assert ticket.state == "closed"
    assert ticket.reopen_count == 0


@pytest.mark.parametrize(
    ("satisfaction", "unit_fault"),
    [("satisfied", None), ("basically_satisfied", None), ("unsatisfied", False)],
)
def test_only_an_unsatisfied_callback_for_the_units_fault_can_be_reopened(
    app: Flask, satisfaction: str, unit_fault: bool | None
) -> None:
    ticket = rated(satisfaction, unit_fault=unit_fault)
    before = len(events_of(ticket.id))
    with pytest.raises(DomainError) as error:
        lifecycle.reopen(db.session, ticket, SUPERVISOR, reason="市民再次来电")
    assert error.value.code == "not_reopenable"
    assert ticket.state == "rated" and ticket.reopen_count == 0
    assert len(events_of(ticket.id)) == before


def test_a_callback_that_reached_nobody_records_no_rating(app: Flask) -> None:
    ticket = replied()
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=MONDAY + timedelta(days=1))
    with pytest.raises(DomainError) as error:
        lifecycle.callback(
            db.session,
            ticket,
            AGENT,
            reachable=False,
            satisfaction="satisfied",
            solved=True,
            at=MONDAY + timedelta(days=2),
        )
    assert error.value.code == "survey_unreachable"
    assert error.value.details["fields"] == ["solved", "satisfaction"]
    assert ticket.state == "reviewed" and ticket.rating is None
    lifecycle.callback(db.session, ticket, AGENT, reachable=False, at=MONDAY + timedelta(days=2))
    assert ticket.state == "rated"
    assert ticket.rating == {
        "reachable": False,
        "contacted": None,
        "solved": None,
        "satisfaction": None,
        "unit_fault": None,
    }


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


RETURN = {"reason": "非本单位职责", "legal_basis": "三定规定第三条", "suggested_unit": OTHER_UNIT}


def test_a_rejected_return_keeps_the_clocks_and_is_final_for_that_unit(app: Flask) -> None:
    ticket = dispatched()
    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY + timedelta(minutes=5))
    due = ticket.handle_due_at
    lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=2), **RETURN)
    assert ticket.state == "returned"
    lifecycle.arbitrate(db.session, ticket, DISPATCHER, approve=False, note="属本单位职责")
    assert ticket.state == "signed"
    assert ticket.handle_due_at == due
    with pytest.raises(DomainError) as error:
        lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=3), **RETURN)
    assert error.value.code == "return_already_arbitrated"
    assert ticket.state == "signed"


def test_a_unit_redispatched_the_ticket_again_may_return_its_new_assignment(app: Flask) -> None:
    ticket = dispatched()
    lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=1), **RETURN)
    lifecycle.arbitrate(db.session, ticket, DISPATCHER, approve=False, note="属本单位职责")
    lifecycle.redispatch(db.session, ticket, DISPATCHER, OTHER_UNIT, reason="职责调整")
    lifecycle.redispatch(
        db.session, ticket, DISPATCHER, LEAD_UNIT, reason="再调整", at=MONDAY + timedelta(hours=2)
    )
    lifecycle.return_ticket(
        db.session,
        ticket,
        LEAD,
        at=MONDAY + timedelta(hours=3),
        **RETURN | {"suggested_unit": "C-SCJGJ"},
    )
    assert ticket.state == "returned"


def test_a_unit_may_not_suggest_itself_when_it_returns_a_ticket(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DomainError) as error:
        lifecycle.return_ticket(
            db.session,
            ticket,
            LEAD,
            at=MONDAY + timedelta(hours=1),
            **RETURN | {"suggested_unit": LEAD_UNIT},
        )
    assert error.value.code == "return_to_self"
    assert ticket.state == "dispatched"


def test_a_unit_may_return_a_ticket_after_contacting_the_requester_inside_the_window(
    app: Flask,
) -> None:
    ticket = handled()
    lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=2), **RETURN)
    assert ticket.state == "returned"
    lifecycle.arbitrate(db.session, ticket, DISPATCHER, approve=False, note="属本单位职责")
    assert ticket.state == "handling"


def test_an_approved_return_redispatches_and_becomes_the_tickets_decision(app: Flask) -> None:
    ticket = dispatched()
    lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=3), **RETURN)
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
    decision = ticket.dispatch_decision
    assert decision is not None and decision["lead_unit"] == OTHER_UNIT
    assert decision["decided_by"] == "arbitrate" and LEAD_UNIT in decision["reason"]
    event = events_of(ticket.id)[-1]
    assert event.payload["replaced_decision"]["lead_unit"] == LEAD_UNIT
    assert event.payload["previous"]["lead"] == LEAD_UNIT


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


def test_the_citizen_hears_of_an_approved_extension_in_business_hours_not_at_night(
    app: Flask,
) -> None:
    ticket = handled()
    requester = Requester(phone="+8613800138000")
    db.session.add(requester)
    db.session.flush()
    ticket.requester_id = requester.id
    lifecycle.request_extension(
        db.session, ticket, LEAD, working_days=5, reason="需协调多部门", at=MONDAY
    )
    saturday_night = datetime(2026, 11, 28, 1, 36, tzinfo=BEIJING)
    lifecycle.decide_extension(db.session, ticket, DISPATCHER, approve=True, at=saturday_night)
    (message,) = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "sms_requester"
        )
    )
    assert message.payload["template"] == "extension_approved"
    assert message.available_at == datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


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


def test_a_reopened_ticket_keeps_nothing_of_the_last_rounds_extension(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=True)
    ticket.extension_state, ticket.extension_days = "approved", 3
    ticket.extension_reason = "需采购灯具"
    lifecycle.reopen(db.session, ticket, DISPATCHER, reason="回访不满意")
    assert (ticket.extension_state, ticket.extension_days, ticket.extension_reason) == (
        "none",
        None,
        None,
    )


def test_unsatisfied_without_the_units_fault_is_a_written_off_close(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=False)
    lifecycle.close(db.session, ticket, DISPATCHER)
    assert events_of(ticket.id)[-1].payload["write_off"] is True


def _called_back_unsatisfied(ticket: Ticket) -> None:
    """The requester reached, not solved, unsatisfied, for the unit's fault."""
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


def _unsatisfied_again(ticket: Ticket) -> None:
    """The reopened round handled, reviewed and rated unsatisfied for the unit's fault again."""
    lifecycle.sign(db.session, ticket, LEAD)
    lifecycle.contact(db.session, ticket, LEAD)
    lifecycle.reply(db.session, ticket, LEAD, text="再次处理")
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True)
    _called_back_unsatisfied(ticket)


def _reopen_three_times(ticket: Ticket) -> None:
    for round_ in range(3):
        if round_:
            _unsatisfied_again(ticket)
        lifecycle.reopen(db.session, ticket, DISPATCHER, reason="不满意")


def _structural_escalations(ticket: Ticket) -> list[list[str]]:
    return [
        event.payload["structural"]
        for event in events_of(ticket.id)
        if event.action == "escalate" and "structural" in event.payload
    ]


def test_three_reopens_escalate_the_ticket(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=True)
    _reopen_three_times(ticket)
    assert ticket.reopen_count == 3
    assert ticket.escalated
    assert _structural_escalations(ticket) == [["reopens"]]


def test_three_reopens_escalate_a_ticket_a_supervisor_had_already_escalated(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=True)
    lifecycle.escalate(db.session, ticket, SUPERVISOR, reason="市领导批示")
    _reopen_three_times(ticket)
    assert _structural_escalations(ticket) == [["reopens"]]


def test_a_fourth_reopen_does_not_escalate_on_the_same_ground_again(app: Flask) -> None:
    ticket = rated("unsatisfied", unit_fault=True)
    _reopen_three_times(ticket)
    _unsatisfied_again(ticket)
    lifecycle.reopen(db.session, ticket, DISPATCHER, reason="仍不满意")
    assert ticket.reopen_count == 4
    assert _structural_escalations(ticket) == [["reopens"]]


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


def breach_rows(ticket_id: int) -> list[tuple[str, str]]:
    return [
        (clock, level)
        for clock, level in db.session.execute(
            select(Breach.clock, Breach.level).where(Breach.ticket_id == ticket_id)
        )
    ]


def overdue_on_sign(ticket: Ticket) -> None:
    assert ticket.sign_due_at is not None
    lifecycle.record_breach(
        db.session, ticket, "sign", "overdue", ticket.sign_due_at, ticket.sign_due_at
    )
    assert ticket.sign_breached_at is not None


def test_a_redispatch_to_the_same_units_is_refused_and_changes_nothing(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    overdue_on_sign(ticket)
    due, breached = ticket.sign_due_at, ticket.sign_breached_at
    before = len(events_of(ticket.id))
    with pytest.raises(DomainError) as error:
        lifecycle.redispatch(
            db.session, ticket, DISPATCHER, LEAD_UNIT, (ASSIST_UNIT,), reason="重新派单"
        )
    assert error.value.code == "redispatch_unchanged"
    assert "相同" in error.value.message
    assert (ticket.sign_due_at, ticket.sign_breached_at) == (due, breached)
    assert len(events_of(ticket.id)) == before


def test_a_redispatch_to_a_new_lead_starts_its_clocks_and_keeps_the_old_units_breaches(
    app: Flask,
) -> None:
    ticket = dispatched()
    overdue_on_sign(ticket)
    old_due = ticket.sign_due_at
    at = MONDAY + timedelta(days=2)
    lifecycle.redispatch(db.session, ticket, DISPATCHER, OTHER_UNIT, reason="职责调整", at=at)
    # Accountability starts at dispatch: the new unit's clocks run from now.
    assert ticket.dispatched_at == at and ticket.sign_breached_at is None
    assert ticket.sign_due_at is not None and ticket.sign_due_at > at
    # The old unit's breach stays on record: its row and the redispatch event's `previous`.
    assert ("sign", "overdue") in breach_rows(ticket.id)
    previous = events_of(ticket.id)[-1].payload["previous"]
    assert previous["lead"] == LEAD_UNIT
    assert previous["clocks"]["sign"]["breached_at"] is not None
    assert old_due is not None and previous["clocks"]["sign"]["due_at"] == old_due.isoformat()


def test_changing_only_the_assisting_units_keeps_the_leads_clocks_and_breaches(
    app: Flask,
) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY + timedelta(minutes=5))
    overdue_on_sign(ticket)
    clocks = (ticket.dispatched_at, ticket.handle_due_at, ticket.sign_breached_at)
    lifecycle.redispatch(
        db.session, ticket, DISPATCHER, LEAD_UNIT, ("C-SCJGJ",), reason="协办单位调整"
    )
    assert ticket.state == "signed"
    assert (ticket.dispatched_at, ticket.handle_due_at, ticket.sign_breached_at) == clocks
    assert ticket.assist_unit_codes == ["C-SCJGJ"]
    event = events_of(ticket.id)[-1]
    assert event.payload["added"] == ["C-SCJGJ"] and event.payload["removed"] == [ASSIST_UNIT]
    told = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.idempotency_key.like(f"notify_unit:{ticket.id}:{event.seq}:%"),
        )
    )
    assert [m.payload["unit_code"] for m in told] == ["C-SCJGJ"]


def test_a_redispatch_drops_the_old_units_extension_and_the_new_unit_may_ask_once(
    app: Flask,
) -> None:
    ticket = handled()
    lifecycle.request_extension(
        db.session, ticket, LEAD, working_days=5, reason="需协调", at=MONDAY + timedelta(days=1)
    )
    lifecycle.decide_extension(db.session, ticket, DISPATCHER, approve=True)
    at = MONDAY + timedelta(days=2)
    lifecycle.redispatch(db.session, ticket, DISPATCHER, OTHER_UNIT, reason="职责调整", at=at)
    assert (ticket.extension_state, ticket.extension_days) == ("none", None)
    previous = events_of(ticket.id)[-1].payload["previous"]
    assert previous["extension"] == {"state": "approved", "working_days": 5}
    # The calendar-reload recompute agrees with the redispatch: no old extension comes back.
    due = ticket.handle_due_at
    payload = lifecycle.recompute_due(db.session, ticket, at=at)
    assert "handle_due_at" not in payload["changes"] and ticket.handle_due_at == due
    lifecycle.sign(db.session, ticket, OTHER, at=at)
    lifecycle.request_extension(
        db.session, ticket, OTHER, working_days=3, reason="需现场核查", at=at
    )
    assert ticket.extension_state == "requested"


@pytest.mark.parametrize("role", ["lead", "assist"])
def test_the_centre_cannot_be_sent_a_ticket_as_lead_or_assisting_unit(
    app: Flask, role: str
) -> None:
    lead, assists = ("CENTRE", ()) if role == "lead" else (LEAD_UNIT, ("CENTRE",))
    ticket = accepted()
    with pytest.raises(DomainError) as error:
        lifecycle.dispatch(db.session, ticket, DISPATCHER, lead, assists, at=MONDAY)
    assert error.value.code == "unit_cannot_handle"
    assert ticket.state == "pending_dispatch"
    other = dispatched()
    with pytest.raises(DomainError) as redispatched:
        lifecycle.redispatch(
            db.session,
            other,
            DISPATCHER,
            OTHER_UNIT if role == "assist" else lead,
            assists,
            reason="改派",
        )
    assert redispatched.value.code == "unit_cannot_handle"


def test_the_centre_cannot_be_chosen_by_arbitration_or_suggested_by_a_return(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DomainError) as suggested:
        lifecycle.return_ticket(
            db.session,
            ticket,
            LEAD,
            at=MONDAY + timedelta(hours=1),
            **RETURN | {"suggested_unit": "CENTRE"},
        )
    assert suggested.value.code == "unit_cannot_handle"
    lifecycle.return_ticket(db.session, ticket, LEAD, at=MONDAY + timedelta(hours=1), **RETURN)
    with pytest.raises(DomainError) as arbitrated:
        lifecycle.arbitrate(db.session, ticket, DISPATCHER, approve=True, lead="CENTRE")
    assert arbitrated.value.code == "unit_cannot_handle"
    assert ticket.state == "returned" and ticket.lead_unit_code == LEAD_UNIT


def test_an_inactive_unit_cannot_be_sent_a_ticket(app: Flask) -> None:
    unit = db.session.get(Unit, OTHER_UNIT)
    assert unit is not None
    unit.active = False
    db.session.flush()
    ticket = accepted()
    with pytest.raises(DomainError) as error:
        lifecycle.dispatch(db.session, ticket, DISPATCHER, OTHER_UNIT, at=MONDAY)
    assert error.value.code == "unit_inactive"
    assert ticket.state == "pending_dispatch"


def test_a_manual_dispatch_becomes_the_tickets_decision(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    decision = ticket.dispatch_decision
    assert decision is not None
    assert (decision["lead_unit"], decision["assist_units"]) == (LEAD_UNIT, [ASSIST_UNIT])
    assert decision["entry_id"] is None and decision["decided_by"] == "dispatch"


def test_merging_unrelated_tickets_is_refused_unless_the_centre_overrides_with_a_reason(
    app: Flask,
) -> None:
    parent = dispatched()
    child = accepted(area_code="990102002", matter_code="01.02.01")
    with pytest.raises(DomainError) as error:
        lifecycle.merge(db.session, child, parent, DISPATCHER)
    assert error.value.code == "merge_unrelated"
    assert child.state == "pending_dispatch" and parent.repeat_count == 0
    with pytest.raises(DomainError) as bare:
        lifecycle.merge(db.session, child, parent, DISPATCHER, override=True)
    assert bare.value.code == "reason_required"
    lifecycle.merge(
        db.session, child, parent, SUPERVISOR, override=True, reason="诉求人换号码来电，同一问题"
    )
    assert child.state == "closed" and child.linked_ticket_id == parent.id
    assert "换号码" in child.triage_reason
    assert events_of(child.id)[-1].payload["ground"] == "override"


def test_a_manual_merge_links_the_duplicate_and_gives_a_merge_reason(app: Flask) -> None:
    parent = dispatched()
    child = accepted(requester_phone_key="k1", area_code=None)
    parent.requester_phone_key = "k1"
    lifecycle.merge(db.session, child, parent, DISPATCHER)
    assert child.parent_id == parent.id and child.linked_ticket_id == parent.id
    assert child.triage_outcome == "merge"
    assert child.triage_reason.startswith("人工并单") and parent.number in child.triage_reason
    assert "同一诉求人" in child.triage_reason


def test_what_was_merged_into_a_ticket_follows_it_when_it_is_merged_in_turn(app: Flask) -> None:
    first, middle, last = (accepted(requester_phone_key="k2", area_code=None) for _ in range(3))
    lifecycle.merge(db.session, first, middle, DISPATCHER)
    lifecycle.merge(db.session, middle, last, DISPATCHER)
    db.session.flush()
    assert first.parent_id == last.id and first.linked_ticket_id == last.id
    assert middle.parent_id == last.id
    assert last.repeat_count == 2
    assert middle.repeat_count == 0


def test_repeats_that_followed_a_ticket_into_another_come_back_when_it_is_split_off(
    app: Flask,
) -> None:
    first, middle, last = (accepted(requester_phone_key="k3", area_code=None) for _ in range(3))
    lifecycle.merge(db.session, first, middle, DISPATCHER)
    lifecycle.merge(db.session, middle, last, DISPATCHER)
    db.session.flush()
    assert first.parent_id == last.id and last.repeat_count == 2
    lifecycle.split(db.session, middle, DISPATCHER, reason="不是同一部电梯")
    db.session.flush()
    assert first.parent_id == middle.id and first.linked_ticket_id == middle.id
    assert middle.repeat_count == 1 and last.repeat_count == 0
    split_event = events_of(middle.id)[-1]
    assert split_event.payload["returned"] == [first.number]
    note = events_of(last.id)[-1]
    assert note.payload["split"] == middle.number
    assert note.payload["returned"] == [first.number]
    assert f"随其并入的重复件{first.number}一并拆回" in note.payload["text"]


def test_a_repeat_moved_on_since_stays_where_it_is_when_the_ticket_is_split_off(
    app: Flask,
) -> None:
    first, middle, last, elsewhere = (
        accepted(requester_phone_key="k4", area_code=None) for _ in range(4)
    )
    lifecycle.merge(db.session, first, middle, DISPATCHER)
    lifecycle.merge(db.session, middle, last, DISPATCHER)
    lifecycle.split(db.session, first, DISPATCHER, reason="另一个问题")
    lifecycle.merge(db.session, first, elsewhere, DISPATCHER)
    lifecycle.split(db.session, middle, DISPATCHER, reason="不是同一部电梯")
    db.session.flush()
    assert first.parent_id == elsewhere.id
    assert "returned" not in events_of(middle.id)[-1].payload


def _notices(ticket: Ticket) -> list[str]:
    db.session.flush()
    return [
        compose(message)[1]
        for message in db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "notify_unit")
            .order_by(OutboxMessage.id)
        )
    ]


def test_the_unit_is_told_when_a_ticket_comes_back_to_it(app: Flask) -> None:
    reopened = rated("unsatisfied", unit_fault=True)
    lifecycle.reopen(db.session, reopened, DISPATCHER, reason="回访不满意")
    assert "回访不满意，已重办" in _notices(reopened)[-1]

    sent_back = replied()
    lifecycle.review(db.session, sent_back, DISPATCHER, approve=False, note="答复未说明处理结果")
    assert "答复未通过审核" in _notices(sent_back)[-1]

    kept = dispatched()
    lifecycle.return_ticket(db.session, kept, LEAD, at=MONDAY + timedelta(hours=1), **RETURN)
    lifecycle.arbitrate(db.session, kept, DISPATCHER, approve=False, note="属本单位职责")
    assert "退单申请未获批准" in _notices(kept)[-1]


def test_a_reopened_round_asks_the_assisting_units_for_their_parts_anew(app: Flask) -> None:
    ticket = dispatched(assists=(ASSIST_UNIT,))
    lifecycle.sign(db.session, ticket, LEAD)
    lifecycle.contact(db.session, ticket, LEAD)
    lifecycle.reply_part(db.session, ticket, ASSIST, text="街道已配合核查")
    lifecycle.reply(db.session, ticket, LEAD, text="已修复")
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True)
    _called_back_unsatisfied(ticket)
    lifecycle.reopen(db.session, ticket, DISPATCHER, reason="回访不满意")
    db.session.flush()
    told = db.session.scalars(
        select(OutboxMessage.payload).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "notify_unit"
        )
    ).all()
    reopened = {p["unit_code"] for p in told if p.get("template") == "notify_unit_reopened"}
    assert reopened == {LEAD_UNIT, ASSIST_UNIT}
    lifecycle.sign(db.session, ticket, LEAD)
    lifecycle.contact(db.session, ticket, LEAD)
    lifecycle.reply(db.session, ticket, LEAD, text="再次处理")
    assert events_of(ticket.id)[-1].payload["assist_parts"] == {ASSIST_UNIT: None}
