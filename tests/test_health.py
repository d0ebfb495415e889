"""GET /healthz reports the database and the queue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from hotline.calendar_status import coverage_warnings
from hotline.health import RELAY_BACKLOG_WARNING
from tests.conftest import make_test_app
from workers.relay import READY


def test_health_is_ok_with_an_inline_queue_in_the_embedded_default(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["queue"] == "inline"


def test_health_reports_redis_when_a_queue_is_configured(app: Flask, redis_url: str) -> None:
    app.config["REDIS_URL"] = redis_url
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.config["REDIS_URL"] = None
    assert response.json["queue"] == "ok"
    assert isinstance(response.json["relay_backlog"], int)


def test_health_warns_when_announced_outbox_rows_pile_up_unrelayed(
    app: Flask, redis_url: str
) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/11"
    connection = Redis.from_url(url)
    connection.delete(READY)
    connection.rpush(READY, *range(RELAY_BACKLOG_WARNING + 1))
    app.config["REDIS_URL"] = url
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.config["REDIS_URL"] = None
        connection.delete(READY)
    assert response.json["relay_backlog"] == RELAY_BACKLOG_WARNING + 1
    assert any("flask relay" in warning for warning in response.json["warnings"])


def test_health_is_503_when_the_database_is_unreachable() -> None:
    app = make_test_app("postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"].startswith("unreachable")


def test_the_coming_year_warning_appears_only_in_december_while_it_is_provisional() -> None:
    # Official schedules 2020-2026: 2027 is provisional.
    assert coverage_warnings(date(2026, 11, 30), 2020, 2026) == []
    assert len(coverage_warnings(date(2026, 12, 1), 2020, 2026)) == 1
    assert coverage_warnings(date(2026, 12, 1), 2020, 2027) == []


def test_a_provisional_current_year_is_a_warning_all_year() -> None:
    (warning,) = coverage_warnings(date(2027, 6, 1), 2020, 2026)
    assert "2027" in warning and "provisional" in warning


def test_in_december_of_the_provisional_year_the_uncomputable_next_year_is_a_warning() -> None:
    warnings = coverage_warnings(date(2027, 12, 15), 2020, 2026)
    assert len(warnings) == 2
    assert "2028" in warnings[1] and "无法计算" in warnings[1]


def test_a_year_outside_the_calendar_is_a_warning() -> None:
    assert "不在工作日历内" in coverage_warnings(date(2019, 5, 1), 2020, 2026)[0]
    assert "无法计算" in coverage_warnings(date(2029, 5, 1), 2020, 2026)[0]


def test_a_deployment_on_a_real_database_without_a_public_url_is_warned(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SQLALCHEMY_DATABASE_URI", "postgresql://db.internal/hotline")
    monkeypatch.setitem(app.config, "PUBLIC_URL", None)
    warned = app.test_client().get("/healthz").json.get("warnings", [])
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://12345.yunjiang.gov.cn")
    configured = app.test_client().get("/healthz").json.get("warnings", [])
    assert any("HOTLINE_PUBLIC_URL" in warning for warning in warned)
    assert not any("HOTLINE_PUBLIC_URL" in warning for warning in configured)


def test_an_unreachable_redis_is_a_degraded_warning_not_ok(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Intake goes on during a Redis outage (rows are relayed later): 200, but not "ok".
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["queue"].startswith("unreachable")
    assert any("REDIS_URL" in warning for warning in response.json["warnings"])


def test_a_reachable_redis_is_ok(
    app: Flask, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    body = app.test_client().get("/healthz").json
    assert body["status"] == "ok"
    assert not any("REDIS_URL" in warning for warning in body.get("warnings", []))


def _outbox_row(key: str, state: str, **values: Any) -> None:
    from hotline.extensions import db
    from hotline.models import OutboxMessage

    db.session.add(
        OutboxMessage(kind="sms", idempotency_key=key, payload={}, state=state, **values)
    )
    db.session.flush()


def test_outbox_rows_that_need_an_operator_are_counted_and_warned(app: Flask) -> None:
    from hotline.clock import utcnow

    now = utcnow()
    hour_ago, week_ago = now - timedelta(hours=1), now - timedelta(days=7)
    _outbox_row("health-failed-now", "failed", done_at=now)
    _outbox_row("health-failed-old", "failed", done_at=week_ago, available_at=week_ago)
    _outbox_row("health-stuck", "sending", relayed_at=hour_ago, available_at=hour_ago)
    _outbox_row("health-stuck-inline", "sending", available_at=hour_ago)
    _outbox_row("health-in-flight", "sending", relayed_at=now, available_at=now)
    _outbox_row("health-pending", "pending", available_at=hour_ago)
    _outbox_row("health-sent", "sent", relayed_at=hour_ago, available_at=hour_ago, done_at=now)
    body = app.test_client().get("/healthz").json
    assert body["outbox"] == {"failed": 2, "failed_last_day": 1, "sending_stuck": 2}
    assert any("1 条通知发送失败" in warning for warning in body["warnings"])
    assert any("2 条通知处于 sending" in warning for warning in body["warnings"])
    assert body["status"] == "ok"


def test_an_outbox_without_trouble_gives_no_outbox_warning(app: Flask) -> None:
    body = app.test_client().get("/healthz").json
    assert body["outbox"] == {"failed": 0, "failed_last_day": 0, "sending_stuck": 0}
    assert not any(
        "outbox" in warning or "sending" in warning for warning in body.get("warnings", [])
    )


@pytest.mark.parametrize(
    ("twilio", "token_warned", "log_warned"),
    [
        ({}, True, True),
        ({"TWILIO_AUTH_TOKEN": "t"}, False, True),  # inbound only: SMS to the log
        (
            {
                "TWILIO_ACCOUNT_SID": "AC1",
                "TWILIO_AUTH_TOKEN": "t",
                "TWILIO_FROM_NUMBER": "+8610012345",
            },
            False,
            False,
        ),
    ],
)
def test_twilio_settings_that_refuse_webhooks_or_keep_sms_in_the_log_are_warned(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    twilio: dict[str, str],
    token_warned: bool,
    log_warned: bool,
) -> None:
    for key in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"):
        monkeypatch.setitem(app.config, key, twilio.get(key))
    warnings = app.test_client().get("/healthz").json.get("warnings", [])
    assert any("TWILIO_AUTH_TOKEN" in warning for warning in warnings) == token_warned
    assert any("写入日志" in warning for warning in warnings) == log_warned
