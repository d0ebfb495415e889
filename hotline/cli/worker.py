"""`flask worker` (an RQ worker with RQ's scheduler and the periodic jobs) and `flask scheduler`
(the periodic jobs alone), on the app's Redis."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from rq import Worker

from workers.jobs import bind_app
from workers.queues import QUEUES, redis_connection
from workers.schedule import PERIODIC, run_scheduler, start_scheduler_thread


def _require_redis() -> None:
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL 未设置：嵌入模式下任务在 Web 进程内执行")


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue to listen on (default: all)")
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
@click.option("--no-periodic", is_flag=True, help="do not enqueue the periodic jobs here")
def worker(queues: tuple[str, ...], burst: bool, no_periodic: bool) -> None:
    """Start an RQ worker (with RQ's scheduler and the periodic jobs) for the hotline's queues."""
    _require_redis()
    connection = redis_connection()
    bind_app(current_app._get_current_object())  # type: ignore[attr-defined]
    stop: threading.Event | None = None
    if not (burst or no_periodic):
        _thread, stop = start_scheduler_thread(connection)
    try:
        Worker(list(queues or QUEUES), connection=connection).work(with_scheduler=True, burst=burst)
    finally:
        if stop is not None:
            stop.set()


@click.command("scheduler")
def scheduler() -> None:
    """Enqueue the periodic jobs (sweep every 60 s, outbox relay every 30 s) until stopped."""
    _require_redis()
    for job in PERIODIC:
        click.echo(f"{job.id}: {job.func} on {job.queue!r} every {job.every_seconds} s")
    stop = threading.Event()
    # Stop between two rounds on SIGTERM, so the scheduler leaves RQ's registry cleanly.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        run_scheduler(redis_connection(), stop)
    except KeyboardInterrupt:
        stop.set()
