"""`flask worker` (an RQ worker with RQ's scheduler, the periodic jobs and the outbox relay),
`flask scheduler` (the periodic jobs alone) and `flask relay` (the outbox relay alone), on the
app's Redis."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

import click
from flask import current_app
from redis import Redis
from rq import Worker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.worker import BaseWorker

from workers.jobs import bind_app
from workers.queues import QUEUES, redis_connection
from workers.relay import relay_forever, start_relay_thread
from workers.schedule import PERIODIC, run_scheduler, start_scheduler_thread


def _until_stopped(loop: Callable[[Redis, threading.Event], None]) -> None:
    """Run `loop(connection, stop)` in the foreground; SIGTERM or Ctrl-C sets `stop`, so the
    loop ends between two rounds (the scheduler leaves RQ's registry cleanly)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        loop(redis_connection(), stop)
    except KeyboardInterrupt:
        stop.set()


def worker_queues(requested: Iterable[str] = ()) -> list[str]:
    """The queues a worker serves, in the order it takes jobs from them: the sweeper first
    (`QUEUES`), so that deliveries waiting on a slow provider never hold back a deadline sweep.
    Queues asked for with --queue keep that priority; unknown names come last."""
    names = list(dict.fromkeys(requested)) or list(QUEUES)
    rank = {name: index for index, name in enumerate(QUEUES)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


class QuietExpectedFailures(BaseWorker):
    """An RQ worker minus its traceback for an expected failure (a provider unreachable or
    refusing): the job has logged one line for it already (workers/jobs.py). RQ still records
    the failure with its traceback on the job, and logs the traceback of anything else."""

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        from workers.delivery import expected_failure

        error = exc_info[1] if len(exc_info) > 1 else None
        if isinstance(error, BaseException) and expected_failure(error):
            call_exception_handlers(self._exc_handlers, job, *exc_info)
            return
        super().handle_exception(job, *exc_info)


class HotlineWorker(QuietExpectedFailures, Worker):
    """The worker `flask worker` runs."""


def _require_redis() -> None:
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL 未设置：嵌入模式下任务在 Web 进程内执行")


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue to listen on (default: all)")
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
@click.option("--no-periodic", is_flag=True, help="do not enqueue the periodic jobs here")
@click.option("--no-relay", is_flag=True, help="do not run the outbox relay loop here")
def worker(queues: tuple[str, ...], burst: bool, no_periodic: bool, no_relay: bool) -> None:
    """Start an RQ worker (with RQ's scheduler, the periodic jobs and the outbox relay loop) for
    the hotline's queues."""
    _require_redis()
    connection = redis_connection()
    bind_app(current_app._get_current_object())  # type: ignore[attr-defined]
    stops: list[threading.Event] = []
    if not (burst or no_periodic):
        stops.append(start_scheduler_thread(connection)[1])
    if not (burst or no_relay):
        stops.append(start_relay_thread(redis_connection())[1])
    try:
        HotlineWorker(worker_queues(queues), connection=connection).work(
            with_scheduler=True, burst=burst
        )
    finally:
        for stop in stops:
            stop.set()


@click.command("relay")
def relay() -> None:
    """Turn the outbox rows that requests announce into RQ jobs, until stopped."""
    _require_redis()
    _until_stopped(relay_forever)


@click.command("scheduler")
def scheduler() -> None:
    """Enqueue the periodic jobs (sweep every 60 s, outbox relay every 30 s, voicemail adoption
    every 5 min) until stopped."""
    _require_redis()
    for job in PERIODIC:
        click.echo(f"{job.id}: {job.func} on {job.queue!r} every {job.every_seconds} s")
    _until_stopped(run_scheduler)
