"""RQ job entry points: they take ids, build the app context, and commit once."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from rq import get_current_job

log = logging.getLogger(__name__)

_bound: list[Flask] = []


def bind_app(app: Flask | None) -> None:
    """Run jobs in `app` (the worker command's, or a test's) instead of building one."""
    _bound.clear()
    if app is not None:
        _bound.append(app)


def _app() -> Flask:
    if not _bound:
        from hotline.app import create_app

        _bound.append(create_app())
    return _bound[0]


def _job_id() -> str:
    job = get_current_job()
    return job.id if job is not None else "-"


def _last_attempt() -> bool:
    job = get_current_job()
    # RQ stores no retries_left once it reaches 0, so None also means "no retry left".
    return job is None or not job.retries_left


def _failed_attempt(message_id: int, error: Exception, what: str, *, traceback: bool) -> None:
    """One WARNING line for a failed delivery attempt: the row and the error. With `traceback`,
    an error that is not part of talking to the provider (a bug) also gets its traceback."""
    from workers.delivery import describe, expected_failure

    log.warning(
        "[job %s] outbox %s: attempt failed, %s: %s",
        _job_id(),
        message_id,
        what,
        describe(error),
        exc_info=traceback and not expected_failure(error),
    )


def deliver_message(message_id: int) -> str:
    """Send one outbox message; a failure raises so that RQ retries with backoff, and after the
    last retry the row is `failed` with the error (whatever the error was)."""
    from hotline.extensions import db
    from workers.delivery import deliver, describe, give_up

    with _app().app_context():
        try:
            state = deliver(message_id)
        except Exception as error:
            last = _last_attempt()
            if last:
                db.session.rollback()
                give_up(message_id, describe(error))
            # The error goes on to RQ, whose worker logs the traceback of an unexpected one
            # (`flask worker` leaves out those of expected ones: hotline/cli/worker.py).
            what = "no retry left, the row is failed" if last else "RQ retries it"
            _failed_attempt(message_id, error, what, traceback=False)
            raise
        log.info("[job %s] outbox %s -> %s", _job_id(), message_id, state)
        return state


def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    """Send a batch the relay loop handed on. A message that cannot go now (a provider outage,
    a send that may still be in flight) or fails gets a job of its own with the retry policy,
    so one recipient never holds up, or repeats, the others."""
    from redis import Redis
    from rq.timeouts import JobTimeoutException

    from hotline.extensions import db
    from workers.delivery import DeliveryDeferred, deliver
    from workers.relay import enqueue_delivery

    app = _app()
    outcomes: dict[str, int] = {}
    again: list[int] = []
    with app.app_context():
        for message_id in message_ids:
            try:
                state = deliver(message_id)
                if state == "missing":
                    # Locked by another delivery or relay at this very moment (or gone): a job
                    # of its own looks again, and sends at most once.
                    again.append(message_id)
            except JobTimeoutException:
                raise  # RQ retries the batch; what was sent is not sent again
            except DeliveryDeferred as error:
                _failed_attempt(message_id, error, "retried in a job of its own", traceback=True)
                again.append(message_id)
                state = "deferred"
            except Exception as error:
                _failed_attempt(message_id, error, "retried in a job of its own", traceback=True)
                again.append(message_id)
                state = "failed"
            finally:
                db.session.remove()
            outcomes[state] = outcomes.get(state, 0) + 1
        if again:
            job = get_current_job()
            connection = (
                job.connection if job is not None else Redis.from_url(app.config["REDIS_URL"])
            )
            for message_id in again:
                enqueue_delivery(connection, message_id)
    log.info("[job %s] delivered a batch of %d: %s", _job_id(), len(message_ids), outcomes)
    return outcomes


def _exclusive(job_id: str, work: Callable[[Flask], int], what: str) -> int:
    """Run one periodic job's `work` under its Redis lock, in the app's context; 0 when another
    run holds the lock. `what` is the log line's "%d ..." after the job id."""
    from workers.queues import redis_connection
    from workers.schedule import periodic, run_lock

    app = _app()
    with app.app_context():
        job = periodic(job_id)
        with run_lock(redis_connection(), job.id, job.timeout_seconds) as acquired:
            if not acquired:
                log.info("[job %s] %s already running elsewhere; skipped", _job_id(), job_id)
                return 0
            count = work(app)
        log.info("[job %s] %s: " + what, _job_id(), job_id, count)
        return count


def relay_outbox() -> int:
    """Hand due outbox rows to RQ: those whose time came or whose relay after commit failed."""
    from workers.relay import relay_after_commit

    return _exclusive("relay-outbox", relay_after_commit, "relayed %d outbox rows")


def adopt_recordings() -> int:
    """Voicemails whose transcription never came become tickets waiting for an agent."""
    from hotline.extensions import db
    from hotline.webhooks.adoption import adopt_recordings as adopt

    return _exclusive("adopt-recordings", lambda _app: adopt(db.session), "adopted %d voicemails")


def sweep_deadlines() -> int:
    """Fire the due steps of the escalation ladder; returns how many fired."""
    from workers.sweeper import sweep

    return _exclusive("sweep-deadlines", lambda _app: sweep().fired, "fired %d steps")
