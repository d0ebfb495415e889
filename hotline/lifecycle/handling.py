"""签收, 联系诉求人, 延期, 协办答复, 答复: the units' work on a dispatched ticket."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from hotline.clock import utcnow
from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.lifecycle.clocks import meet, refresh_next_due
from hotline.lifecycle.errors import DomainError, PermissionDenied, require_lead
from hotline.lifecycle.merged_requesters import tell_merged_requesters
from hotline.lifecycle.record import begin, record
from hotline.models import Ticket
from hotline.outbox import add_message
from routing.calendar import CalendarNotCovered
from routing.sla import extend
from routing.workflow import Action, TicketState


def sign(session: DbSession, ticket: Ticket, actor: Actor, *, at: datetime | None = None) -> Ticket:
    """签收: the lead unit acknowledges the ticket."""
    from_state = begin(ticket, Action.SIGN, actor)
    require_lead(ticket, actor)
    at = at or utcnow()
    ticket.state = TicketState.SIGNED
    meet(ticket, "sign", at)
    for assignment in ticket.assignments:
        if assignment.active and assignment.unit_code == ticket.lead_unit_code:
            assignment.signed_at = at
    refresh_next_due(session, current_domain(), ticket)
    record(session, ticket, Action.SIGN, actor, at, from_state, {"unit": ticket.lead_unit_code})
    return ticket


def contact(
    session: DbSession, ticket: Ticket, actor: Actor, *, note: str = "", at: datetime | None = None
) -> Ticket:
    """联系诉求人: the unit's first contact with the requester (响应)."""
    from_state = begin(ticket, Action.CONTACT, actor)
    require_lead(ticket, actor)
    at = at or utcnow()
    ticket.state = TicketState.HANDLING
    meet(ticket, "contact", at)
    refresh_next_due(session, current_domain(), ticket)
    record(session, ticket, Action.CONTACT, actor, at, from_state, {"note": note})
    return ticket


def request_extension(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    working_days: int,
    reason: str,
    at: datetime | None = None,
) -> Ticket:
    """申请延期: asked before the handle deadline, with reasons; at most one per ticket."""
    from_state = begin(ticket, Action.REQUEST_EXTENSION, actor)
    require_lead(ticket, actor)
    at = at or utcnow()
    limit = int(current_app.config["MAX_EXTENSION_WORKING_DAYS"])
    if ticket.extension_state != "none":
        raise DomainError(
            "extension_used", "每张工单只能申请一次延期", {"state": ticket.extension_state}
        )
    if not reason.strip():
        raise DomainError("reason_required", "申请延期必须说明理由")
    if not 1 <= working_days <= limit:
        raise DomainError("extension_too_long", f"延期为 1 至 {limit} 个工作日", {"max": limit})
    if ticket.handle_due_at is None:
        # Left open at dispatch: it falls in a year whose holiday schedule is not known yet.
        raise DomainError(
            "calendar_not_covered", "办结时限尚待下一年度放假安排载入后确定，暂不能申请延期"
        )
    if at >= ticket.handle_due_at:
        raise DomainError("extension_too_late", "延期必须在办结时限届满前申请")
    ticket.extension_state = "requested"
    ticket.extension_days = working_days
    ticket.extension_reason = reason
    record(
        session,
        ticket,
        Action.REQUEST_EXTENSION,
        actor,
        at,
        from_state,
        {"working_days": working_days, "reason": reason},
    )
    return ticket


def decide_extension(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    approve: bool,
    note: str = "",
    at: datetime | None = None,
) -> Ticket:
    """The centre approves (the handle deadline moves, the requester is told) or denies."""
    action = Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION
    from_state = begin(ticket, action, actor)
    if ticket.extension_state != "requested":
        raise DomainError("no_extension_requested", "没有待审批的延期申请")
    at = at or utcnow()
    payload: dict[str, object] = {"note": note, "working_days": ticket.extension_days}
    if approve:
        assert ticket.handle_due_at is not None and ticket.extension_days is not None
        domain = current_domain()
        try:
            due = extend(domain.calendar, ticket.handle_due_at, ticket.extension_days)
        except CalendarNotCovered as error:
            raise DomainError(
                "calendar_not_covered",
                f"延期后的办结时限无法计算：{error}。请在下一年度放假安排载入后再审批",
                {"working_days": ticket.extension_days},
            ) from None
        payload["previous_due_at"] = ticket.handle_due_at.astimezone(domain.tz).isoformat()
        payload["handle_due_at"] = due.due_at.astimezone(domain.tz).isoformat()
        ticket.handle_due_at = due.due_at
        ticket.handle_breached_at = None
        ticket.due_provisional = ticket.due_provisional or due.provisional
        ticket.extension_state = "approved"
        refresh_next_due(session, domain, ticket)
    else:
        ticket.extension_state = "denied"
    event = record(session, ticket, action, actor, at, from_state, payload)
    if approve and ticket.requester_id is not None and not ticket.anonymous:
        # Like the callback survey, a text to a citizen waits for business hours.
        add_message(
            session,
            "sms_requester",
            f"extension:{ticket.id}:{event.seq}",
            {
                "ticket_id": ticket.id,
                "template": "extension_approved",
                "number": ticket.number,
                "due_at": payload["handle_due_at"],
                "due_provisional": due.provisional,
            },
            ticket_id=ticket.id,
            available_at=current_domain().calendar.message_time(at),
        )
    if approve:
        tell_merged_requesters(
            session,
            ticket,
            "merged_extension",
            event.seq,
            current_domain().calendar.message_time(at),
            {"due_at": payload["handle_due_at"], "due_provisional": due.provisional},
        )
    return ticket


def reply_part(
    session: DbSession, ticket: Ticket, actor: Actor, *, text: str, at: datetime | None = None
) -> Ticket:
    """协办答复: an assisting unit answers its part; the lead unit replies for the ticket."""
    from_state = begin(ticket, Action.REPLY_PART, actor)
    if not text.strip():
        raise DomainError("text_required", "协办答复内容不能为空")
    assignment = next(
        (
            a
            for a in ticket.assignments
            if a.active and a.role == "assist" and a.unit_code == actor.unit_code
        ),
        None,
    )
    if assignment is None:
        raise PermissionDenied(f"单位 {actor.unit_code} 不是本工单的协办单位")
    at = at or utcnow()
    assignment.part_text = text
    assignment.part_at = at
    record(
        session,
        ticket,
        Action.REPLY_PART,
        actor,
        at,
        from_state,
        {"unit": actor.unit_code, "text": text},
    )
    return ticket


def reply(
    session: DbSession, ticket: Ticket, actor: Actor, *, text: str, at: datetime | None = None
) -> Ticket:
    """答复: the lead unit's written result for the whole ticket; stops the handle clock."""
    from_state = begin(ticket, Action.REPLY, actor)
    require_lead(ticket, actor)
    if not text.strip():
        raise DomainError("text_required", "答复内容不能为空")
    at = at or utcnow()
    ticket.state = TicketState.REPLIED
    ticket.reply_text = text
    meet(ticket, "handle", at)
    refresh_next_due(session, current_domain(), ticket)
    parts = {
        a.unit_code: a.part_text for a in ticket.assignments if a.active and a.role == "assist"
    }
    record(
        session,
        ticket,
        Action.REPLY,
        actor,
        at,
        from_state,
        {"text": text, "assist_parts": parts},
    )
    return ticket
