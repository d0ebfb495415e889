"""The escalation ladder: fire times, steps due once each, structural escalation."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.calendar import WorkCalendar
from routing.escalation import (
    DEMO_LADDER_MAPPING,
    After,
    Ladder,
    LadderError,
    Lead,
    Level,
    Step,
    escalation_reason,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LADDER = Ladder.from_mapping(DEMO_LADDER_MAPPING)
START = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
DUE = datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI)  # a 120-hour span


def test_the_demo_ladder_fires_in_order_from_warning_to_escalate() -> None:
    assert LADDER.fire_times(START, DUE) == [
        (Level.WARNING, START + timedelta(hours=96)),
        (Level.OVERDUE, DUE),
        (Level.URGE, DUE),
        (Level.SUPERVISE, DUE + timedelta(hours=24)),
        (Level.ESCALATE, DUE + timedelta(hours=72)),
    ]


def test_a_lead_step_fires_a_fixed_time_before_due_but_never_before_the_start() -> None:
    ladder = Ladder((Step(Level.WARNING, Lead(timedelta(hours=2)), "unit_liaison", True),))
    assert ladder.fire_times(START, DUE) == [(Level.WARNING, DUE - timedelta(hours=2))]
    short_due = START + timedelta(hours=1)
    assert ladder.fire_times(START, short_due) == [(Level.WARNING, START)]


def test_nothing_is_due_before_the_warning_time() -> None:
    assert LADDER.due_steps(START, DUE, START + timedelta(hours=95), fired=()) == []


def test_steps_whose_time_has_come_are_due_unless_already_fired() -> None:
    now = DUE + timedelta(hours=1)
    assert LADDER.due_steps(START, DUE, now, fired=()) == [
        Level.WARNING,
        Level.OVERDUE,
        Level.URGE,
    ]
    assert LADDER.due_steps(START, DUE, now, fired={Level.WARNING}) == [
        Level.OVERDUE,
        Level.URGE,
    ]


def test_next_fire_at_is_the_earliest_unfired_step_and_none_when_all_fired() -> None:
    assert LADDER.next_fire_at(START, DUE, fired=()) == START + timedelta(hours=96)
    fired = {Level.WARNING, Level.OVERDUE, Level.URGE}
    assert LADDER.next_fire_at(START, DUE, fired) == DUE + timedelta(hours=24)
    assert LADDER.next_fire_at(START, DUE, set(Level)) is None


def test_alerts_to_people_wait_for_working_hours() -> None:
    calendar = WorkCalendar()
    saturday_night = datetime(2026, 3, 7, 22, 0, tzinfo=SHANGHAI)
    monday_morning = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)
    assert LADDER.notify_at(Level.OVERDUE, saturday_night, calendar) == monday_morning
    silent = Ladder((Step(Level.OVERDUE, After(timedelta(0)), "supervisor", False),))
    assert silent.notify_at(Level.OVERDUE, saturday_night, calendar) == saturday_night


def test_three_reopens_or_three_units_escalate_with_a_chinese_reason() -> None:
    assert LADDER.structural_grounds(reopen_count=2, units_bounced=2) == {}
    reopens = LADDER.structural_grounds(reopen_count=3, units_bounced=1)
    assert list(reopens) == ["reopens"]
    assert escalation_reason(reopens.values()) == "工单已重办 3 次（阈值 3 次），提级督办"
    both = escalation_reason(LADDER.structural_grounds(reopen_count=4, units_bounced=3).values())
    assert "重办 4 次" in both and "3 个单位" in both


def test_a_ladder_round_trips_through_its_mapping() -> None:
    assert Ladder.from_mapping(LADDER.to_mapping()) == LADDER


def test_a_level_listed_twice_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_LADDER_MAPPING)
    mapping["steps"].append(dict(mapping["steps"][0]))
    with pytest.raises(LadderError, match="只能出现一次"):
        Ladder.from_mapping(mapping)


def test_an_unknown_notify_target_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_LADDER_MAPPING)
    mapping["steps"][0]["notify"] = "mayor"
    with pytest.raises(LadderError, match="mayor"):
        Ladder.from_mapping(mapping)


def test_a_step_with_two_timings_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_LADDER_MAPPING)
    mapping["steps"][0]["lead_hours"] = 2
    with pytest.raises(LadderError, match="之一"):
        Ladder.from_mapping(mapping)


@settings(max_examples=200, deadline=None)
@given(
    span_minutes=st.integers(1, 60 * 24 * 30),
    checks=st.lists(st.integers(0, 60 * 24 * 40), min_size=1, max_size=30),
)
def test_each_level_is_reported_at_most_once_when_fired_levels_are_fed_back(
    span_minutes: int, checks: list[int]
) -> None:
    due = START + timedelta(minutes=span_minutes)
    fired: list[Level] = []
    for offset in sorted(checks):
        now = START + timedelta(minutes=offset)
        fired.extend(LADDER.due_steps(START, due, now, fired))
        next_at = LADDER.next_fire_at(START, due, fired)
        assert next_at is None or next_at > now
    assert len(fired) == len(set(fired))
    times = dict(LADDER.fire_times(START, due))
    assert all(times[level] <= START + timedelta(minutes=max(checks)) for level in fired)
