"""`flask worker`: an RQ worker with the scheduler, on the app's Redis."""

from __future__ import annotations

import click
from flask import current_app
from rq import Worker

from workers.queues import QUEUES, redis_connection


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue to listen on (default: all)")
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Start an RQ worker (with the scheduler) for the hotline's queues."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: the embedded mode runs jobs in-process")
    connection = redis_connection()
    Worker(list(queues or QUEUES), connection=connection).work(with_scheduler=True, burst=burst)
