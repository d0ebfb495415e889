"""Statutory public holidays (全国年节及纪念日放假办法) of a year, by the revision in force.

With the compensatory days off (补假) the regulation itself requires, they make the one year
whose State Council schedule is not yet published provisional (no make-up working days); they
are what a published schedule must contain.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import chinese_calendar
import lunardate

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"
FESTIVALS = frozenset(
    {NEW_YEAR, SPRING_FESTIVAL, QINGMING, LABOUR_DAY, DRAGON_BOAT, MID_AUTUMN, NATIONAL_DAY}
)
# A compensatory day off is named after its festival: 劳动节补假.
COMPENSATORY = "补假"

# The 2024 revision (Spring Festival from New Year's Eve, 4 days; Labour Day 2 days) applies
# from 2025; the 2013 revision (Spring Festival lunar 1/1-1/3, Labour Day 1 day) 2014-2024;
# the 2007 revision (New Year's Eve, lunar 1/1-1/2, Labour Day 1 day) 2008-2013.
REVISION_2024_FROM = 2025
REVISION_2013_FROM = 2014
REVISION_2007_FROM = 2008


def lunar_to_solar(year: int, month: int, day: int) -> date:
    """The Gregorian date of a (non-leap) lunar date of lunar year `year`."""
    solar: date = lunardate.LunarDate(year, month, day).to_solar_date()
    return solar


def lunar_new_years_eve(year: int) -> date:
    """除夕: the day before lunar 1/1 of lunar year `year` (always in January or February)."""
    return lunar_to_solar(year, 1, 1) - timedelta(days=1)


def qingming(year: int) -> date:
    """The 清明 solar term date (April 4, 5 or 6)."""
    terms: list[tuple[date, str]] = chinese_calendar.get_solar_terms(
        date(year, 4, 1), date(year, 4, 10)
    )
    for day, name in terms:
        if name == "清明":
            return day
    # Fallback for years the helper does not cover: the standard C-value formula (21st century).
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - (y - 1) // 4)


def statutory_holidays(year: int) -> dict[date, str]:
    """Every statutory holiday date of `year` with its Chinese name under the revision then in
    force; overlapping festivals join. Empty before 2008 (no rules kept for those years)."""
    holidays: dict[date, str] = {}

    def add(day: date, name: str) -> None:
        if day.year != year:
            return
        holidays[day] = f"{holidays[day]}、{name}" if day in holidays else name

    if year < REVISION_2007_FROM:
        return holidays
    add(date(year, 1, 1), NEW_YEAR)
    eve = lunar_new_years_eve(year)
    if year >= REVISION_2024_FROM:
        spring = range(0, 4)
    elif year >= REVISION_2013_FROM:
        spring = range(1, 4)
    else:
        spring = range(0, 3)
    for offset in spring:
        add(eve + timedelta(days=offset), SPRING_FESTIVAL)
    add(qingming(year), QINGMING)
    add(date(year, 5, 1), LABOUR_DAY)
    if year >= REVISION_2024_FROM:
        add(date(year, 5, 2), LABOUR_DAY)
    add(lunar_to_solar(year, 5, 5), DRAGON_BOAT)
    add(lunar_to_solar(year, 8, 15), MID_AUTUMN)
    for day_of_october in (1, 2, 3):
        add(date(year, 10, day_of_october), NATIONAL_DAY)
    return dict(sorted(holidays.items()))


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


def compensatory_name(name: str) -> str:
    """The name of a day off that makes up for the holiday `name` (festivals joined by 、)."""
    return "、".join(f"{festival}{COMPENSATORY}" for festival in name.split("、"))


def statutory_days_off(year: int) -> dict[date, str]:
    """Every day off the regulation itself gives in `year`: the statutory holidays, and for each
    of them on a Saturday or Sunday a compensatory day off (Article 6: 适逢星期六、星期日，应当在
    工作日补假) on the first working days after its holiday's block of consecutive days."""
    holidays = statutory_holidays(year)
    days_off = dict(holidays)
    block: list[date] = []
    for day in holidays:
        if block and day - block[-1] > timedelta(days=1):
            _make_up(year, block, holidays, days_off)
            block = []
        block.append(day)
    if block:
        _make_up(year, block, holidays, days_off)
    return dict(sorted(days_off.items()))


def _make_up(
    year: int, block: list[date], holidays: dict[date, str], days_off: dict[date, str]
) -> None:
    """Add to `days_off` one working day after `block` for each weekend day of it, in order."""
    owed = [holidays[day] for day in block if _weekend(day)]
    after = (block[-1] + timedelta(days=offset) for offset in count(1))
    for name in owed:
        day = next(d for d in after if not _weekend(d) and d not in days_off)
        if day.year == year:
            days_off[day] = compensatory_name(name)
