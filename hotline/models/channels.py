"""What the channels need to stay exactly-once: idempotency keys, inbound message ids,
SMS conversations; and the official holiday schedules an administrator loads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.types import AwareDateTime, JSONDocument


class IdempotencyRecord(db.Model):  # type: ignore[name-defined,misc]
    """The first answer to a request made with an `Idempotency-Key`, replayed on a retry."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class InboundMessage(db.Model):  # type: ignore[name-defined,misc]
    """A provider's message or call, unique by its id (MessageSid, CallSid): retries add nothing."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "sid", name="uq_inbound_messages_provider_sid"),
        # The voicemail adoption job's query: recent calls (hotline/webhooks/adoption.py).
        Index("ix_inbound_messages_kind_created_at", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    sid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    from_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id"), nullable=True, index=True
    )
    outcome: Mapped[str] = mapped_column(String(32), default="", server_default="")
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class Conversation(db.Model):  # type: ignore[name-defined,misc]
    """An open SMS exchange with a number (a survey, or a ticket just created): replies join it."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_phone_open", "phone_key", "open_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), default="open", server_default="open")
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    open_until: Mapped[datetime] = mapped_column(AwareDateTime)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class OfficialSchedule(db.Model):  # type: ignore[name-defined,misc]
    """A year's State Council holiday schedule, loaded by an administrator when published."""

    __tablename__ = "official_schedules"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    source: Mapped[str] = mapped_column(Text, default="", server_default="")
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class SmsOptOut(db.Model):  # type: ignore[name-defined,misc]
    """A number that texted an unsubscribe word (退订, TD, STOP): nothing is sent to it until it
    texts a subscribe word again. Replies to its own texts still go (they answer it)."""

    __tablename__ = "sms_opt_outs"

    phone_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(32))
    message_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opted_out_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
