"""Console sign-ins kept on the server, so that signing out ends the session for real."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.extensions import db
from hotline.models.types import AwareDateTime

# The hex SHA-256 of the cookie's random nonce: the table alone cannot forge a cookie.
TOKEN_DIGEST_LENGTH = 64


class ConsoleSession(db.Model):  # type: ignore[name-defined,misc]
    """One signed-in browser. The signed cookie names it by its nonce; it is valid while its row
    exists and has not expired. Signing out deletes the row, so a copy of the cookie taken
    before then is refused; a login prunes the user's expired rows."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_id_expires_at", "user_id", "expires_at"),)

    token_digest: Mapped[str] = mapped_column(String(TOKEN_DIGEST_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime)
