"""GET /healthz reports the database and the queue."""

from __future__ import annotations

from datetime import date
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
