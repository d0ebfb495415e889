"""What a caller hears or reads of a ticket they ask about by its number (SMS 查询, the voice
menu): only of their own, or of the ticket their own merged appeal joined, which is where it is
being handled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import exists, select

from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.clocks import provisional_mark
from hotline.models import Ticket, TicketEvent
from routing.workflow import STATE_LABELS, Action, TicketState


def local_time(moment: datetime) -> str:
    return moment.astimezone(current_domain().tz).strftime("%Y-%m-%d %H:%M")


def callers_ticket(session: DbSession, number: str, key: str | None) -> Ticket | None:
    """The ticket `number` when the caller (phone key) may learn of it: they raised it, or an
    appeal of theirs was a repeat of it (the merge reply named it), even one that has since
    moved on with it into another ticket. Else None, as for a number that does not exist."""
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).first()
    if ticket is None or key is None:
        return None
    if ticket.requester_phone_key == key:
        return ticket
    # Every repeat ever linked to the ticket: its own merges, and those that came with a
    # ticket merged into it; a ticket merged away keeps the links it had.
    linked = [
        payload.get("ticket_id")
        for payload in session.scalars(
            select(TicketEvent.payload).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.action == Action.LINK.value
            )
        )
        if isinstance(payload, dict)
    ]
    ids = [value for value in linked if isinstance(value, int)]
    if not ids:
        return None
    theirs = session.scalar(
        select(exists().where(Ticket.id.in_(ids), Ticket.requester_phone_key == key))
    )
    return ticket if theirs else None


def status_text(session: DbSession, ticket: Ticket, say_number: Callable[[str], str]) -> str:
    """The state and time limit; a merged appeal is handled as the ticket it joined, and says
    so (its own row is closed from the moment it was merged)."""
    prefix = ""
    handling = ticket
    if ticket.parent_id is not None:
        parent = session.get(Ticket, ticket.parent_id)
        if parent is not None:
            merged, joined = say_number(ticket.number), say_number(parent.number)
            prefix = f"工单 {merged} 已并入工单 {joined} 合并办理；"
            handling = parent
    state = TicketState(handling.state)
    text = f"{prefix}工单 {say_number(handling.number)} 当前状态：{STATE_LABELS[state]}"
    if state is not TicketState.CLOSED and handling.handle_due_at is not None:
        mark = provisional_mark(handling, handling.handle_due_at)
        text += f"，办理时限 {local_time(handling.handle_due_at)}{mark}"
    return text + "。"
