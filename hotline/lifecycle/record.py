"""Appending events and handing out ticket numbers: the two writes every action shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite

from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.models import Ticket, TicketEvent, TicketNumberCounter
from routing.workflow import Action, TicketState, check


def begin(ticket: Ticket, action: Action, actor: Actor) -> TicketState:
    """Check the action is legal for this ticket and actor; return the state it starts from."""
    state = TicketState(ticket.state)
    check(action, state, actor.role)
    return state


def record(
    session: DbSession,
    ticket: Ticket,
    action: Action,
    actor: Actor,
    at: datetime,
    from_state: str | None,
    payload: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append one event for the ticket's current state and flush; events are never changed."""
    ticket.event_seq = (ticket.event_seq or 0) + 1
    event = TicketEvent(
        ticket_id=ticket.id,
        seq=ticket.event_seq,
        action=str(action),
        actor_role=str(actor.role),
        actor_user_id=actor.user_id,
        actor_unit_code=actor.unit_code,
        actor_name=actor.name,
        from_state=from_state,
        to_state=ticket.state,
        payload=payload or {},
        at=at,
    )
    session.add(event)
    session.flush()
    return event


def next_ticket_number(session: DbSession, at: datetime, tz: ZoneInfo) -> str:
    """Hand out the next `YYYYMMDD-NNNNNN` number for the local day, atomically."""
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
    last = session.execute(statement).scalar_one()
    return f"{day}-{last:06d}"
