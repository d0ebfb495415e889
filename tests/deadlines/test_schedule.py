"""The periodic schedule: fixed ids, RQ's cron scheduler, and a Redis lock against overlap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis

from workers.schedule import PERIODIC, cron_scheduler, lock_key, periodic, run_lock


@pytest.fixture
def own_redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/10")
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_the_sweep_runs_every_minute_and_the_relay_every_half_minute() -> None:
    assert periodic("sweep-deadlines").every_seconds == 60
    assert periodic("relay-outbox").every_seconds == 30
    assert len({job.id for job in PERIODIC}) == len(PERIODIC)


def test_a_second_run_is_refused_while_the_first_holds_the_lock(own_redis: Redis) -> None:
    with run_lock(own_redis, "sweep-deadlines", 60) as first:
        with run_lock(own_redis, "sweep-deadlines", 60) as second:
            assert (first, second) == (True, False)
        assert own_redis.get(lock_key("sweep-deadlines")) is not None
    with run_lock(own_redis, "sweep-deadlines", 60) as third:
        assert third is True


def test_a_lock_that_passed_to_another_run_is_not_released_by_the_late_first(
    own_redis: Redis,
) -> None:
    with run_lock(own_redis, "relay-outbox", 60) as first:
        assert first
        own_redis.set(lock_key("relay-outbox"), "someone-else")
    assert own_redis.get(lock_key("relay-outbox")) == b"someone-else"


def test_the_cron_scheduler_enqueues_each_periodic_job_under_its_fixed_id(own_redis: Redis) -> None:
    scheduler = cron_scheduler(own_redis)
    enqueued = scheduler.enqueue_jobs()
    assert sorted(job.name for job in enqueued) == [
        "adopt-recordings",
        "relay-outbox",
        "sweep-deadlines",
    ]
    assert own_redis.llen("rq:queue:sweeper") == 1
    assert own_redis.llen("rq:queue:default") == 2
    assert scheduler.enqueue_jobs() == []  # not again before the interval has passed
