"""The outbox relay: hand committed outbox rows to RQ, or run them inline in the embedded mode.

Design. A request relays exactly the outbox rows its own unit of work created: a session
`after_flush` hook notes their ids (intake's own writer notes its rows the same way),
`after_commit` makes them relayable, a rollback forgets them. After the commit the request
announces them with one RPUSH on the list `hotline:outbox:ready` (or delivers them inline
without Redis) and writes nothing more: no SELECT of pending rows, no UPDATE, no second commit,
no job built in the request. The relay loop (a thread of every `flask worker`, or `flask relay`
on its own) pops announced ids in batches and enqueues each as the RQ job `outbox-<id>`, a batch
in one pipeline. Marking rows as relayed inside the transaction would be wrong, since Redis may
be down after the commit. Any row whose announcement or enqueue was lost (Redis down, process
killed) stays `pending` with `relayed_at` NULL, and the periodic relay (a fresh session that
committed nothing) scans for such rows: it skips those the relay loop marked as handed on
(`marker`, an hour) or whose job `outbox-<id>` is still waiting or running in Redis, enqueues the
others, and sets their `relayed_at`. A job can still vanish after that (Redis restarted without
persistence, FLUSHDB, a worker killed): a row still `pending` whose `relayed_at` is older than
`RELAY_STALE_SECONDS`, and a row left `sending` whose attempt is that old, are looked at again
and enqueued once more unless their job is alive. Delivery locks its row, ignores rows already
done, and asks the provider whether a `sending` row's text went out before it sends it again,
so a job that does run twice sends at most once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.outbox import COMMITTED, FLUSHED
from workers.schedule import Backoff, Wait

log = logging.getLogger(__name__)
BATCH = 200
READY = "hotline:outbox:ready"
# Long enough for a batch to be delivered; after it the periodic scan adopts what is left.
MARKER_SECONDS = 3600
BATCH_TIMEOUT_SECONDS = 60
SECONDS_PER_MESSAGE = 10
MAX_ANNOUNCED = 1_000_000
LINGER_SECONDS = 0.05
# After this long a relayed row that is still `pending`, or a row left `sending` by an attempt
# this old, is relayed again unless its job `outbox-<id>` is still queued, scheduled for a retry
# or running: the job may be gone (Redis lost it, its worker died). Well above an attempt's
# longest run (IN_FLIGHT, the Twilio timeout); the look-up before a resend makes a relay of a
# row whose text did go out harmless.
RELAY_STALE_SECONDS = 300
# RQ job statuses of a job that will still run (or is running).
LIVE_JOB_STATUSES = frozenset(
    {"created", "queued", "started", "scheduled", "deferred", "rate_limited", "ready_to_enqueue"}
)


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


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=RELAY_STALE_SECONDS)


def pending_ids(limit: int = BATCH) -> list[int]:
    """Due `pending` rows never relayed by a scan, or relayed longer than the stale interval ago
    (their job may have vanished)."""
    now = utcnow()
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == "pending",
                or_(
                    OutboxMessage.relayed_at.is_(None),
                    OutboxMessage.relayed_at <= _stale_before(now),
                ),
                OutboxMessage.available_at <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def _attempted_at(payload: Any) -> datetime | None:
    delivery = payload.get("delivery") if isinstance(payload, dict) else None
    raw = delivery.get("attempted_at") if isinstance(delivery, dict) else None
    return datetime.fromisoformat(raw) if raw else None


def stuck_ids(limit: int = BATCH) -> list[int]:
    """`sending` rows whose last attempt began longer than the stale interval ago (and which no
    scan relayed within it): their job may be gone, and the row would stay `sending` for ever.
    Delivery looks the text up at the provider before it sends it again."""
    stale = _stale_before(utcnow())
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.payload)
        .where(
            OutboxMessage.state == "sending",
            or_(OutboxMessage.relayed_at.is_(None), OutboxMessage.relayed_at <= stale),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    stuck = []
    for message_id, payload in rows:
        attempted = _attempted_at(payload)
        if attempted is None or attempted <= stale:
            stuck.append(message_id)
    return stuck


def _due(rows: list[tuple[int, datetime | None]]) -> list[int]:
    now = utcnow()
    return [message_id for message_id, due in rows if due is None or due <= now]


def relay_after_commit(app: Flask) -> int:
    """Relay the rows the committed unit of work created; in a session that committed none
    (the periodic relay), scan for every pending row. Returns how many rows were handed on."""
    committed = db.session.info.pop(COMMITTED, None)
    if committed is not None:
        return _hand_on(app, _due(committed), mark=False)
    return _hand_on(app, pending_ids(), mark=True, stuck=stuck_ids())


@cache
def _redis(url: str) -> Redis:
    # One client (and connection pool) per process: a new client per request would open a new
    # TCP connection to Redis for every relayed request. redis-py resets its pool after a fork.
    return Redis.from_url(url)


def _deliver_inline(ids: list[int]) -> None:
    """The embedded mode: deliver now, each message on its own; one that fails waits for the
    next periodic relay (a `sending` one is looked up first), and holds up none of the others;
    after as many attempts as RQ would make, it is `failed`, as a worker's would be."""
    from workers.delivery import deliver, describe, expected_failure, give_up, out_of_retries

    for message_id in ids:
        try:
            deliver(message_id)
        except Exception as error:
            db.session.rollback()
            if out_of_retries(message_id):
                give_up(message_id, describe(error))
                log.warning(
                    "outbox %s: failed after its last attempt: %s", message_id, describe(error)
                )
                continue
            log.warning(
                "outbox %s: attempt failed, retried by the next periodic relay: %s",
                message_id,
                describe(error),
                exc_info=not expected_failure(error),
            )


def _hand_on(app: Flask, ids: list[int], *, mark: bool, stuck: list[int] | None = None) -> int:
    stuck = [message_id for message_id in stuck or [] if message_id not in ids]
    if not ids and not stuck:
        return 0
    if not app.config.get("REDIS_URL"):
        _deliver_inline([*ids, *stuck])
        return len(ids) + len(stuck)
    connection = _redis(app.config["REDIS_URL"])
    if not mark:
        # A request's own rows: announced in one command, made jobs by the relay loop.
        connection.rpush(READY, *ids)
        return len(ids)
    # The scan's idempotency guard: the relay loop (or an earlier scan) enqueued these already,
    # and their job has not ended. Only the rows enqueued here are marked relayed: one whose
    # batch never ran stays visible to later scans, and is enqueued once its marker has expired.
    # A stuck `sending` row is one whose batch ended (or vanished) long ago: its marker does
    # not count, only a job of its own that is still alive.
    alive = _relayed(connection, ids) | _relayed(connection, stuck, markers=False)
    handed = [message_id for message_id in [*ids, *stuck] if message_id not in alive]
    for message_id in handed:
        enqueue_delivery(connection, message_id)
    if handed:
        log.info("relayed %d outbox messages to RQ", len(handed))
    now = utcnow()
    table = OutboxMessage.__table__
    if handed:
        db.session.execute(table.update().where(table.c.id.in_(handed)).values(relayed_at=now))
    if alive:
        # `pending` rows a scan relayed before whose job is still alive: looked at again only
        # after another stale interval, so that they do not fill every scan's batch. A `sending`
        # row keeps its relayed_at: /healthz counts it stuck from there (the few such rows are
        # looked at on every scan).
        db.session.execute(
            table.update()
            .where(
                table.c.id.in_(alive),
                table.c.relayed_at.is_not(None),
                table.c.state == "pending",
            )
            .values(relayed_at=now)
        )
    db.session.commit()
    db.session.info.pop(COMMITTED, None)  # the scan's own commit created no outbox rows
    # Announcements nobody relays (no relay loop running) must not pile up: the scan has
    # enqueued their rows by now anyway.
    connection.ltrim(READY, -MAX_ANNOUNCED, -1)
    return len(handed)


def marker(message_id: int) -> str:
    return f"hotline:outbox:{message_id}:relayed"


def enqueue_deliveries(connection: Redis, ids: list[int]) -> int:
    """One RQ job delivers the whole batch (a job per message would cost the relay more than
    the intake that wrote it); a marker per message, kept a day, tells the periodic scan that
    it was relayed. All in one pipeline."""
    if not ids:
        return 0
    from workers.delivery import delivery_retry
    from workers.queues import queue

    notifications = queue("notifications", connection=connection)
    with connection.pipeline() as pipeline:
        notifications.enqueue(
            "workers.jobs.deliver_messages",
            list(ids),
            pipeline=pipeline,
            result_ttl=3600,
            # Time for every message to reach the provider; a batch cut short (a timeout, a
            # killed worker) runs again, and what it sent already is not sent twice.
            job_timeout=BATCH_TIMEOUT_SECONDS + SECONDS_PER_MESSAGE * len(ids),
            retry=delivery_retry(),
        )
        for message_id in ids:
            pipeline.set(marker(message_id), 1, ex=MARKER_SECONDS)
        pipeline.execute()
    return len(ids)


def enqueue_delivery(connection: Redis, message_id: int) -> None:
    """One message as a job of its own, `outbox-<id>`, with the retry policy."""
    from workers.delivery import delivery_retry
    from workers.queues import queue

    queue("notifications", connection=connection).enqueue(
        "workers.jobs.deliver_message",
        message_id,
        job_id=f"outbox-{message_id}",
        retry=delivery_retry(),
    )


def _relayed(connection: Redis, ids: list[int], *, markers: bool = True) -> set[int]:
    """The ids handed on already: marked by the relay loop (with `markers`), or with a job
    `outbox-<id>` that is still queued, scheduled or running. A job that ended, or vanished
    with a Redis that lost its data, does not count."""
    if not ids:
        return set()
    with connection.pipeline(transaction=False) as pipeline:
        for message_id in ids:
            pipeline.exists(marker(message_id))
            pipeline.hget(f"rq:job:outbox-{message_id}", "status")
        found = pipeline.execute()
    relayed = set()
    for index, message_id in enumerate(ids):
        marked, status = found[2 * index], found[2 * index + 1]
        if isinstance(status, bytes):
            status = status.decode()
        if (markers and marked) or status in LIVE_JOB_STATUSES:
            relayed.add(message_id)
    return relayed


def relay_announced(
    connection: Redis, *, wait_seconds: float | None = None, linger: float = 0.0
) -> int:
    """Turn announced rows into jobs: wait up to `wait_seconds` for the first id (None: take
    only what is there), let others gather for `linger` seconds, then take what is waiting, up
    to a batch. Returns how many were enqueued."""
    first: Any
    if wait_seconds is None:
        first = connection.lpop(READY)
    else:
        popped = connection.blpop([READY], timeout=wait_seconds)
        first = popped[1] if popped is not None else None
    if first is None:
        return 0
    if linger:
        time.sleep(linger)
    more = connection.lpop(READY, BATCH - 1) or []
    ids = [int(first), *(int(value) for value in more)]
    return enqueue_deliveries(connection, ids)


def relay_forever(connection: Redis, stop: threading.Event, wait: Wait | None = None) -> None:
    """The relay loop, until `stop` is set; after a failure (Redis away, a bug) it waits and goes
    on, a second after the first failure and longer after each further one in a row, logging
    only the first (`Backoff`): ids it had taken are left to the periodic scan."""
    pause_for = wait or stop.wait
    backoff = Backoff("outbox relay loop", quiet=True)
    while not stop.is_set():
        try:
            # A busy intake announces rows every few milliseconds: a short wait makes one job
            # of many (notifications go out at most this much later).
            relay_announced(connection, wait_seconds=1, linger=LINGER_SECONDS)
        except Exception as error:
            pause_for(backoff.failed(error))
        else:
            backoff.succeeded()


def start_relay_thread(connection: Redis) -> tuple[threading.Thread, threading.Event]:
    from workers.schedule import start_loop_thread

    return start_loop_thread(relay_forever, connection, "hotline-relay")
