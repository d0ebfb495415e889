"""工单: the ticket's current state, its clocks, its units and its append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.types import AwareDateTime, JSONDocument
from routing.glossary import AppealType

CLOCKS = ("sign", "contact", "handle", "callback")


class Ticket(db.Model):  # type: ignore[name-defined,misc]
    """One appeal from intake to archive."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_state_lead", "state", "lead_unit_code"),
        Index("ix_tickets_requester_phone_accepted", "requester_phone_key", "accepted_at"),
        Index("ix_tickets_area_matter_accepted", "area_code", "matter_code", "accepted_at"),
        # Only the tickets merged into another: a full index of a column that is NULL on almost
        # every row let PostgreSQL, without fresh statistics, AND it into the caller lookup's
        # "parent_id IS NULL" and walk every ticket (8 ms a lookup at 9,000 tickets).
        Index(
            "ix_tickets_parent_id",
            "parent_id",
            postgresql_where=text("parent_id IS NOT NULL"),
            sqlite_where=text("parent_id IS NOT NULL"),
        ),
        UniqueConstraint("channel", "external_id", name="uq_tickets_channel_external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    source_line: Mapped[str | None] = mapped_column(String(16), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    appeal_type: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    matter_code: Mapped[str | None] = mapped_column(
        ForeignKey("matters.code"), nullable=True, index=True
    )
    # Indexed by ix_tickets_area_matter_accepted, which leads with it.
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(24))  # indexed by ix_tickets_state_lead
    triage_outcome: Mapped[str] = mapped_column(String(16))
    triage_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    classification: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)

    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("requesters.id"), nullable=True, index=True
    )
    # A digest of the normalised phone lets duplicates be found without reading personal data.
    requester_phone_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    lead_unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), nullable=True)
    dispatch_decision: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    catalogue_entry_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    catalogue_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(32), nullable=True)
    policy_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)

    sign_due_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    sign_met_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    sign_breached_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    contact_due_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    contact_met_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    contact_breached_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    handle_due_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    handle_met_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    handle_breached_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    callback_due_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    callback_met_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    callback_breached_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The earliest instant at which the sweeper has something to do for this ticket.
    next_due_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True, index=True)

    extension_state: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    extension_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    state_before_return: Mapped[str | None] = mapped_column(String(24), nullable=True)

    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hop_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    repeat_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Indexed by ix_tickets_parent_id, partial: almost every ticket has none.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    linked_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)

    reply_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    rating: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)

    accepted_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
    dispatched_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime, server_default=func.now(), onupdate=func.now()
    )
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Optimistic lock: two writers never silently overwrite each other's transition.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    assignments: Mapped[list[TicketAssignment]] = relationship(
        back_populates="ticket", order_by="TicketAssignment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API

    @property
    def assist_unit_codes(self) -> list[str]:
        return [a.unit_code for a in self.assignments if a.role == "assist" and a.active]

    @property
    def hidden_from_everyone(self) -> bool:
        """举报 and appeals the requester asked to keep confidential: nobody outside the centre
        reads what the requester said (the centre relays contact)."""
        return self.confidential or self.appeal_type == AppealType.REPORT


class TicketAssignment(db.Model):  # type: ignore[name-defined,misc]
    """A unit's share of a ticket: the lead, or an assisting unit with its own part."""

    __tablename__ = "ticket_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    dispatched_at: Mapped[datetime] = mapped_column(AwareDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    part_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    part_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)

    ticket: Mapped[Ticket] = relationship(back_populates="assignments")


class TicketEvent(db.Model):  # type: ignore[name-defined,misc]
    """An append-only record of one action on a ticket: the source of every KPI and audit."""

    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_events_ticket_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by uq_ticket_events_ticket_seq, which leads with it.
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_unit_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class TicketNumberCounter(db.Model):  # type: ignore[name-defined,misc]
    """The last ticket number handed out for a local calendar day."""

    __tablename__ = "ticket_number_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
