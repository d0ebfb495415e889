"""Talking to the app as Twilio does: signed form posts, and a Twilio REST client whose HTTP
transport records each request and answers like the API (nothing else about Twilio is faked)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

AUTH_TOKEN = "test-twilio-auth-token-0123456789"
ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+8610012345"
LOCAL_BASE = "http://localhost"


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


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


@dataclass
class RecordedRequest:
    method: str
    url: str
    params: dict[str, Any] | None
    data: dict[str, Any] | None


class RecordingHttpClient(HttpClient):  # type: ignore[misc]
    """A `twilio.rest.Client` transport that records requests and returns a created Message."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.requests: list[RecordedRequest] = []

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
        self.requests.append(RecordedRequest(method, uri, params, data))
        number = len(self.requests)
        sid = f"SM{number:032x}"
        body = dict(data or {})
        message = {
            "sid": sid,
            "account_sid": urlsplit(uri).path.split("/")[3] if "/Accounts/" in uri else "",
            "to": body.get("To"),
            "from": body.get("From"),
            "body": body.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        return TwilioResponse(201, json.dumps(message))
