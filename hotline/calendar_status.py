"""Warnings about the working calendar: a year the centre works in (this one, or the next one
from December 1) that is provisional or not covered at all."""

from __future__ import annotations

from datetime import date, datetime

from hotline.domain import current_domain

LOAD_HINT = "请在公布后用 `flask --app wsgi calendar load` 载入"


def year_warning(year: int, first_year: int, last_official_year: int, when: str) -> str | None:
    """Why `year` cannot be trusted, or None when its official schedule is loaded."""
    provisional_year = last_official_year + 1
    if year < first_year:
        return f"{when}（{year} 年）不在工作日历内：最早只有 {first_year} 年的放假安排"
    if year == provisional_year:
        return (
            f"{when}（{year} 年）的国务院放假安排尚未载入，该年的时限为临时计算（provisional）；"
            + LOAD_HINT
        )
    if year > provisional_year:
        return (
            f"{when}（{year} 年）无法计算时限：放假安排只载入至 {last_official_year} 年，"
            f"{provisional_year} 年为暂定；{LOAD_HINT}"
        )
    return None


def coverage_warnings(today: date, first_year: int, last_official_year: int) -> list[str]:
    """The warnings to show on `today`: this year, and from December 1 the next one. Pure, so
    it is tested for any date."""
    warnings = [year_warning(today.year, first_year, last_official_year, "今年")]
    if today.month == 12:
        warnings.append(year_warning(today.year + 1, first_year, last_official_year, "明年"))
    return [warning for warning in warnings if warning]


def calendar_warnings(today: date | None = None) -> list[str]:
    domain = current_domain()
    today = today or datetime.now(domain.tz).date()
    calendar = domain.calendar
    return coverage_warnings(today, calendar.first_year, calendar.last_official_year)
