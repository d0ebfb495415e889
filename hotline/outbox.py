"""Writing outbox rows inside the transaction that causes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import OutboxMessage

# Session.info keys: the outbox rows this unit of work wrote, and those it has committed; the
# relay hands on exactly these after the commit (workers/relay.py).
FLUSHED = "hotline.outbox.flushed"
COMMITTED = "hotline.outbox.committed"
# A message that was no longer wanted when its time came: never sent; `last_error` says why.
CANCELLED = "cancelled"


def note_written(session: DbSession, rows: list[tuple[int, datetime | None]]) -> None:
    """Tell the relay about outbox rows written without the ORM: (id, available_at or None
    for the database's now())."""
    session.info.setdefault(FLUSHED, []).extend(rows)


def message_row(
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    ticket_id: int | None = None,
    available_at: datetime | None = None,
) -> dict[str, Any]:
    """An outbox row's values; `available_at` None leaves it to the database's now()."""
    row = {"kind": kind, "idempotency_key": key, "payload": payload, "ticket_id": ticket_id}
    return row if available_at is None else row | {"available_at": available_at}


def add_message(
    session: DbSession,
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    ticket_id: int | None = None,
    available_at: datetime | None = None,
) -> OutboxMessage:
    """Queue a side effect; `key` makes it exactly-once however often the cause is retried."""
    message = OutboxMessage(
        **message_row(kind, key, payload, ticket_id=ticket_id, available_at=available_at)
    )
    session.add(message)
    return message


def cancel_pending(session: DbSession, ticket_id: int, key_prefix: str, reason: str) -> int:
    """Cancel the ticket's messages whose key starts with `key_prefix` and which no worker has
    begun to send (`pending`), in the caller's transaction; returns how many. A row already
    `sending` is left alone: it may have reached the provider."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.state == "pending",
            OutboxMessage.idempotency_key.startswith(key_prefix, autoescape=True),
        )
        .values(state=CANCELLED, last_error=reason, done_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
