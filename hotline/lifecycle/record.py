"""Appending events and handing out ticket numbers: the two writes every action shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Dialect, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from hotline.extensions import DbSession, db
from hotline.lifecycle.actor import Actor
from hotline.models import Requester, Ticket, TicketEvent, TicketNumberCounter
from hotline.postgres import Compiled, compile_statement, fetch_autocommit
from routing.workflow import Action, TicketState, check


def begin(ticket: Ticket, action: Action, actor: Actor) -> TicketState:
    """Check the action is legal for this ticket and actor; return the state it starts from."""
    state = TicketState(ticket.state)
    check(action, state, actor.role)
    return state


def event_row(
    ticket: Ticket,
    action: Action,
    actor: Actor,
    at: datetime,
    from_state: str | None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The `ticket_events` row for the ticket's next seq and current state; `record` adds it
    through the session, a batch (the sweeper) inserts many in one statement."""
    ticket.event_seq = (ticket.event_seq or 0) + 1
    return {
        "ticket_id": ticket.id,
        "seq": ticket.event_seq,
        "action": str(action),
        "actor_role": str(actor.role),
        "actor_user_id": actor.user_id,
        "actor_unit_code": actor.unit_code,
        "actor_name": actor.name,
        "from_state": from_state,
        "to_state": ticket.state,
        "payload": payload or {},
        "at": at,
    }


def record(
    session: DbSession,
    ticket: Ticket,
    action: Action,
    actor: Actor,
    at: datetime,
    from_state: str | None,
    payload: dict[str, Any] | None = None,
    *,
    flush: bool = True,
) -> TicketEvent:
    """Append one event for the ticket's current state and flush; events are never changed.

    `flush=False` leaves the event to the action's own final flush (one round trip for the
    whole action rather than one per step).
    """
    event = TicketEvent(**event_row(ticket, action, actor, at, from_state, payload))
    session.add(event)
    if flush:
        session.flush()
    return event


@dataclass(frozen=True)
class Allocation:
    """A new ticket's number and ids, handed out before any of its rows is written."""

    number: str
    ticket_id: int
    requester_id: int | None = None


def _counter_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(TicketNumberCounter)
        .values(day=bindparam("day"), last=1)
        .on_conflict_do_update(
            index_elements=[TicketNumberCounter.day],
            set_={"last": TicketNumberCounter.last + 1},
        )
        .returning(TicketNumberCounter.last)
    )


@cache
def _postgresql_allocation(with_requester: bool, dialect: Dialect) -> Compiled:
    """Counter, ticket id and requester id in one round trip, built once per process
    (sequences ignore transactions, so any connection may ask for them)."""
    advanced = _counter_statement("postgresql").cte("advanced")
    ids = [func.nextval(func.pg_get_serial_sequence("tickets", "id"))]
    if with_requester:
        ids.append(func.nextval(func.pg_get_serial_sequence("requesters", "id")))
    return compile_statement(select(advanced.c.last, *ids).select_from(advanced), dialect)


@cache
def _sqlite_counter() -> Any:
    return _counter_statement("sqlite")


def allocate(session: DbSession, at: datetime, tz: ZoneInfo, *, requester: bool) -> Allocation:
    """The next ticket number, the new ticket's id and (when asked) a requester id.

    On PostgreSQL the day's counter is advanced in a short transaction of its own, like a
    sequence: concurrent intakes never queue on the counter row for the length of a whole
    request. A number whose intake then fails is not reused (a gap), which is how a caller who
    retries still gets a unique number. SQLite has a single writer: there the counter advances
    inside the request's transaction, whose write lock also makes max(id) + 1 the next id.
    With the ids known up front, a new ticket and all its rows go to the database at once.
    """
    day = at.astimezone(tz).strftime("%Y%m%d")
    if session.get_bind().dialect.name != "postgresql":
        last = session.execute(_sqlite_counter(), {"day": day}).scalar_one()
        return Allocation(
            f"{day}-{last:06d}",
            _next_id(session, Ticket.id),
            _next_id(session, Requester.id) if requester else None,
        )
    # Its own connection, committing at once without waiting for the disk. That is safe: the
    # ticket that uses the number commits synchronously later, which makes every earlier
    # write durable too, the counter's included; after a crash before that, the number was
    # never used and may be handed out again.
    compiled = _postgresql_allocation(requester, session.get_bind().dialect)
    (row,) = fetch_autocommit(db.engine, compiled, {"day": day})
    return Allocation(f"{day}-{row[0]:06d}", int(row[1]), int(row[2]) if requester else None)


def _next_id(session: DbSession, column: Any) -> int:
    next_id: int = session.execute(select(func.coalesce(func.max(column), 0) + 1)).scalar_one()
    return next_id
