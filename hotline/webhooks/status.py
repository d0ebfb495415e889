"""`/webhooks/twilio/status`: Twilio reports what became of an SMS we sent."""

from __future__ import annotations

from flask import Response, request
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import MAX_ROW_ID, OutboxMessage
from hotline.sms import advances
from hotline.transaction import commit
from hotline.webhooks import blueprint
from hotline.webhooks.twilio_request import METHODS, parse, plain, sid_field, twilio_webhook


class StatusForm(Schema):
    class Meta:
        unknown = EXCLUDE

    sid = sid_field("MessageSid")
    status = fields.String(data_key="MessageStatus", required=True)
    error_code = fields.String(data_key="ErrorCode", load_default="")


STATUS_FORM = StatusForm()


@blueprint.route("/twilio/status", methods=METHODS)
@twilio_webhook
def twilio_status() -> Response:
    form = parse(STATUS_FORM)
    status = form["status"].strip().lower()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_id == form["sid"])
    ).first()
    reference = request.args.get("outbox", "")
    if (
        message is None
        and reference.isascii()
        and reference.isdigit()
        and int(reference) <= MAX_ROW_ID
    ):
        # The callback came before the sending worker saved the provider's id: the URL we
        # gave Twilio names the row (and is covered by the signature).
        candidate = db.session.get(OutboxMessage, int(reference))
        # Only a row being sent, with no provider id yet, is waiting for this callback.
        if candidate is not None and candidate.state == "sending" and candidate.provider_id is None:
            candidate.provider_id = form["sid"]
            message = candidate
    # Unknown ids (a message sent by another system on the account) are acknowledged and ignored.
    if message is not None and advances(message.delivery_status, status):
        message.delivery_status = status[:32]
        if form["error_code"]:
            message.last_error = f"Twilio error {form['error_code']}"
        commit()
    return plain(200, "")
