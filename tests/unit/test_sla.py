"""Time-limit policy: limits, tier choice, clock due times and extensions."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from routing.calendar import WorkCalendar
from routing.glossary import AppealType, Channel, ClockName, Urgency
from routing.sla import (
    DEMO_POLICY_MAPPING,
    Limit,
    LimitUnit,
    Policy,
    PolicyError,
    callback_due,
    compute_clocks,
    extend,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
POLICY = Policy.from_mapping(DEMO_POLICY_MAPPING)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


# ---- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("5wd", 5, LimitUnit.WORKING_DAYS),
        ("2wh", 2, LimitUnit.WORKING_HOURS),
        ("24h", 24, LimitUnit.NATURAL_HOURS),
        ("0.5h", 0.5, LimitUnit.NATURAL_HOURS),
    ],
)
def test_a_limit_is_parsed_and_written_back_the_same_way(
    text: str, amount: float, unit: LimitUnit
) -> None:
    limit = Limit.parse(text)
    assert limit == Limit(amount, unit)
    assert str(limit) == text


@pytest.mark.parametrize("text", ["5", "5d", "-1h", "0h", "1.5wd", "wd"])
def test_a_malformed_limit_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(PolicyError):
        Limit.parse(text)


# ---- choosing a tier ---------------------------------------------------------------------


def test_a_critical_urgency_always_gets_the_critical_tier_even_against_the_catalogue() -> None:
    tier = POLICY.tier_for(AppealType.COMPLAINT, Urgency.CRITICAL, Channel.PHONE, "complex")
    assert tier.name == "critical"


def test_the_catalogue_tier_overrides_the_rules() -> None:
    tier = POLICY.tier_for(AppealType.CONSULT, Urgency.NORMAL, Channel.PHONE, "utility")
    assert tier.name == "utility"


def test_the_hall_ratings_own_rectification_limit_holds_against_the_catalogue_tier() -> None:
    rating = POLICY.tier_for(AppealType.COMPLAINT, Urgency.NORMAL, Channel.HALL_RATING, "consult")
    assert rating.name == "hall_rating"
    assert POLICY.tier_for(
        AppealType.COMPLAINT, Urgency.NORMAL, Channel.WINDOW, "consult"
    ).name == ("consult")


def test_a_rule_over_the_catalogue_survives_the_policy_snapshot() -> None:
    again = Policy.from_mapping(POLICY.to_mapping())
    assert again.tier_for(None, None, Channel.HALL_RATING, "consult").name == "hall_rating"


def test_a_rules_over_catalogue_flag_must_be_a_boolean() -> None:
    mapping = POLICY.to_mapping()
    mapping["rules"][0]["over_catalogue"] = "yes"
    with pytest.raises(PolicyError, match="over_catalogue"):
        Policy.from_mapping(mapping)


def test_the_first_matching_rule_wins() -> None:
    # An urgent consultation matches both the urgent rule and the consult rule; urgent is first.
    assert POLICY.tier_for(AppealType.CONSULT, Urgency.URGENT, Channel.PHONE, None).name == "urgent"
    assert POLICY.tier_for(AppealType.CONSULT, Urgency.NORMAL, Channel.WEB, None).name == "consult"
    rating = POLICY.tier_for(AppealType.COMPLAINT, Urgency.NORMAL, Channel.HALL_RATING, None)
    assert rating.name == "hall_rating"


def test_without_a_matching_rule_the_default_tier_applies() -> None:
    tier = POLICY.tier_for(AppealType.COMPLAINT, Urgency.NORMAL, Channel.PHONE, None)
    assert tier.name == "normal"
    assert tier.handle == Limit(5, LimitUnit.WORKING_DAYS)


def test_an_unknown_catalogue_tier_is_an_error() -> None:
    with pytest.raises(PolicyError, match="nonexistent"):
        POLICY.tier_for(AppealType.HELP, Urgency.NORMAL, Channel.PHONE, "nonexistent")


# ---- the mapping -------------------------------------------------------------------------


def test_a_policy_round_trips_through_a_json_snapshot() -> None:
    snapshot = json.loads(json.dumps(POLICY.to_mapping()))
    assert Policy.from_mapping(snapshot) == POLICY
    assert snapshot["tiers"]["critical"]["handle"] == "2h"


def test_a_rule_pointing_to_an_undefined_tier_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_POLICY_MAPPING)
    mapping["rules"].append({"appeal_type": "report", "tier": "secret"})
    with pytest.raises(PolicyError, match="第 4 条规则"):
        Policy.from_mapping(mapping)


def test_a_tier_missing_a_clock_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_POLICY_MAPPING)
    del mapping["tiers"]["normal"]["contact"]
    with pytest.raises(PolicyError, match="contact"):
        Policy.from_mapping(mapping)


def test_a_policy_without_the_critical_tier_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_POLICY_MAPPING)
    del mapping["tiers"]["critical"]
    with pytest.raises(PolicyError, match="critical"):
        Policy.from_mapping(mapping)


def test_an_unknown_urgency_in_a_rule_is_refused() -> None:
    mapping = copy.deepcopy(DEMO_POLICY_MAPPING)
    mapping["rules"][0]["urgency"] = "very"
    with pytest.raises(PolicyError, match="第 1 条规则"):
        Policy.from_mapping(mapping)


# ---- clocks ------------------------------------------------------------------------------


def test_normal_clocks_start_at_dispatch_on_the_eve_of_national_day() -> None:
    # Wed 09-30 16:00. Sign 2 working hours: 16:00-17:30 (1.5h), then Thu 10-08 09:00-09:30.
    # Contact 24 natural hours: Thu 10-01 16:00. Handle 5 working days: 10-08, 10-09,
    # Sat 10-10 (make-up), Mon 10-12, Tue 10-13.
    clocks = compute_clocks(CAL, POLICY.tiers["normal"], at(2026, 9, 30, 16))
    assert set(clocks) == {ClockName.SIGN, ClockName.CONTACT, ClockName.HANDLE}
    assert clocks[ClockName.SIGN].due_at == at(2026, 10, 8, 9, 30)
    assert clocks[ClockName.CONTACT].due_at == at(2026, 10, 1, 16)
    assert clocks[ClockName.HANDLE].due_at == at(2026, 10, 13, 23, 59, 59)


def test_critical_clocks_run_in_natural_time_through_a_holiday() -> None:
    clocks = compute_clocks(CAL, POLICY.tiers["critical"], at(2026, 10, 2, 22))
    assert clocks[ClockName.SIGN].due_at == at(2026, 10, 2, 22, 30)
    assert clocks[ClockName.CONTACT].due_at == at(2026, 10, 2, 22, 30)
    assert clocks[ClockName.HANDLE].due_at == at(2026, 10, 3, 0)


def test_no_step_is_due_after_the_handling_it_belongs_to() -> None:
    # Sat 11-28 19:13, utility tier: handle 24 natural hours (Sun 19:13); signing's 2 working
    # hours would run to Mon 11-30 11:00, after the handling is due, so it is due with it.
    clocks = compute_clocks(CAL, POLICY.tiers["utility"], at(2026, 11, 28, 19, 13))
    assert clocks[ClockName.HANDLE].due_at == at(2026, 11, 29, 19, 13)
    assert clocks[ClockName.SIGN].due_at == at(2026, 11, 29, 19, 13)
    assert clocks[ClockName.CONTACT].due_at == at(2026, 11, 28, 21, 13)


def test_the_callback_is_due_at_the_end_of_the_next_working_day_after_review() -> None:
    # Reviewed Fri 09-18; Sat rest; Sun 09-20 is a make-up working day.
    due = callback_due(CAL, POLICY.tiers["normal"], at(2026, 9, 18, 15))
    assert due.due_at == at(2026, 9, 20, 23, 59, 59)


def test_an_extension_adds_working_days_to_the_current_handle_due_time() -> None:
    # Due Wed 09-30 23:59:59; 3 more working days: 10-08, 10-09, Sat 10-10 (make-up).
    due = extend(CAL, at(2026, 9, 30, 23, 59, 59), 3)
    assert due.due_at == at(2026, 10, 10, 23, 59, 59)


def test_an_extension_into_2027_is_provisional() -> None:
    due = extend(CAL, at(2026, 12, 30, 23, 59, 59), 2)
    # 12-31 = 1; 01-01 provisional New Year; Sat, Sun; Mon 01-04 = 2.
    assert due.due_at == at(2027, 1, 4, 23, 59, 59)
    assert due.provisional


def test_an_extension_of_zero_days_is_refused() -> None:
    with pytest.raises(PolicyError):
        extend(CAL, at(2026, 9, 30), 0)
