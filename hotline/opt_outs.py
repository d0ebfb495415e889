"""Numbers that unsubscribed from the hotline's texts: recorded when they text 退订, TD or STOP,
cleared when they text 订阅 or START, and never sent to in between (workers.delivery)."""

from __future__ import annotations

from hotline.extensions import DbSession
from hotline.models import SmsOptOut
from hotline.phones import phone_key


def record(session: DbSession, key: str, word: str, sid: str | None) -> None:
    """Keep the first unsubscribe: a repeated 退订 changes nothing. Flushes, never commits."""
    if session.get(SmsOptOut, key) is None:
        session.add(SmsOptOut(phone_key=key, keyword=word[:32], message_sid=sid))
        session.flush()


def keyword(session: DbSession, key: str) -> str | None:
    """The word the number unsubscribed with, if it did."""
    row = session.get(SmsOptOut, key)
    return row.keyword if row is not None else None


def clear(session: DbSession, key: str) -> bool:
    """The number subscribed again; whether it had unsubscribed."""
    row = session.get(SmsOptOut, key)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def refusal(session: DbSession, e164: str) -> str | None:
    """Why nothing may be sent to this number (None: it may)."""
    word = keyword(session, phone_key(e164) or "")
    return None if word is None else f"该号码已退订短信（回复 {word}）"
