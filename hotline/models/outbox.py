"""The outbox: side effects written with the change that causes them, relayed after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.types import AwareDateTime, JSONDocument


class OutboxMessage(db.Model):  # type: ignore[name-defined,misc]
    """One side effect to perform exactly once (an SMS, a notification, a follow-up job)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "state", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id"), nullable=True, index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    available_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
    relayed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)


class Breach(db.Model):  # type: ignore[name-defined,misc]
    """One step of the escalation ladder fired for a ticket's clock and due time: never twice."""

    __tablename__ = "breaches"
    __table_args__ = (
        UniqueConstraint(
            "ticket_id", "clock", "level", "due_at", name="uq_breaches_ticket_clock_level_due"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    clock: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(AwareDateTime)
    fired_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
