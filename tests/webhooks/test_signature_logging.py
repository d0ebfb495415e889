"""A refused Twilio webhook says in the log why: no secret configured, no signature, or a
signature that matches nothing; with the URL it was checked against, and never the secret."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from tests.twilio_support import AUTH_TOKEN, get_signed, post_signed

PATH = "/webhooks/twilio/sms"
CALLER = "+8613800138000"
SMS = {"MessageSid": "SM" + "7" * 32, "From": CALLER, "To": "+8610012345", "Body": "路灯坏了"}


@pytest.fixture(autouse=True)
def _logger_enabled(twilio_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # Alembic's fileConfig (the migrations the app fixture runs) disables loggers made before it.
    monkeypatch.setattr(logging.getLogger("hotline.webhooks.signature"), "disabled", False)


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "hotline.webhooks.signature" and record.levelno == logging.WARNING
    ]


def test_a_forged_signature_is_logged_as_matching_no_secret_with_the_checked_url(
    twilio_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    response = post_signed(twilio_app.test_client(), PATH, SMS, token="someone-elses-token")
    assert response.status_code == 403
    (line,) = _refusals(caplog)
    assert "matches no configured secret" in line
    assert "http://localhost/webhooks/twilio/sms" in line
    assert "no secret configured" not in line


def test_no_configured_token_is_logged_as_such_not_as_a_forgery(
    twilio_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "TWILIO_AUTH_TOKEN", None)
    caplog.set_level(logging.WARNING)
    response = post_signed(twilio_app.test_client(), PATH, SMS)
    assert response.status_code == 403
    (line,) = _refusals(caplog)
    assert "no secret configured" in line and "TWILIO_AUTH_TOKEN" in line
    assert "matches no configured secret" not in line
    assert "http://localhost/webhooks/twilio/sms" in line


def test_a_missing_signature_is_logged_as_such(
    twilio_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert twilio_app.test_client().post(PATH, data=SMS).status_code == 403
    (line,) = _refusals(caplog)
    assert "no X-Twilio-Signature header" in line


def test_the_log_never_holds_the_token_nor_what_a_get_webhook_carries_in_its_query(
    twilio_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    query = "&".join(f"{key}={value}" for key, value in SMS.items())
    response = get_signed(twilio_app.test_client(), f"{PATH}?{query}", token="wrong-token")
    assert response.status_code == 403
    (line,) = _refusals(caplog)
    assert "http://localhost/webhooks/twilio/sms?[Body,From,MessageSid,To]" in line
    assert "13800138000" not in caplog.text
    assert AUTH_TOKEN not in caplog.text and "wrong-token" not in caplog.text
