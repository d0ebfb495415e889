"""Every webhook test runs with an auth token configured, and no proxy unless it says so."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.twilio_support import AUTH_TOKEN


@pytest.fixture
def twilio_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    monkeypatch.setitem(app.config, "AGENT_NUMBER", None)
    return app
