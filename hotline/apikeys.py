"""Integration API keys: created once, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from hotline.extensions import DbSession
from hotline.models import ApiKey


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: DbSession, name: str, key: str | None = None) -> tuple[ApiKey, str]:
    """Store a key (a given one, or a new random one) and return it in clear once."""
    key = key or "hl_" + secrets.token_urlsafe(32)
    existing = session.scalars(select(ApiKey).where(ApiKey.key_digest == digest(key))).first()
    if existing is not None:
        existing.revoked_at = None
        return existing, key
    record = ApiKey(name=name, key_digest=digest(key), prefix=key[:8], role="integration")
    session.add(record)
    session.flush()
    return record, key


def find_key(session: DbSession, key: str) -> ApiKey | None:
    if not key:
        return None
    record = session.scalars(select(ApiKey).where(ApiKey.key_digest == digest(key))).first()
    if record is None or record.revoked_at is not None:
        return None
    return record
