"""Fixtures for the catalogue tests: console users signed in by role, the integration key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import clock
from hotline.auth import credential_fingerprint, token_digest
from hotline.extensions import db
from hotline.models import ConsoleSession, User
from hotline.routing_context import invalidate
from tests.conftest import _migrated

USERNAMES = {
    "admin": "admin",
    "supervisor": "supervisor",
    "dispatcher": "dispatcher1",
    "agent": "agent1",
    "unit": "u-c-zjj",
}
API_KEY = "test-api-key"  # loaded by tests/conftest.py through load_demo
DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "hotline/demo/data/catalogue.csv"
# Entries in the demo catalogue: every row of its sheet but the header.
DEMO_ENTRIES = len(DEMO_CATALOGUE.read_text(encoding="utf-8").strip().splitlines()) - 1


@pytest.fixture
def sign_in(app: Flask, client: Any) -> Callable[[str], Any]:
    """Sign the test client in as the demo user of a role; returns the client."""

    def sign(role: str) -> Any:
        user = db.session.scalars(select(User).where(User.username == USERNAMES[role])).one()
        nonce = f"signed-in-as-{role}"
        with client.session_transaction() as session:
            # As a login writes it: a cookie without the fingerprint, or whose sign-in the
            # server does not hold, is no session.
            session["user_id"] = user.id
            session["credentials"] = credential_fingerprint(user)
            session["nonce"] = nonce
        if db.session.get(ConsoleSession, token_digest(nonce)) is None:
            now = clock.utcnow()
            db.session.add(
                ConsoleSession(
                    token_digest=token_digest(nonce),
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + app.permanent_session_lifetime,
                )
            )
            db.session.commit()  # as a login does: a failed request's rollback keeps it
        return client

    return sign


@pytest.fixture
def integration_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(autouse=True)
def forget_rolled_back_catalogues() -> Iterator[None]:
    """Tests here activate versions that the rollback removes; SQLite may reuse their ids, so the
    routing cache (keyed by version id) must not outlive the test."""
    yield
    for flask_app in _migrated.values():
        invalidate(flask_app)
