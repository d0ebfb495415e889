"""派单, 退单, 派单异议审核, 改派: sending a ticket to units and arbitrating returns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.domain import Domain, current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import SYSTEM, Actor
from hotline.lifecycle.clocks import WORK_CLOCKS, Fired, refresh_next_due, start_work_clocks
from hotline.lifecycle.errors import DomainError, require_lead
from hotline.lifecycle.record import begin, record
from hotline.lifecycle.supervision import escalate
from hotline.models import OutboxMessage, Ticket, TicketAssignment, TicketEvent, Unit
from hotline.outbox import message_row
from hotline.routing_context import routing_context
from routing.calendar import CalendarNotCovered
from routing.escalation import escalation_reason
from routing.router import FALLBACK_MANUAL
from routing.workflow import Action, Reassignment, TicketState, may_handle, reassignment


def _require_units(session: DbSession, codes: Sequence[str]) -> None:
    """Every unit exists, is active and is one that handles tickets (not the centre)."""
    for code in codes:
        unit = session.get(Unit, code)
        if unit is None:
            # The same answer as an unknown code at intake or in a filter: a 422, not the
            # 404 that says the ticket addressed does not exist.
            raise DomainError("unknown_code", "编码不存在", {"unit": f"未知的编码 {code}"})
        if not unit.active:
            raise DomainError(
                "unit_inactive",
                f"承办单位 {code}（{unit.name}）已停用，不能承办工单",
                {"unit": code},
            )
        if not may_handle(unit.kind):
            raise DomainError(
                "unit_cannot_handle",
                f"{code}（{unit.name}）是热线中心，不是承办单位，不能承办工单",
                {"unit": code, "kind": unit.kind},
            )


def _bounced_units(ticket: Ticket) -> int:
    return len({a.unit_code for a in ticket.assignments if a.role == "lead"})


def _lead_assignment(ticket: Ticket) -> TicketAssignment | None:
    return next((a for a in ticket.assignments if a.active and a.role == "lead"), None)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def assignment_record(ticket: Ticket) -> dict[str, Any]:
    """The outgoing assignment as the event log keeps it when the ticket moves to a new lead:
    its units, its clocks (due, met, breached) and its extension, so that the previous unit's
    record (on-time sign, response, close; breaches) is not lost with the fresh clocks."""
    return {
        "lead": ticket.lead_unit_code,
        "assists": ticket.assist_unit_codes,
        "dispatched_at": _iso(ticket.dispatched_at),
        "clocks": {
            str(clock): {
                "due_at": _iso(getattr(ticket, f"{clock}_due_at")),
                "met_at": _iso(getattr(ticket, f"{clock}_met_at")),
                "breached_at": _iso(getattr(ticket, f"{clock}_breached_at")),
            }
            for clock in WORK_CLOCKS
        },
        "extension": {"state": ticket.extension_state, "working_days": ticket.extension_days},
    }


def centre_decision(
    action: Action, lead: str, assists: Sequence[str], reason: str
) -> dict[str, Any]:
    """A dispatch decided by the centre rather than the catalogue (manual dispatch, redispatch,
    arbitration), in the shape of a routing decision so the ticket shows the current one."""
    return {
        "lead_unit": lead,
        "assist_units": list(dict.fromkeys(assists)),
        "entry_id": None,
        "catalogue_version": None,
        "matched_matter": None,
        "matched_area": None,
        "matter_steps_up": 0,
        "fallback": FALLBACK_MANUAL,
        "tier": None,
        "reason": reason,
        "decided_by": str(action),
    }


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
    # An extension belongs to the assignment it was granted to: the new lead may ask once.
    ticket.extension_state = "none"
    ticket.extension_days = None
    ticket.extension_reason = None
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
    return unit_notices(ticket, [lead, *dict.fromkeys(assists)], seq)


def unit_notices(
    ticket: Ticket,
    codes: Sequence[str],
    seq: int,
    template: str = "notify_unit",
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One notice per unit, exactly once per event; `template` says why (a new ticket, or one
    coming back to the unit: reopened, its reply sent back, its return refused, its time
    shortened, the requester's reply), `extra` the template's other fields."""
    payload: dict[str, Any] = {"ticket_id": ticket.id, "number": ticket.number} | (extra or {})
    if template != "notify_unit":
        payload["template"] = template
    return [
        message_row(
            "notify_unit",
            f"notify_unit:{ticket.id}:{seq}:{code}",
            payload | {"unit_code": code},
            ticket_id=ticket.id,
        )
        for code in codes
    ]


def notify_back(
    session: DbSession,
    ticket: Ticket,
    seq: int,
    template: str,
    *,
    assists_too: bool = False,
    extra: dict[str, Any] | None = None,
) -> None:
    """Tell the lead unit (and, for a new round, the assisting units) that a ticket is back in
    their hands, or more pressing, and why (`extra`: the template's other fields)."""
    codes = [ticket.lead_unit_code] if ticket.lead_unit_code is not None else []
    if assists_too:
        codes += [a.unit_code for a in ticket.assignments if a.active and a.role == "assist"]
    if codes:
        rows = unit_notices(ticket, list(dict.fromkeys(codes)), seq, template, extra)
        session.add_all(OutboxMessage(**row) for row in rows)


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
    decision: dict[str, Any],
    check_units: bool = True,
) -> Ticket:
    check_assignment(lead, assists)
    if check_units:
        _require_units(session, [lead, *assists])
    payload = _adopt_decision(ticket, decision, payload)
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


def _adopt_decision(
    ticket: Ticket, decision: dict[str, Any], payload: dict[str, Any]
) -> dict[str, Any]:
    """Make `decision` the ticket's current one; the one it replaces stays in the event log."""
    replaced = ticket.dispatch_decision
    apply_decision(ticket, decision)
    payload = payload | {"decision": decision}
    if replaced is not None and replaced != decision:
        payload["replaced_decision"] = replaced
    return payload


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
    """派单: send a waiting ticket to its lead unit and assisting units and start its clocks.

    Without a routing `decision` the centre decided (the manual queue): that is recorded as
    the ticket's decision, replacing the queue's "no unit found".
    """
    from_state = begin(ticket, Action.DISPATCH, actor)
    at = at or utcnow()
    manual = decision is None
    if decision is None:
        decision = centre_decision(Action.DISPATCH, lead, assists, f"人工派单（{actor.name}）")
    return _send(
        session,
        ticket,
        Action.DISPATCH,
        actor,
        lead,
        assists,
        at,
        from_state,
        {},
        decision=decision,
        # A routing decision names units from the cached active directory: no query per unit.
        check_units=manual or not _in_directory([lead, *assists]),
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
    for code in codes:
        unit = units.get(code)
        if unit is None or not may_handle(unit.kind):
            return False
    return True


def _return_rejected(session: DbSession, ticket: Ticket, assignment: TicketAssignment) -> bool:
    """Whether the centre has already rejected a return of this assignment (final)."""
    payloads = session.scalars(
        select(TicketEvent.payload).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == Action.ARBITRATE.value
        )
    )
    return any(
        p.get("approved") is False and p.get("assignment_id") == assignment.id for p in payloads
    )


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

    The clocks keep running: a unit cannot stop them by returning the ticket. The suggested
    unit is another unit that handles tickets. Arbitration is final: once the centre has
    rejected this assignment's return, the unit may not return it again.
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
    if suggested_unit in (actor.unit_code, ticket.lead_unit_code):
        raise DomainError(
            "return_to_self", "退单建议的承办单位不能是本单位", {"suggested_unit": suggested_unit}
        )
    assignment = _lead_assignment(ticket)
    if assignment is not None and _return_rejected(session, ticket, assignment):
        raise DomainError(
            "return_already_arbitrated",
            "本单位对此工单的退单已被派单异议审核驳回，审核决定为最终决定，不能再次退单",
            {"unit": ticket.lead_unit_code},
        )
    _require_units(session, [suggested_unit])
    at = at or utcnow()
    window = int(current_app.config["RETURN_WINDOW_WORKING_DAYS"])
    assert ticket.dispatched_at is not None
    try:
        deadline = current_domain().calendar.add_working_days(ticket.dispatched_at, window).due_at
    except CalendarNotCovered:
        # The window ends in a year the calendar does not know yet: it has not closed.
        deadline = None
    if deadline is not None and at > deadline:
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

    Approve: redispatch to the chosen unit (fresh clocks for the new unit: accountability
    starts at its dispatch), which becomes the ticket's current decision; the previous unit's
    assignment stays in the event. Reject: back to the unit in the state it returned from;
    its clocks never stopped, and that assignment may not be returned again.
    """
    from_state = begin(ticket, Action.ARBITRATE, actor)
    at = at or utcnow()
    if approve:
        if not lead:
            raise DomainError("arbitration_needs_unit", "批准退单必须指定新的主办单位")
        if lead == ticket.lead_unit_code:
            raise DomainError("arbitration_same_unit", "批准退单不能改派回原单位")
        reason = f"派单异议审核：批准 {ticket.lead_unit_code} 退单，改派 {lead}"
        previous = assignment_record(ticket)
        _send(
            session,
            ticket,
            Action.ARBITRATE,
            actor,
            lead,
            assists,
            at,
            from_state,
            {"approved": True, "note": note, "previous": previous},
            decision=centre_decision(
                Action.ARBITRATE, lead, assists, f"{reason}：{note}" if note.strip() else reason
            ),
        )
        ticket.state_before_return = None
        return ticket
    assignment = _lead_assignment(ticket)
    ticket.state = ticket.state_before_return or TicketState.DISPATCHED
    ticket.state_before_return = None
    event = record(
        session,
        ticket,
        Action.ARBITRATE,
        actor,
        at,
        from_state,
        {
            "approved": False,
            "note": note,
            "unit": ticket.lead_unit_code,
            # What a second return by the same unit is checked against.
            "assignment_id": assignment.id if assignment is not None else None,
        },
    )
    notify_back(session, ticket, event.seq, "notify_unit_return_refused")
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
    """改派: the centre sends a ticket in progress to other units.

    A new lead unit answers for the ticket from this dispatch (DOMAIN.md: accountability starts
    at dispatch), so its sign, contact and handle clocks start afresh and the old unit's
    extension, which belonged to the old assignment, is dropped. The old unit's record is kept:
    its breach rows are never deleted and this event holds its clocks and extension
    (`previous`). Changing only the assisting units moves no accountability: the lead's clocks,
    state and extension run on. A redispatch that changes nothing is refused.
    """
    from_state = begin(ticket, Action.REDISPATCH, actor)
    if not reason.strip():
        raise DomainError("reason_required", "改派必须说明理由")
    check_assignment(lead, assists)
    change = reassignment(ticket.lead_unit_code, ticket.assist_unit_codes, lead, assists)
    if change is Reassignment.NOTHING:
        raise DomainError(
            "redispatch_unchanged",
            "改派的主办单位和协办单位与当前完全相同，无需改派",
            {"lead": lead, "assists": list(assists)},
        )
    at = at or utcnow()
    decision = centre_decision(Action.REDISPATCH, lead, assists, f"改派：{reason}")
    if change is Reassignment.ASSISTS:
        return _change_assists(session, ticket, actor, assists, at, from_state, reason, decision)
    return _send(
        session,
        ticket,
        Action.REDISPATCH,
        actor,
        lead,
        assists,
        at,
        from_state,
        {"reason": reason, "previous": assignment_record(ticket)},
        decision=decision,
    )


def _change_assists(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    assists: Sequence[str],
    at: datetime,
    from_state: str,
    reason: str,
    decision: dict[str, Any],
) -> Ticket:
    """改派 of the assisting units only: kept ones keep their part, new ones are told."""
    wanted = list(dict.fromkeys(assists))
    _require_units(session, wanted)
    current = ticket.assist_unit_codes
    for assignment in ticket.assignments:
        if assignment.active and assignment.role == "assist" and assignment.unit_code not in wanted:
            assignment.active = False
    added = [code for code in wanted if code not in current]
    for code in added:
        ticket.assignments.append(
            TicketAssignment(unit_code=code, role="assist", dispatched_at=at, active=True)
        )
    payload = _adopt_decision(
        ticket,
        decision,
        {
            "reason": reason,
            "lead": ticket.lead_unit_code,
            "assists": wanted,
            "assists_only": True,
            "added": added,
            "removed": [code for code in current if code not in wanted],
        },
    )
    event = record(session, ticket, Action.REDISPATCH, actor, at, from_state, payload)
    session.add_all(OutboxMessage(**row) for row in unit_notices(ticket, added, event.seq))
    session.flush()
    return ticket


# How an escalation recorded before its payload named its grounds says them.
_LEGACY_GROUNDS = {"reopens": "重办", "units": "个单位间流转"}


def escalate_if_bounced(session: DbSession, ticket: Ticket, at: datetime) -> None:
    """提级督办 once a ticket has bounced between too many units or been reopened too often:
    once for each of those grounds, whatever escalated the ticket before (a late clock, a
    supervisor's hand)."""
    grounds = current_domain().ladder.structural_grounds(ticket.reopen_count, ticket.hop_count)
    if not grounds:
        return
    done: set[str] = set()
    for actor, payload in session.execute(
        select(TicketEvent.actor_role, TicketEvent.payload).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == Action.ESCALATE.value
        )
    ):
        payload = payload or {}
        done.update(payload.get("structural", ()))
        if "structural" not in payload and actor == SYSTEM.role:
            reason = str(payload.get("reason", ""))
            done.update(g for g, words in _LEGACY_GROUNDS.items() if words in reason)
    new = {ground: reason for ground, reason in grounds.items() if ground not in done}
    if not new:
        return
    reason = escalation_reason(new.values())
    escalate(session, ticket, SYSTEM, reason=reason, at=at, structural=list(new))
