"""Warnings about the working calendar: the coming year still provisional after December 1."""

from __future__ import annotations

from datetime import date, datetime

from hotline.domain import current_domain


def coming_year_warning(today: date, provisional_year: int | None) -> str | None:
    """The warning to show on `today`, or None. Pure, so it is tested for any date."""
    if today.month == 12 and provisional_year == today.year + 1:
        return (
            f"{today.year + 1} 年的国务院放假安排尚未载入，该年的时限为临时计算（provisional）；"
            "请在公布后用 `flask --app wsgi calendar load` 载入"
        )
    return None


def calendar_warnings(today: date | None = None) -> list[str]:
    domain = current_domain()
    today = today or datetime.now(domain.tz).date()
    warning = coming_year_warning(today, domain.calendar.provisional_year)
    return [warning] if warning else []
