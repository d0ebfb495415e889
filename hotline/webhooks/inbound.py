"""Exactly-once inbound messages and calls: a provider id is recorded once, retries replay it."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from hotline.extensions import DbSession
from hotline.models import InboundMessage, Ticket
from hotline.postgres import run

PROVIDER = "twilio"


def find(session: DbSession, sid: str) -> InboundMessage | None:
    return session.scalars(
        select(InboundMessage).where(InboundMessage.provider == PROVIDER, InboundMessage.sid == sid)
    ).first()


# Every column without a server-side default, so that the precompiled statement binds them all.
COLUMNS = (
    "provider",
    "sid",
    "kind",
    "from_number",
    "to_number",
    "body",
    "payload",
    "outcome",
    "reply",
)


@cache
def _claim_statement(insert: Any) -> Any:
    """Built once per dialect: the values are bound at execution."""
    table = InboundMessage.__table__
    return (
        insert(InboundMessage)
        .values({name: bindparam(name, type_=table.c[name].type) for name in COLUMNS})
        .on_conflict_do_nothing(index_elements=["provider", "sid"])
        .returning(InboundMessage.id)
    )


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
        "outcome": "",
        "reply": "",
    }
    # One round trip, no savepoint: ON CONFLICT waits for a concurrent insert of the same sid
    # and then does nothing (a retry), or inserts if that one rolled back.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = run(session, _claim_statement(insert), values)
    if not rows:
        return None
    new_id = rows[0][0]
    row = InboundMessage(id=new_id, ticket_id=None, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row


@cache
def _reply_statement() -> Any:
    table = InboundMessage.__table__
    return (
        update(InboundMessage)
        .where(table.c.id == bindparam("row_id"))
        .values(
            reply=bindparam("reply", type_=table.c.reply.type),
            outcome=bindparam("outcome", type_=table.c.outcome.type),
            ticket_id=bindparam("ticket_id", type_=table.c.ticket_id.type),
        )
    )


def record_reply(
    session: DbSession, row: InboundMessage, reply: str, outcome: str, ticket: Ticket | None
) -> None:
    """Keep what the message led to, so that a retry replays it: one UPDATE, the row object
    brought in line without another."""
    ticket_id = ticket.id if ticket is not None else None
    run(
        session,
        _reply_statement(),
        {"row_id": row.id, "reply": reply, "outcome": outcome, "ticket_id": ticket_id},
    )
    for name, value in (("reply", reply), ("outcome", outcome), ("ticket_id", ticket_id)):
        set_committed_value(row, name, value)
