"""A third held-out set, written after every triage change of its session and measured once.

tests/data/heldout_messages_3.jsonl: 120 messages with the outcome an agent would choose (30
emergencies, 24 legal-route referrals, 16 contacts with nothing to act on, 50 ordinary appeals of
which 22 are near misses). Nothing was revised after it arrived; the floors below hold what it
measured (the rules of the session's start in brackets):

    emergency to the right service   27/30   (23/30)
    referral to the right route      22/24   (18/24)
    not accepted                      9/16   (9/16)   joke requests, harassment, wishes
    dispatched                       49/50   (49/50)  "信访局门口那个公交站牌…" is referred

The seven contacts it found accepted then prompted trolling patterns (jokes and harassment of the
operator, refused whatever words surround them) and greetings of the season: 16/16 after, with
no new refusal among the ordinary sets (tests/unit/test_contact_wording.py).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

from routing.triage import TriageRules, triage

MESSAGES = Path(__file__).resolve().parents[1] / "data" / "heldout_messages_3.jsonl"
FLOORS = {"emergency": 27, "referral": 22, "not_accepted": 15, "dispatch": 49}


@cache
def rows() -> tuple[dict[str, str], ...]:
    lines = MESSAGES.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line)


def right(row: dict[str, str]) -> bool:
    result = triage(row["text"], TriageRules.load_default())
    outcome = result.outcome.value if result.outcome else "dispatch"
    if outcome != row["outcome"]:
        return False
    if outcome == "emergency":
        return result.service == row["service"]
    if outcome == "referral":
        return result.route == row["route"]
    return True


def test_the_set_has_every_outcome_in_its_proportions() -> None:
    counts = Counter(row["outcome"] for row in rows())
    assert counts == {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50}
    assert len({row["text"] for row in rows()}) == 120


def test_each_outcome_holds_what_it_measured_on_arrival() -> None:
    got = Counter(row["outcome"] for row in rows() if right(row))
    for outcome, floor in FLOORS.items():
        assert got[outcome] >= floor, (outcome, got[outcome])
