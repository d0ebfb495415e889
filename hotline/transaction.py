"""The one place a request or job commits, then relays the outbox (side effects after commit)."""

from __future__ import annotations

import logging

from flask import current_app

from hotline.extensions import db

log = logging.getLogger(__name__)


def commit() -> None:
    """Commit the unit of work, then hand new outbox rows to the queue or run them inline."""
    db.session.commit()
    from workers.relay import relay_after_commit

    try:
        relay_after_commit(current_app._get_current_object())  # type: ignore[attr-defined]
    except Exception:
        log.exception("outbox relay after commit failed; the periodic relay will retry")
