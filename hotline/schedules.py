"""Official holiday schedules loaded by an administrator: stored, read into the calendar, and
the provisional due times they settle recomputed."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import OfficialSchedule, Ticket
from routing.calendar import CalendarNotCovered, ScheduleError, YearSchedule, check_schedule

log = logging.getLogger(__name__)

_YEAR = re.compile(r"[0-9]{4}")


def parse_schedule_document(raw: object, source: str = "") -> dict[int, YearSchedule]:
    """Validate `{"2027": {"holidays": {...}, "makeup_workdays": {...}}}`; raise ScheduleError."""
    where = f"（{source}）" if source else ""
    if not isinstance(raw, Mapping) or not raw:
        raise ScheduleError(f"放假安排{where}必须是以年份为键的非空对象")
    schedules: dict[int, YearSchedule] = {}
    for key, value in raw.items():
        # A year in ASCII digits: str.isdigit() also accepts "²⁰²⁷", which int() refuses.
        if not _YEAR.fullmatch(str(key)) or not isinstance(value, Mapping):
            raise ScheduleError(f"放假安排{where}中的 {key!r} 不是“年份: 安排”")
        schedules[int(key)] = check_schedule(YearSchedule.from_json_dict(int(key), value))
    return dict(sorted(schedules.items()))


def read_schedule_file(path: Path) -> dict[int, YearSchedule]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScheduleError(f"放假安排文件 {path.name} 不是合法的 JSON：{exc}") from None
    return parse_schedule_document(raw, path.name)


def stored_schedules(session: DbSession) -> dict[int, YearSchedule]:
    """Every schedule an administrator loaded, by year (these win over the packaged data)."""
    rows = session.scalars(select(OfficialSchedule).order_by(OfficialSchedule.year))
    return {row.year: YearSchedule.from_json_dict(row.year, row.schedule) for row in rows}


def store_schedules(
    session: DbSession, schedules: Mapping[int, YearSchedule], *, source: str, loaded_by: str
) -> None:
    """Insert or replace the rows for these years; flushes, the caller commits."""
    for year, schedule in schedules.items():
        row = session.get(OfficialSchedule, year)
        if row is None:
            row = OfficialSchedule(year=year)
            session.add(row)
        row.schedule = schedule.to_json_dict()
        row.source = source
        row.loaded_by = loaded_by
        row.loaded_at = utcnow()
    session.flush()


@dataclass
class RecomputeReport:
    """What `recompute_provisional` did: tickets changed, still provisional, or not computable."""

    recomputed: list[int] = field(default_factory=list)
    still_provisional: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def recompute_provisional(
    session: DbSession, *, at: datetime | None = None, reason: str = ""
) -> RecomputeReport:
    """Recompute every open ticket whose due times were provisional, with one event each.

    Uses the current domain, so call it after `reset_domain` once the new schedules are stored.
    """
    from hotline.domain import current_domain
    from hotline.lifecycle import recompute_due

    domain = current_domain()
    at = at or utcnow()
    report = RecomputeReport()
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.due_provisional.is_(True), Ticket.state != "closed")
        .order_by(Ticket.id)
    )
    for ticket in list(tickets):
        try:
            with session.begin_nested():
                recompute_due(session, ticket, domain, at=at, reason=reason)
        except CalendarNotCovered as exc:
            report.failed[ticket.id] = str(exc)
            continue
        report.recomputed.append(ticket.id)
        if ticket.due_provisional:
            report.still_provisional.append(ticket.id)
    return report


def schedule_rows(session: DbSession) -> list[dict[str, Any]]:
    """The stored schedules as plain rows, for listing."""
    return [
        {
            "year": row.year,
            "source": row.source,
            "loaded_by": row.loaded_by,
            "loaded_at": row.loaded_at,
        }
        for row in session.scalars(select(OfficialSchedule).order_by(OfficialSchedule.year))
    ]


def schedules_fingerprint(session: DbSession) -> tuple[Any, ...]:
    """Changes whenever a schedule is loaded: lets running processes notice cheaply."""
    row = session.execute(
        select(func.count(OfficialSchedule.year), func.max(OfficialSchedule.loaded_at))
    ).one()
    return (row[0], row[1])
