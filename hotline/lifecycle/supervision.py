"""催办, 督办, 提级督办: the centre's pressure on late or troubled tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hotline.clock import utcnow
from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.lifecycle.errors import DomainError
from hotline.lifecycle.record import begin, event_row, record
from hotline.models import Ticket
from hotline.outbox import add_message
from routing.escalation import Level
from routing.workflow import Action

# Per supervision action: the outbox kind, which is also its ladder level, and the payload key
# of its text. Whom it notifies is the ladder's configuration (`Ladder.notify_for`).
PRESSURE: dict[Action, tuple[str, str]] = {
    Action.URGE: ("urge", "note"),
    Action.SUPERVISE: ("supervise", "note"),
    Action.ESCALATE: ("escalate", "reason"),
}


def recipient_for(action: Action) -> str:
    """The ladder's target for a supervision action taken outside the sweeper."""
    return current_domain().ladder.notify_for(Level(PRESSURE[action][0]))


def _notify(
    session: DbSession,
    ticket: Ticket,
    action: Action,
    note: str,
    seq: int,
    notify_at: datetime | None = None,
) -> None:
    kind = PRESSURE[action][0]
    add_message(
        session,
        kind,
        f"{kind}:{ticket.id}:{seq}",
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "unit_code": ticket.lead_unit_code,
            "recipient": recipient_for(action),
            "note": note,
        },
        ticket_id=ticket.id,
        available_at=notify_at,
    )


def urge(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    note: str = "",
    at: datetime | None = None,
    notify_at: datetime | None = None,
) -> Ticket:
    """催办: remind the lead unit (whom, the ladder's urge step says)."""
    from_state = begin(ticket, Action.URGE, actor)
    at = at or utcnow()
    event = record(session, ticket, Action.URGE, actor, at, from_state, {"note": note})
    _notify(session, ticket, Action.URGE, note, event.seq, notify_at)
    return ticket


def supervise(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    note: str,
    at: datetime | None = None,
    notify_at: datetime | None = None,
) -> Ticket:
    """督办: a formal supervision order (whom it notifies, the ladder's supervise step says)."""
    from_state = begin(ticket, Action.SUPERVISE, actor)
    if not note.strip():
        raise DomainError("note_required", "督办单必须写明督办意见")
    at = at or utcnow()
    event = record(session, ticket, Action.SUPERVISE, actor, at, from_state, {"note": note})
    _notify(session, ticket, Action.SUPERVISE, note, event.seq, notify_at)
    return ticket


def escalate(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    reason: str,
    at: datetime | None = None,
    notify_at: datetime | None = None,
    structural: Sequence[str] = (),
) -> Ticket:
    """提级督办: raise the ticket to the district government or the city's leaders.
    `structural` names the grounds (reopens, units) when the bounce rule escalates."""
    from_state = begin(ticket, Action.ESCALATE, actor)
    at = at or utcnow()
    ticket.escalated = True
    payload: dict[str, Any] = {"reason": reason}
    if structural:
        payload["structural"] = list(structural)
    event = record(session, ticket, Action.ESCALATE, actor, at, from_state, payload)
    _notify(session, ticket, Action.ESCALATE, reason, event.seq, notify_at)
    return ticket


# ---- batch-friendly variants: the same checks, events and messages, as rows to insert at once ----

Row = dict[str, Any]


def message_row(
    ticket: Ticket, kind: str, key: str, payload: dict[str, Any], available_at: datetime
) -> Row:
    """The `outbox` row `add_message` would add for the ticket; `key` keeps it exactly-once."""
    return {
        "kind": kind,
        "idempotency_key": key,
        "payload": payload,
        "ticket_id": ticket.id,
        "available_at": available_at,
    }


def press_rows(
    ticket: Ticket,
    action: Action,
    actor: Actor,
    *,
    text: str,
    at: datetime,
    notify_at: datetime,
    recipient: str,
    context: Mapping[str, Any] | None = None,
) -> tuple[Row, Row]:
    """催办, 督办 or 提级督办 as `urge`, `supervise` and `escalate` do them, as an event row and
    an outbox row for a batch to insert. `recipient` is the ladder step's target; `context`
    (the clock and due time that fired it) joins the message, so delivery can tell it is stale."""
    from_state = begin(ticket, action, actor)
    kind, key = PRESSURE[action]
    if action is Action.SUPERVISE and not text.strip():
        raise DomainError("note_required", "督办单必须写明督办意见")
    if action is Action.ESCALATE:
        ticket.escalated = True
    event = event_row(ticket, action, actor, at, str(from_state), {key: text})
    message = {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "unit_code": ticket.lead_unit_code,
        "recipient": recipient,
        "note": text,
        **(context or {}),
    }
    return event, message_row(
        ticket, kind, f"{kind}:{ticket.id}:{event['seq']}", message, notify_at
    )
