"""The duplicate check on pairs of appeals written apart from it.

tests/data/duplicate_pairs_1.jsonl: 160 pairs by a writer who saw no code, each an earlier appeal
and a new one a day or so later, from the same caller or from a neighbour in the same community;
80 repeat the same concrete problem (a follow-up, an urge, a neighbour's own telling), 80 are near
misses (the same caller's new problem, the same kind of problem at another building or shop, the
same place and topic but another issue, a problem that came back after a fix).

Measured once on arrival through the intake of the demo city (each pair the only tickets of its
community, the second 26 hours after the first): 4 of the 80 repeats were found, with no near
miss merged. The similarity then was the mean of Jaccard and containment, at 0.5; a long first
report and its short repeat share most of the short one's words and few of the long one's. With
containment alone (0.5 for the same caller, 0.45 for a neighbour): 38 found, 2 near misses merged
(a supplier's unpaid bill read as the builders' unpaid wages of the same site; a bus stop's broken
shelter as the same line's careless driver). Of the 42 repeats still missed, 29 are classified
as another matter than their first report (or as none): the classifier, not the similarity,
decides those.

tests/data/duplicate_pairs_2.jsonl: 160 more pairs by another writer who saw no code, the same mix,
with shorter and rougher repeats (126 of 160 at most 25 characters: typos, speech-recognition
homophones, a shop's nickname, a room number), written while the change above was made and
measured once on arrival, after it: 45 of 80 repeats found, no near miss merged (with the old
similarity, 6 and none). Nothing was changed for it.

An audit of merges then found neighbours' personal claims merged as one (two workers' unpaid
wages from different employers, two pensions): a matter a person raises for themselves
(PERSONAL_MATTER_ROOTS) is no longer merged by place. Set 1: 38 found, 1 near miss merged (the
supplier's bill is gone); set 2: 43 found (two villages' collective claims, a pension scheme's
and a team's wages, are now separate tickets), none merged. Of the 37 then missed, 26 get
another matter than their first report or none.

tests/data/duplicate_pairs_3.jsonl: 160 more pairs by a third writer, told of the personal-claims
rule, with the shortest repeats yet (9-29 characters), measured once on arrival after all of the
above: 29 of 80 repeats found, 1 near miss merged (a lift being installed: its builders' noise,
then its cost sharing, both under 加装电梯). Of the 51 missed, 37 get another matter than their
first report or none (23 none: "风华园7号楼电悌的事咋还没人来修").

Then, chosen on all three sets (so measured by none of them): the same caller's open ticket
under a matter the classifier weighed for the new appeal (among its candidates, not its pick)
is repeated when containment reaches 0.6: 38 → 40, 43 → 44 and 29 → 31 found, near misses
unchanged (1, 0, 1).

tests/data/duplicate_pairs_4.jsonl: 160 more pairs by a fourth writer who was told no rule
(winter topics, dialect, detail-only repeats), measured once on arrival after all of the above:
47 of 80 repeats found, 6 near misses merged. Two of those named another spot in a way the place
check did not read, and are now told apart (chosen on this set): a community's north gate after
its south gate, and a crossing of 中山路 with 建国路 after one of 中山路 with 解放路 (two crossings
each named by two roads are one only when both roads agree): 47 found, 4 merged. The four left
are another issue under the same matter at the same place: a property company's lift fee after
its parking on the green, its missing invoices after its hidden revenue, stray cats' noise after
rat poison, and "5号楼前的井盖也丢了一个" after the manhole at the gate (one building named).

When matter batch 11 then joined the demo's examples (1,037 → 1,113), the classifier moved some
texts to other matters: sets 1-4 now give 38, 44, 31 and 45 found, 1, 0, 1 and 3 near misses
merged.

tests/data/duplicate_pairs_5.jsonl: 160 more pairs by a fifth writer, told no rule, asked for
true repeats in other words ("暖气不热" then "家里冻得睡不着") and near misses sharing many
(a heating bill after cold radiators, unpaid social insurance after unpaid wages at one firm),
measured once on arrival: 40 of 80 repeats found, 2 near misses merged (a car-repair shop's spray
painting beside a car wash's sewage, both on the pavement south of one community; a village's
streetlights on in the daytime after the same streetlights off at night). Of the 40 missed, 15
get the same matter for both texts and still share too few words ("我家还是冷，晚上冻得睡不着觉"
after a long report of a cold flat); lowering the same caller's threshold for them to 0.4 would
have found 10 more repeats of sets 1-4 and merged 4 more near misses, so it stays. Nothing was
revised for it. With matter batch 12 among the demo's examples (1,113 → 1,193), sets 1-5 give
39, 44, 31, 45 and 39 found, 1, 0, 1, 3 and 2 near misses merged.

tests/data/duplicate_pairs_6.jsonl: 160 more pairs by a sixth writer, told no rule, asked for the
follow-ups people really send (short, rough, naming the problem only by a hint: "1803又喺度拖凳",
"银河湾车库那个杆子又不抬", a burst main told by its consequence, a gate by another name),
measured once on arrival: 34 of 80 repeats found (27 of the same caller's 40, 7 of the
neighbours' 40), 3 near misses merged (an air conditioner's rusted bracket after falling tiles on
the same building's wall; a refuse truck's noise at 4 a.m. after the same junction's uncollected
bins; a crossing light's short green phase after a request for one). Of the 46 missed, 14 get the
same matter for both texts and share too few characters; the rest get another matter or none.
Nothing was revised for it.

Then 2,904 example appeals written for the classifier (twelve for each leaf outside the legal
routes, by writers who saw none of these pairs) and matter batch 13 joined the demo's examples
(1,193 → 4,177); the classifier moved some texts to other matters: sets 1-6 give 39, 43, 30, 49,
41 and 34 found (202 of sets 1-5, was 197), 1, 0, 1, 3, 2 and 3 near misses merged. The floors
below hold those.

Here the same check runs without a database: triage and the demo's classifier (built as the app
builds it) give each text its outcome and matter, and `find_duplicate` compares them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from hotline.config import DEMO_PERSONAL_MATTER_ROOTS
from routing.triage import DuplicateCandidate, TriageRules, find_duplicate, triage
from tests.unit.test_matter_catalogue_model import classifiers
from tests.unit.test_real_messages import matter_tree
from tests.unit.wording_data import jsonl

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
AREA = "990102001001"
# name: (repeats found at least, near misses merged at most)
FLOORS = {
    "duplicate_pairs_1.jsonl": (39, 1),
    "duplicate_pairs_2.jsonl": (43, 0),
    "duplicate_pairs_3.jsonl": (30, 1),
    "duplicate_pairs_4.jsonl": (49, 3),
    "duplicate_pairs_5.jsonl": (41, 2),
    "duplicate_pairs_6.jsonl": (34, 3),
}


@cache
def matter(text: str) -> str | None:
    return classifiers()[1].classify(text).matter_code


def merged(pair: dict[str, object]) -> bool:
    first, second = str(pair["first"]), str(pair["second"])
    rules = TriageRules.load_default()
    if triage(first, rules).outcome is not None or triage(second, rules).outcome is not None:
        return False  # an emergency, a referral or a refusal is never dispatched or merged
    same_caller = pair["relation"] == "same_caller"
    earlier = DuplicateCandidate(
        ticket_id=1,
        number="20261123-000001",
        requester_phone="13900000001",
        area_code=AREA,
        matter_code=matter(first),
        text=first,
        accepted_at=NOW - timedelta(hours=26),
        open=True,
    )
    phone = "13900000001" if same_caller else "13900000002"
    match = find_duplicate(
        second,
        phone,
        AREA,
        matter(second),
        NOW,
        [earlier],
        WEEK,
        place_merges=matter(second) not in personal_matters(),
        matter_candidates=weighed(second),
    )
    return match is not None


@cache
def weighed(text: str) -> tuple[str, ...]:
    return tuple(code for code, _ in classifiers()[1].classify(text).candidates)


@cache
def personal_matters() -> frozenset[str]:
    return matter_tree().under(DEMO_PERSONAL_MATTER_ROOTS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_each_pair_set_has_its_proportions(name: str) -> None:
    pairs = jsonl(name)
    assert len(pairs) == 160
    for relation in ("same_caller", "same_place"):
        for duplicate in (True, False):
            rows = [p for p in pairs if p["relation"] == relation and p["duplicate"] is duplicate]
            assert len(rows) == 40


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_repeats_are_found_and_near_misses_kept_apart_as_measured(name: str) -> None:
    pairs = jsonl(name)
    found = sum(merged(p) for p in pairs if p["duplicate"])
    wrongly = sum(merged(p) for p in pairs if not p["duplicate"])
    least, most = FLOORS[name]
    assert found >= least
    assert wrongly <= most
