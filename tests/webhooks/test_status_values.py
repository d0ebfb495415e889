"""Every MessageStatus Twilio reports, in any order: a status never goes back, and a final one
(delivered, undelivered, failed, canceled) is only ever followed by "read"."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.twilio_support import post_signed
from tests.webhooks.test_status import PATH, sent_message, status

SID = "SM" + "e" * 32
IN_ORDER = ["accepted", "scheduled", "queued", "sending", "sent", "delivered", "read"]
ALL_VALUES = [
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "read",
    "receiving",
    "received",
    "accepted",
    "scheduled",
    "canceled",
]


@pytest.mark.parametrize("value", ALL_VALUES)
def test_every_message_status_twilio_sends_is_acknowledged(twilio_app: Flask, value: str) -> None:
    message = sent_message(SID, "accepted")
    response = post_signed(twilio_app.test_client(), PATH, status(SID, value))
    assert response.status_code == 200
    assert message.delivery_status == value


def test_statuses_in_order_each_advance_the_message(twilio_app: Flask) -> None:
    message = sent_message(SID, "accepted")
    client = twilio_app.test_client()
    for value in IN_ORDER:
        post_signed(client, PATH, status(SID, value))
        assert message.delivery_status == value


@pytest.mark.parametrize(
    ("final", "late"),
    [
        ("delivered", "failed"),
        ("delivered", "undelivered"),
        ("failed", "delivered"),
        ("undelivered", "sent"),
        ("canceled", "queued"),
        ("canceled", "scheduled"),
        ("read", "delivered"),
        ("failed", "read"),
    ],
)
def test_a_late_callback_never_changes_a_final_status(
    twilio_app: Flask, final: str, late: str
) -> None:
    message = sent_message(SID, final)
    response = post_signed(twilio_app.test_client(), PATH, status(SID, late, ErrorCode="30008"))
    assert response.status_code == 200
    assert message.delivery_status == final
    assert message.last_error is None


def test_a_late_queued_does_not_undo_sending(twilio_app: Flask) -> None:
    message = sent_message(SID, "sending")
    post_signed(twilio_app.test_client(), PATH, status(SID, "queued"))
    assert message.delivery_status == "sending"


def test_a_failed_callback_keeps_its_error_code(twilio_app: Flask) -> None:
    message = sent_message(SID, "sent")
    post_signed(twilio_app.test_client(), PATH, status(SID, "failed", ErrorCode="30007"))
    assert message.delivery_status == "failed"
    assert message.last_error is not None and "30007" in message.last_error
