"""A body over MAX_CONTENT_LENGTH is a 413 on every endpoint, in that endpoint's error format,
also when it is streamed (Transfer-Encoding: chunked, no Content-Length)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.api.conftest import API_KEY, ELEVATOR
from tests.open311.helpers import post_body

LIMIT = 1024


@pytest.fixture
def small_limit(pg_app: Flask) -> Iterator[Flask]:
    pg_app.config["MAX_CONTENT_LENGTH"] = LIMIT
    try:
        yield pg_app
    finally:
        pg_app.config["MAX_CONTENT_LENGTH"] = 256 * 1024


@pytest.fixture
def server(small_limit: Flask) -> Iterator[BaseWSGIServer]:
    """The app behind werkzeug's development server (`make run`), which decodes chunked bodies
    itself and marks them wsgi.input_terminated, as gunicorn does."""
    wsgi = make_server("127.0.0.1", 0, small_limit)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    try:
        yield wsgi
    finally:
        wsgi.shutdown()
        thread.join()


def post_chunked(
    server: BaseWSGIServer, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str, str]:
    """POST `body` in 500-byte chunks with no Content-Length; (status, content type, text)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port)
    try:
        chunks = (body[i : i + 500] for i in range(0, len(body), 500))
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


def test_a_chunked_json_body_over_the_limit_is_413_and_not_parsed_truncated(
    server: BaseWSGIServer,
) -> None:
    # Cut at the limit, "{}" and spaces is still valid JSON: it must not be read that way.
    body = b"{}" + b" " * (3 * LIMIT)
    headers = {"Content-Type": "application/json", **API_KEY}
    status, content_type, text = post_chunked(server, "/api/v1/tickets", body, headers)
    assert status == 413
    assert content_type.startswith("application/json")
    assert '"request_entity_too_large"' in text and "请求体过大" in text


def test_a_chunked_open311_form_over_the_limit_is_413_in_the_spec_format(
    server: BaseWSGIServer,
) -> None:
    body = urlencode(post_body(description="长" * 2000)).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, text = post_chunked(server, "/open311/v2/requests.json", body, headers)
    assert status == 413
    assert "请求内容过大" in text


def test_a_chunked_twilio_webhook_over_the_limit_is_413(server: BaseWSGIServer) -> None:
    body = urlencode({"From": "+8613800138000", "Body": "x" * (3 * LIMIT)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = post_chunked(server, "/webhooks/twilio/sms", body, headers)
    assert status == 413


def test_a_declared_length_over_the_limit_is_413_even_where_the_body_is_never_read(
    small_limit: Flask,
) -> None:
    response = small_limit.test_client().get("/healthz", data=b"x" * (LIMIT + 1))
    assert response.status_code == 413


def _post_streamed(app: Flask, body: bytes) -> Any:
    # What a server that decodes chunked bodies hands over: a delimited stream, no length.
    return app.test_client().post(
        "/api/v1/tickets",
        input_stream=BytesIO(body),
        content_type="application/json",
        headers=API_KEY,
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_streamed_body_within_the_limit_is_read_whole(pg_app: Flask) -> None:
    body = json.dumps(ELEVATOR, ensure_ascii=False).encode()
    response = _post_streamed(pg_app, body + b" " * 1000)
    assert response.status_code == 201, response.get_json()


def test_a_streamed_body_of_exactly_the_limit_is_accepted(small_limit: Flask) -> None:
    response = _post_streamed(small_limit, b"[]" + b" " * (LIMIT - 2))
    assert response.status_code == 400  # read whole: a JSON array, not an object
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_streamed_body_one_byte_over_the_limit_is_413(small_limit: Flask) -> None:
    response = _post_streamed(small_limit, b"[]" + b" " * (LIMIT - 1))
    assert response.status_code == 413
