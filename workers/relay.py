"""The outbox relay: hand committed outbox rows to RQ, or run them inline in the embedded mode.

Design. A request relays exactly the outbox rows its own unit of work created: a session
`after_flush` hook notes their ids, `after_commit` makes them relayable, a rollback forgets them.
After the commit they are enqueued with the RQ job id `outbox-<id>` (or delivered inline without
Redis) and nothing more is written: no SELECT of pending rows, no UPDATE, no second commit per
request. Marking rows as relayed inside the transaction would be wrong, since Redis may be down
after the commit. Any row whose enqueue was lost (Redis down, process killed) stays `pending`
with `relayed_at` NULL, and the periodic relay (a fresh session that committed nothing) scans for
such rows: it skips those whose job `outbox-<id>` already exists in Redis, enqueues the others,
and sets `relayed_at` on both. Delivery locks its row and ignores rows already done, so a job
that does run twice sends at most once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import OutboxMessage

log = logging.getLogger(__name__)
BATCH = 200
FLUSHED = "hotline.outbox.flushed"
COMMITTED = "hotline.outbox.committed"


@event.listens_for(Session, "after_flush")
def _note_new_rows(session: Session, _context: Any) -> None:
    for instance in session.new:
        if isinstance(instance, OutboxMessage):
            due = instance.__dict__.get("available_at")  # unset means the database's now()
            session.info.setdefault(FLUSHED, []).append((instance.id, due))


@event.listens_for(Session, "after_commit")
def _make_relayable(session: Session) -> None:
    # The key is set even when empty: "this session committed" means no scan is needed.
    rows = session.info.pop(FLUSHED, [])
    session.info.setdefault(COMMITTED, []).extend(rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    if not session.in_transaction():
        session.info.pop(FLUSHED, None)


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


def _due(rows: list[tuple[int, datetime | None]]) -> list[int]:
    now = utcnow()
    return [message_id for message_id, due in rows if due is None or due <= now]


def relay_after_commit(app: Flask) -> int:
    """Relay the rows the committed unit of work created; in a session that committed none
    (the periodic relay), scan for every pending row. Returns how many rows were handed on."""
    committed = db.session.info.pop(COMMITTED, None)
    if committed is not None:
        return _hand_on(app, _due(committed), mark=False)
    return _hand_on(app, pending_ids(), mark=True)


@cache
def _redis(url: str) -> Redis:
    # One client (and connection pool) per process: a new client per request would open a new
    # TCP connection to Redis for every relayed request. redis-py resets its pool after a fork.
    return Redis.from_url(url)


def _hand_on(app: Flask, ids: list[int], *, mark: bool) -> int:
    if not ids:
        return 0
    if not app.config.get("REDIS_URL"):
        from workers.delivery import deliver

        for message_id in ids:
            deliver(message_id)
        return len(ids)
    from rq.job import Job

    from workers.delivery import delivery_retry
    from workers.queues import queue

    notifications = queue("notifications", connection=_redis(app.config["REDIS_URL"]))
    handed = 0
    for message_id in ids:
        job_id = f"outbox-{message_id}"
        # The scan's idempotency guard: the request that created the row enqueued it already.
        if mark and Job.exists(job_id, connection=notifications.connection):
            continue
        notifications.enqueue(
            "workers.jobs.deliver_message",
            message_id,
            job_id=job_id,
            retry=delivery_retry(),
        )
        handed += 1
    if mark:
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id.in_(ids), OutboxMessage.relayed_at.is_(None))
            .values(relayed_at=utcnow())
        )
        db.session.commit()
        db.session.info.pop(COMMITTED, None)  # the scan's own commit created no outbox rows
    if handed:
        log.info("relayed %d outbox messages to RQ", handed)
    return handed
