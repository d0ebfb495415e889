"""Named RQ queues on an explicitly passed Redis connection."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

QUEUES = ("default", "notifications", "sweeper")


def redis_connection(url: str | None = None) -> Redis:
    return Redis.from_url(url or current_app.config["REDIS_URL"])


def queue(name: str = "default", connection: Redis | None = None) -> Queue:
    return Queue(name, connection=connection or redis_connection())
