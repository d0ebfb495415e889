"""Exactly-once inbound messages and calls: a provider id is recorded once, retries replay it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from hotline.extensions import DbSession
from hotline.models import InboundMessage

PROVIDER = "twilio"


def find(session: DbSession, sid: str) -> InboundMessage | None:
    return session.scalars(
        select(InboundMessage).where(InboundMessage.provider == PROVIDER, InboundMessage.sid == sid)
    ).first()


def claim(
    session: DbSession,
    sid: str,
    kind: str,
    *,
    from_number: str | None,
    to_number: str | None,
    body: str,
    payload: dict[str, Any],
) -> InboundMessage | None:
    """Record the message as ours to handle; None when it is already recorded (a retry).

    The row is inserted before any work so that a concurrent retry blocks on the unique
    constraint, then finds the sid taken, instead of creating a second ticket.
    """
    values: dict[str, Any] = {
        "provider": PROVIDER,
        "sid": sid,
        "kind": kind,
        "from_number": (from_number or None) and from_number[:32],
        "to_number": (to_number or None) and to_number[:32],
        "body": body,
        "payload": payload,
    }
    # One round trip, no savepoint: ON CONFLICT waits for a concurrent insert of the same sid
    # and then does nothing (a retry), or inserts if that one rolled back.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    new_id = session.execute(
        insert(InboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider", "sid"])
        .returning(InboundMessage.id)
    ).scalar()
    if new_id is None:
        return None
    row = InboundMessage(id=new_id, ticket_id=None, outcome="", reply="", **values)
    make_transient_to_detached(row)
    session.add(row)
    return row
