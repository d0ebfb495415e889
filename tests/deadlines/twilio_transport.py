"""A Twilio REST transport for tests: records each request and answers like the Messages API
(create and list); everything above the HTTP layer is the real twilio Client."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "deadline-tests-auth-token"
FROM_NUMBER = "+8610012345"


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
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_HTTP_CLIENT": transport,
    }
