"""Integration API keys: created once, shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any, Generic, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hotline.extensions import DbSession
from hotline.models import ApiKey

T = TypeVar("T")
KNOWN_KEY_SECONDS = 5.0


PREFIX_LENGTH = 8


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str:
    """The first characters of a key, stored and listed to tell keys apart: at most 8, and never
    more than half, so that a short key (a demo's `demo-key`) is not kept or shown whole."""
    return key[: min(PREFIX_LENGTH, len(key) // 2)]


def shown_prefix(record: ApiKey) -> str:
    """The prefix to list for a stored key; one stored whole by an older version (a short key)
    is recognised by its digest and cut like a new one."""
    if digest(record.prefix) == record.key_digest:
        return key_prefix(record.prefix)
    return record.prefix


class KnownKeys(Generic[T]):
    """Valid keys this process has looked up recently, per database, for a few seconds.

    Every request with a key would otherwise start with a query for it. A key revoked by
    another process stays usable here for at most `KNOWN_KEY_SECONDS`; any write to
    `api_keys` seen by this process, and any rollback, forgets them all at once.
    """

    def __init__(self, seconds: float = KNOWN_KEY_SECONDS) -> None:
        self.seconds = seconds
        self._entries: dict[tuple[int, str], tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, database: object, key: str) -> T | None:
        entry = self._entries.get((id(database), digest(key)))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, database: object, key: str, value: T) -> None:
        with self._lock:
            self._entries[(id(database), digest(key))] = (time.monotonic() + self.seconds, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


known_keys: KnownKeys[Any] = KnownKeys()


@event.listens_for(ApiKey, "after_insert")
@event.listens_for(ApiKey, "after_update")
@event.listens_for(ApiKey, "after_delete")
def _forget_on_write(*_args: Any) -> None:
    known_keys.clear()


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(*_args: Any) -> None:
    # A rolled-back key (tests roll back every transaction) must not outlive its transaction.
    known_keys.clear()


def create_key(session: DbSession, name: str, key: str | None = None) -> tuple[ApiKey, str]:
    """Store a key (a given one, or a new random one) and return it in clear once."""
    key = key or "hl_" + secrets.token_urlsafe(32)
    existing = session.scalars(select(ApiKey).where(ApiKey.key_digest == digest(key))).first()
    if existing is not None:
        existing.revoked_at = None
        existing.prefix = key_prefix(key)  # a prefix stored whole by an older version goes
        return existing, key
    record = ApiKey(name=name, key_digest=digest(key), prefix=key_prefix(key), role="integration")
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
