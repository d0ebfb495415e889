"""The event log is append-only, enforced by the database itself."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hotline.extensions import db
from tests.factories import dispatched


def test_the_database_refuses_to_update_an_event(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(
            text("UPDATE ticket_events SET action = 'forged' WHERE ticket_id = :id"),
            {"id": ticket.id},
        )


def test_the_database_refuses_to_delete_an_event(app: Flask) -> None:
    ticket = dispatched()
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(
            text("DELETE FROM ticket_events WHERE ticket_id = :id"), {"id": ticket.id}
        )
