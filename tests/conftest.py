"""Fixtures: the app on real PostgreSQL (DATABASE_URL) and on SQLite, one rolled-back
transaction per test, and real Redis (REDIS_URL) for queue tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline import create_app
from hotline.demo.loader import DATA as DEMO_DATA
from hotline.extensions import db

BACKENDS = ("postgresql", "sqlite")


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL is not set: run the suite with `make test`")
    return url


DEMO_MATTER_EXAMPLES = DEMO_DATA / "matter_examples.jsonl"


def _fresh_postgres_database(url: str, name: str) -> str:
    """Create (or recreate) a database beside the configured one, for this test session."""
    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_test_app(database_url: str, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        # Classify as `make run` does, whatever a developer's instance folder holds.
        "MATTER_EXAMPLES_PATH": str(DEMO_MATTER_EXAMPLES),
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    sqlite_path = Path(tmp_path_factory.mktemp("sqlite")) / "hotline.sqlite3"
    return {
        "postgresql": _fresh_postgres_database(postgres_url(), f"hotline_test_{worker}"),
        "sqlite": f"sqlite:///{sqlite_path}",
    }


_migrated: dict[str, Flask] = {}


def migrated_app(backend: str, urls: dict[str, str]) -> Flask:
    if backend not in _migrated:
        app = make_test_app(urls[backend])
        with app.app_context():
            upgrade()
            from hotline.demo.loader import load_demo

            load_demo(db.session, "test-password", "test-api-key")
            db.session.commit()
        _migrated[backend] = app
    return _migrated[backend]


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Iterator[Flask]:
    """The app on each backend, inside one transaction rolled back after the test."""
    flask_app = migrated_app(request.param, database_urls)
    yield from _isolated(flask_app)


@pytest.fixture
def pg_app(database_urls: dict[str, str]) -> Iterator[Flask]:
    """The app on PostgreSQL only (for what SQLite cannot show: row locks, triggers...)."""
    yield from _isolated(migrated_app("postgresql", database_urls))


class _ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's Session picks the app's engine and ignores `bind`; the test's
    connection must win, or a commit inside a test would really commit."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        if bind is not None:
            return bind
        return self.bind if self.bind is not None else super().get_bind(mapper, clause, **kw)


def _isolated(flask_app: Flask) -> Iterator[Flask]:
    with flask_app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": _ConnectionBoundSession,
            }
        )
        try:
            yield flask_app
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("REDIS_URL is not set: run the suite with `make test`")
    return url
