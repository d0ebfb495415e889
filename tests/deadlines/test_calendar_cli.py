"""`flask calendar load|check|show`: loading an official schedule recomputes provisional tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OfficialSchedule, TicketEvent
from routing.statutory import statutory_holidays
from tests import factories

# Mon 2026-12-28 10:00 in Shanghai.
DECEMBER = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)

# A 2027 schedule whose New Year holiday bridges Monday Jan 4 (made up on Saturday Jan 9),
# holding every statutory holiday as a published schedule must.
OFFICIAL_2027 = {
    "2027": {
        "holidays": {
            "2027-01-01": "元旦",
            "2027-01-02": "元旦",
            "2027-01-03": "元旦",
            "2027-01-04": "元旦",
            "2027-02-05": "春节",
            "2027-02-06": "春节",
            "2027-02-07": "春节",
            "2027-02-08": "春节",
            "2027-02-09": "春节",
            "2027-04-05": "清明节",
            "2027-05-01": "劳动节",
            "2027-05-02": "劳动节",
            "2027-06-09": "端午节",
            "2027-09-15": "中秋节",
            "2027-10-01": "国庆节",
            "2027-10-02": "国庆节",
            "2027-10-03": "国庆节",
        },
        "makeup_workdays": {"2027-01-09": "元旦"},
    }
}


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_loading_the_official_schedule_recomputes_a_december_ticket_due_in_january(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    ticket = factories.dispatched(at=DECEMBER)
    assert ticket.handle_due_at == datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC)
    assert ticket.due_provisional is True

    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(_write(tmp_path, OFFICIAL_2027)), "--loaded-by", "admin"]
    )

    assert result.exit_code == 0, result.output
    db.session.refresh(ticket)
    # Dec 29, 30, 31, then Jan 4 is now a holiday: Jan 5 and Jan 6.
    assert ticket.handle_due_at == datetime(2027, 1, 6, 15, 59, 59, tzinfo=UTC)
    assert ticket.due_provisional is False
    event = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "recompute_due"
        )
    ).one()
    assert event.actor_role == "system"
    assert event.payload["changes"]["handle_due_at"] == {
        "old": "2027-01-05T23:59:59+08:00",
        "new": "2027-01-06T23:59:59+08:00",
    }
    assert event.payload["provisional"] is False
    row = db.session.get(OfficialSchedule, 2027)
    assert row is not None and row.loaded_by == "admin"


def test_an_approved_extension_is_applied_again_on_the_recomputed_deadline(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    ticket = factories.dispatched(at=DECEMBER)
    from hotline import lifecycle

    lifecycle.request_extension(
        db.session, ticket, factories.LEAD, working_days=2, reason="需现场勘查", at=DECEMBER
    )
    lifecycle.decide_extension(db.session, ticket, factories.DISPATCHER, approve=True, at=DECEMBER)
    # Provisional: Jan 5 + 2 working days = Jan 7.
    assert ticket.handle_due_at == datetime(2027, 1, 7, 15, 59, 59, tzinfo=UTC)

    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(_write(tmp_path, OFFICIAL_2027))]
    )

    assert result.exit_code == 0, result.output
    db.session.refresh(ticket)
    # Official: Jan 6 + 2 working days = Jan 8.
    assert ticket.handle_due_at == datetime(2027, 1, 8, 15, 59, 59, tzinfo=UTC)


def test_a_schedule_with_a_date_of_another_year_is_refused_and_nothing_is_stored(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    document = {"2027": {"holidays": {"2026-01-01": "元旦"}}}
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(_write(tmp_path, document))]
    )
    assert result.exit_code != 0
    assert "2026" in result.output
    assert db.session.get(OfficialSchedule, 2027) is None


def test_a_schedule_that_leaves_a_gap_of_a_year_is_refused(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    statutory = {day.isoformat(): name for day, name in statutory_holidays(2029).items()}
    document = {"2029": {"holidays": statutory}}
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(_write(tmp_path, document))]
    )
    assert result.exit_code != 0
    assert "不连续" in result.output


def test_check_fails_in_december_while_the_coming_year_is_provisional(
    fresh_domain: Flask,
) -> None:
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "check", "--today", "2026-12-05"]
    )
    assert result.exit_code != 0
    assert "2027" in result.output


def test_check_fails_in_december_of_the_provisional_year_when_the_next_is_not_covered(
    fresh_domain: Flask,
) -> None:
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "check", "--today", "2027-12-15"]
    )
    assert result.exit_code != 0
    assert "2027" in result.output and "2028" in result.output and "无法计算" in result.output


def test_check_fails_all_year_while_the_current_year_is_provisional(fresh_domain: Flask) -> None:
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "check", "--today", "2027-03-01"]
    )
    assert result.exit_code != 0
    assert "2027" in result.output


def test_check_passes_before_december_and_prints_the_covered_years(fresh_domain: Flask) -> None:
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "check", "--today", "2026-11-30"]
    )
    assert result.exit_code == 0
    assert "2026" in result.output and "2027" in result.output


def test_check_passes_in_december_once_the_coming_year_is_loaded(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    runner = fresh_domain.test_cli_runner()
    runner.invoke(args=["calendar", "load", str(_write(tmp_path, OFFICIAL_2027))])
    result = runner.invoke(args=["calendar", "check", "--today", "2026-12-05"])
    assert result.exit_code == 0, result.output


def test_the_days_endpoint_reads_a_loaded_schedule(fresh_domain: Flask, tmp_path: Path) -> None:
    fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(_write(tmp_path, OFFICIAL_2027))]
    )
    response = fresh_domain.test_client().get(
        "/api/v1/calendar/days", query_string={"from": "2027-01-04", "to": "2027-01-09"}
    )
    days = response.json["days"]
    assert days[0]["reason"] == "holiday" and days[0]["provisional"] is False
    assert days[5]["reason"] == "makeup_workday"


def test_show_prints_every_day_with_its_reason(fresh_domain: Flask) -> None:
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "show", "--from", "2026-10-09", "--to", "2026-10-11"]
    )
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 3
    assert "调休上班" in lines[1] and "2026-10-10" in lines[1]
    assert "周末" in lines[2]


def test_an_implausible_schedule_is_refused_with_every_problem_and_the_calendar_keeps_new_year(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    # One holiday on a Saturday and a "make-up working day" on a Wednesday: no New Year at all.
    document = {
        "2027": {"holidays": {"2027-02-06": "春节"}, "makeup_workdays": {"2027-02-10": "春节"}}
    }
    runner = fresh_domain.test_cli_runner()
    result = runner.invoke(args=["calendar", "load", str(_write(tmp_path, document))])

    assert result.exit_code == 1
    assert "2027 年放假安排与法定节假日不符" in result.output
    assert "调休上班日 2027-02-10（周三，春节） 不是周末" in result.output
    assert "法定节假日 2027-01-01（周五，元旦） 不在假日中" in result.output
    assert db.session.get(OfficialSchedule, 2027) is None
    shown = runner.invoke(args=["calendar", "show", "--from", "2027-01-01", "--to", "2027-01-01"])
    assert "休息" in shown.output and "元旦" in shown.output


def test_a_schedule_with_an_unknown_festival_name_is_refused(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    holidays = {day.isoformat(): name for day, name in statutory_holidays(2027).items()}
    document = {"2027": {"holidays": holidays | {"2027-03-08": "妇女节"}}}
    result = fresh_domain.test_cli_runner().invoke(
        args=["calendar", "load", str(_write(tmp_path, document))]
    )
    assert result.exit_code == 1
    assert "妇女节 不是已知节日" in result.output
