"""GET /healthz: the state of the database and the job queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from hotline.extensions import db

blueprint = Blueprint("health", __name__)


def _database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as error:
        db.session.rollback()
        return False, f"unreachable: {type(error).__name__}"


def _queue() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "inline"
    from workers.queues import redis_connection

    try:
        redis_connection().ping()
        return "ok"
    except Exception as error:
        return f"unreachable: {type(error).__name__}"


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    db_ok, db_state = _database()
    queue_state = _queue()
    body: dict[str, Any] = {
        "status": "ok" if db_ok else "unavailable",
        "database": db_state,
        "queue": queue_state,
    }
    from hotline.calendar_status import calendar_warnings

    warnings = calendar_warnings()
    if warnings:
        body["warnings"] = warnings
    return jsonify(body), 200 if db_ok else 503
