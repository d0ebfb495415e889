"""What every Twilio webhook shares: the form body, the `X-Twilio-Signature` check against the
URL Twilio called, absolute callback URLs and TwiML responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, request, url_for
from marshmallow import Schema, ValidationError
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

log = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"
View = TypeVar("View", bound=Callable[..., Any])


def signed_url() -> str:
    """The URL Twilio signed: behind a proxy the public base plus our path and query."""
    public: str | None = current_app.config.get("PUBLIC_URL")
    if not public:
        return request.url
    query = request.query_string.decode("latin-1")
    return public.rstrip("/") + request.path + (f"?{query}" if query else "")


def callback_url(endpoint: str) -> str:
    """An absolute URL Twilio can call back, on the public base when one is configured."""
    public: str | None = current_app.config.get("PUBLIC_URL")
    if public:
        return public.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def signature_is_valid() -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    return bool(RequestValidator(token).validate(signed_url(), request.form, signature, algorithm))


def plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def twilio_webhook(view: View) -> View:
    """Refuse anything but a form-encoded request signed with our auth token."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if request.mimetype != FORM_TYPE:
            return plain(415, f"Content-Type must be {FORM_TYPE}")
        if not signature_is_valid():
            # Without a configured token nothing can be verified, so nothing is accepted.
            log.warning("rejected a Twilio webhook with a missing or invalid signature")
            return plain(403, "invalid Twilio signature")
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]


def parse(schema: Schema) -> dict[str, Any]:
    """Load the form with `schema`; a form Twilio would never send is a 400."""
    try:
        loaded: dict[str, Any] = schema.load(request.form.to_dict())
    except ValidationError as error:
        raise BadForm(error.messages) from error
    return loaded


class BadForm(Exception):
    def __init__(self, messages: Any) -> None:
        super().__init__(str(messages))
        self.messages = messages


def twiml(document: Any) -> Response:
    return Response(str(document), mimetype="application/xml")
