"""补充说明: what a requester adds later (an SMS follow-up, a survey answer) joins the log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.lifecycle.errors import DomainError
from hotline.lifecycle.record import begin, record
from hotline.models import Ticket, TicketEvent
from routing.workflow import Action


def add_note(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    text: str,
    *,
    at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append a note without changing the ticket's state; the note is part of the audit trail."""
    from_state = begin(ticket, Action.NOTE, actor)
    if not text.strip():
        raise DomainError("note_required", "补充说明不能为空")
    at = at or utcnow()
    return record(
        session, ticket, Action.NOTE, actor, at, from_state, {"text": text} | (payload or {})
    )
