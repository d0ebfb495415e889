"""The outbox relay: hand committed outbox rows to RQ, or run them inline in the embedded mode."""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 200


def pending_ids(limit: int = BATCH) -> list[int]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == "pending",
                OutboxMessage.relayed_at.is_(None),
                OutboxMessage.available_at <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def relay_after_commit(app: Flask) -> int:
    """Relay what is pending; returns how many rows were handed on."""
    ids = pending_ids()
    if not ids:
        return 0
    if not app.config.get("REDIS_URL"):
        from workers.delivery import deliver

        for message_id in ids:
            deliver(message_id)
        return len(ids)
    from workers.delivery import delivery_retry
    from workers.queues import queue

    notifications = queue("notifications")
    for message_id in ids:
        notifications.enqueue(
            "workers.jobs.deliver_message",
            message_id,
            job_id=f"outbox-{message_id}",
            retry=delivery_retry(),
        )
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.id.in_(ids), OutboxMessage.relayed_at.is_(None))
        .values(relayed_at=utcnow())
    )
    db.session.commit()
    log.info("relayed %d outbox messages to RQ", len(ids))
    return len(ids)
