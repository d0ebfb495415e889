"""Fixtures for the deadline tests: a clean domain cache around each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from hotline.domain import reset_domain


@pytest.fixture
def fresh_domain(app: Flask) -> Iterator[Flask]:
    """The app with its cached rules forgotten before and after: a schedule loaded in a
    rolled-back test must not outlive it."""
    reset_domain(app)
    yield app
    reset_domain(app)
