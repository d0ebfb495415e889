"""预警, 超期 and the escalation ladder fired by the sweeper; due times recomputed when an
official holiday schedule settles what was provisional."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from hotline.clock import utcnow
from hotline.domain import Domain, current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import SYSTEM
from hotline.lifecycle.clocks import (
    WORK_CLOCKS,
    Fired,
    open_clocks,
    provisional_due,
    refresh_next_due,
    snapshotted_tier,
)
from hotline.lifecycle.record import begin, event_row, record
from hotline.lifecycle.supervision import Row, message_row, press_rows
from hotline.models import Breach, OutboxMessage, Ticket, TicketEvent
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

log = logging.getLogger(__name__)


def _local(domain: Domain, moment: datetime) -> str:
    return moment.astimezone(domain.tz).strftime("%Y-%m-%d %H:%M")


BreachKey = tuple[int, str, str, datetime]
FiredByClock = dict[tuple[str, datetime], set[Level]]

# Rows per SQLite INSERT: at 11 columns (events) a page stays under its 32,766 parameters.
_INSERT_PAGE = 1000


@dataclass(frozen=True, slots=True)
class DueStep:
    """One ladder step a ticket's clock has reached, with when it fired and when to notify."""

    ticket: Ticket
    clock: str
    level: Level
    due_at: datetime
    fire_at: datetime
    notify_at: datetime

    @property
    def key(self) -> BreachKey:
        return (self.ticket.id, self.clock, str(self.level), self.due_at.astimezone(UTC))


@dataclass
class BatchOutcome:
    """What one batch of due tickets came to: steps fired, tickets whose steps failed."""

    fired: int = 0
    failed: list[int] = field(default_factory=list)


def breaches_by_ticket(session: DbSession, ids: Collection[int]) -> dict[int, FiredByClock]:
    """The steps already fired for each ticket, by clock and due time: one query for a batch."""
    fired: dict[int, FiredByClock] = {}
    if not ids:
        return fired
    rows = session.execute(
        select(Breach.ticket_id, Breach.clock, Breach.level, Breach.due_at).where(
            Breach.ticket_id.in_(ids)
        )
    )
    for ticket_id, clock, level, due_at in rows:
        fired.setdefault(ticket_id, {}).setdefault((clock, due_at), set()).add(Level(level))
    return fired


def due_steps(domain: Domain, ticket: Ticket, now: datetime, fired: Fired) -> list[DueStep]:
    """Every due, unfired step of every running clock, in firing order within each clock.

    Raises (DomainError, CalendarNotCovered) before anything is written when a step cannot fire.
    """
    begin(ticket, Action.BREACH, SYSTEM)
    steps = []
    for clock, start, due in open_clocks(ticket):
        times = dict(domain.ladder.fire_times(start, due, clock))
        done = fired.get((clock, due), set())
        for level in domain.ladder.due_steps(start, due, now, done, clock):
            notify_at = domain.ladder.notify_at(level, now, domain.calendar)
            steps.append(DueStep(ticket, clock, level, due, times[level], notify_at))
    return steps


def _insert_rows(
    session: DbSession,
    table: Table,
    rows: Sequence[Row],
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert many rows in one statement; with `conflict`, rows that would clash are skipped.

    On PostgreSQL the values travel as one array per column through `unnest`: a short, fixed
    statement whatever the batch size, so neither SQLAlchemy nor the driver parses thousands
    of placeholders. SQLite (embedded mode, tests) gets multi-row VALUES pages.
    """
    if not rows:
        return []
    columns = list(rows[0])
    dialect = session.get_bind().dialect
    # Straight to the connection: no autoflush of the batch's tickets, written in one go later.
    connection = session.connection()
    if dialect.name != "postgresql":
        returned: list[tuple[Any, ...]] = []
        for first in range(0, len(rows), _INSERT_PAGE):
            statement = sqlite.insert(table).values(list(rows[first : first + _INSERT_PAGE]))
            if conflict:
                statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
            if returning:
                result = connection.execute(statement.returning(*(table.c[c] for c in returning)))
                returned += [tuple(row) for row in result]
            else:
                connection.execute(statement)
        return returned
    arrays = ", ".join(f"CAST(:{c} AS {table.c[c].type.compile(dialect)}[])" for c in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    params = {c: [_pg_value(row[c]) for row in rows] for c in columns}
    result = connection.execute(text(sql), params)
    return [tuple(row) for row in result] if returning else []


def _pg_value(value: Any) -> Any:
    # JSON documents travel as text and are cast to jsonb on the server.
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


def _insert_breaches(session: DbSession, steps: Sequence[DueStep], at: datetime) -> set[BreachKey]:
    """Insert the steps' breach rows at once; the unique constraint settles races.

    Returns the keys actually inserted: exactly the steps this caller won and must fire.
    """
    rows = [
        {
            "ticket_id": step.ticket.id,
            "clock": step.clock,
            "level": str(step.level),
            "due_at": step.due_at,
            "fired_at": at,
        }
        for step in steps
    ]
    inserted = _insert_rows(
        session,
        Breach.__table__,
        rows,
        conflict=("ticket_id", "clock", "level", "due_at"),
        returning=("ticket_id", "clock", "level", "due_at"),
    )
    return {
        (ticket_id, clock, level, _aware(due_at)) for ticket_id, clock, level, due_at in inserted
    }


def _aware(moment: datetime | str) -> datetime:
    # SQLite hands RETURNING values back naive (stored as UTC).
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass
class _Writes:
    """The rows a batch appends, inserted together once every step is worked out."""

    events: list[Row] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)


def _fire(domain: Domain, step: DueStep, at: datetime, writes: _Writes) -> None:
    """Record a won step: its `breach` event, then its message or its supervision action."""
    ticket, clock, level, due_at = step.ticket, step.clock, step.level, step.due_at
    recipient = domain.ladder.recipient(level, clock)
    if level is Level.OVERDUE and getattr(ticket, f"{clock}_breached_at") is None:
        setattr(ticket, f"{clock}_breached_at", step.fire_at)
    clock_label, level_label = CLOCK_LABELS[ClockName(clock)], LEVEL_LABELS[level]
    provisional = provisional_due(domain, ticket, due_at)
    due_text = _local(domain, due_at) + ("（暂定）" if provisional else "")
    note = f"{clock_label}时限 {due_text} {level_label}，系统自动{level_label}"
    payload: dict[str, Any] = {
        "clock": clock,
        "level": str(level),
        "due_at": due_at.astimezone(domain.tz).isoformat(),
        "fire_at": step.fire_at.astimezone(domain.tz).isoformat(),
        "notify": recipient,
        "note": note,
    }
    event = event_row(ticket, Action.BREACH, SYSTEM, at, ticket.state, payload)
    writes.events.append(event)
    action = _LEVEL_ACTIONS.get(level)
    if action is None:
        # 预警 and 超期 alert the step's recipient directly; the ladder says whom.
        message = {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "unit_code": ticket.lead_unit_code,
            "recipient": recipient,
            "clock": clock_label,
            "clock_name": clock,
            "due_at": due_at.isoformat(),
            "due_provisional": provisional,
            "note": note,
        }
        key = f"{level}:{ticket.id}:{clock}:{event['seq']}"
        writes.messages.append(message_row(ticket, str(level), key, message, step.notify_at))
        return
    if TicketState(ticket.state) not in RULES[action][0]:
        return  # e.g. a unit's reply went in meanwhile: 催办 for work already done is noise
    pressed, notice = press_rows(
        ticket,
        action,
        SYSTEM,
        text=note,
        at=at,
        notify_at=step.notify_at,
        recipient=recipient,
        context={"clock_name": clock, "due_at": due_at.isoformat()},
    )
    writes.events.append(pressed)
    writes.messages.append(notice)


# What firing steps changes on a ticket; written for every ticket of a batch at once.
_SWEPT_COLUMNS = (
    "next_due_at",
    "event_seq",
    "escalated",
    "sign_breached_at",
    "contact_breached_at",
    "handle_breached_at",
    "callback_breached_at",
)


def _write_tickets(session: DbSession, tickets: Sequence[Ticket]) -> None:
    """UPDATE the batch's tickets in one statement, keeping the optimistic version check.

    The ORM issues one UPDATE per ticket when a version column is mapped; here the rows are
    written together, then marked clean in the session so that its flush does not repeat them.
    """
    if not tickets:
        return
    table = Ticket.__table__
    values = {
        "id": [ticket.id for ticket in tickets],
        "version": [ticket.version for ticket in tickets],
    } | {name: [getattr(ticket, name) for ticket in tickets] for name in _SWEPT_COLUMNS}
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        arrays = ", ".join(f"CAST(:{c} AS {table.c[c].type.compile(dialect)}[])" for c in values)
        assignments = ", ".join(f"{name} = v.{name}" for name in _SWEPT_COLUMNS)
        statement = text(
            f"UPDATE tickets AS t SET {assignments}, version = t.version + 1, "
            f"updated_at = now() FROM unnest({arrays}) AS v({', '.join(values)}) "
            "WHERE t.id = v.id AND t.version = v.version"
        )
        written = session.connection().execute(statement, values).rowcount
    else:
        update_one = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(
                {name: bindparam(f"b_{name}") for name in _SWEPT_COLUMNS}
                | {"version": table.c.version + 1, "updated_at": func.now()}
            )
        )
        rows = [
            {f"b_{name}": column[index] for name, column in values.items()}
            for index in range(len(tickets))
        ]
        written = session.connection().execute(update_one, rows).rowcount
    if written != len(tickets):
        raise StaleDataError(
            f"UPDATE of {len(tickets)} swept tickets matched {written}: changed concurrently"
        )
    for ticket in tickets:
        for name in _SWEPT_COLUMNS:
            set_committed_value(ticket, name, getattr(ticket, name))
        set_committed_value(ticket, "version", ticket.version + 1)
        session.expire(ticket, ["updated_at"])


def _apply(session: DbSession, tickets: Sequence[Ticket], writes: _Writes) -> None:
    """Write a batch's events, messages and tickets: one statement each."""
    _insert_rows(session, TicketEvent.__table__, writes.events)
    _insert_rows(session, OutboxMessage.__table__, writes.messages)
    _write_tickets(session, tickets)


def fire_due_steps(
    session: DbSession,
    tickets: Sequence[Ticket],
    breaches: Mapping[int, FiredByClock],
    now: datetime,
    domain: Domain | None = None,
) -> BatchOutcome:
    """Fire every due, unfired ladder step of a batch of (locked) tickets, each exactly once.

    `breaches` holds each ticket's fired steps (`breaches_by_ticket`). One INSERT of breach
    rows decides what this caller won, under concurrency too; only those steps get events and
    messages. Then events, outbox rows and tickets (next_due_at refreshed) are written with
    one statement each. A ticket whose steps cannot be worked out is left untouched and
    reported as failed.
    """
    domain = domain or current_domain()
    outcome = BatchOutcome()
    planned: list[tuple[Ticket, list[DueStep]]] = []
    for ticket in tickets:
        try:
            planned.append((ticket, due_steps(domain, ticket, now, breaches.get(ticket.id, {}))))
        except Exception:
            # One broken ticket must not hold up the others; it stays due and is retried.
            log.exception("working out the due steps of ticket %s failed", ticket.id)
            outcome.failed.append(ticket.id)
    won = _insert_breaches(session, [step for _, steps in planned for step in steps], now)
    writes = _Writes()
    for ticket, steps in planned:
        fired = {key: set(levels) for key, levels in breaches.get(ticket.id, {}).items()}
        for step in steps:
            # Won or lost to a racing sweeper, the row exists now: the step is done either way.
            fired.setdefault((step.clock, step.due_at), set()).add(step.level)
            if step.key in won:
                _fire(domain, step, now, writes)
                outcome.fired += 1
        refresh_next_due(session, domain, ticket, fired)
    _apply(session, [ticket for ticket, _ in planned], writes)
    return outcome


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
    ClockName(clock)
    begin(ticket, Action.BREACH, SYSTEM)
    notify_at = domain.ladder.notify_at(level, at, domain.calendar)
    step = DueStep(ticket, clock, level, due_at, fire_at or at, notify_at)
    session.flush()  # the ticket's pending changes go first: its row is written below
    if step.key not in _insert_breaches(session, [step], at):
        return False
    writes = _Writes()
    _fire(domain, step, at, writes)
    _apply(session, [ticket], writes)
    return True


def _fresh_dues(domain: Domain, ticket: Ticket) -> dict[str, Due]:
    """Every started clock's due time computed anew from its original start and the snapshot
    tier. A clock left open because its due time fell past the known years (its column None,
    the ticket provisional) is started too: loading that year's schedule is what computes it."""
    tier = snapshotted_tier(domain, ticket)
    dues: dict[str, Due] = {}
    left_open = bool(ticket.due_provisional)
    if ticket.dispatched_at is not None and (ticket.sign_due_at is not None or left_open):
        work = compute_clocks(domain.calendar, tier, ticket.dispatched_at)
        for clock in WORK_CLOCKS:
            dues[str(clock)] = work[clock]
        if ticket.extension_state == "approved" and ticket.extension_days:
            # An approved extension moves the handle deadline: apply it again on the new one.
            dues["handle"] = extend(
                domain.calendar, work[ClockName.HANDLE].due_at, ticket.extension_days
            )
    if ticket.reviewed_at is not None and (ticket.callback_due_at is not None or left_open):
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


__all__ = [
    "CLOCK_LABELS",
    "LEVEL_LABELS",
    "BatchOutcome",
    "DueStep",
    "breaches_by_ticket",
    "due_steps",
    "fire_due_steps",
    "recompute_due",
    "record_breach",
]
