"""The working calendar: official 2026 schedule, make-up days, hours, provisional 2027."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.calendar import (
    OFFICIAL_SCHEDULES_PATH,
    CalendarNotCovered,
    ScheduleError,
    WorkCalendar,
    YearSchedule,
    _package_schedules,
    check_schedule,
    load_schedules,
    schedule_problems,
)
from routing.statutory import lunar_new_years_eve, statutory_days_off, statutory_holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


# ---- the official 2026 schedule -------------------------------------------------------


def test_the_2026_national_day_holiday_runs_october_first_to_seventh() -> None:
    reasons = [CAL.day(date(2026, 10, d)).reason for d in range(1, 9)]
    assert reasons == ["holiday"] * 7 + ["weekday"]
    assert CAL.day(date(2026, 10, 1)).holiday_name == "国庆节"


def test_a_make_up_sunday_counts_as_a_working_day() -> None:
    info = CAL.day(date(2026, 9, 20))
    assert info.working and info.reason == "makeup_workday"
    assert CAL.is_working_day(date(2026, 1, 4))  # a Sunday after New Year


def test_a_make_up_saturday_counts_and_an_ordinary_saturday_does_not() -> None:
    assert CAL.day(date(2026, 10, 10)).reason == "makeup_workday"
    assert CAL.day(date(2026, 10, 17)).reason == "weekend"
    assert not CAL.is_working_day(date(2026, 10, 17))


def test_days_lists_each_day_of_a_range_with_its_reason() -> None:
    infos = CAL.days(date(2026, 2, 13), date(2026, 2, 16))
    assert [(i.date.day, i.reason) for i in infos] == [
        (13, "weekday"),
        (14, "makeup_workday"),
        (15, "holiday"),
        (16, "holiday"),
    ]
    assert all(not i.provisional for i in infos)


# ---- working days, by hand from the official schedule ---------------------------------


def test_a_ticket_dispatched_the_friday_before_spring_festival_counts_make_up_saturdays() -> None:
    # Fri 02-13 not counted; Sat 02-14 make-up = 1; 02-15..02-23 holiday; 02-24..02-27 = 2..5;
    # Sat 02-28 make-up = 6; Sun 03-01 rest; Mon 03-02 = 7.
    friday = at(2026, 2, 13, 15)
    assert CAL.add_working_days(friday, 1).due_at == end_of(2026, 2, 14)
    assert CAL.add_working_days(friday, 2).due_at == end_of(2026, 2, 24)
    assert CAL.add_working_days(friday, 5).due_at == end_of(2026, 2, 27)
    assert CAL.add_working_days(friday, 6).due_at == end_of(2026, 2, 28)
    assert CAL.add_working_days(friday, 7).due_at == end_of(2026, 3, 2)


def test_a_ticket_dispatched_the_friday_before_mid_autumn_and_national_day() -> None:
    # Fri 09-18; Sat 09-19 rest; Sun 09-20 make-up = 1; 09-21..09-24 = 2..5;
    # 09-25..09-27 Mid-Autumn; 09-28..09-30 = 6..8; 10-01..10-07 National Day;
    # 10-08, 10-09 = 9, 10; Sat 10-10 make-up = 11; Sun 10-11 rest; Mon 10-12 = 12.
    friday = at(2026, 9, 18, 16, 45)
    assert CAL.add_working_days(friday, 1).due_at == end_of(2026, 9, 20)
    assert CAL.add_working_days(friday, 5).due_at == end_of(2026, 9, 24)
    assert CAL.add_working_days(friday, 6).due_at == end_of(2026, 9, 28)
    assert CAL.add_working_days(friday, 10).due_at == end_of(2026, 10, 9)
    assert CAL.add_working_days(friday, 11).due_at == end_of(2026, 10, 10)
    assert CAL.add_working_days(friday, 12).due_at == end_of(2026, 10, 12)


def test_the_first_working_day_of_2026_is_the_make_up_sunday_january_fourth() -> None:
    assert CAL.add_working_days(at(2025, 12, 31, 17), 1).due_at == end_of(2026, 1, 4)


def test_the_day_of_dispatch_never_counts_even_at_midnight() -> None:
    assert CAL.add_working_days(at(2026, 3, 2, 0, 0), 1).due_at == end_of(2026, 3, 3)


def test_an_instant_in_another_zone_counts_from_its_shanghai_date() -> None:
    # 2026-03-02 17:00 UTC is Tuesday 03-03 01:00 in Shanghai.
    utc = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    due = CAL.add_working_days(utc, 1)
    assert due.due_at == end_of(2026, 3, 4)
    assert due.due_at.tzinfo == SHANGHAI


def test_the_explanation_names_skipped_holidays_and_counted_make_up_days() -> None:
    lines = CAL.add_working_days(at(2026, 9, 30), 5).explanation
    assert lines == (
        "起算日 2026-09-30（周三）不计入",
        "跳过 2026-10-01 至 2026-10-07 国庆节假期",
        "2026-10-10（周六）为调休工作日（国庆节），计入",
        "其间周末 1 天不计",
        "第 5 个工作日 2026-10-13（周二），截止 23:59:59",
    )


def test_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="至少为 1"):
        CAL.add_working_days(at(2026, 3, 2), 0)


def test_a_naive_datetime_is_refused_everywhere() -> None:
    naive = datetime(2026, 3, 2, 10, 0)
    for call in (
        lambda: CAL.add_working_days(naive, 1),
        lambda: CAL.add_working_hours(naive, 1),
        lambda: CAL.add_natural_hours(naive, 1),
        lambda: CAL.next_business_time(naive),
        lambda: CAL.working_time_between(naive, at(2026, 3, 3)),
    ):
        with pytest.raises(ValueError, match="时区"):
            call()


# ---- business hours --------------------------------------------------------------------


def test_working_hours_skip_the_lunch_break() -> None:
    # Wed 11:00 + 2h = 11:00-12:00 and 13:30-14:30.
    assert CAL.add_working_hours(at(2026, 3, 4, 11), 2).due_at == at(2026, 3, 4, 14, 30)


def test_working_hours_ending_at_noon_end_at_noon_not_after_lunch() -> None:
    assert CAL.add_working_hours(at(2026, 3, 4, 10), 2).due_at == at(2026, 3, 4, 12)


def test_working_hours_skip_the_night() -> None:
    # Wed 16:30 + 2h = 16:30-17:30 then Thu 09:00-10:00.
    assert CAL.add_working_hours(at(2026, 3, 4, 16, 30), 2).due_at == at(2026, 3, 5, 10)


def test_working_hours_started_during_lunch_begin_at_half_past_one() -> None:
    assert CAL.add_working_hours(at(2026, 3, 4, 12, 30), 1).due_at == at(2026, 3, 4, 14, 30)


def test_a_full_business_day_ends_at_closing_time() -> None:
    assert CAL.add_working_hours(at(2026, 3, 2, 9), 7).due_at == at(2026, 3, 2, 17, 30)


def test_working_hours_jump_over_the_national_day_holiday() -> None:
    # Wed 09-30 17:00-17:30 = 0.5h, then Thu 10-08 09:00-09:30.
    due = CAL.add_working_hours(at(2026, 9, 30, 17), 1)
    assert due.due_at == at(2026, 10, 8, 9, 30)
    assert "跳过 2026-10-01 至 2026-10-07 国庆节假期" in due.explanation


def test_working_hours_on_a_make_up_saturday_count() -> None:
    # Sat 10-10 (make-up) 17:00-17:30 = 0.5h; Sun rest; Mon 10-12 09:00-09:30.
    assert CAL.add_working_hours(at(2026, 10, 10, 17), 1).due_at == at(2026, 10, 12, 9, 30)


def test_working_hours_started_on_a_holiday_begin_on_the_next_working_morning() -> None:
    assert CAL.add_working_hours(at(2026, 10, 3, 10), 1).due_at == at(2026, 10, 8, 10)


def test_working_time_between_counts_only_business_hours() -> None:
    # Wed 11:00-12:00 (1h) + 13:30-17:30 (4h) + Thu 09:00-10:00 (1h).
    assert CAL.working_time_between(at(2026, 3, 4, 11), at(2026, 3, 5, 10)) == timedelta(hours=6)
    assert CAL.working_time_between(at(2026, 9, 30, 17), at(2026, 10, 8, 9, 30)) == timedelta(
        hours=1
    )
    assert CAL.working_time_between(at(2026, 3, 5), at(2026, 3, 4)) == timedelta(0)


def test_next_business_time_keeps_an_instant_inside_business_hours() -> None:
    assert CAL.next_business_time(at(2026, 3, 4, 10, 15)) == at(2026, 3, 4, 10, 15)


def test_next_business_time_waits_for_the_afternoon_the_morning_and_the_make_up_day() -> None:
    assert CAL.next_business_time(at(2026, 3, 4, 12, 0)) == at(2026, 3, 4, 13, 30)
    assert CAL.next_business_time(at(2026, 3, 4, 18, 0)) == at(2026, 3, 5, 9, 0)
    assert CAL.next_business_time(at(2026, 3, 4, 7, 0)) == at(2026, 3, 4, 9, 0)
    # Sat 09-19 is a rest day; Sun 09-20 is a make-up working day.
    assert CAL.next_business_time(at(2026, 9, 19, 10)) == at(2026, 9, 20, 9, 0)
    assert CAL.next_business_time(at(2026, 10, 2, 10)) == at(2026, 10, 8, 9, 0)


def test_natural_hours_run_through_nights_and_holidays() -> None:
    due = CAL.add_natural_hours(at(2026, 9, 30, 18), 24)
    assert due.due_at == at(2026, 10, 1, 18)
    assert not due.provisional
    utc = datetime(2026, 9, 30, 10, 0, tzinfo=UTC)
    assert CAL.add_natural_hours(utc, 0.5).due_at == at(2026, 9, 30, 18, 30)


def test_custom_business_hours_and_end_of_day_are_honoured() -> None:
    cal = WorkCalendar(business_hours=((time(8, 0), time(16, 0)),), end_of_day=time(18, 0))
    assert cal.add_working_days(at(2026, 3, 2), 1).due_at == at(2026, 3, 3, 18)
    assert cal.add_working_hours(at(2026, 3, 2, 15), 2).due_at == at(2026, 3, 3, 9)


def test_overlapping_business_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="办公时间段"):
        WorkCalendar(business_hours=((time(9), time(13)), (time(12), time(17))))


# ---- the provisional year ---------------------------------------------------------------


def test_the_provisional_year_is_the_one_after_the_last_official_year() -> None:
    assert CAL.last_official_year == 2026
    assert CAL.provisional_year == 2027


def test_provisional_2027_holidays_follow_the_2024_statutory_rules() -> None:
    # Verified with lunardate: lunar 2027-01-01 is 2027-02-06, lunar 5/5 is 06-09,
    # lunar 8/15 is 09-15; 清明 2027 is April 5.
    assert lunar_new_years_eve(2027) == date(2027, 2, 5)
    holidays = statutory_holidays(2027)
    assert holidays == {
        date(2027, 1, 1): "元旦",
        date(2027, 2, 5): "春节",
        date(2027, 2, 6): "春节",
        date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节",
        date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节",
    }


def test_overlapping_festivals_share_a_day() -> None:
    # Mid-Autumn 2028 falls on October 3 (lunar 8/15), inside National Day.
    assert statutory_holidays(2028)[date(2028, 10, 3)] == "中秋节、国庆节"


@pytest.mark.parametrize(
    ("made_up", "name", "next_working_day"),
    [
        # 春节 02-05..02-08 (Fri-Mon) has 02-06 and 02-07 on a weekend.
        ((date(2027, 2, 9), date(2027, 2, 10)), "春节补假", date(2027, 2, 11)),
        # 劳动节 05-01 and 05-02 are a Saturday and a Sunday.
        ((date(2027, 5, 3), date(2027, 5, 4)), "劳动节补假", date(2027, 5, 5)),
        # 国庆节 10-01..10-03 (Fri-Sun) has 10-02 and 10-03 on a weekend.
        ((date(2027, 10, 4), date(2027, 10, 5)), "国庆节补假", date(2027, 10, 6)),
    ],
)
def test_a_provisional_holiday_on_a_weekend_is_made_up_on_the_working_days_after_it(
    made_up: tuple[date, ...], name: str, next_working_day: date
) -> None:
    # Article 6 of 全国年节及纪念日放假办法: 适逢星期六、星期日，应当在工作日补假.
    for day in made_up:
        info = CAL.day(day)
        assert (info.working, info.reason, info.holiday_name) == (False, "holiday", name)
        assert info.provisional
    assert CAL.is_working_day(next_working_day)


def test_the_provisional_2027_days_off_are_the_statutory_ones_and_six_made_up() -> None:
    days_off = {d for d in CAL.days(date(2027, 1, 1), date(2027, 12, 31)) if not d.working}
    holidays = {d.date: d.holiday_name for d in days_off if d.reason == "holiday"}
    assert holidays == statutory_holidays(2027) | {
        date(2027, 2, 9): "春节补假",
        date(2027, 2, 10): "春节补假",
        date(2027, 5, 3): "劳动节补假",
        date(2027, 5, 4): "劳动节补假",
        date(2027, 10, 4): "国庆节补假",
        date(2027, 10, 5): "国庆节补假",
    }


def test_a_made_up_day_skips_the_weekend_and_the_rest_of_its_holiday() -> None:
    # 2028: 元旦 on a Saturday; 端午 (05-28) on a Sunday; 国庆 10-01 a Sunday, 10-02/03 its
    # weekdays, so its day off comes on Wednesday 10-04.
    made_up = {
        d: n for d, n in statutory_days_off(2028).items() if d not in statutory_holidays(2028)
    }
    assert made_up == {
        date(2028, 1, 3): "元旦补假",
        date(2028, 5, 29): "端午节补假",
        date(2028, 10, 4): "国庆节补假",
    }


def test_statutory_holidays_on_weekdays_need_no_day_made_up() -> None:
    # 2029: no 元旦、春节、劳动节 or 国庆节 day falls on a weekend.
    assert [n for n in statutory_days_off(2029).values() if "补假" in n] == [
        "端午节补假",
        "中秋节补假",
    ]


@pytest.mark.parametrize("year", [2025, 2026])
def test_official_years_keep_the_published_schedule_and_gain_no_made_up_day(year: int) -> None:
    for info in CAL.days(date(year, 1, 1), date(year, 12, 31)):
        assert info.working == chinese_calendar.is_workday(info.date)
        assert not info.provisional
        assert "补假" not in (info.holiday_name or "")


def test_working_days_across_a_made_up_day_skip_it_and_say_why() -> None:
    # Fri 04-30; Sat-Sun 05-01/02 劳动节; Mon-Tue 05-03/04 its 补假; Wed 05-05 is the first day.
    due = CAL.add_working_days(at(2027, 4, 30), 1)
    assert due.due_at == end_of(2027, 5, 5)
    assert due.provisional
    assert due.explanation == (
        "起算日 2027-04-30（周五）不计入",
        "跳过 2027-05-01 至 2027-05-04 劳动节假期及补假（暂定）",
        "第 1 个工作日 2027-05-05（周三），截止 23:59:59",
        "2027 年国务院放假安排尚未公布，按法定节假日（含补假）和周末暂定，正式安排公布后重新计算",
    )


def test_working_hours_started_in_a_holiday_skip_its_made_up_days_alone() -> None:
    # Sun 05-02 is 劳动节; the hours begin after the 补假 on Wed 05-05 at 09:00.
    due = CAL.add_working_hours(at(2027, 5, 2, 10), 1)
    assert due.due_at == at(2027, 5, 5, 10)
    assert "跳过 2027-05-03 至 2027-05-04 劳动节补假（暂定）" in due.explanation


def test_december_plus_ten_working_days_landing_in_2027_is_provisional() -> None:
    # Fri 12-25; 12-28..12-31 = 1..4; 01-01 New Year (provisional); Sat, Sun rest;
    # 01-04..01-08 = 5..9; Mon 01-11 = 10.
    due = CAL.add_working_days(at(2026, 12, 25), 10)
    assert due.due_at == end_of(2027, 1, 11)
    assert due.provisional
    assert any("暂定" in line for line in due.explanation)


def test_a_due_time_inside_the_official_year_is_not_provisional() -> None:
    due = CAL.add_working_days(at(2026, 12, 10), 5)
    assert due.due_at == end_of(2026, 12, 17)
    assert not due.provisional
    assert not CAL.day(date(2026, 12, 31)).provisional
    assert CAL.day(date(2027, 2, 8)).provisional


def test_working_hours_landing_in_2027_are_provisional() -> None:
    # Thu 12-31 17:00-17:30 = 0.5h; Fri 01-01 provisional New Year; Mon 01-04 09:00-09:30.
    due = CAL.add_working_hours(at(2026, 12, 31, 17), 1)
    assert due.due_at == at(2027, 1, 4, 9, 30)
    assert due.provisional


def test_2028_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarNotCovered, match="2028"):
        CAL.add_working_days(at(2028, 1, 3), 1)
    with pytest.raises(CalendarNotCovered, match="2028"):
        CAL.day(date(2028, 1, 3))
    with pytest.raises(CalendarNotCovered, match="2028"):
        CAL.add_working_days(at(2027, 12, 20), 30)


def test_a_year_before_the_first_schedule_is_refused() -> None:
    with pytest.raises(CalendarNotCovered, match="2003"):
        CAL.is_working_day(date(2003, 6, 2))


# ---- loading official schedules ---------------------------------------------------------


def _plausible(year: int, extra: dict[str, str]) -> dict[str, str]:
    """Every statutory holiday of `year`, as a published schedule holds them, plus `extra`."""
    return {day.isoformat(): name for day, name in statutory_holidays(year).items()} | extra


SCHEDULE_2027 = {
    "holidays": _plausible(2027, {"2027-02-09": "春节", "2027-02-10": "春节"}),
    "makeup_workdays": {"2027-02-13": "春节"},
}


def test_a_published_2027_schedule_makes_2027_official_and_2028_provisional() -> None:
    extra = {2027: YearSchedule.from_json_dict(2027, SCHEDULE_2027)}
    cal = WorkCalendar(schedules=load_schedules(extra))
    assert cal.last_official_year == 2027
    assert cal.provisional_year == 2028
    assert cal.day(date(2027, 2, 13)).reason == "makeup_workday"
    assert not cal.add_working_days(at(2026, 12, 25), 10).provisional


def test_the_schedule_file_wins_over_the_package_for_the_same_year(tmp_path: Path) -> None:
    path = tmp_path / "official_schedules.json"
    replaced = {"holidays": _plausible(2026, {"2026-03-02": "春节"}), "makeup_workdays": {}}
    path.write_text(json.dumps({"2026": replaced, "2027": SCHEDULE_2027}), encoding="utf-8")
    cal = WorkCalendar(schedules=load_schedules(path=path))
    assert cal.day(date(2026, 3, 2)).holiday_name == "春节"
    # The package's National Day week (Oct 1-7) gives way to the file's Oct 1-3 only.
    assert cal.day(date(2026, 10, 5)).reason == "weekday"
    assert cal.last_official_year == 2027


@pytest.mark.parametrize("year", ["２０２７", "²⁰²⁷", "27", "2027a"])
def test_a_schedule_file_year_that_is_not_four_ascii_digits_is_refused(
    tmp_path: Path, year: str
) -> None:
    path = tmp_path / "schedules.json"
    path.write_text(json.dumps({year: {"holidays": {}}}), encoding="utf-8")
    with pytest.raises(ScheduleError, match="年份"):
        load_schedules(path=path)


def test_the_shipped_schedule_file_is_valid() -> None:
    assert load_schedules()[2026].makeup_workdays[date(2026, 10, 10)] == "国庆节"


def test_a_schedule_with_a_date_of_another_year_is_refused() -> None:
    with pytest.raises(ScheduleError, match="2026"):
        YearSchedule.from_json_dict(2027, {"holidays": {"2026-10-01": "国庆节"}})


def test_a_gap_between_official_years_is_refused() -> None:
    extra = {2028: YearSchedule.from_json_dict(2028, {"holidays": {"2028-01-01": "元旦"}})}
    with pytest.raises(ScheduleError, match="2027"):
        WorkCalendar(schedules=load_schedules(extra))


def test_a_schedule_round_trips_through_json() -> None:
    schedule = YearSchedule.from_json_dict(2027, SCHEDULE_2027)
    assert YearSchedule.from_json_dict(2027, schedule.to_json_dict()) == schedule


# ---- properties --------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(SHANGHAI)
)


@settings(max_examples=300, deadline=None)
@given(start=instants, a=st.integers(1, 60), b=st.integers(1, 60))
def test_adding_working_days_in_two_steps_equals_adding_them_at_once(
    start: datetime, a: int, b: int
) -> None:
    first = CAL.add_working_days(start, a)
    assert CAL.add_working_days(first.due_at, b) == CAL.add_working_days(start, a + b)


@settings(max_examples=300, deadline=None)
@given(start=instants.filter(lambda t: t.year < 2027), n=st.integers(1, 200))
def test_a_working_day_due_is_the_end_of_a_later_working_day(start: datetime, n: int) -> None:
    due = CAL.add_working_days(start, n).due_at
    assert CAL.is_working_day(due.date())
    assert due.time() == time(23, 59, 59)
    assert due.date() > start.date()
    assert len([i for i in CAL.days(start.date(), due.date())[1:] if i.working]) == n


@settings(max_examples=300, deadline=None)
@given(start=instants, minutes=st.integers(1, 60 * 60))
def test_working_hours_added_are_the_working_time_elapsed(start: datetime, minutes: int) -> None:
    due = CAL.add_working_hours(start, minutes / 60).due_at
    assert CAL.working_time_between(start, due) == timedelta(minutes=minutes)
    assert CAL.next_business_time(due - timedelta(microseconds=1)) <= due


@pytest.mark.parametrize("year", sorted(_package_schedules()))
def test_every_year_of_the_chinesecalendar_data_passes_the_plausibility_check(year: int) -> None:
    assert schedule_problems(_package_schedules()[year]) == []


def test_the_shipped_schedule_file_passes_the_plausibility_check() -> None:
    raw = json.loads(OFFICIAL_SCHEDULES_PATH.read_text(encoding="utf-8"))
    for year, value in raw.items():
        assert schedule_problems(YearSchedule.from_json_dict(int(year), value)) == []


def test_a_make_up_working_day_on_a_weekday_is_a_problem() -> None:
    schedule = YearSchedule.from_json_dict(
        2027, {"holidays": _plausible(2027, {}), "makeup_workdays": {"2027-02-10": "春节"}}
    )
    assert schedule_problems(schedule) == [
        "调休上班日 2027-02-10（周三，春节） 不是周末：调休上班日只能是周六或周日"
    ]


def test_a_statutory_holiday_left_a_working_day_is_a_problem() -> None:
    holidays = _plausible(2027, {})
    del holidays["2027-10-01"]
    with pytest.raises(ScheduleError, match="2027-10-01（周五，国庆节） 不在假日中"):
        check_schedule(YearSchedule.from_json_dict(2027, {"holidays": holidays}))


def test_statutory_holidays_follow_the_revision_in_force_that_year() -> None:
    # 2013 revision: Spring Festival lunar 1/1-1/3 (2024-02-10..12), Labour Day one day.
    assert [d for d, n in statutory_holidays(2024).items() if n == "春节"] == [
        date(2024, 2, 10),
        date(2024, 2, 11),
        date(2024, 2, 12),
    ]
    assert date(2024, 5, 2) not in statutory_holidays(2024)
    assert date(2025, 5, 2) in statutory_holidays(2025)
