"""派单, 退单, 派单异议审核, 改派: sending a ticket to units and arbitrating returns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app

from hotline.clock import utcnow
from hotline.domain import Domain, current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import SYSTEM, Actor
from hotline.lifecycle.clocks import Fired, refresh_next_due, start_work_clocks
from hotline.lifecycle.errors import DomainError, NotFound, require_lead
from hotline.lifecycle.record import begin, record
from hotline.lifecycle.supervision import escalate
from hotline.models import OutboxMessage, Ticket, TicketAssignment, Unit
from hotline.outbox import message_row
from hotline.routing_context import routing_context
from routing.workflow import Action, TicketState


def _require_units(session: DbSession, codes: Sequence[str]) -> None:
    for code in codes:
        unit = session.get(Unit, code)
        if unit is None or not unit.active:
            raise NotFound("承办单位", code)


def _bounced_units(ticket: Ticket) -> int:
    return len({a.unit_code for a in ticket.assignments if a.role == "lead"})


def _assign(ticket: Ticket, lead: str, assists: Sequence[str], at: datetime) -> None:
    for assignment in ticket.assignments:
        assignment.active = False
    ticket.assignments.append(
        TicketAssignment(unit_code=lead, role="lead", dispatched_at=at, active=True)
    )
    for code in dict.fromkeys(assists):
        ticket.assignments.append(
            TicketAssignment(unit_code=code, role="assist", dispatched_at=at, active=True)
        )
    ticket.lead_unit_code = lead
    ticket.dispatched_at = at
    ticket.hop_count = _bounced_units(ticket)


def check_assignment(lead: str, assists: Sequence[str]) -> None:
    if lead in assists:
        raise DomainError("lead_is_assist", "主办单位不能同时是协办单位", {"unit": lead})


def move_to_units(
    session: DbSession,
    domain: Domain,
    ticket: Ticket,
    lead: str,
    assists: Sequence[str],
    at: datetime,
    *,
    fired: Fired | None = None,
) -> dict[str, object]:
    """Assign the units, start the work clocks and set the sweeper's next instant; returns
    the clocks as the dispatch event records them. `fired={}` says the ticket has no breaches
    (a new one), sparing the query."""
    check_assignment(lead, assists)
    _assign(ticket, lead, assists, at)
    ticket.state = TicketState.DISPATCHED
    clocks = start_work_clocks(domain, ticket, at)
    # Only committed breaches matter here: flushing now would split the action's one flush.
    with session.no_autoflush:
        refresh_next_due(session, domain, ticket, fired)
    return clocks


def dispatch_payload(
    lead: str, assists: Sequence[str], clocks: dict[str, object], payload: dict[str, Any]
) -> dict[str, Any]:
    return {"lead": lead, "assists": list(assists), "clocks": clocks} | payload


def notify_rows(
    ticket: Ticket, lead: str, assists: Sequence[str], seq: int
) -> list[dict[str, Any]]:
    """One outbox row per unit told of the ticket, exactly once per dispatch event."""
    return [
        message_row(
            "notify_unit",
            f"notify_unit:{ticket.id}:{seq}:{code}",
            {"ticket_id": ticket.id, "unit_code": code, "number": ticket.number},
            ticket_id=ticket.id,
        )
        for code in [lead, *dict.fromkeys(assists)]
    ]


def _send(
    session: DbSession,
    ticket: Ticket,
    action: Action,
    actor: Actor,
    lead: str,
    assists: Sequence[str],
    at: datetime,
    from_state: str,
    payload: dict[str, Any],
    *,
    check_units: bool = True,
) -> Ticket:
    check_assignment(lead, assists)
    if check_units:
        _require_units(session, [lead, *assists])
    clocks = move_to_units(session, current_domain(), ticket, lead, assists, at)
    event = record(
        session,
        ticket,
        action,
        actor,
        at,
        from_state,
        dispatch_payload(lead, assists, clocks, payload),
        flush=False,
    )
    # One flush for the ticket, its assignments and events; outbox rows (no ORM relationship
    # to order them after a new ticket's INSERT) follow in a second.
    session.flush()
    session.add_all(OutboxMessage(**row) for row in notify_rows(ticket, lead, assists, event.seq))
    escalate_if_bounced(session, ticket, at)
    session.flush()
    return ticket


def dispatch(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    lead: str,
    assists: Sequence[str] = (),
    *,
    decision: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Ticket:
    """派单: send a waiting ticket to its lead unit and assisting units and start its clocks."""
    from_state = begin(ticket, Action.DISPATCH, actor)
    at = at or utcnow()
    if decision is not None:
        apply_decision(ticket, decision)
    return _send(
        session,
        ticket,
        Action.DISPATCH,
        actor,
        lead,
        assists,
        at,
        from_state,
        {"decision": decision},
        # A routing decision names units from the cached active directory: no query per unit.
        check_units=decision is None or not _in_directory([lead, *assists]),
    )


def apply_decision(ticket: Ticket, decision: dict[str, Any], *, with_tier: bool = True) -> None:
    """Keep the routing decision (entry, catalogue version, tier) that the dispatch follows."""
    ticket.dispatch_decision = decision
    ticket.catalogue_entry_id = decision.get("entry_id")
    ticket.catalogue_version = decision.get("catalogue_version")
    if with_tier and decision.get("tier") and not ticket.policy_snapshot:
        ticket.tier = decision["tier"]


def require_units(session: DbSession, codes: Sequence[str]) -> None:
    """Units named by a routing decision come from the cached active directory: no query."""
    if not _in_directory(codes):
        _require_units(session, codes)


def _in_directory(codes: Sequence[str]) -> bool:
    units = routing_context().units
    return all(code in units for code in codes)


def return_ticket(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    reason: str,
    legal_basis: str,
    suggested_unit: str,
    at: datetime | None = None,
) -> Ticket:
    """退单: the lead unit says "not ours"; only inside the window, with reason, basis, unit.

    The clocks keep running: a unit cannot stop them by returning the ticket.
    """
    from_state = begin(ticket, Action.RETURN, actor)
    require_lead(ticket, actor)
    missing = [
        name
        for name, value in (
            ("reason", reason),
            ("legal_basis", legal_basis),
            ("suggested_unit", suggested_unit),
        )
        if not (value or "").strip()
    ]
    if missing:
        raise DomainError(
            "return_incomplete", "退单必须写明理由、法律依据和建议承办单位", {"missing": missing}
        )
    _require_units(session, [suggested_unit])
    at = at or utcnow()
    window = int(current_app.config["RETURN_WINDOW_WORKING_DAYS"])
    assert ticket.dispatched_at is not None
    deadline = current_domain().calendar.add_working_days(ticket.dispatched_at, window).due_at
    if at > deadline:
        raise DomainError(
            "return_window_closed",
            f"退单须在派单后 {window} 个工作日内提出（截止 {deadline.isoformat()}）",
            {"deadline": deadline.isoformat()},
        )
    ticket.state_before_return = ticket.state
    ticket.state = TicketState.RETURNED
    record(
        session,
        ticket,
        Action.RETURN,
        actor,
        at,
        from_state,
        {
            "unit": actor.unit_code,
            "reason": reason,
            "legal_basis": legal_basis,
            "suggested_unit": suggested_unit,
        },
    )
    return ticket


def arbitrate(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    approve: bool,
    note: str = "",
    lead: str | None = None,
    assists: Sequence[str] = (),
    at: datetime | None = None,
) -> Ticket:
    """派单异议审核: the centre's final decision on a return.

    Approve: redispatch to the chosen unit (fresh clocks for the new unit). Reject: back to
    the unit in the state it returned from; its clocks never stopped.
    """
    from_state = begin(ticket, Action.ARBITRATE, actor)
    at = at or utcnow()
    if approve:
        if not lead:
            raise DomainError("arbitration_needs_unit", "批准退单必须指定新的主办单位")
        if lead == ticket.lead_unit_code:
            raise DomainError("arbitration_same_unit", "批准退单不能改派回原单位")
        ticket.state_before_return = None
        return _send(
            session,
            ticket,
            Action.ARBITRATE,
            actor,
            lead,
            assists,
            at,
            from_state,
            {"approved": True, "note": note},
        )
    ticket.state = ticket.state_before_return or TicketState.DISPATCHED
    ticket.state_before_return = None
    record(
        session,
        ticket,
        Action.ARBITRATE,
        actor,
        at,
        from_state,
        {"approved": False, "note": note, "unit": ticket.lead_unit_code},
    )
    return ticket


def redispatch(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    lead: str,
    assists: Sequence[str] = (),
    *,
    reason: str,
    at: datetime | None = None,
) -> Ticket:
    """改派: the centre sends a ticket in progress to another unit."""
    from_state = begin(ticket, Action.REDISPATCH, actor)
    if not reason.strip():
        raise DomainError("reason_required", "改派必须说明理由")
    return _send(
        session,
        ticket,
        Action.REDISPATCH,
        actor,
        lead,
        assists,
        at or utcnow(),
        from_state,
        {"reason": reason},
    )


def escalate_if_bounced(session: DbSession, ticket: Ticket, at: datetime) -> None:
    """提级督办 once a ticket has bounced between too many units or been reopened too often."""
    reason = current_domain().ladder.structural_escalation(ticket.reopen_count, ticket.hop_count)
    if reason is None or ticket.escalated:
        return
    escalate(session, ticket, SYSTEM, reason=reason, at=at)
