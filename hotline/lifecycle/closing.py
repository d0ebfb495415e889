"""审核, 回访, 办结, 重办: closing the loop on a replied ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.clock import utcnow
from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.lifecycle.clocks import meet, refresh_next_due, start_callback_clock, start_work_clocks
from hotline.lifecycle.dispatching import escalate_if_bounced, notify_back
from hotline.lifecycle.errors import DomainError
from hotline.lifecycle.merged_requesters import tell_merged_requesters
from hotline.lifecycle.record import begin, record
from hotline.models import Ticket
from hotline.outbox import add_message, cancel_pending
from routing.workflow import Action, TicketState, must_reopen

SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")


def survey_key(ticket: Ticket, seq: int | None = None) -> str:
    """The outbox key of the callback survey SMS sent after review event `seq` (without it,
    the prefix of every survey of the ticket)."""
    return f"callback_survey:{ticket.id}:" + ("" if seq is None else str(seq))


def _cancel_surveys(session: DbSession, ticket: Ticket, reason: str) -> None:
    # A survey SMS not yet sent would ask about a callback that is done or a reply now redone.
    cancel_pending(session, ticket.id, survey_key(ticket), reason)


def review(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    approve: bool,
    note: str = "",
    at: datetime | None = None,
) -> Ticket:
    """审核: the centre checks the reply; approval starts the callback clock."""
    from_state = begin(ticket, Action.REVIEW, actor)
    at = at or utcnow()
    domain = current_domain()
    payload: dict[str, Any] = {"approved": approve, "note": note}
    if approve:
        ticket.state = TicketState.REVIEWED
        ticket.reviewed_at = at
        payload["callback_due_at"] = start_callback_clock(domain, ticket, at)
    else:
        if not note.strip():
            raise DomainError("note_required", "退回答复必须写明审核意见")
        ticket.state = TicketState.HANDLING
        ticket.handle_met_at = None
    refresh_next_due(session, domain, ticket)
    event = record(session, ticket, Action.REVIEW, actor, at, from_state, payload)
    if not approve:
        notify_back(session, ticket, event.seq, "notify_unit_reply_returned")
    if approve and ticket.requester_phone_key is not None:
        # The callback survey by SMS goes out in business hours; replies 1/2/3 are the rating.
        add_message(
            session,
            "sms_requester",
            survey_key(ticket, event.seq),
            {"ticket_id": ticket.id, "template": "callback_survey", "number": ticket.number},
            ticket_id=ticket.id,
            available_at=domain.calendar.message_time(at),
        )
    if approve:
        available_at = domain.calendar.message_time(at)
        tell_merged_requesters(session, ticket, "merged_result", event.seq, available_at)
    return ticket


def callback(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    reachable: bool,
    contacted: bool | None = None,
    solved: bool | None = None,
    satisfaction: str | None = None,
    unit_fault: bool | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Ticket:
    """回访: the next-day survey (contacted? solved? satisfied?); ratings stay confidential."""
    from_state = begin(ticket, Action.CALLBACK, actor)
    if reachable:
        if satisfaction not in SATISFACTION:
            raise DomainError(
                "invalid_satisfaction",
                "满意度必须是 satisfied、basically_satisfied 或 unsatisfied",
                {"allowed": list(SATISFACTION)},
            )
        if contacted is None or solved is None:
            raise DomainError("survey_incomplete", "回访须记录是否联系、是否解决")
        if satisfaction == "unsatisfied" and unit_fault is None:
            raise DomainError("fault_required", "不满意的回访须判定是否属承办单位责任")
    else:
        answered = {
            name: value
            for name, value in (
                ("contacted", contacted),
                ("solved", solved),
                ("satisfaction", satisfaction),
                ("unit_fault", unit_fault),
            )
            if value is not None
        }
        if answered:
            # Answers from a citizen nobody reached would count in the satisfaction rates.
            raise DomainError(
                "survey_unreachable",
                "未联系上诉求人的回访不能记录评价：" + "、".join(answered),
                {"fields": list(answered)},
            )
    at = at or utcnow()
    ticket.state = TicketState.RATED
    ticket.rating = {
        "reachable": reachable,
        "contacted": contacted,
        "solved": solved,
        "satisfaction": satisfaction,
        "unit_fault": unit_fault,
    }
    meet(ticket, "callback", at)
    refresh_next_due(session, current_domain(), ticket)
    record(session, ticket, Action.CALLBACK, actor, at, from_state, ticket.rating | {"note": note})
    _cancel_surveys(session, ticket, "回访已记录，不再发送回访短信")
    return ticket


def close(
    session: DbSession, ticket: Ticket, actor: Actor, *, note: str = "", at: datetime | None = None
) -> Ticket:
    """办结/归档. Unsatisfied for the unit's own fault must be reopened instead."""
    from_state = begin(ticket, Action.CLOSE, actor)
    rating = ticket.rating or {}
    if must_reopen(rating.get("satisfaction"), rating.get("unit_fault")):
        raise DomainError("must_reopen", "因承办单位原因不满意的工单须重办，不能直接办结")
    at = at or utcnow()
    ticket.state = TicketState.CLOSED
    ticket.closed_at = at
    ticket.next_due_at = None
    write_off = rating.get("satisfaction") == "unsatisfied"
    record(
        session, ticket, Action.CLOSE, actor, at, from_state, {"note": note, "write_off": write_off}
    )
    _cancel_surveys(session, ticket, "工单已办结，不再发送回访短信")
    return ticket


def reopen(
    session: DbSession, ticket: Ticket, actor: Actor, *, reason: str, at: datetime | None = None
) -> Ticket:
    """重办: back to the same lead unit with fresh clocks; too many reopens escalate.

    Only after a callback rated unsatisfied for the unit's own fault (DOMAIN.md: "Unsatisfied
    for the unit's own fault → reopen; otherwise a reviewed write-off"); a satisfied rating or
    a write-off closes the loop. Only a rated ticket qualifies, so a ticket closed at intake,
    by a merge or after its callback never comes back (the state machine refuses it).
    """
    from_state = begin(ticket, Action.REOPEN, actor)
    if not reason.strip():
        raise DomainError("reason_required", "重办必须说明理由")
    rating = ticket.rating or {}
    if not must_reopen(rating.get("satisfaction"), rating.get("unit_fault")):
        raise DomainError(
            "not_reopenable",
            "只有回访不满意且属承办单位责任的工单才能重办",
            {"satisfaction": rating.get("satisfaction"), "unit_fault": rating.get("unit_fault")},
        )
    at = at or utcnow()
    domain = current_domain()
    ticket.state = TicketState.DISPATCHED
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    ticket.dispatched_at = at
    ticket.closed_at = None
    ticket.reviewed_at = None
    ticket.reply_text = None
    ticket.rating = None
    ticket.extension_state = "none"
    ticket.extension_days = None
    ticket.extension_reason = None
    for clock in ("callback",):
        setattr(ticket, f"{clock}_due_at", None)
        setattr(ticket, f"{clock}_met_at", None)
        setattr(ticket, f"{clock}_breached_at", None)
    clocks = start_work_clocks(domain, ticket, at)
    for assignment in ticket.assignments:
        if assignment.active:
            # A new round: each unit signs again and each assisting unit answers its part anew.
            assignment.signed_at = None
            assignment.part_text = None
            assignment.part_at = None
    refresh_next_due(session, domain, ticket)
    event = record(
        session,
        ticket,
        Action.REOPEN,
        actor,
        at,
        from_state,
        {"reason": reason, "reopen_count": ticket.reopen_count, "clocks": clocks},
    )
    notify_back(session, ticket, event.seq, "notify_unit_reopened", assists_too=True)
    _cancel_surveys(session, ticket, "工单已重办，不再发送回访短信")
    escalate_if_bounced(session, ticket, at)
    return ticket
