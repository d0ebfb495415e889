"""Named RQ queues on an explicitly passed Redis connection."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

# In a worker's order of priority: the deadline sweep first, so that a backlog of deliveries
# (or one waiting on a slow provider) never delays it.
QUEUES = ("sweeper", "default", "notifications")


def redis_connection(url: str | None = None) -> Redis:
    return Redis.from_url(url or current_app.config["REDIS_URL"])


def queue(name: str = "default", connection: Redis | None = None) -> Queue:
    return Queue(name, connection=connection or redis_connection())
