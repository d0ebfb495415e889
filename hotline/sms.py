"""Sending SMS: through Twilio's Client when configured, else to the log (embedded mode)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from flask import Flask, has_request_context

from hotline.phones import mask

log = logging.getLogger(__name__)

# How long one request to Twilio (a send, or the look-up of what was sent) may take, in seconds,
# connecting and between bytes of the answer: a provider that hangs fails the attempt, which is
# retried, instead of holding a worker until RQ kills the job.
TWILIO_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str


class SmsSender(Protocol):
    def send(self, to: str, body: str, reference: int | None = None) -> Sent: ...


class LogSender:
    """The embedded default: SMS are printed to the log instead of sent."""

    def send(self, to: str, body: str, reference: int | None = None) -> Sent:
        # The log is read by operators who have no business with the number: masked.
        log.info("SMS to %s: %s", mask(to), body)
        return Sent(provider_id="log", status="logged")


class TwilioSender:
    def __init__(self, client: Any, from_number: str, status_callback: str | None) -> None:
        self.client = client
        self.from_number = from_number
        self.status_callback = status_callback

    def send(self, to: str, body: str, reference: int | None = None) -> Sent:
        """Send; the status callback names `reference` (the outbox row), so a callback that
        comes before the provider's id is saved still finds its message."""
        options: dict[str, Any] = {"to": to, "from_": self.from_number, "body": body}
        if self.status_callback:
            options["status_callback"] = self.status_callback + (
                f"?outbox={reference}" if reference is not None else ""
            )
        message = self.client.messages.create(**options)
        return Sent(provider_id=str(message.sid), status=str(message.status))


@cache
def _say_no_public_url() -> None:
    log.warning("HOTLINE_PUBLIC_URL is not set: texts sent by workers ask for no delivery status")


def status_callback_url(app: Flask) -> str | None:
    """Where Twilio reports delivery: in a request, on the base the webhooks' signatures are
    checked against (HOTLINE_PUBLIC_URL, trusted proxies and mount point as there); in a worker,
    below HOTLINE_PUBLIC_URL. A worker without it cannot know the public address: no callback,
    said once."""
    if has_request_context():
        from hotline.webhooks.twilio_request import callback_url

        return callback_url("webhooks.twilio_status")
    if app.config.get("PUBLIC_URL"):
        # A worker knows no mount point: HOTLINE_PUBLIC_URL is the whole base (README).
        return str(app.config["PUBLIC_URL"]).rstrip("/") + "/webhooks/twilio/status"
    _say_no_public_url()
    return None


def sender_for(app: Flask) -> SmsSender:
    sid = app.config.get("TWILIO_ACCOUNT_SID")
    token = app.config.get("TWILIO_AUTH_TOKEN")
    from_number = app.config.get("TWILIO_FROM_NUMBER")
    if not (sid and token and from_number):
        return LogSender()
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    # TWILIO_HTTP_CLIENT: a transport of the caller's (the tests' recording one); by default
    # Twilio's own, with a timeout (Twilio's default waits for ever).
    http_client = app.config.get("TWILIO_HTTP_CLIENT") or TwilioHttpClient(
        timeout=TWILIO_TIMEOUT_SECONDS
    )
    client = Client(sid, token, http_client=http_client)
    return TwilioSender(client, from_number, status_callback_url(app))


# Twilio's MessageStatus values in the order a message passes through them. Callbacks can
# arrive out of order, and before the send's own answer is saved: a late "sent" or the
# answer's "queued" must not overwrite "delivered" or "failed".
PROGRESS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "receiving": 2,
    "sent": 3,
    "partially_delivered": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "received": 4,
    "read": 5,
}
# Nothing follows these but "read" (a WhatsApp message read after it was delivered).
FINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "received", "read"})


def advances(current: str | None, new: str) -> bool:
    """Whether `new` may replace `current`: never backwards, and never off a final status."""
    if not current or current == new:
        return True
    if current in FINAL:
        return new == "read" and current == "delivered"
    # A status Twilio adds later is kept, short of overwriting a final one.
    return PROGRESS.get(new, PROGRESS.get(current, 0)) >= PROGRESS.get(current, 0)
