"""Writing outbox rows inside the transaction that causes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.extensions import DbSession
from hotline.models import OutboxMessage

# Session.info keys: the outbox rows this unit of work wrote, and those it has committed; the
# relay hands on exactly these after the commit (workers/relay.py).
FLUSHED = "hotline.outbox.flushed"
COMMITTED = "hotline.outbox.committed"


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
