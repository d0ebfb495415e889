"""Reference data: the area tree, the matter tree and the handling units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.types import AwareDateTime


class Area(db.Model):  # type: ignore[name-defined,misc]
    """行政区划: city > district > street > community."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("areas.code"), nullable=True, index=True
    )
    # When the area last changed: running processes reload their routing rules (routing_context).
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class Matter(db.Model):  # type: ignore[name-defined,misc]
    """事项分类: the hierarchical coded tree of matters."""

    __tablename__ = "matters"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("matters.code"), nullable=True, index=True
    )
    keywords: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the name, place in the tree or keywords last changed: Open311's discovery changeset.
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())


class Unit(db.Model):  # type: ignore[name-defined,misc]
    """承办单位: a department, district government, street office or public-service company."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("units.code"), nullable=True, index=True
    )
    area_code: Mapped[str | None] = mapped_column(
        ForeignKey("areas.code"), nullable=True, index=True
    )
    liaison_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    head_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # When the unit last changed: running processes reload their routing rules (routing_context).
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
    hidden_from_ranking: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
