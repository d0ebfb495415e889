"""Writing outbox rows inside the transaction that causes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.extensions import DbSession
from hotline.models import OutboxMessage


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
    message = OutboxMessage(kind=kind, idempotency_key=key, payload=payload, ticket_id=ticket_id)
    if available_at is not None:
        message.available_at = available_at
    session.add(message)
    return message
