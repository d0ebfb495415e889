"""The edges of set 17's refusals and masks, after a review found them refusing real appeals.

Set 17's revision refused a child's maths problem, a report to be written, what to wear in the
cold and "拿工资不干活" at the staff, and masked where a court or an arbitration office is from
the legal routes. A review of the day's change then found real appeals refused or no longer
referred: "老板让我给他写检讨书，不写就扣我半个月工资", a broken 60-厘米 manhole cover, a cold
flat with 要不要穿羽绒服睡觉, "公司欠我三个月工资，劳动仲裁院在哪里". The rules were narrowed
(routing/data/triage_rules.json, notes homework_and_ghostwriting, what_to_wear,
salaried_idlers_insult, institution_whereabouts) and checked on what is here:
tests/data/set17_edges.jsonl, 261 texts written around each rule (the review's 12 and set 17's
5 among them): 53 contacts the rules refuse, and 208 appeals about writing, shapes and sizes,
homework and tutoring, cold and clothing, courts and arbitration offices, or abuse with a
complaint in it, of which none is refused, 21 are dispatched and 36 referred as they were
before set 17. Measured before the narrowing, set 17's rules refused or failed to refer 38 of
the appeals; after it, none, with set 17 still at 115/120 and no other labelled text changed.
Left out as
older misses of rules set 17 did not touch: two appeals refused by older patterns ("给我写个
检讨书的事是老板逼的", a workbook's wrong answer), four arbitration cases dispatched because
仲裁院 without 劳动 was not read (read since: test_review_probes_17.py), and five bare
whereabouts questions the route model refers.
"""

from __future__ import annotations

import pytest

from routing.triage import TriageRules, triage
from tests.unit.wording_data import jsonl

EDGES = jsonl("set17_edges.jsonl")


def test_the_edges_are_the_texts_the_narrowing_was_checked_on() -> None:
    assert len(EDGES) == 261
    assert len({row["text"] for row in EDGES}) == 261


@pytest.mark.parametrize("row", EDGES, ids=lambda row: row["text"][:24])
def test_each_edge_gets_its_expected_outcome(row: dict[str, str]) -> None:
    result = triage(row["text"], TriageRules.load_default())
    outcome = result.outcome.value if result.outcome else "dispatch"
    expected = row["expected"]
    if expected == "not_refused":
        assert outcome != "not_accepted"
    elif expected.startswith("referral:"):
        assert (outcome, result.route) == ("referral", expected.split(":", 1)[1])
    else:
        assert outcome == expected
