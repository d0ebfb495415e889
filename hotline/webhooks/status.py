"""`/webhooks/twilio/status`: Twilio reports what became of an SMS we sent."""

from __future__ import annotations

from flask import Response
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.transaction import commit
from hotline.webhooks import blueprint
from hotline.webhooks.twilio_request import METHODS, parse, plain, twilio_webhook

# Twilio's MessageStatus values in the order a message passes through them. Callbacks can
# arrive out of order: a late "sent" must not overwrite "delivered".
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


class StatusForm(Schema):
    class Meta:
        unknown = EXCLUDE

    sid = fields.String(data_key="MessageSid", required=True)
    status = fields.String(data_key="MessageStatus", required=True)
    error_code = fields.String(data_key="ErrorCode", load_default="")


STATUS_FORM = StatusForm()


def advances(current: str | None, new: str) -> bool:
    """Whether `new` may replace `current`: never backwards, and never off a final status."""
    if not current or current == new:
        return True
    if current in FINAL:
        return new == "read" and current == "delivered"
    # A status Twilio adds later is kept, short of overwriting a final one.
    return PROGRESS.get(new, PROGRESS.get(current, 0)) >= PROGRESS.get(current, 0)


@blueprint.route("/twilio/status", methods=METHODS)
@twilio_webhook
def twilio_status() -> Response:
    form = parse(STATUS_FORM)
    status = form["status"].strip().lower()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_id == form["sid"])
    ).first()
    # Unknown ids (a message sent by another system on the account) are acknowledged and ignored.
    if message is not None and advances(message.delivery_status, status):
        message.delivery_status = status[:32]
        if form["error_code"]:
            message.last_error = f"Twilio error {form['error_code']}"
        commit()
    return plain(200, "")
