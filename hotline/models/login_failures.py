"""Failed console logins, kept for a short window so that every worker counts the same guesses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.types import AwareDateTime

# The login form's username limit (LoginSchema); an address is an IPv4 or IPv6 literal.
USERNAME_LENGTH = 64
ADDRESS_LENGTH = 64


class LoginFailure(db.Model):  # type: ignore[name-defined,misc]
    """One wrong password (or unknown or disabled user), by the username tried and the client
    address it came from; pruned once older than the throttle's window (hotline/auth.py)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_failed_at", "username", "failed_at"),
        Index("ix_login_failures_address_failed_at", "address", "failed_at"),
        Index("ix_login_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH))
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    failed_at: Mapped[datetime] = mapped_column(AwareDateTime, server_default=func.now())
