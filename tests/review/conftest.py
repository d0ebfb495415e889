"""Fixtures for the review tests: the API tests' signed-in clients and catalogues, reused."""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401 - fixtures are found by name
    agent,
    dispatcher,
    district,
    elevator_catalogue,
    no_catalogue,
    other_unit,
)
