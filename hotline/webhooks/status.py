"""`POST /webhooks/twilio/status`: Twilio reports what became of an SMS we sent."""

from __future__ import annotations

from flask import Response
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage
from hotline.transaction import commit
from hotline.webhooks import blueprint
from hotline.webhooks.twilio_request import parse, plain, twilio_webhook

# Callbacks can arrive out of order: a late "sent" must not overwrite "delivered".
PROGRESS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}


class StatusForm(Schema):
    class Meta:
        unknown = EXCLUDE

    sid = fields.String(data_key="MessageSid", required=True)
    status = fields.String(data_key="MessageStatus", required=True)
    error_code = fields.String(data_key="ErrorCode", load_default="")


def advances(current: str | None, new: str) -> bool:
    if current is None:
        return True
    return PROGRESS.get(new, 0) >= PROGRESS.get(current, 0)


@blueprint.post("/twilio/status")
@twilio_webhook
def twilio_status() -> Response:
    form = parse(StatusForm())
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_id == form["sid"])
    ).first()
    # Unknown ids (a message sent by another system on the account) are acknowledged and ignored.
    if message is not None and advances(message.delivery_status, form["status"]):
        message.delivery_status = form["status"][:32]
        if form["error_code"]:
            message.last_error = f"Twilio error {form['error_code']}"
        commit()
    return plain(200, "")
