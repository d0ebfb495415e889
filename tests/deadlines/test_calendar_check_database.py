"""`flask calendar check` runs from cron: a database it cannot read is a failure, not a pass on
the packaged schedules alone."""

from __future__ import annotations

from flask import Flask

from tests.conftest import make_test_app


def test_calendar_check_fails_when_the_database_is_unreachable() -> None:
    app = make_test_app("postgresql://nobody@127.0.0.1:1/none")
    with app.app_context():  # as `flask` gives its commands
        result = app.test_cli_runner().invoke(args=["calendar", "check", "--today", "2026-06-01"])
    assert result.exit_code != 0
    assert "无法从数据库读取" in result.output


def test_calendar_check_still_passes_on_a_readable_database(fresh_domain: Flask) -> None:
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "check", "--today", "2026-06-01"]
    )
    assert result.exit_code == 0, result.output
