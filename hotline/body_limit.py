"""Refuse a request body over MAX_CONTENT_LENGTH with 413 before any view reads it, chunked or
not, so every blueprint answers it in its own error format."""

from __future__ import annotations

from io import BytesIO
from typing import IO

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

READ_SIZE = 64 * 1024


def read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Up to `limit` bytes of `stream`; fewer only at its end. A WSGI input may return short
    reads (werkzeug's dechunker returns one chunk at a time), so read until full or empty."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        part = stream.read(min(READ_SIZE, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def refuse_oversized_body() -> None:
    """413 for a declared length over the limit, and for a streamed (chunked) body that turns out
    longer than it once read; a streamed body within the limit is put back for the view.

    Werkzeug checks Content-Length only when a view reads the body, and for a streamed body it
    reads exactly MAX_CONTENT_LENGTH bytes and stops without an error: the view would parse a
    truncated body (a cut-off JSON document, a cut-off form field) instead of refusing it.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is None:
        return
    length = request.content_length
    if length is not None:
        if length > limit:
            raise RequestEntityTooLarge()
        return
    environ = request.environ
    # Without a length, werkzeug reads a body only when the server delimits it (chunked
    # decoding in werkzeug's server and gunicorn); otherwise it reads nothing, and neither do we.
    if not environ.get("wsgi.input_terminated"):
        return
    body = read_at_most(environ["wsgi.input"], limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = BytesIO(body)


def register(app: Flask) -> None:
    app.before_request(refuse_oversized_body)
