"""`/webhooks/twilio/sms`: a text becomes a ticket (or joins one); the reply is TwiML."""

from __future__ import annotations

from flask import Response
from marshmallow import EXCLUDE, Schema, fields
from twilio.twiml.messaging_response import MessagingResponse

from hotline import conversations, opt_outs
from hotline.extensions import db
from hotline.phones import phone_key, sender_number
from hotline.sms_keywords import Keyword, answered_by_twilio, blocked_by_twilio, keyword_of
from hotline.transaction import commit
from hotline.webhooks import blueprint
from hotline.webhooks.inbound import claim, find, record_reply
from hotline.webhooks.twilio_request import (
    METHODS,
    parse,
    plain,
    raw_params,
    sid_field,
    twilio_webhook,
)

MAX_MEDIA = 10  # Twilio sends at most ten MediaUrlN fields


class SmsForm(Schema):
    class Meta:
        unknown = EXCLUDE

    sid = sid_field("MessageSid")
    account_sid = fields.String(data_key="AccountSid", load_default="")
    sender = fields.String(data_key="From", required=True)
    to = fields.String(data_key="To", load_default="")
    body = fields.String(data_key="Body", load_default="")
    num_media = fields.Integer(data_key="NumMedia", load_default=0)
    opt_out_type = fields.String(data_key="OptOutType", load_default="")


SMS_FORM = SmsForm()  # built once: a schema deep-copies its fields on every construction


def media_urls(form: dict[str, str], count: int) -> tuple[str, ...]:
    return tuple(
        form[f"MediaUrl{i}"] for i in range(min(count, MAX_MEDIA)) if form.get(f"MediaUrl{i}")
    )


def messaging_twiml(text: str) -> str:
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def replay(sid: str) -> Response:
    stored = find(db.session, sid)
    if stored is None:
        # The competing request rolled back: Twilio's retry will find the row free.
        return plain(503, "message is being processed; retry")
    return Response(stored.reply, mimetype="application/xml")


def keyword_reply(keyword: Keyword, form: dict[str, str]) -> conversations.SmsReply:
    """Unsubscribe and subscribe take effect here, whoever answers; the reply is ours only for
    the words Twilio does not answer itself (退订, TD, 订阅): a second one would repeat it."""
    key = phone_key(sender_number(form["sender"]))
    ours = not answered_by_twilio(form["body"], form["opt_out_type"])
    word = form["opt_out_type"] or form["body"].strip()
    if keyword is Keyword.STOP:
        reply = conversations.opt_out(db.session, key, word, form["sid"])
        return reply if ours else conversations.SmsReply("", reply.outcome)
    if keyword is Keyword.START:
        stopped_with = opt_outs.keyword(db.session, key) if key is not None else None
        if ours and stopped_with is not None and blocked_by_twilio(stopped_with):
            # Twilio still blocks the number for its STOP: only its own START lifts that.
            return conversations.SmsReply(conversations.START_NEEDED, "opt_in_refused")
        if key is not None:
            opt_outs.clear(db.session, key)
        return conversations.SmsReply(conversations.OPTED_IN if ours else "", "opt_in")
    return conversations.SmsReply("", f"keyword_{keyword.value.lower()}")


@blueprint.route("/twilio/sms", methods=METHODS)
@twilio_webhook
def twilio_sms() -> Response:
    raw = raw_params()
    form = parse(SMS_FORM)
    row = claim(
        db.session,
        form["sid"],
        "sms",
        from_number=form["sender"],
        to_number=form["to"],
        body=form["body"],
        payload=raw,
    )
    if row is None:
        return replay(form["sid"])
    keyword = keyword_of(form["body"], form["opt_out_type"])
    if keyword is not None:
        reply = keyword_reply(keyword, form)
    else:
        reply = conversations.receive(
            db.session,
            conversations.InboundSms(
                sid=form["sid"],
                sender=form["sender"],
                body=form["body"],
                media_urls=media_urls(raw, form["num_media"]),
            ),
        )
    twiml = messaging_twiml(reply.text)
    record_reply(db.session, row, twiml, reply.outcome, reply.ticket)
    commit()
    return Response(twiml, mimetype="application/xml")  # not row.reply: a re-read after commit
