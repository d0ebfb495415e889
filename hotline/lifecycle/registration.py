"""登记: a new appeal that repeats no open ticket is accepted (and dispatched when the
catalogue names a lead unit) in memory, then written with everything it causes at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import SYSTEM, Actor
from hotline.lifecycle.dispatching import (
    apply_decision,
    dispatch_payload,
    escalate_if_bounced,
    move_to_units,
    notify_rows,
    require_units,
)
from hotline.lifecycle.intake import INTAKE_ROLES, Intake, accept_payload, build_ticket
from hotline.lifecycle.record import allocate, begin, event_row
from hotline.lifecycle.storage import NewTicket, store
from hotline.models import Requester, Ticket
from routing.glossary import TriageOutcome
from routing.workflow import Action, PermissionDenied


def register(
    session: DbSession,
    actor: Actor,
    intake: Intake,
    outcome: TriageOutcome,
    *,
    reason: str,
    at: datetime,
    requester: Requester | None = None,
    payload: dict[str, Any] | None = None,
    answer: str | None = None,
    decision: dict[str, Any] | None = None,
) -> Ticket:
    """受理 with one triage outcome and, for a decision with a lead unit, 派单 by the system:
    the same ticket, events and outbox rows as `accept` followed by `dispatch`, in one write.

    `requester` is a new, unsaved requester (its id is allocated here). A repeat of an open
    ticket (merge, link) goes through `accept`, which locks the ticket it repeats.
    """
    if actor.role not in INTAKE_ROLES:
        raise PermissionDenied(f"角色 {actor.role} 无权受理诉求")
    lead = decision.get("lead_unit") if decision is not None else None
    assists: list[str] = list(decision.get("assist_units") or []) if decision is not None else []
    if lead is not None:
        require_units(session, [lead, *assists])
    domain = current_domain()
    allocation = allocate(session, at, domain.tz, requester=requester is not None)
    if requester is not None and allocation.requester_id is not None:
        requester.id = allocation.requester_id
    ticket = build_ticket(
        intake,
        outcome,
        reason=reason,
        number=allocation.number,
        ticket_id=allocation.ticket_id,
        requester_id=allocation.requester_id,
        parent=None,
        at=at,
    )
    accepted = accept_payload(outcome, reason, intake, payload)
    new = NewTicket(ticket, requester)
    new.events.append(event_row(ticket, Action.ACCEPT, actor, at, None, accepted))
    if answer is not None:
        ticket.reply_text = answer
    if decision is not None:
        # The decision's tier applies once it is dispatched (as `dispatch` applies it).
        apply_decision(ticket, decision, with_tier=lead is not None)
    if lead is not None and decision is not None:
        from_state = begin(ticket, Action.DISPATCH, SYSTEM)
        clocks = move_to_units(session, domain, ticket, lead, assists, at, fired={})
        dispatched = event_row(
            ticket,
            Action.DISPATCH,
            SYSTEM,
            at,
            from_state,
            dispatch_payload(lead, assists, clocks, {"decision": decision}),
        )
        new.events.append(dispatched)
        new.messages.extend(notify_rows(ticket, lead, assists, dispatched["seq"]))
    store(session, new)
    if lead is not None:
        escalate_if_bounced(session, ticket, at)  # a structural rule set to one unit
    return ticket
