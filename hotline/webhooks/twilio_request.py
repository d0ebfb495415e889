"""What every Twilio webhook shares: the signature check, the parameters Twilio sent (a form
POST, a JSON body or a GET query), absolute callback URLs and TwiML responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, request, url_for
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from hotline import json_documents
from hotline.control_characters import without_controls
from hotline.webhooks.signature import JSON_TYPE, base_url, below_base, signature_is_valid

log = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"
# Twilio can be told to call the SMS and voice URLs with GET (the parameters in the query).
METHODS = ("GET", "POST")
View = TypeVar("View", bound=Callable[..., Any])


def callback_url(endpoint: str) -> str:
    """An absolute URL Twilio can call back, on the same base the signature is checked against."""
    return base_url() + below_base(url_for(endpoint)[len(request.script_root) :])


def plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def twilio_webhook(view: View) -> View:
    """Refuse anything Twilio did not sign with our secret, then anything it would not send."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        # Checked first: without a configured token nothing can be verified, so nothing passes.
        if not signature_is_valid():
            log.warning("rejected a Twilio webhook with a missing or invalid signature")
            return plain(403, "Twilio 签名校验失败（X-Twilio-Signature）")
        if request.method == "POST" and request.mimetype not in (FORM_TYPE, JSON_TYPE):
            return plain(415, f"Content-Type 必须是 {FORM_TYPE} 或 {JSON_TYPE}")
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def sid_field(name: str) -> fields.String:
    """A required Twilio SID (MessageSid, CallSid): never empty, as the key that makes a retried
    webhook find its first answer; an empty one would make strangers' messages share it."""
    return fields.String(
        data_key=name, required=True, validate=validate.Regexp(r"\S", error="不能为空")
    )


def webhook_params() -> MultiDict[str, str]:
    """The parameters Twilio sent, wherever the method and content type put them, without
    control characters: an SMS cannot be sent again, so a NUL or an ESC in it is removed rather
    than refused (PostgreSQL cannot store NUL, in the inbound message as in the ticket)."""
    return MultiDict(
        (without_controls(name), without_controls(value))
        for name, value in _sent_params().items(multi=True)
    )


def _sent_params() -> MultiDict[str, str]:
    if request.method == "GET":
        return request.args
    if request.mimetype == JSON_TYPE:
        try:
            body = json_documents.request_object()
        except json_documents.UnreadableJson as error:
            raise BadForm({"_schema": [error.message]}) from None
        if body is None:
            raise BadForm({"_schema": ["a JSON webhook body must be an object"]})
        return MultiDict({str(k): "" if v is None else str(v) for k, v in body.items()})
    return request.form


def raw_params() -> dict[str, str]:
    """The parameters as stored beside an inbound message (first value of a repeated one)."""
    return webhook_params().to_dict()


def parse(schema: Schema) -> dict[str, Any]:
    """Load the parameters with `schema`; a request Twilio would never send is a 400."""
    try:
        loaded: dict[str, Any] = schema.load(raw_params())
    except ValidationError as error:
        raise BadForm(error.messages) from error
    return loaded


class BadForm(Exception):
    def __init__(self, messages: Any) -> None:
        super().__init__(str(messages))
        self.messages = messages


def twiml(document: Any) -> Response:
    return Response(str(document), mimetype="application/xml")
