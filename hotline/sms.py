"""Sending SMS: through Twilio's Client when configured, else to the log (embedded mode)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, url_for

from hotline.phones import mask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> Sent: ...


class LogSender:
    """The embedded default: SMS are printed to the log instead of sent."""

    def send(self, to: str, body: str) -> Sent:
        # The log is read by operators who have no business with the number: masked.
        log.info("SMS to %s: %s", mask(to), body)
        return Sent(provider_id="log", status="logged")


class TwilioSender:
    def __init__(self, client: Any, from_number: str, status_callback: str | None) -> None:
        self.client = client
        self.from_number = from_number
        self.status_callback = status_callback

    def send(self, to: str, body: str) -> Sent:
        options: dict[str, Any] = {"to": to, "from_": self.from_number, "body": body}
        if self.status_callback:
            options["status_callback"] = self.status_callback
        message = self.client.messages.create(**options)
        return Sent(provider_id=str(message.sid), status=str(message.status))


def sender_for(app: Flask) -> SmsSender:
    sid = app.config.get("TWILIO_ACCOUNT_SID")
    token = app.config.get("TWILIO_AUTH_TOKEN")
    from_number = app.config.get("TWILIO_FROM_NUMBER")
    if not (sid and token and from_number):
        return LogSender()
    from twilio.rest import Client

    client = Client(sid, token, http_client=app.config.get("TWILIO_HTTP_CLIENT"))
    callback = None
    if app.config.get("PUBLIC_URL"):
        callback = app.config["PUBLIC_URL"].rstrip("/") + "/webhooks/twilio/status"
    else:
        try:
            callback = url_for("webhooks.twilio_status", _external=True)
        except RuntimeError:
            callback = None
        except Exception:
            callback = None
    return TwilioSender(client, from_number, callback)
