"""派单目录 versions and their entries, as imported from a dispatch centre's spreadsheet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.types import AwareDateTime, JSONDocument


class CatalogueVersion(db.Model):  # type: ignore[name-defined,misc]
    """One imported catalogue: a draft until activated; old versions stay for arbitration."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    source_name: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    entry_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
    effective_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)


class CatalogueEntryRecord(db.Model):  # type: ignore[name-defined,misc]
    """One row of a catalogue version: matter × area × appeal types → lead and assists."""

    __tablename__ = "catalogue_entries"
    __table_args__ = (
        UniqueConstraint("version_id", "entry_id", name="uq_catalogue_entries_version_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalogue_versions.id"), index=True)
    entry_id: Mapped[str] = mapped_column(String(32))
    matter_code: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    appeal_types: Mapped[list[str]] = mapped_column(JSONDocument)
    lead: Mapped[str] = mapped_column(String(32))
    assists: Mapped[list[str]] = mapped_column(JSONDocument)
    dispatch_level: Mapped[str] = mapped_column(String(16), default="", server_default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="", server_default="")
    tier: Mapped[str | None] = mapped_column(String(32), nullable=True)
    keywords: Mapped[list[str]] = mapped_column(JSONDocument)
    no_push_down: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
