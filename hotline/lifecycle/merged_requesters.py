"""What the other requesters whose appeals were merged into a ticket are told of it by SMS: that
its time limit was extended, that it has been answered. Once per phone (the first requester is
told by the ticket's own texts), never the unit's reply itself, which answers the first
requester and often names them, and no survey, which rates the unit once per ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from hotline.extensions import DbSession
from hotline.models import Ticket
from hotline.outbox import add_message


def tell_merged_requesters(
    session: DbSession,
    ticket: Ticket,
    template: str,
    seq: int,
    available_at: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Queue `template` (workers/delivery.py) for each merged appeal's requester, keyed by the
    ticket's event `seq` that caused it, each row on the merged appeal's own ticket."""
    told = {ticket.requester_phone_key}
    merged = session.scalars(
        select(Ticket)
        .where(Ticket.parent_id == ticket.id, Ticket.requester_phone_key.is_not(None))
        .order_by(Ticket.id)
    )
    for child in merged:
        if child.anonymous or child.requester_phone_key in told:
            continue
        told.add(child.requester_phone_key)
        add_message(
            session,
            "sms_requester",
            f"{template}:{child.id}:{seq}",
            {"ticket_id": child.id, "template": template, "number": child.number}
            | {"parent": ticket.number}
            | (extra or {}),
            ticket_id=child.id,
            available_at=available_at,
        )
