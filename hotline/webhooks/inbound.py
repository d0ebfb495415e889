"""Exactly-once inbound messages and calls: a provider id is recorded once, retries replay it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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
    constraint, then fails, instead of creating a second ticket.
    """
    if find(session, sid) is not None:
        return None
    row = InboundMessage(
        provider=PROVIDER,
        sid=sid,
        kind=kind,
        from_number=(from_number or None) and from_number[:32],
        to_number=(to_number or None) and to_number[:32],
        body=body,
        payload=payload,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row
