"""Periodic jobs as data (fixed ids), run by RQ's cron scheduler or, in the embedded mode, by a
thread in the web process; every run holds a Redis lock so two runs never overlap."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# After a failed round (Redis away), a loop waits 1 s, then 2, 4, ... up to this, until a round
# works again.
BACKOFF_MAX_SECONDS = 60.0
# What a loop's wait is: `threading.Event.wait` (returns early when the loop is to stop), or a
# test's fake clock.
Wait = Callable[[float], object]


@dataclass
class Backoff:
    """The failed rounds in a row of a loop that talks to Redis: how long to wait after each,
    and its log line. The first failure of a run is logged (with a traceback only when it is no
    Redis error, i.e. a bug); later ones one line each, or, `quiet`, only at debug level."""

    what: str
    quiet: bool = False
    failures: int = 0

    def failed(self, error: Exception) -> float:
        self.failures += 1
        pause = min(2.0 ** (self.failures - 1), BACKOFF_MAX_SECONDS)
        expected = isinstance(error, RedisError)
        text = " ".join(f"{type(error).__name__}: {error}".split())
        if self.failures == 1:
            log.warning(
                "%s failed: %s; retrying in %g s, then less often until it works",
                self.what,
                text,
                pause,
                exc_info=None if expected else error,
            )
        elif self.quiet:
            log.debug("%s failed again (%d in a row): %s", self.what, self.failures, text)
        else:
            log.warning(
                "%s failed again (%d in a row): %s; retrying in %g s",
                self.what,
                self.failures,
                text,
                pause,
            )
        return pause

    def succeeded(self) -> None:
        if self.failures:
            log.info("%s works again after %d failed rounds", self.what, self.failures)
            self.failures = 0


@dataclass(frozen=True)
class Periodic:
    """One periodic job: a fixed id, what it runs, where, how often, and its longest run."""

    id: str
    func: str
    queue: str
    every_seconds: int
    timeout_seconds: int


PERIODIC: tuple[Periodic, ...] = (
    Periodic("sweep-deadlines", "workers.jobs.sweep_deadlines", "sweeper", 60, 900),
    Periodic("relay-outbox", "workers.jobs.relay_outbox", "default", 30, 300),
    Periodic("adopt-recordings", "workers.jobs.adopt_recordings", "default", 300, 300),
)

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def lock_key(job_id: str) -> str:
    return f"hotline:periodic:{job_id}:lock"


@contextmanager
def run_lock(connection: Redis, job_id: str, ttl_seconds: int) -> Iterator[bool]:
    """`SET key NX EX`: yields True for the one run that got the lock, False for the others.

    The expiry frees the lock if a worker dies mid-run; the token keeps a late finisher from
    releasing a lock that has since passed to another run.
    """
    token = uuid.uuid4().hex
    acquired = bool(connection.set(lock_key(job_id), token, nx=True, ex=ttl_seconds))
    try:
        yield acquired
    finally:
        if acquired:
            connection.eval(_RELEASE, 1, lock_key(job_id), token)


def periodic(job_id: str) -> Periodic:
    return next(job for job in PERIODIC if job.id == job_id)


def _resolve(dotted: str) -> Callable[..., Any]:
    module_name, _, name = dotted.rpartition(".")
    module = __import__(module_name, fromlist=[name])
    func: Callable[..., Any] = getattr(module, name)
    return func


def cron_scheduler(connection: Redis) -> Any:
    """RQ's CronScheduler with every periodic job registered under its fixed id."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection, name=f"hotline-{uuid.uuid4().hex[:8]}")
    for job in PERIODIC:
        scheduler.register(
            _resolve(job.func),
            job.queue,
            interval=job.every_seconds,
            job_timeout=job.timeout_seconds,
            # A run nobody picked up within one period is stale: the next one replaces it.
            ttl=job.every_seconds,
            result_ttl=job.every_seconds * 10,
            name=job.id,
        )
    return scheduler


def scheduler_tick(scheduler: Any) -> float:
    """One round: enqueue the periodic jobs that are due, say the scheduler is alive; returns
    how long to wait before the next round."""
    if scheduler.enqueue_jobs():
        scheduler.save()
    scheduler.heartbeat()
    return max(float(scheduler.calculate_sleep_interval()), 0.5)


def run_scheduler(connection: Redis, stop: threading.Event, wait: Wait | None = None) -> None:
    """Enqueue the periodic jobs as they fall due until `stop` is set; `wait(seconds)` waits
    between rounds (default: on `stop`).

    CronScheduler.start() installs signal handlers, which only the main thread may do; this
    loop is the same minus those, so it also runs beside a worker. A round that fails (Redis
    away, even at start) is logged and the loop goes on, waiting longer after each failure in a
    row (`Backoff`), until Redis is back; a job not enqueued then is enqueued at the next round.
    """
    pause_for = wait or stop.wait
    scheduler = cron_scheduler(connection)
    backoff = Backoff(f"periodic scheduler {scheduler.name}")
    born = False
    try:
        while not stop.is_set():
            try:
                if not born:
                    scheduler.register_birth()
                    born = True
                    log.info("periodic scheduler %s started", scheduler.name)
                pause = scheduler_tick(scheduler)
            except Exception as error:
                pause = backoff.failed(error)
            else:
                backoff.succeeded()
            pause_for(pause)
    finally:
        if born:
            try:
                scheduler.register_death()
            except RedisError as error:
                log.warning(
                    "periodic scheduler %s: death not registered: %s", scheduler.name, error
                )
        log.info("periodic scheduler %s stopped", scheduler.name)


def start_loop_thread(
    loop: Callable[[Redis, threading.Event], None], connection: Redis, name: str
) -> tuple[threading.Thread, threading.Event]:
    """Run `loop(connection, stop)` in a daemon thread; set the event to end it."""
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(connection, stop), name=name, daemon=True)
    thread.start()
    return thread, stop


def start_scheduler_thread(connection: Redis) -> tuple[threading.Thread, threading.Event]:
    return start_loop_thread(run_scheduler, connection, "hotline-scheduler")


# ---- the embedded mode: no Redis, the web process sweeps in a thread ----------------------

EMBEDDED_KEY = "hotline.embedded_scheduler"
EMBEDDED_INTERVAL_SECONDS = 60.0


def run_embedded_once(app: Flask) -> None:
    """One round of the periodic work in-process, each job in its own app context and commit."""
    from hotline.extensions import db
    from hotline.webhooks.adoption import adopt_recordings
    from workers.relay import relay_after_commit
    from workers.sweeper import sweep

    for name, work in (
        ("sweep", lambda: sweep()),
        ("relay", lambda: relay_after_commit(app)),
        ("adopt recordings", lambda: adopt_recordings(db.session)),
    ):
        with app.app_context():
            try:
                work()
            except Exception:
                log.exception("embedded %s failed; retrying in a minute", name)


def _embedded_loop(app: Flask, stop: threading.Event) -> None:
    from hotline.routing_context import warm_up

    warm_up(app)  # the server's first request started this thread: the first appeal may follow
    while not stop.wait(EMBEDDED_INTERVAL_SECONDS):
        run_embedded_once(app)


def ensure_embedded_scheduler(app: Flask) -> threading.Thread | None:
    """Start the in-process sweeper once per process; not in tests nor when Redis is set."""
    if app.config.get("TESTING") or app.config.get("REDIS_URL"):
        return None
    running: threading.Thread | None = app.extensions.get(EMBEDDED_KEY)
    if running is not None and running.is_alive():
        return running
    with _embedded_guard:
        running = app.extensions.get(EMBEDDED_KEY)  # another request may have won the race
        if isinstance(running, threading.Thread) and running.is_alive():
            return running
        stop = threading.Event()
        thread = threading.Thread(
            target=_embedded_loop, args=(app, stop), name="hotline-embedded-sweeper", daemon=True
        )
        thread.start()
        app.extensions[EMBEDDED_KEY] = thread
        app.extensions[EMBEDDED_KEY + ".stop"] = stop
        return thread


_embedded_guard = threading.Lock()


def register(app: Flask) -> None:
    """Wiring only: the embedded sweeper starts on the first request, not in the factory."""

    @app.before_request
    def _start_embedded_scheduler() -> None:
        ensure_embedded_scheduler(app)


__all__ = ["PERIODIC", "Backoff", "Periodic", "register", "run_lock", "run_scheduler"]
