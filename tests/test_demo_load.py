"""`flask demo load` loads the demo city idempotently, with users and the API key."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from hotline.apikeys import find_key
from hotline.demo.loader import load_demo
from hotline.extensions import db
from hotline.models import Area, Matter, Unit, User


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Area, Matter, Unit, User)
    }


def test_loading_the_demo_city_twice_changes_nothing_the_second_time(app: Flask) -> None:
    before = counts()
    load_demo(db.session, "test-password", "test-api-key")
    db.session.flush()
    assert counts() == before
    assert before["areas"] >= 85 and before["units"] >= 40


def test_demo_users_get_the_configured_password_and_the_api_key_works(app: Flask) -> None:
    load_demo(db.session, "s3cret-demo", "demo-key-123")
    db.session.flush()
    agent = db.session.scalars(select(User).where(User.role == "agent")).first()
    assert agent is not None and check_password_hash(agent.password_hash, "s3cret-demo")
    assert find_key(db.session, "demo-key-123") is not None
    assert find_key(db.session, "wrong") is None


def test_the_demo_load_command_reports_what_it_loaded(app: Flask) -> None:
    app.config["DEMO_PASSWORD"] = "pw"
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
    finally:
        app.config["DEMO_PASSWORD"] = None
    assert result.exit_code == 0, result.output
    assert "demo city loaded" in result.output
