"""`flask calendar load` reads a year only from four ASCII digits: any other key is a clear
error naming it, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OfficialSchedule

SCHEDULE = {"holidays": {"2027-01-01": "元旦"}, "makeup_workdays": {}}


@pytest.mark.parametrize("year", ["²⁰²⁷", "２０２７", "٢٠٢٧", "27", "20271"])
def test_a_year_not_written_in_four_ascii_digits_is_refused_with_a_clear_error(
    fresh_domain: Flask, tmp_path: Path, year: str
) -> None:
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps({year: SCHEDULE}, ensure_ascii=False), encoding="utf-8")
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(path), "--loaded-by", "admin"]
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"'{year}' 不是“年份: 安排”" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalars(select(OfficialSchedule)).first() is None
