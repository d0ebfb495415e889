"""GET /api/v1/calendar/due and /days: due times a clerk would compute by hand."""

from __future__ import annotations

from typing import Any

import pytest


def _due(client: Any, start: str, **amount: int | float) -> Any:
    return client.get("/api/v1/calendar/due", query_string={"start": start, **amount})


def test_five_working_days_from_the_thursday_before_the_autumn_holidays_skip_both(
    client: Any,
) -> None:
    # Thu 2026-09-24: Mid-Autumn (Sep 25-27) and National Day (Oct 1-7) are skipped, so the
    # five days are Sep 28, 29, 30, Oct 8 and Oct 9.
    response = _due(client, "2026-09-24T10:00:00+08:00", working_days=5)
    assert response.status_code == 200
    assert response.json["due_at"] == "2026-10-09T23:59:59+08:00"
    assert response.json["provisional"] is False
    text = "\n".join(response.json["explanation"])
    assert "中秋节" in text and "国庆节" in text


def test_a_make_up_saturday_counts_as_a_working_day_after_national_day(client: Any) -> None:
    # Wed 2026-09-30: Oct 8 (Thu), Oct 9 (Fri), Oct 10 (Sat, 调休), Oct 12, Oct 13.
    response = _due(client, "2026-09-30T10:00:00+08:00", working_days=5)
    assert response.json["due_at"] == "2026-10-13T23:59:59+08:00"
    assert any("2026-10-10" in line and "调休" in line for line in response.json["explanation"])


def test_working_hours_stop_overnight_and_through_the_holiday(client: Any) -> None:
    # 16:30-17:30 on Sep 30 is one hour; the second starts at 09:00 on Oct 8.
    response = _due(client, "2026-09-30T16:30:00+08:00", working_hours=2)
    assert response.json["due_at"] == "2026-10-08T10:00:00+08:00"


def test_natural_hours_run_through_the_holiday(client: Any) -> None:
    response = _due(client, "2026-09-30T10:00:00+08:00", hours=24)
    assert response.json["due_at"] == "2026-10-01T10:00:00+08:00"
    assert response.json["provisional"] is False


def test_a_utc_start_is_answered_in_the_centres_time_zone(client: Any) -> None:
    response = _due(client, "2026-09-30T02:00:00Z", working_days=5)
    assert response.json["start"] == "2026-09-30T10:00:00+08:00"
    assert response.json["due_at"] == "2026-10-13T23:59:59+08:00"


def test_a_plus_sign_decoded_to_a_space_in_the_query_string_still_reads(client: Any) -> None:
    response = client.get("/api/v1/calendar/due?start=2026-09-30T10:00:00+08:00&working_days=5")
    assert response.status_code == 200
    assert response.json["due_at"] == "2026-10-13T23:59:59+08:00"


def test_a_start_without_offset_is_local_time_and_the_explanation_says_so(client: Any) -> None:
    response = _due(client, "2026-09-30T10:00:00", working_days=5)
    assert response.json["due_at"] == "2026-10-13T23:59:59+08:00"
    assert "未带时区" in response.json["explanation"][0]


def test_a_december_ticket_due_in_january_is_provisional_and_says_why(client: Any) -> None:
    # Mon 2026-12-28: Dec 29, 30, 31, then 元旦 (Jan 1, provisional), Jan 4 and Jan 5.
    response = _due(client, "2026-12-28T10:00:00+08:00", working_days=5)
    assert response.json["due_at"] == "2027-01-05T23:59:59+08:00"
    assert response.json["provisional"] is True
    assert any("暂定" in line for line in response.json["explanation"])


def test_a_year_beyond_the_provisional_one_is_a_clear_400(client: Any) -> None:
    response = _due(client, "2028-03-01T10:00:00+08:00", working_days=5)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "calendar_not_covered"
    assert "2028" in error["message"]
    assert error["details"]["provisional_year"] == 2027


@pytest.mark.parametrize(
    ("start", "amount"),
    [
        ("9999-12-31T23:00:00", {"hours": 48}),
        ("0001-01-01T00:00:00+14:00", {"hours": 1}),
        ("0001-01-01T00:00:00+14:00", {"working_days": 1}),
        ("0001-01-01T00:00:00Z", {"hours": 1}),
        ("0001-01-01T00:00:00Z", {"working_hours": 1}),
        ("2030-06-03T10:00:00+08:00", {"hours": 24}),
    ],
)
def test_a_start_outside_the_calendar_is_refused_whatever_the_limit(
    client: Any, start: str, amount: dict[str, int]
) -> None:
    response = _due(client, start, **amount)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "calendar_not_covered"
    assert "工作日历不覆盖" in error["message"]
    assert error["details"]["start"].startswith(start[:19])  # as given, not shifted
    assert error["details"]["provisional_year"] == 2027


def test_exactly_one_amount_must_be_given(client: Any) -> None:
    both = _due(client, "2026-09-30T10:00:00+08:00", working_days=5, hours=3)
    neither = _due(client, "2026-09-30T10:00:00+08:00")
    assert both.status_code == neither.status_code == 400
    assert both.json["error"]["code"] == "validation_error"


def test_a_start_that_is_not_iso_8601_is_a_400_naming_the_field(client: Any) -> None:
    response = _due(client, "next friday", working_days=5)
    assert response.status_code == 400
    assert response.json["error"]["details"]["field"] == "start"


def test_zero_working_days_is_a_400(client: Any) -> None:
    assert _due(client, "2026-09-30T10:00:00+08:00", working_days=0).status_code == 400


def _days(client: Any, start: str, end: str) -> Any:
    return client.get("/api/v1/calendar/days", query_string={"from": start, "to": end})


def test_days_give_the_reason_for_every_date(client: Any) -> None:
    response = _days(client, "2026-09-19", "2026-10-11")
    assert response.status_code == 200
    by_date = {day["date"]: day for day in response.json["days"]}
    assert len(by_date) == 23
    assert by_date["2026-09-19"]["reason"] == "weekend"
    assert by_date["2026-09-20"] == {
        "date": "2026-09-20",
        "working": True,
        "reason": "makeup_workday",
        "holiday_name": "国庆节",
        "provisional": False,
    }
    assert by_date["2026-09-25"]["reason"] == "holiday"
    assert by_date["2026-09-25"]["holiday_name"] == "中秋节"
    assert by_date["2026-10-01"]["working"] is False
    assert by_date["2026-10-10"]["reason"] == "makeup_workday"
    assert by_date["2026-10-09"]["reason"] == "weekday"


def test_days_of_the_coming_year_are_marked_provisional(client: Any) -> None:
    response = _days(client, "2027-01-01", "2027-01-04")
    days = response.json["days"]
    assert all(day["provisional"] for day in days)
    assert days[0]["reason"] == "holiday"
    assert days[3]["working"] is True


def test_a_range_longer_than_366_days_is_refused(client: Any) -> None:
    response = _days(client, "2025-01-01", "2026-01-02")
    assert response.status_code == 400
    assert response.json["error"]["details"]["field"] == "to"


def test_a_range_that_ends_before_it_starts_is_refused(client: Any) -> None:
    assert _days(client, "2026-10-02", "2026-10-01").status_code == 400


def test_days_outside_the_calendar_are_a_400(client: Any) -> None:
    response = _days(client, "2028-01-01", "2028-01-31")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "calendar_not_covered"


def test_a_date_that_is_not_a_date_is_a_400(client: Any) -> None:
    assert _days(client, "2026-13-01", "2026-12-31").status_code == 400
