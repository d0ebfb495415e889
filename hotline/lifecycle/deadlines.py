"""预警, 超期 and the escalation ladder fired by the sweeper; due times recomputed when an
official holiday schedule settles what was provisional."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from hotline.clock import utcnow
from hotline.domain import Domain, current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import SYSTEM
from hotline.lifecycle.clocks import WORK_CLOCKS, refresh_next_due, snapshotted_tier
from hotline.lifecycle.record import begin, record
from hotline.lifecycle.supervision import escalate, supervise, urge
from hotline.models import Breach, Ticket
from hotline.outbox import add_message
from routing.calendar import Due
from routing.escalation import Level
from routing.glossary import ClockName
from routing.sla import callback_due, compute_clocks, extend
from routing.workflow import RULES, Action, TicketState

CLOCK_LABELS = {
    ClockName.SIGN: "签收",
    ClockName.CONTACT: "响应",
    ClockName.HANDLE: "办结",
    ClockName.CALLBACK: "回访",
}
LEVEL_LABELS = {
    Level.WARNING: "预警",
    Level.OVERDUE: "超期",
    Level.URGE: "催办",
    Level.SUPERVISE: "督办",
    Level.ESCALATE: "提级督办",
}
_LEVEL_ACTIONS = {
    Level.URGE: Action.URGE,
    Level.SUPERVISE: Action.SUPERVISE,
    Level.ESCALATE: Action.ESCALATE,
}


def _local(domain: Domain, moment: datetime) -> str:
    return moment.astimezone(domain.tz).strftime("%Y-%m-%d %H:%M")


def _insert_breach(
    session: DbSession, ticket: Ticket, clock: str, level: Level, due_at: datetime, at: datetime
) -> bool:
    """Insert the breach row unless it exists; the unique constraint settles races."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Breach)
        .values(ticket_id=ticket.id, clock=clock, level=str(level), due_at=due_at, fired_at=at)
        .on_conflict_do_nothing(index_elements=["ticket_id", "clock", "level", "due_at"])
        .returning(Breach.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def record_breach(
    session: DbSession,
    ticket: Ticket,
    clock: str,
    level: Level | str,
    due_at: datetime,
    at: datetime,
    *,
    domain: Domain | None = None,
    fire_at: datetime | None = None,
) -> bool:
    """Fire one ladder step for a clock and due time, exactly once; False if it already fired.

    Records a `breach` event; 超期 marks the clock breached; 催办, 督办 and 提级督办 go through
    the supervision actions. Messages to people wait for working hours.
    """
    domain = domain or current_domain()
    level = Level(level)
    clock_name = ClockName(clock)
    from_state = begin(ticket, Action.BREACH, SYSTEM)
    if not _insert_breach(session, ticket, clock, level, due_at, at):
        return False
    fire_at = fire_at or at
    step = domain.ladder.step(level)
    notify_at = domain.ladder.notify_at(level, at, domain.calendar)
    if level is Level.OVERDUE and getattr(ticket, f"{clock}_breached_at") is None:
        setattr(ticket, f"{clock}_breached_at", fire_at)
    clock_label, level_label = CLOCK_LABELS[clock_name], LEVEL_LABELS[level]
    note = f"{clock_label}时限 {_local(domain, due_at)} {level_label}，系统自动{level_label}"
    payload: dict[str, Any] = {
        "clock": clock,
        "level": str(level),
        "due_at": due_at.astimezone(domain.tz).isoformat(),
        "fire_at": fire_at.astimezone(domain.tz).isoformat(),
        "notify": step.notify,
        "note": note,
    }
    event = record(session, ticket, Action.BREACH, SYSTEM, at, str(from_state), payload)
    action = _LEVEL_ACTIONS.get(level)
    if action is None:
        # 预警 and 超期 alert the step's recipient directly; the ladder says whom.
        add_message(
            session,
            str(level),
            f"{level}:{ticket.id}:{clock}:{event.seq}",
            {
                "ticket_id": ticket.id,
                "number": ticket.number,
                "unit_code": ticket.lead_unit_code,
                "recipient": step.notify,
                "clock": clock_label,
                "due_at": due_at.isoformat(),
                "note": note,
            },
            ticket_id=ticket.id,
            available_at=notify_at,
        )
        return True
    if TicketState(ticket.state) not in RULES[action][0]:
        return True  # e.g. a late callback: 催办 a unit that has nothing left to do is noise
    if level is Level.URGE:
        urge(session, ticket, SYSTEM, note=note, at=at, notify_at=notify_at)
    elif level is Level.SUPERVISE:
        supervise(session, ticket, SYSTEM, note=note, at=at, notify_at=notify_at)
    else:
        escalate(session, ticket, SYSTEM, reason=note, at=at, notify_at=notify_at)
    return True


def _fresh_dues(domain: Domain, ticket: Ticket) -> dict[str, Due]:
    """Every set clock's due time computed anew from its original start and the snapshot tier."""
    tier = snapshotted_tier(domain, ticket)
    dues: dict[str, Due] = {}
    if ticket.dispatched_at is not None and ticket.sign_due_at is not None:
        work = compute_clocks(domain.calendar, tier, ticket.dispatched_at)
        for clock in WORK_CLOCKS:
            dues[str(clock)] = work[clock]
        if ticket.extension_state == "approved" and ticket.extension_days:
            # An approved extension moves the handle deadline: apply it again on the new one.
            dues["handle"] = extend(
                domain.calendar, work[ClockName.HANDLE].due_at, ticket.extension_days
            )
    if ticket.reviewed_at is not None and ticket.callback_due_at is not None:
        dues["callback"] = callback_due(domain.calendar, tier, ticket.reviewed_at)
    return dues


def recompute_due(
    session: DbSession,
    ticket: Ticket,
    domain: Domain | None = None,
    *,
    at: datetime | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """重算时限: recompute the ticket's due times with the current calendar, with one event.

    Raises CalendarNotCovered before changing anything when a due time cannot be computed.
    """
    domain = domain or current_domain()
    from_state = begin(ticket, Action.RECOMPUTE_DUE, SYSTEM)
    at = at or utcnow()
    dues = _fresh_dues(domain, ticket)
    changes: dict[str, dict[str, str | None]] = {}
    for clock, due in dues.items():
        old: datetime | None = getattr(ticket, f"{clock}_due_at")
        if old != due.due_at:
            changes[f"{clock}_due_at"] = {
                "old": old.astimezone(domain.tz).isoformat() if old else None,
                "new": due.due_at.astimezone(domain.tz).isoformat(),
            }
            setattr(ticket, f"{clock}_due_at", due.due_at)
            breached: datetime | None = getattr(ticket, f"{clock}_breached_at")
            if breached is not None and breached < due.due_at:
                setattr(ticket, f"{clock}_breached_at", None)
    was_provisional = ticket.due_provisional
    ticket.due_provisional = any(due.provisional for due in dues.values())
    refresh_next_due(session, domain, ticket)
    payload: dict[str, Any] = {
        "reason": reason or "国务院放假安排已载入，重算暂定时限",
        "changes": changes,
        "provisional_before": was_provisional,
        "provisional": ticket.due_provisional,
    }
    record(session, ticket, Action.RECOMPUTE_DUE, SYSTEM, at, str(from_state), payload)
    return payload


__all__ = ["CLOCK_LABELS", "LEVEL_LABELS", "recompute_due", "record_breach"]
