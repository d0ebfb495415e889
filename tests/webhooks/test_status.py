"""Delivery status callbacks update the outbox row of the SMS Twilio reports on."""

from __future__ import annotations

import pytest
from flask import Flask

from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.sms import Sent, sender_for
from tests.twilio_support import (
    ACCOUNT_SID,
    MessagesApi,
    post_signed,
    twilio_config,
)
from workers.delivery import _finish, deliver

PATH = "/webhooks/twilio/status"


def sent_message(provider_id: str, status: str = "queued") -> OutboxMessage:
    message = OutboxMessage(
        kind="sms",
        idempotency_key=f"test:{provider_id}",
        payload={"to": "+8613800138000", "body": "测试"},
        state="sent",
        provider_id=provider_id,
        delivery_status=status,
    )
    db.session.add(message)
    db.session.flush()
    return message


def unsent_message(state: str) -> OutboxMessage:
    """A row with no provider id yet, committed as a worker would have left it."""
    message = OutboxMessage(
        kind="sms",
        idempotency_key=f"test:{state}-row",
        payload={"to": "+8613800138000", "body": "测试"},
        state=state,
    )
    db.session.add(message)
    db.session.commit()
    db.session.info.clear()  # written by the worker's session: nothing for this one to relay
    return message


def status(sid: str, value: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "MessageStatus": value,
        "SmsStatus": value,
    } | extra


def test_a_delivered_callback_updates_the_message_twilio_sent(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = MessagesApi()
    for key, value in twilio_config(transport).items():
        monkeypatch.setitem(twilio_app.config, key, value)
    sent = sender_for(twilio_app).send("+8613800138000", "【12345】测试短信")
    [request] = transport.requests
    assert request.method == "POST"
    assert request.data is not None and request.data["To"] == "+8613800138000"
    message = sent_message(sent.provider_id, sent.status)

    response = post_signed(twilio_app.test_client(), PATH, status(sent.provider_id, "delivered"))
    assert response.status_code == 200
    assert message.delivery_status == "delivered"
    assert message.last_error is None


def test_an_undelivered_callback_keeps_the_error_code(twilio_app: Flask) -> None:
    message = sent_message("SM" + "a" * 32)
    post_signed(
        twilio_app.test_client(),
        PATH,
        status("SM" + "a" * 32, "undelivered", ErrorCode="30003"),
    )
    assert message.delivery_status == "undelivered"
    assert message.last_error is not None and "30003" in message.last_error


def test_a_late_sent_callback_does_not_undo_delivered(twilio_app: Flask) -> None:
    message = sent_message("SM" + "b" * 32, "delivered")
    post_signed(twilio_app.test_client(), PATH, status("SM" + "b" * 32, "sent"))
    assert message.delivery_status == "delivered"


def test_a_callback_for_an_unknown_message_is_acknowledged_and_ignored(twilio_app: Flask) -> None:
    response = post_signed(twilio_app.test_client(), PATH, status("SM" + "c" * 32, "delivered"))
    assert response.status_code == 200


def test_an_unsigned_status_callback_is_refused(twilio_app: Flask) -> None:
    message = sent_message("SM" + "d" * 32)
    response = twilio_app.test_client().post(PATH, data=status("SM" + "d" * 32, "failed"))
    assert response.status_code == 403
    assert message.delivery_status == "queued"


def _send_through_the_worker(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch, public_url: str | None
) -> tuple[MessagesApi, OutboxMessage]:
    transport = MessagesApi()
    for key, value in twilio_config(transport).items():
        monkeypatch.setitem(twilio_app.config, key, value)
    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", public_url)
    message = OutboxMessage(
        kind="sms",
        idempotency_key="test:callback-url",
        payload={"to": "+8613800138000", "body": "【12345】测试短信"},
    )
    db.session.add(message)
    db.session.commit()
    assert deliver(message.id) == "sent"
    return transport, message


def test_a_text_sent_by_a_worker_asks_twilio_to_report_on_its_outbox_row(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport, message = _send_through_the_worker(
        twilio_app, monkeypatch, "https://gov.example.cn/12345"
    )
    [request] = transport.requests
    assert request.data is not None
    assert request.data["StatusCallback"] == (
        f"https://gov.example.cn/12345/webhooks/twilio/status?outbox={message.id}"
    )


def test_a_worker_without_a_public_url_asks_for_no_status_rather_than_a_wrong_address(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport, _ = _send_through_the_worker(twilio_app, monkeypatch, None)
    [request] = transport.requests
    assert request.data is not None
    assert "StatusCallback" not in request.data


def test_a_callback_before_the_provider_id_is_saved_finds_its_row_by_the_outbox_id(
    twilio_app: Flask,
) -> None:
    # As the worker leaves it while Twilio's answer is on its way: committed as sending.
    message = unsent_message("sending")
    sid = "SM" + "e" * 32
    path = f"{PATH}?outbox={message.id}"
    response = post_signed(twilio_app.test_client(), path, status(sid, "failed", ErrorCode="30006"))
    assert response.status_code == 200
    assert message.provider_id == sid
    assert message.delivery_status == "failed"


def test_the_send_answer_after_an_early_failed_callback_keeps_the_failure(
    twilio_app: Flask,
) -> None:
    message = sent_message("SM" + "f" * 32, "failed")
    message.state = "sending"
    db.session.commit()
    _finish(message, Sent(provider_id="SM" + "f" * 32, status="queued"))
    assert message.delivery_status == "failed"


def test_a_callback_naming_another_messages_row_changes_nothing(twilio_app: Flask) -> None:
    other = sent_message("SM" + "1" * 32, "sent")
    path = f"{PATH}?outbox={other.id}"
    post_signed(twilio_app.test_client(), path, status("SM" + "2" * 32, "failed"))
    assert other.provider_id == "SM" + "1" * 32
    assert other.delivery_status == "sent"


def test_a_callback_naming_a_row_that_is_not_being_sent_changes_nothing(
    twilio_app: Flask,
) -> None:
    skipped = unsent_message("skipped")
    path = f"{PATH}?outbox={skipped.id}"
    post_signed(twilio_app.test_client(), path, status("SM" + "3" * 32, "delivered"))
    assert skipped.provider_id is None
    assert skipped.delivery_status is None


def test_in_a_request_the_status_callback_keeps_the_mount_of_a_host_only_public_url(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.sms import status_callback_url

    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", "https://gov.example.cn")
    with twilio_app.test_request_context(
        "/webhooks/twilio/sms", environ_overrides={"SCRIPT_NAME": "/hotline"}
    ):
        assert status_callback_url(twilio_app) == (
            "https://gov.example.cn/hotline/webhooks/twilio/status"
        )


def test_a_callback_naming_an_outbox_id_beyond_any_row_is_acknowledged_and_ignored(
    twilio_app: Flask,
) -> None:
    path = f"{PATH}?outbox={'9' * 20}"
    response = post_signed(twilio_app.test_client(), path, status("SM" + "4" * 32, "delivered"))
    assert response.status_code == 200
    assert db.session.query(OutboxMessage).count() == 0
