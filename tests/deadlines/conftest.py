"""Fixtures for the deadline tests: a clean domain cache around each test, Twilio's Client over
the recording transport, and a Redis database of the delivery tests' own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest
from flask import Flask
from redis import Redis

from hotline.domain import reset_domain
from tests.twilio_support import MessagesApi, twilio_config
from workers.jobs import bind_app


@pytest.fixture
def fresh_domain(app: Flask) -> Iterator[Flask]:
    """The app with its cached rules forgotten before and after: a schedule loaded in a
    rolled-back test must not outlive it."""
    reset_domain(app)
    yield app
    reset_domain(app)


T = TypeVar("T", bound=MessagesApi)


def install_transport(app: Flask, transport: T, monkeypatch: pytest.MonkeyPatch) -> T:
    """The app's Twilio client sends through `transport` for the test."""
    for key, value in twilio_config(transport).items():
        monkeypatch.setitem(app.config, key, value)
    return transport


@pytest.fixture
def twilio(pg_app: Flask, monkeypatch: pytest.MonkeyPatch) -> MessagesApi:
    return install_transport(pg_app, MessagesApi(), monkeypatch)


@pytest.fixture
def queue_redis(pg_app: Flask, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Redis]:
    """A Redis database of its own, so no other test's jobs run here."""
    url = redis_url.rsplit("/", 1)[0] + "/9"
    connection = Redis.from_url(url)
    connection.flushdb()
    monkeypatch.setitem(pg_app.config, "REDIS_URL", url)
    bind_app(pg_app)
    yield connection
    bind_app(None)
    connection.flushdb()
