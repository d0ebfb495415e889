"""Appending events and handing out ticket numbers: the two writes every action shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from hotline.extensions import DbSession, db
from hotline.lifecycle.actor import Actor
from hotline.models import Ticket, TicketEvent, TicketNumberCounter
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


def allocate_ticket(session: DbSession, at: datetime, tz: ZoneInfo) -> tuple[str, int | None]:
    """The next ticket number and, on PostgreSQL, the new ticket's id.

    On PostgreSQL the day's counter is advanced in a short transaction of its own, like a
    sequence: concurrent intakes never queue on the counter row for the length of a whole
    request. A number whose intake then fails is not reused (a gap), which is how a caller who
    retries still gets a unique number. With the id known up front, a new ticket, its events,
    assignments and outbox rows go to the database in one flush. SQLite has a single writer,
    so there the counter simply advances inside the request's transaction.
    """
    day = at.astimezone(tz).strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(TicketNumberCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(
            index_elements=[TicketNumberCounter.day],
            set_={"last": TicketNumberCounter.last + 1},
        )
        .returning(TicketNumberCounter.last)
    )
    if dialect != "postgresql":
        return f"{day}-{session.execute(statement).scalar_one():06d}", None
    # One round trip: the counter and the id (sequences ignore transactions, so any connection
    # may ask for it).
    advanced = statement.cte("advanced")
    both = select(
        advanced.c.last, func.nextval(func.pg_get_serial_sequence("tickets", "id"))
    ).select_from(advanced)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        last, ticket_id = connection.execute(both).one()
    return f"{day}-{last:06d}", int(ticket_id)
