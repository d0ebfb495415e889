"""`flask calendar load|check|show`: the official holiday schedules."""

from __future__ import annotations

import getpass
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app

from hotline.calendar_status import calendar_warnings
from hotline.domain import current_domain, reset_domain
from hotline.extensions import db
from hotline.schedules import (
    read_schedule_file,
    recompute_provisional,
    store_schedules,
    stored_schedules,
)
from hotline.transaction import commit
from routing.calendar import (
    WEEKDAY_ZH,
    CalendarNotCovered,
    ScheduleError,
    WorkCalendar,
    load_schedules,
)

REASONS_ZH = {
    "weekday": "工作日",
    "weekend": "周末",
    "holiday": "节假日",
    "makeup_workday": "调休上班",
}


@click.group()
def calendar() -> None:
    """The working calendar (State Council holiday schedules)."""


@calendar.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--loaded-by", default=None, help="who loads it (default: the OS user)")
@click.option("--source", default=None, help="where it was published (default: the file name)")
def load(path: Path, loaded_by: str | None, source: str | None) -> None:
    """Load PATH ({"2027": {"holidays": {...}, "makeup_workdays": {...}}}), then recompute
    every open ticket whose due times were provisional."""
    try:
        schedules = read_schedule_file(path)
        # The years must join the calendar without a gap: build it before storing anything.
        stored = stored_schedules(db.session)
        WorkCalendar(schedules=load_schedules(extra={**stored, **schedules}))
    except ScheduleError as error:
        raise click.ClickException(str(error)) from None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store_schedules(
        db.session, schedules, source=source or path.name, loaded_by=loaded_by or _user()
    )
    reset_domain(app)
    report = recompute_provisional(
        db.session, reason=f"载入 {'、'.join(str(y) for y in schedules)} 年国务院放假安排"
    )
    commit()
    reset_domain(app)
    years = "、".join(str(year) for year in schedules)
    click.echo(f"已载入 {years} 年放假安排；重算 {len(report.recomputed)} 张工单的暂定时限")
    if report.still_provisional:
        click.echo(f"仍为暂定的工单 {len(report.still_provisional)} 张（涉及尚未公布的年份）")
    for ticket_id, message in report.failed.items():
        click.echo(f"工单 {ticket_id} 无法重算：{message}", err=True)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "cli"


@calendar.command("check")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
def check(today: datetime | None) -> None:
    """Exit non-zero when this year, or in December the coming one, is provisional or not
    covered: due times there are guesses, or cannot be computed at all; and when the database
    cannot be read, since the loaded schedules live there (the packaged ones alone would make
    the answer a guess, and monitors run this from cron)."""
    try:
        stored_schedules(db.session)
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(
            "无法从数据库读取已载入的国务院放假安排，日历覆盖情况无法核对："
            f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
        ) from None
    domain = current_domain()
    warnings = calendar_warnings(today.date() if today else None)
    if warnings:
        raise click.ClickException("\n".join(warnings))
    cal = domain.calendar
    click.echo(
        f"官方放假安排覆盖 {cal.first_year}–{cal.last_official_year} 年；"
        f"{cal.provisional_year} 年按法定节假日暂定"
    )


@calendar.command("show")
@click.option("--from", "from_", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
@click.option("--to", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
def show(from_: datetime, to: datetime) -> None:
    """Print every day from --from to --to: working or not, and why."""
    start, end = from_.date(), to.date()
    if end < start:
        raise click.ClickException("--to 不能早于 --from")
    try:
        infos = current_domain().calendar.days(start, end)
    except CalendarNotCovered as error:
        raise click.ClickException(str(error)) from None
    for info in infos:
        click.echo(_line(info.date, info.working, info.reason, info.holiday_name, info.provisional))


def _line(day: date, working: bool, reason: str, name: str | None, provisional: bool) -> str:
    parts = [
        day.isoformat(),
        WEEKDAY_ZH[day.weekday()],
        "上班" if working else "休息",
        REASONS_ZH[reason] + (f"（{name}）" if name else ""),
    ]
    if provisional:
        parts.append("暂定")
    return "\t".join(parts)
