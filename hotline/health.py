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


# More announced outbox rows than this waiting for the relay loop: is any worker running?
RELAY_BACKLOG_WARNING = 1000


def _queue() -> tuple[str, int | None]:
    """The queue's state and how many announced outbox rows wait for the relay loop."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "inline", None
    from workers.queues import redis_connection
    from workers.relay import READY

    try:
        connection = redis_connection()
        return "ok", int(connection.llen(READY))
    except Exception as error:
        return f"unreachable: {type(error).__name__}", None


def deployment_warnings() -> list[str]:
    """Settings a production deployment (a database other than the embedded SQLite) needs."""
    embedded = str(current_app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite")
    if embedded or current_app.config.get("PUBLIC_URL"):
        return []
    return [
        "未设置 HOTLINE_PUBLIC_URL：Open311 发现文档公布的地址和 Twilio 签名校验所用的地址"
        "取自请求的 Host 头（或受信代理转发的地址），请设置对外的 https 地址"
    ]


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    db_ok, db_state = _database()
    queue_state, backlog = _queue()
    body: dict[str, Any] = {
        "status": "ok" if db_ok else "unavailable",
        "database": db_state,
        "queue": queue_state,
    }
    from hotline.calendar_status import calendar_warnings

    warnings = calendar_warnings()
    if backlog is not None:
        body["relay_backlog"] = backlog
        if backlog > RELAY_BACKLOG_WARNING:
            warnings.append(
                f"{backlog} 条待发通知等待转交队列：请确认 flask worker 或 flask relay 正在运行"
            )
    warnings += deployment_warnings()
    if warnings:
        body["warnings"] = warnings
    return jsonify(body), 200 if db_ok else 503
