"""The workers when something is away: Twilio unreachable, jobs lost in Redis, Redis down, a
provider that hangs. Nothing accepted is lost, a retried job repeats nothing, and after the last
retry the row is `failed`."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse

from hotline.cli.worker import QuietExpectedFailures, worker_queues
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.outbox import COMMITTED, add_message
from hotline.sms import TWILIO_TIMEOUT_SECONDS, TwilioSender, sender_for
from tests.deadlines.conftest import install_transport
from tests.twilio_support import MessagesApi, Recorded, twilio_config
from workers import relay as relay_module
from workers.delivery import RETRY_INTERVALS
from workers.relay import RELAY_STALE_SECONDS, enqueue_delivery, relay_after_commit, relay_forever
from workers.schedule import BACKOFF_MAX_SECONDS, Backoff, run_scheduler

TO = "+8613800000003"
BODY = "【12345督办】工单 20261123-000002 已列入督办，请单位负责人督促办理。"


class UnreachableTwilio(MessagesApi):
    """The recording transport, but while `down` every request fails as it does with no
    network: requests' ConnectionError, before anything reaches Twilio."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        if self.down:
            self.requests.append(Recorded(method, uri, {}, {}))
            raise requests.ConnectionError(
                "HTTPSConnectionPool(host='api.twilio.com', port=443): Max retries exceeded"
            )
        return super().request(method, uri, *args, **kwargs)


class QuietSimpleWorker(QuietExpectedFailures, SimpleWorker):
    """The in-process worker with `flask worker`'s logging of failures."""


@pytest.fixture
def unreachable(pg_app: Flask, monkeypatch: pytest.MonkeyPatch) -> UnreachableTwilio:
    return install_transport(pg_app, UnreachableTwilio(), monkeypatch)


@pytest.fixture
def logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    """The workers' and RQ's log records (the migrations' logging config, run before the tests,
    disables loggers that existed then)."""
    for name in ("workers.jobs", "workers.delivery", "workers.schedule", "workers.relay", "rq"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    monkeypatch.setattr(logging.getLogger("rq.worker"), "disabled", False)
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def immediate_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """RQ's retries without their waits: every retry is queued at once, so one burst of a worker
    runs the first attempt and all the retries (the count is the real one)."""
    monkeypatch.setattr("workers.delivery.RETRY_INTERVALS", (0,) * len(RETRY_INTERVALS))


def _sms(key: str) -> OutboxMessage:
    message = add_message(db.session, "sms", key, {"to": TO, "body": BODY})
    db.session.flush()
    return message


def _sending(message: OutboxMessage, attempted_ago: timedelta) -> None:
    attempted = utcnow() - attempted_ago
    message.state = "sending"
    message.attempts = 1
    message.payload = {**message.payload, "delivery": {"attempted_at": attempted.isoformat()}}
    db.session.flush()


def _scan(app: Flask) -> int:
    """The periodic relay: a session that committed no outbox rows of its own."""
    db.session.info.pop(COMMITTED, None)
    return relay_after_commit(app)


def _work(connection: Redis) -> None:
    queue = Queue("notifications", connection=connection)
    QuietSimpleWorker([queue], connection=connection).work(burst=True)


STALE = timedelta(seconds=RELAY_STALE_SECONDS + 60)


# ---- 1. a look-up that fails is a failed attempt; after the last retry the row is failed ----


def test_a_send_whose_lookup_raises_is_retried_and_failed_after_the_last_retry(
    pg_app: Flask,
    unreachable: UnreachableTwilio,
    queue_redis: Redis,
    immediate_retries: None,
    logs: pytest.LogCaptureFixture,
) -> None:
    message = _sms("lookup-unreachable")
    db.session.commit()
    unreachable.down = True
    enqueue_delivery(queue_redis, message.id)

    _work(queue_redis)

    db.session.refresh(message)
    assert message.state == "failed"
    assert message.done_at is not None
    assert message.last_error is not None and "ConnectionError" in message.last_error
    # The send was tried once; every retry asked Twilio whether it went out, and was refused
    # by the network like the send: nothing can have been sent twice.
    methods = [r.method for r in unreachable.requests]
    assert methods == ["POST"] + ["GET"] * len(RETRY_INTERVALS)
    assert message.attempts == 1
    queue = Queue("notifications", connection=queue_redis)
    assert queue.failed_job_registry.get_job_ids() == [f"outbox-{message.id}"]

    # One WARNING line per failed attempt, naming the row and the error; no traceback anywhere.
    attempts = [r for r in logs.records if "attempt failed" in r.getMessage()]
    assert len(attempts) == 1 + len(RETRY_INTERVALS)
    assert all(r.levelno == logging.WARNING for r in attempts)
    assert all(f"outbox {message.id}" in r.getMessage() for r in attempts)
    assert all("ConnectionError" in r.getMessage() for r in attempts)
    assert not [r for r in logs.records if r.exc_info or "Traceback" in r.getMessage()]


def test_a_lookup_that_fails_once_leaves_the_row_to_the_next_attempt_which_sends_once(
    pg_app: Flask, unreachable: UnreachableTwilio, queue_redis: Redis, immediate_retries: None
) -> None:
    message = _sms("lookup-flaky")
    _sending(message, attempted_ago=STALE)
    db.session.commit()
    calls = {"n": 0}
    original = MessagesApi.request

    def flaky(self: MessagesApi, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise requests.ConnectionError("connection reset by peer")
        return original(self, method, uri, *args, **kwargs)

    unreachable.request = flaky.__get__(unreachable)  # type: ignore[method-assign]
    enqueue_delivery(queue_redis, message.id)

    _work(queue_redis)

    db.session.refresh(message)
    assert message.state == "sent"
    assert len(unreachable.posts) == 1 and len(unreachable.messages) == 1


# ---- a row left `sending` whose job is gone is looked up, then sent once -------------------


def test_a_row_stuck_sending_past_the_stale_interval_is_looked_up_and_sent_once(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    message = _sms("stuck-sending")
    _sending(message, attempted_ago=STALE)  # its worker died; Redis knows no job for it
    db.session.commit()

    assert _scan(pg_app) == 1
    _work(queue_redis)

    db.session.refresh(message)
    assert message.state == "sent"
    methods = [r.method for r in twilio.requests]
    assert methods == ["GET", "POST"]  # asked whether it went out before sending it
    assert _scan(pg_app) == 0
    _work(queue_redis)
    assert len(twilio.posts) == 1


def test_a_row_stuck_sending_that_did_go_out_is_adopted_not_sent_again(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    message = _sms("stuck-but-sent")
    _sending(message, attempted_ago=STALE)
    already = twilio.remember(TO, BODY)
    db.session.commit()

    assert _scan(pg_app) == 1
    _work(queue_redis)

    db.session.refresh(message)
    assert message.state == "sent" and message.provider_id == already["sid"]
    assert twilio.posts == []


def test_a_sending_row_is_left_alone_while_recent_or_while_its_job_lives(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    recent, waiting = _sms("sending-recent"), _sms("sending-waiting")
    _sending(recent, attempted_ago=timedelta(seconds=RELAY_STALE_SECONDS // 2))
    _sending(waiting, attempted_ago=STALE)
    db.session.commit()
    enqueue_delivery(queue_redis, waiting.id)  # e.g. its retry, queued or scheduled

    assert _scan(pg_app) == 0
    assert Queue("notifications", connection=queue_redis).count == 1
    # The scan leaves a sending row's relayed_at as it was: /healthz counts it stuck from there.
    db.session.refresh(waiting)
    assert waiting.relayed_at is None


# ---- 2. a relayed row whose job vanished from Redis is relayed again -----------------------


def test_a_relayed_row_whose_job_vanished_is_relayed_again_after_the_stale_interval(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    message = _sms("job-vanished")
    db.session.commit()
    assert _scan(pg_app) == 1  # relayed: `relayed_at` set, job outbox-<id> queued
    queue = Queue("notifications", connection=queue_redis)
    queue.empty()  # Redis lost the job (a restart without persistence, FLUSHDB)

    assert _scan(pg_app) == 0  # not before the stale interval
    db.session.refresh(message)
    assert message.relayed_at is not None
    message.relayed_at = message.relayed_at - STALE  # the stale interval has passed
    db.session.commit()

    assert _scan(pg_app) == 1
    assert _scan(pg_app) == 0  # relayed just now
    _work(queue_redis)

    db.session.refresh(message)
    assert message.state == "sent"
    assert len(twilio.posts) == 1


def test_a_stale_relayed_row_whose_job_still_waits_is_not_enqueued_twice(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    message = _sms("job-waiting")
    db.session.commit()
    assert _scan(pg_app) == 1
    db.session.refresh(message)
    assert message.relayed_at is not None
    message.relayed_at = message.relayed_at - STALE  # a long backlog: the job still waits
    db.session.commit()

    assert _scan(pg_app) == 0
    assert Queue("notifications", connection=queue_redis).count == 1
    _work(queue_redis)
    db.session.refresh(message)
    assert message.state == "sent" and len(twilio.posts) == 1


# ---- 3. the periodic scheduler and the relay loop outlive a Redis outage --------------------


class FakeClock:
    """`wait(seconds)` for a loop: records what it was asked to wait, waits for nothing, and
    stops the loop after `rounds` waits."""

    def __init__(self, stop: threading.Event, rounds: int) -> None:
        self.stop = stop
        self.rounds = rounds
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.waits.append(seconds)
        if len(self.waits) >= self.rounds:
            self.stop.set()
        return self.stop.is_set()


@pytest.fixture
def own_redis(redis_url: str) -> Any:
    connection = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/11")
    connection.flushdb()
    yield connection
    connection.flushdb()


def redis_away_first(monkeypatch: pytest.MonkeyPatch, method: str, *, rounds: int) -> None:
    """CronScheduler.`method` finds Redis refusing connections `rounds` times, then works."""
    original = getattr(CronScheduler, method)
    left = {"rounds": rounds}

    def away_at_first(self: CronScheduler, *args: Any, **kwargs: Any) -> Any:
        if left["rounds"]:
            left["rounds"] -= 1
            raise RedisConnectionError("Error 111 connecting to redis:6379. Connection refused.")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(CronScheduler, method, away_at_first)


def test_the_scheduler_loop_survives_a_redis_outage_and_runs_the_next_tick(
    own_redis: Redis, monkeypatch: pytest.MonkeyPatch, logs: pytest.LogCaptureFixture
) -> None:
    redis_away_first(monkeypatch, "enqueue_jobs", rounds=2)
    stop = threading.Event()
    clock = FakeClock(stop, rounds=3)

    run_scheduler(own_redis, stop, wait=clock)

    assert len(clock.waits) == 3  # two failed rounds, then one that worked
    assert own_redis.llen("rq:queue:sweeper") == 1  # the deadline sweep was enqueued after all
    assert own_redis.llen("rq:queue:default") == 2
    ours = [r for r in logs.records if r.name == "workers.schedule"]
    failures = [r for r in ours if r.levelno == logging.WARNING]
    assert len(failures) == 2  # one line per failure
    assert not [r for r in ours if r.exc_info]
    assert any("works again" in r.getMessage() for r in ours)


def test_the_scheduler_starts_even_when_redis_is_away_at_first(
    own_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_away_first(monkeypatch, "register_birth", rounds=1)
    stop = threading.Event()

    run_scheduler(own_redis, stop, wait=FakeClock(stop, rounds=2))

    assert own_redis.llen("rq:queue:sweeper") == 1


def test_the_relay_loop_logs_an_outage_once_then_backs_off_quietly(
    monkeypatch: pytest.MonkeyPatch, logs: pytest.LogCaptureFixture
) -> None:
    rounds: list[str] = []

    def relay_announced(_connection: Redis, **_kwargs: Any) -> int:
        rounds.append("round")
        if len(rounds) <= 4:
            raise RedisConnectionError("Connection refused.")
        return 0

    monkeypatch.setattr(relay_module, "relay_announced", relay_announced)
    stop = threading.Event()
    clock = FakeClock(stop, rounds=4)

    # The connection is never used: the round itself is replaced.
    relay_forever(Redis(), stop, wait=clock)

    assert len(rounds) == 4
    assert clock.waits == sorted(clock.waits) and clock.waits[0] < clock.waits[-1]
    noticed = [r for r in logs.records if r.levelno >= logging.WARNING]
    assert len(noticed) == 1 and not noticed[0].exc_info
    assert len([r for r in logs.records if r.name == "workers.schedule"]) == 4


def test_the_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = Backoff("test loop")
    waits = [backoff.failed(RedisConnectionError("down")) for _ in range(10)]
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == BACKOFF_MAX_SECONDS == waits[-1]
    backoff.succeeded()
    assert backoff.failed(RedisConnectionError("down")) == 1.0


# ---- 4. a Twilio that hangs cannot hold a worker; the sweeper comes first -----------------


def test_the_twilio_client_built_for_production_has_a_timeout(
    pg_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = twilio_config(MessagesApi())
    del config["TWILIO_HTTP_CLIENT"]
    for key, value in config.items():
        monkeypatch.setitem(pg_app.config, key, value)
    monkeypatch.delitem(pg_app.config, "TWILIO_HTTP_CLIENT", raising=False)

    sender = sender_for(pg_app)

    assert isinstance(sender, TwilioSender)
    transport = sender.client.http_client
    assert isinstance(transport, TwilioHttpClient)
    assert transport.timeout is not None
    assert transport.timeout == TWILIO_TIMEOUT_SECONDS


def test_a_transport_given_in_the_config_is_the_one_used(
    pg_app: Flask, twilio: MessagesApi
) -> None:
    sender = sender_for(pg_app)
    assert isinstance(sender, TwilioSender) and sender.client.http_client is twilio


def test_the_worker_takes_the_sweeper_queue_first() -> None:
    assert worker_queues()[0] == "sweeper"
    assert set(worker_queues()) == {"sweeper", "default", "notifications"}
    assert worker_queues(("notifications", "sweeper")) == ["sweeper", "notifications"]


def test_flask_worker_serves_the_sweeper_queue_first(
    pg_app: Flask, queue_redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[list[str]] = []

    class Recorder:
        def __init__(self, queues: list[str], connection: Redis) -> None:
            served.append(list(queues))

        def work(self, **_options: Any) -> bool:
            return True

    monkeypatch.setattr("hotline.cli.worker.HotlineWorker", Recorder)
    result = pg_app.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert served and served[0][0] == "sweeper"


# ---- the embedded mode (no Redis): the same number of chances, then `failed` ----


@pytest.fixture
def embedded(pg_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setitem(pg_app.config, "REDIS_URL", None)
    return pg_app


def test_an_embedded_send_that_keeps_failing_is_failed_after_as_many_attempts_as_rq_makes(
    embedded: Flask, unreachable: UnreachableTwilio
) -> None:
    message = _sms("embedded-unreachable")
    message.attempts = len(RETRY_INTERVALS)  # every earlier periodic relay failed to send it
    message.available_at = utcnow() - timedelta(seconds=sum(RETRY_INTERVALS))
    db.session.commit()
    unreachable.down = True
    _scan(embedded)
    db.session.refresh(message)
    assert message.state == "failed"
    assert message.attempts == 1 + len(RETRY_INTERVALS)
    assert message.last_error is not None and "ConnectionError" in message.last_error


def test_an_embedded_send_out_of_attempts_before_rqs_span_waits_for_the_next_relay(
    embedded: Flask, unreachable: UnreachableTwilio
) -> None:
    message = _sms("embedded-quick")
    message.attempts = len(RETRY_INTERVALS)  # failed every minute since it became due
    message.available_at = utcnow() - timedelta(seconds=len(RETRY_INTERVALS) * 60)
    db.session.commit()
    unreachable.down = True
    _scan(embedded)
    db.session.refresh(message)
    assert message.state == "sending" and message.attempts == 1 + len(RETRY_INTERVALS)


def test_an_embedded_send_short_of_its_attempts_waits_for_the_next_periodic_relay(
    embedded: Flask, unreachable: UnreachableTwilio
) -> None:
    message = _sms("embedded-once")
    db.session.commit()
    unreachable.down = True
    _scan(embedded)
    db.session.refresh(message)
    assert message.state == "sending" and message.attempts == 1
    unreachable.down = False
    _sending(message, STALE)  # the next periodic relay, past the stale interval
    db.session.commit()
    _scan(embedded)
    db.session.refresh(message)
    assert message.state == "sent"


def test_an_embedded_row_whose_send_cannot_be_looked_up_for_rqs_whole_span_is_failed(
    embedded: Flask, unreachable: UnreachableTwilio
) -> None:
    message = _sms("embedded-lookup")
    _sending(message, timedelta(seconds=sum(RETRY_INTERVALS) + 60))
    db.session.commit()
    unreachable.down = True
    _scan(embedded)
    db.session.refresh(message)
    assert message.state == "failed" and message.attempts == 1
    assert [r.method for r in unreachable.requests] == ["GET"]
