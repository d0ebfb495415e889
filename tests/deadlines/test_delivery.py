"""Reliable SMS: relayed to a real RQ queue, sent through the Twilio Client, never twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.outbox import COMMITTED, add_message
from tests.twilio_support import FROM_NUMBER, MessagesApi
from workers.delivery import DeliveryDeferred, deliver
from workers.relay import (
    BATCH_TIMEOUT_SECONDS,
    READY,
    SECONDS_PER_MESSAGE,
    enqueue_deliveries,
    marker,
    relay_after_commit,
    relay_announced,
    relay_forever,
    start_relay_thread,
)

TO = "+8613800000002"
BODY = "【12345催办】工单 20261123-000001 已临近或超过办理时限，请尽快办理。"


def _sms(key: str = "test-sms") -> OutboxMessage:
    message = add_message(db.session, "sms", key, {"to": TO, "body": BODY})
    db.session.flush()
    return message


def _sending(message: OutboxMessage, attempted_minutes_ago: float) -> None:
    attempted = utcnow() - timedelta(minutes=attempted_minutes_ago)
    message.state = "sending"
    message.attempts = 1
    message.payload = {**message.payload, "delivery": {"attempted_at": attempted.isoformat()}}
    db.session.flush()


def test_a_relayed_message_is_delivered_by_a_real_rq_worker_through_twilio(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    message = _sms()
    db.session.commit()

    assert relay_after_commit(pg_app) == 1
    assert [int(i) for i in queue_redis.lrange(READY, 0, -1)] == [message.id]
    assert relay_announced(queue_redis) == 1
    assert queue_redis.llen(READY) == 0
    queue = Queue("notifications", connection=queue_redis)
    (job,) = queue.get_jobs()
    assert job.func_name == "workers.jobs.deliver_messages" and job.args == ([message.id],)
    SimpleWorker([queue], connection=queue_redis).work(burst=True)

    db.session.refresh(message)
    assert message.state == "sent"
    assert len(twilio.posts) == 1
    assert twilio.posts[0].data["To"] == TO and twilio.posts[0].data["From"] == FROM_NUMBER
    assert message.provider_id == twilio.messages[0]["sid"]


def test_a_message_of_a_batch_that_cannot_go_now_gets_a_retrying_job_of_its_own(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    sent, delayed = _sms("batch-sent"), _sms("batch-delayed")
    _sending(delayed, attempted_minutes_ago=0.1)  # a send that may still be in flight
    db.session.commit()
    relay_after_commit(pg_app)
    assert relay_announced(queue_redis) == 2

    queue = Queue("notifications", connection=queue_redis)
    (batch,) = queue.get_jobs()
    assert batch.args == ([sent.id, delayed.id],)
    SimpleWorker([queue], connection=queue_redis).work(burst=True, max_jobs=1)

    db.session.refresh(sent)
    assert sent.state == "sent" and len(twilio.posts) == 1
    retry = queue.fetch_job(f"outbox-{delayed.id}")
    assert retry is not None and retry.retries_left == 5
    assert retry.func_name == "workers.jobs.deliver_message"


def test_the_periodic_scan_enqueues_only_what_the_relay_loop_never_handed_on(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    relayed, lost = _sms("scan-relayed"), _sms("scan-lost")
    db.session.commit()
    db.session.info.pop(COMMITTED, None)  # as if the announcement after commit never happened
    enqueue_deliveries(queue_redis, [relayed.id])  # the relay loop handed this one on

    assert relay_after_commit(pg_app) == 1  # the scan, in a session that committed nothing

    queue = Queue("notifications", connection=queue_redis)
    assert queue.fetch_job(f"outbox-{lost.id}") is not None
    assert queue.fetch_job(f"outbox-{relayed.id}") is None
    db.session.refresh(lost)
    db.session.refresh(relayed)
    # Only what the scan enqueued is marked: the other stays in view until it is delivered.
    assert lost.relayed_at is not None and relayed.relayed_at is None


def test_a_row_whose_batch_never_ran_is_enqueued_once_its_marker_expires(
    pg_app: Flask, twilio: MessagesApi, queue_redis: Redis
) -> None:
    message = _sms("batch-lost")
    db.session.commit()
    db.session.info.pop(COMMITTED, None)
    enqueue_deliveries(queue_redis, [message.id])
    Queue("notifications", connection=queue_redis).empty()  # the batch job is lost
    assert relay_after_commit(pg_app) == 0  # still marked as relayed

    queue_redis.delete(marker(message.id))  # the marker's hour has passed

    assert relay_after_commit(pg_app) == 1
    queue = Queue("notifications", connection=queue_redis)
    SimpleWorker([queue], connection=queue_redis).work(burst=True)
    db.session.refresh(message)
    assert message.state == "sent" and len(twilio.posts) == 1


def test_a_batch_job_is_retried_and_given_time_for_every_message(queue_redis: Redis) -> None:
    enqueue_deliveries(queue_redis, [1, 2, 3])

    (job,) = Queue("notifications", connection=queue_redis).get_jobs()
    assert job.retries_left == 5
    assert job.timeout == BATCH_TIMEOUT_SECONDS + 3 * SECONDS_PER_MESSAGE


# A text Twilio has sent, and one it still holds in its queue (accepted, not yet sent: Twilio
# gives it no date_sent).
@pytest.mark.parametrize("status", ["sent", "queued"])
def test_a_message_left_sending_is_adopted_from_twilio_not_sent_again(
    pg_app: Flask, twilio: MessagesApi, status: str
) -> None:
    message = _sms()
    _sending(message, attempted_minutes_ago=10)
    already = twilio.remember(TO, BODY)
    already["status"] = status

    assert deliver(message.id) == "sent"

    assert twilio.posts == []
    assert message.provider_id == already["sid"]
    listed = [r for r in twilio.requests if r.method == "GET"]
    # Not by DateSent: a text Twilio holds in its queue has none yet.
    assert (
        listed
        and listed[0].params["To"] == TO
        and not any("DateSent" in k for k in listed[0].params)
    )


def test_a_message_left_sending_that_twilio_never_got_is_sent_once(
    pg_app: Flask, twilio: MessagesApi
) -> None:
    message = _sms()
    _sending(message, attempted_minutes_ago=10)
    twilio.remember(TO, "另一条短信")

    assert deliver(message.id) == "sent"
    assert deliver(message.id) == "sent"

    assert len(twilio.posts) == 1
    assert message.attempts == 2


def test_a_send_that_may_still_be_in_flight_is_deferred_untouched(
    pg_app: Flask, twilio: MessagesApi
) -> None:
    message = _sms()
    _sending(message, attempted_minutes_ago=0.1)

    with pytest.raises(DeliveryDeferred):
        deliver(message.id)

    assert twilio.requests == []


def test_a_twilio_outage_leaves_the_message_pending_for_a_retry(
    pg_app: Flask, twilio: MessagesApi
) -> None:
    message = _sms()
    twilio.fail_with = 503

    with pytest.raises(DeliveryDeferred):
        deliver(message.id)

    db.session.refresh(message)
    assert message.state == "pending"
    assert message.last_error is not None and "503" in message.last_error
    assert deliver(message.id) == "sent"
    assert len(twilio.posts) == 2


def test_a_request_twilio_refuses_fails_for_good_without_a_retry(
    pg_app: Flask, twilio: MessagesApi
) -> None:
    message = _sms()
    twilio.fail_with = 400

    assert deliver(message.id) == "failed"
    assert deliver(message.id) == "failed"
    assert len(twilio.posts) == 1


def test_a_message_already_sent_is_never_sent_again(pg_app: Flask, twilio: MessagesApi) -> None:
    message = _sms()
    assert deliver(message.id) == "sent"
    assert deliver(message.id) == "sent"
    assert len(twilio.posts) == 1


class _OneRound(threading.Event):
    """A stop event that lets a loop run exactly one round: unset when first asked, then set."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def is_set(self) -> bool:
        self.asked += 1
        return self.asked > 1


def test_a_round_of_the_relay_loop_makes_one_job_of_the_announced_rows(
    queue_redis: Redis,
) -> None:
    queue_redis.rpush(READY, 101, 102, 103)
    relay_forever(queue_redis, _OneRound())

    queue = Queue("notifications", connection=queue_redis)
    (job,) = queue.get_jobs()
    assert job.args == ([101, 102, 103],)
    assert queue_redis.llen(READY) == 0
    assert all(queue_redis.exists(marker(i)) for i in (101, 102, 103))


def test_the_relay_thread_ends_when_it_is_stopped(queue_redis: Redis) -> None:
    thread, stop = start_relay_thread(queue_redis)
    stop.set()
    thread.join()  # the loop checks its stop event after each wait for announcements
    assert not thread.is_alive()
