"""Talking to the app as Twilio does: signed form posts, and a Twilio REST client whose HTTP
transport records each request and answers like the API (nothing else about Twilio is faked)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

AUTH_TOKEN = "test-twilio-auth-token-0123456789"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+8610012345"
LOCAL_BASE = "http://localhost"


def sign(url: str, params: Any, token: str = AUTH_TOKEN, algorithm: str | None = None) -> str:
    return str(RequestValidator(token).compute_signature(url, params, algorithm))


def post_signed(
    client: FlaskClient,
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    token: str = AUTH_TOKEN,
) -> TestResponse:
    """POST the form as Twilio would, signed for `signed_url` (default: the URL requested)."""
    url = signed_url or LOCAL_BASE + path
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(url, params, token)})


def get_signed(client: FlaskClient, path_and_query: str, token: str = AUTH_TOKEN) -> TestResponse:
    """GET as Twilio does when a URL is configured with GET: only the URL is signed."""
    signature = sign(LOCAL_BASE + path_and_query, {}, token)
    return client.get(path_and_query, headers={"X-Twilio-Signature": signature})


def post_json_signed(
    client: FlaskClient, path: str, body: dict[str, Any], token: str = AUTH_TOKEN
) -> TestResponse:
    """POST a JSON body as Twilio does: its SHA-256 in the bodySHA256 query parameter, and the
    signature over that URL alone."""
    raw = json.dumps(body, ensure_ascii=False)
    url_path = f"{path}?bodySHA256={hashlib.sha256(raw.encode()).hexdigest()}"
    return client.post(
        url_path,
        data=raw.encode(),
        content_type="application/json",
        headers={"X-Twilio-Signature": sign(LOCAL_BASE + url_path, {}, token)},
    )


@dataclass
class Recorded:
    method: str
    uri: str
    params: dict[str, Any]
    data: dict[str, Any]


class MessagesApi(HttpClient):  # type: ignore[misc]
    """Keeps the messages "sent" so that a list finds them; `fail_with` answers the next POST
    with that HTTP status instead."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.requests: list[Recorded] = []
        self.messages: list[dict[str, Any]] = []
        self.fail_with: int | None = None

    @property
    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def remember(self, to: str, body: str, from_: str = FROM_NUMBER) -> dict[str, Any]:
        message = {
            "sid": f"SM{len(self.messages) + 1:032x}",
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": from_,
            "body": body,
            "status": "sent",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
        }
        self.messages.append(message)
        return message

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        self.requests.append(Recorded(method, uri, dict(params or {}), dict(data or {})))
        if method == "POST":
            if self.fail_with is not None:
                status, self.fail_with = self.fail_with, None
                error = {"code": 20500, "message": "provider error", "status": status}
                return TwilioResponse(status, json.dumps(error))
            form = dict(data or {})
            message = self.remember(form["To"], form["Body"], form["From"])
            return TwilioResponse(201, json.dumps({**message, "status": "queued"}))
        query = dict(params or {})
        found = [
            m
            for m in self.messages
            if m["to"] == query.get("To") and m["from"] == query.get("From")
        ]
        page = {
            "messages": found,
            "meta": {"key": "messages", "next_page_url": None, "page_size": len(found)},
        }
        return TwilioResponse(200, json.dumps(page))


def twilio_config(transport: MessagesApi) -> dict[str, Any]:
    """The app config that sends SMS through a real twilio Client over `transport`."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_HTTP_CLIENT": transport,
    }
