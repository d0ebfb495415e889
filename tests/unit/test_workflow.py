"""The state machine's pure rules: reopen, returns, redispatch, merge grounds, handling units."""

from __future__ import annotations

import pytest

from routing.glossary import UnitKind
from routing.workflow import (
    Action,
    MergeFacts,
    Reassignment,
    Role,
    TicketState,
    TransitionError,
    check,
    may_handle,
    merge_ground,
    must_reopen,
    reassignment,
)


@pytest.mark.parametrize(
    ("satisfaction", "unit_fault", "expected"),
    [
        ("unsatisfied", True, True),
        ("unsatisfied", False, False),
        ("unsatisfied", None, False),
        ("satisfied", None, False),
        ("basically_satisfied", True, False),
        (None, None, False),
    ],
)
def test_only_an_unsatisfied_rating_for_the_units_fault_must_be_reopened(
    satisfaction: str | None, unit_fault: bool | None, expected: bool
) -> None:
    assert must_reopen(satisfaction, unit_fault) is expected


def test_a_closed_ticket_cannot_be_reopened_only_a_rated_one() -> None:
    check(Action.REOPEN, TicketState.RATED, Role.DISPATCHER)
    with pytest.raises(TransitionError):
        check(Action.REOPEN, TicketState.CLOSED, Role.DISPATCHER)


def test_a_unit_may_return_a_ticket_it_is_handling() -> None:
    check(Action.RETURN, TicketState.HANDLING, Role.UNIT)


def test_a_redispatch_says_whether_it_moves_the_lead_only_the_assists_or_nothing() -> None:
    assert reassignment("A", ["B", "C"], "A", ["C", "B"]) is Reassignment.NOTHING
    assert reassignment("A", ["B"], "A", ["B", "C"]) is Reassignment.ASSISTS
    assert reassignment("A", ["B"], "B", []) is Reassignment.LEAD


def test_the_centre_is_the_one_unit_kind_that_cannot_handle_tickets() -> None:
    assert not may_handle(UnitKind.CENTRE)
    assert all(may_handle(kind) for kind in UnitKind if kind is not UnitKind.CENTRE)


def test_two_tickets_merge_on_the_same_requester_or_place_about_the_same_matter() -> None:
    elevator = MergeFacts("k1", "A1", "01.01.01")
    assert merge_ground(MergeFacts("k1", None, None), elevator) == "same_requester"
    assert merge_ground(MergeFacts("k2", "A1", "01.01.01"), elevator) == "same_place"
    assert merge_ground(MergeFacts("k1", "A1", "01.02.01"), elevator) is None
    assert merge_ground(MergeFacts(None, "A2", "01.01.01"), elevator) is None
    assert merge_ground(MergeFacts(None, None, None), MergeFacts(None, None, None)) is None
