"""Make SQLite behave like the production database: foreign keys on, real transactions."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


def harden(engine: Engine) -> None:
    """Enforce foreign keys and let SQLAlchemy (not pysqlite) start transactions, so that
    SAVEPOINTs and transactional DDL work the same as on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    # A request's transaction begins IMMEDIATE. Any request may write, a GET too (every view
    # of personal data goes to the audit log), and a transaction that reads and then writes,
    # begun DEFERRED, fails at once with "database is locked" when another request has written
    # meanwhile: a lock SQLite cannot upgrade. Begun IMMEDIATE it waits its turn (the busy
    # timeout) instead. The CLI and jobs keep deferred transactions.
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if has_request_context() else "BEGIN")
