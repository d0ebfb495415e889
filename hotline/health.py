"""GET /healthz: the state of the database, the job queue and the outbox, and settings an
operator should know about.

`status` is "unavailable" (503) without the database, "degraded" (200) while a configured Redis
is unreachable (intake goes on: outbox rows are relayed once it is back), else "ok" (200);
`warnings` lists what needs an operator in any case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import and_, func, select, text

from hotline.clock import utcnow
from hotline.config import sends_sms
from hotline.extensions import db
from hotline.models import OutboxMessage

blueprint = Blueprint("health", __name__)

# A row still `sending` this long after it was relayed (or became due) is past every retry
# (workers.delivery retries for about 22 minutes, then marks it failed): its worker died and
# nobody will finish it. The row has no column for when sending began, so this is measured
# from relayed_at, or available_at for a row never relayed (inline jobs).
SENDING_STUCK_AFTER = timedelta(minutes=30)
# `failed` rows are final and stay: those of the last day are the ones to warn about.
FAILED_RECENT = timedelta(days=1)


def _outbox_query() -> Any:
    """One aggregate query: failed rows (all, and of the last day) and stuck `sending` rows."""
    now = utcnow()
    failed = OutboxMessage.state == "failed"
    since = func.coalesce(OutboxMessage.relayed_at, OutboxMessage.available_at)
    return select(
        func.count().filter(failed),
        func.count().filter(and_(failed, OutboxMessage.done_at >= now - FAILED_RECENT)),
        func.count().filter(
            and_(OutboxMessage.state == "sending", since < now - SENDING_STUCK_AFTER)
        ),
    ).where(OutboxMessage.state.in_(("failed", "sending")))


def _database() -> tuple[bool, str, dict[str, int] | None]:
    """Whether the database answers, its state, and the outbox counts. The outbox query is the
    probe; only when it fails does `SELECT 1` tell an unreachable database from a missing table."""
    try:
        failed, failed_recent, stuck = db.session.execute(_outbox_query()).one()
        counts = {
            "failed": int(failed or 0),
            "failed_last_day": int(failed_recent or 0),
            "sending_stuck": int(stuck or 0),
        }
        return True, "ok", counts
    except Exception:
        db.session.rollback()
    try:
        db.session.execute(text("SELECT 1"))
        return True, "ok", None
    except Exception as error:
        db.session.rollback()
        return False, f"unreachable: {type(error).__name__}", None


def outbox_warnings(counts: dict[str, int] | None) -> list[str]:
    if counts is None:
        return ["无法读取 outbox 表：数据库迁移是否已执行（flask db upgrade）？"]
    warnings = []
    if counts["failed_last_day"]:
        warnings.append(
            f"最近 24 小时有 {counts['failed_last_day']} 条通知发送失败（outbox 状态 failed，"
            "原因见 last_error）：需人工处理，改用其他方式联系"
        )
    if counts["sending_stuck"]:
        minutes = int(SENDING_STUCK_AFTER.total_seconds() // 60)
        warnings.append(
            f"{counts['sending_stuck']} 条通知处于 sending 状态已超过 {minutes} 分钟"
            "（发送进程可能中断）：请核对 Twilio 发送记录后人工处理"
        )
    return warnings


def twilio_warnings() -> list[str]:
    """Twilio settings that make the hotline deaf or mute (hotline.config refuses the rest)."""
    config = current_app.config
    warnings = []
    if not config.get("TWILIO_AUTH_TOKEN"):
        warnings.append(
            "未设置 TWILIO_AUTH_TOKEN：无法校验签名，所有 Twilio 回调（短信、来电、状态回执）"
            "都被拒绝（403）"
        )
    if not sends_sms(config):
        warnings.append(
            "未设置 TWILIO_ACCOUNT_SID、TWILIO_FROM_NUMBER：外发短信只写入日志，不会真正发送"
        )
    return warnings


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
    db_ok, db_state, outbox = _database()
    queue_state, backlog = _queue()
    queue_down = queue_state.startswith("unreachable")
    body: dict[str, Any] = {
        "status": "unavailable" if not db_ok else "degraded" if queue_down else "ok",
        "database": db_state,
        "queue": queue_state,
    }
    from hotline.calendar_status import calendar_warnings

    warnings = calendar_warnings()
    if queue_down:
        warnings.append(
            f"REDIS_URL 已配置但 Redis 不可达（{queue_state}）：受理照常，通知与后台任务"
            "暂不执行，Redis 恢复后由 flask relay / flask worker 补发"
        )
    if db_ok:
        if outbox is not None:
            body["outbox"] = outbox
        warnings += outbox_warnings(outbox)
    if backlog is not None:
        body["relay_backlog"] = backlog
        if backlog > RELAY_BACKLOG_WARNING:
            warnings.append(
                f"{backlog} 条待发通知等待转交队列：请确认 flask worker 或 flask relay 正在运行"
            )
    warnings += deployment_warnings()
    warnings += twilio_warnings()
    if warnings:
        body["warnings"] = warnings
    return jsonify(body), 200 if db_ok else 503
