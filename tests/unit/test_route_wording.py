"""Messages written for the route model: refusals, referrals in plain words, follow-ups, dangers,
and the ordinary appeals beside each of them.

Five writers who saw no code and no held-out set were given the same labelling policy (the
outcomes of DOMAIN.md's triage, with a few labelled examples from the held-out sets 3-20) and
each a family to write, in every channel's voice (agents' notes, SMS and WeChat with typos and
dialect, web forms, counter notes):

    route_wording_1.jsonl  200 refusals of 33 kinds (private favours, quarrels to judge, spam,
                           flirting, withdrawals...) and 150 ordinary appeals that look like them
    route_wording_2.jsonl  210 referrals (35 a route, mostly without the route's name) and 150
                           ordinary appeals that look like them (plain unpaid wages, a rude
                           clerk, a court's opening hours)
    route_wording_3.jsonl  120 refusals, 120 referrals and 120 ordinary appeals, short and rough
    route_wording_4.jsonl  200 follow-ups of an earlier appeal (urging, still broken, progress)
                           to dispatch, 60 withdrawals and 40 contacts with no content to refuse
    route_wording_5.jsonl  240 dangers happening now and 180 near misses (past, handled, feared)

Measured once on arrival (the rules and models of the session's start):

    route_wording_1   refused 57/200, dispatched 149/150
    route_wording_2   referred to the right route 100/210, dispatched 140/150
    route_wording_3   refused 46/120, referred 62/120, dispatched 118/120
    route_wording_4   refused 30/100, dispatched 199/200
    route_wording_5   transferred 195/240 (to any service), dispatched 170/180

The first four then joined the route model's examples, the fifth as its emergency and ordinary
classes, and every text of the duplicate pairs (tests/data/duplicate_pairs_*.jsonl) as ordinary:
short follow-ups such as "你们跟她们说了吗" read as a chat with the operator (0.94 refused).
Trained on 12,482 examples. Refusals by the model now need 0.85 (was 0.9) and discipline 0.8
(was 0.9), chosen by five-fold cross-validation over the examples the rules leave to the model:
refusals caught 122 → 156 of 359 for 4 → 6 of 6,723 ordinary appeals refused; discipline 5 → 12
of 42 with no ordinary appeal referred at either threshold.

Sets kept out of all of it (tests/unit/test_heldout_messages_3_to_20.py, UNSEEN): set 21 101 →
105/120 (refusals 5 → 9), set 22 96 → 103/120 (referrals 15 → 18, refusals 7 → 11). Tried and
dropped: the dangers of route_wording_5 among the emergency model's examples caught 2 more of set
22's emergencies, but transferred 8 more of the demo's 4,177 ordinary example appeals; with the
refusals and ordinary appeals above as its non-emergencies too, it lost 4 of the 540 emergencies
of sets 3-20. The emergency model is unchanged.

The floors below are what the files measure as training data now: they hold the model to its
examples, not to messages it has not seen.

tests/data/model_review_probes.jsonl: a reviewer who saw none of the above was told what changed
and wrote 200 messages at its edges, kept out of the examples: 130 real appeals a careless model
would refuse or refer (a favour that is a public service, a withdrawal that still asks for
something, a follow-up that speaks to the operator, harassment by a staff member, a cadre merely
rude), 40 refusals and 30 referrals in fresh words. The session's starting rules and model got
155 right (dispatched 129/130, refused 10/40, referred 16/30); after the change 170 (129, 19,
22), with no appeal newly refused or referred, and 171 once full-width letters mashed on the
keyboard (ｊｊｊｋｋ；；；１１２) were read as such. The one appeal not dispatched, before and
after: a clerk who rolled his eyes ("翻白眼") is sent to 120.

route_wording_5's misses were then revised as families (decisions.late_turn,
unresponsive_vocabulary, stroke_signs_now, trapped_by_water_collapse_or_well, smoke_and_fire_seen,
gas_smell_dialect, crimes_in_progress_more, drunk_driver_on_road, near_misses_22): the dangers
sent to the right service 195 → 232/240, the near misses dispatched 170 → 180/180, with no other
labelled text changing outcome. A danger told at the end of a routine web form, after a turn
(……先不说了，我刚发现…; 写到这里的时候从窗户看到…; ……算了 我老公现在在打我妈), is read on its
own (TriageRules.emergency_turns). The 8 left are the labels' service against the rules'
convention: six road accidents with someone hurt labelled 122 (decisions.priority: 120) and two
people struggling in water labelled 110 (decisions.water_rescue: 119).

tests/data/review_probes_22.jsonl: 119 messages written around that revision, beside each family
the dangers it must catch and the ordinary appeals in the same words that must stay dispatched
(叫了半天物业不应, 算了不说了 before a noise complaint, a web form ending on a past fire, 怕小孩
掉进井里, 中风后说话含糊). 49 emergencies and 70 ordinary appeals, all right; they found three
false alarms older than the revision (怕小孩掉进井里, 真着火了……人都下不去, 阀门关了，不漏了).
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.unit.wording_data import jsonl, triage_agrees

# The route_wording files are the examples above; the reviewers' probes after them are kept out
# of the examples.
# model_review_probes.jsonl is described above; emergency_review_probes.jsonl: a reviewer who
# saw neither the rules nor the revision's own probes was told its families (a late turn,
# unresponsiveness, stroke signs, trapped by water or a collapse, smoke seen, 瓦斯, crimes at the
# door, drunk drivers, household adverts) and wrote 200 messages at their edges: 120 ordinary
# appeals in the same words, 60 dangers beside them, 20 adverts. The session's starting rules got
# 170 right (dispatched 116/120, transferred 54/60, refused 0/20), the route model of this session
# 174, the revision 175 (116, 55, 4): no appeal newly transferred. The four it still transferred (a
# canvasser's knocking "砸门一样响", a suggestion about charcoal braziers, a site fence "现在横在
# 人行道上", a basement fire last year "当时消防很快扑灭") and four dangers sent to another service
# (a choking child, workers overcome in a septic tank, a tunnel crash with a car smoking and
# people out, a mother collapsed by a lit stove) were then revised as families (decisions
# review22b_*): 183 (120, 59, 4). Left: a child struggling in a river, labelled 110, goes to 119
# (decisions.water_rescue). The household adverts' rule wants an unmasked number; the writer
# masked them all. So emergency_review_probes.jsonl became the second revision's target, and
# emergency_review_probes_2.jsonl is its review: a third writer, told that revision's families
# (similes of violence, yearly warnings, objects across a path, past fires put out, choking,
# confined spaces, a smoking car after a crash, a lit stove, 没想到 as a turn, 至今没人拖走), wrote
# 80 dangers in their words and 80 ordinary appeals. Before the second revision 122/160 (dangers
# 50/80, appeals 72/80), after it 131 (55, 76): ten fixed and one broken, "年年说防火年年出事 现在
# 我们楼下电动车着火了" dispatched because the yearly warning's mask ran on across 现在; it no
# longer does: 132 (56, 76). Most of the 24 dangers still missed or sent elsewhere
# are dangers beside an object across a path or in a pit (119, 120 or 110 chosen apart from the
# label) and crashes with a car smoking, which the rules send to 119. Three more, a danger told
# right after an old problem still not handled ("那堆报废车到现在没人拖走 现在着火了"), were then
# read as a late turn: 135 (59, 76). emergency_review_probes_3.jsonl is that turn's review: 80
# messages in its shape by a fourth writer, 50 ordinary (worse, again, a near miss) and 30
# dangers. Before it 65/80 (dangers 20/30, appeals 45/50); with it 66, one appeal newly
# transferred ("至今没人管，今天上午又烧了一通……现在火已经灭了"), so 今天 followed by a time of
# day (上午, 晚上) no longer counts: 67 (22, 45).
# file: (rows per outcome, right per outcome at least)
FILES = {
    "route_wording_1.jsonl": (
        {"not_accepted": 200, "dispatch": 150},
        {"not_accepted": 193, "dispatch": 149},
    ),
    "route_wording_2.jsonl": (
        {"referral": 210, "dispatch": 150},
        {"referral": 205, "dispatch": 140},
    ),
    "route_wording_3.jsonl": (
        {"not_accepted": 120, "referral": 120, "dispatch": 120},
        {"not_accepted": 106, "referral": 117, "dispatch": 119},
    ),
    "route_wording_4.jsonl": (
        {"not_accepted": 100, "dispatch": 200},
        {"not_accepted": 94, "dispatch": 199},
    ),
    "route_wording_5.jsonl": (
        {"emergency": 240, "dispatch": 180},
        {"emergency": 232, "dispatch": 180},
    ),
    "model_review_probes.jsonl": (
        {"dispatch": 130, "not_accepted": 40, "referral": 30},
        {"dispatch": 129, "not_accepted": 20, "referral": 22},
    ),
    "emergency_review_probes_2.jsonl": (
        {"emergency": 80, "dispatch": 80},
        {"emergency": 59, "dispatch": 76},
    ),
    "emergency_review_probes_3.jsonl": (
        {"emergency": 30, "dispatch": 50},
        {"emergency": 22, "dispatch": 45},
    ),
    "emergency_review_probes.jsonl": (
        {"dispatch": 120, "emergency": 60, "not_accepted": 20},
        {"dispatch": 120, "emergency": 59, "not_accepted": 4},
    ),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_written_set_has_its_proportions_and_no_text_twice(name: str) -> None:
    rows = jsonl(name)
    assert Counter(row["outcome"] for row in rows) == FILES[name][0]
    assert len({row["text"] for row in rows}) == len(rows)


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_written_set_gets_the_outcomes_an_agent_would_choose_as_measured(name: str) -> None:
    got = Counter(row["outcome"] for row in jsonl(name) if triage_agrees(row))
    for outcome, floor in FILES[name][1].items():
        assert got[outcome] >= floor, (outcome, got[outcome])


def test_the_referrals_are_spread_over_every_route() -> None:
    routes = Counter(
        row["route"]
        for name in ("route_wording_2.jsonl", "route_wording_3.jsonl")
        for row in jsonl(name)
        if row["outcome"] == "referral"
    )
    assert set(routes.values()) == {55}
    assert len(routes) == 6


# review_probes_22.jsonl: written around route_wording_5's revision (above);
# review_probes_22b.jsonl: 99 written around the revision of emergency_review_probes' misses, beside
# each family (a simile after a violent verb, what happens every year, an object lying across a
# path, a past fire put out, choking, a confined space, a crash with a car smoking and people out,
# a lit stove, a turn from hearsay, what is left "to this day") the dangers it must still catch and
# the ordinary appeals in the same words. Before the revision 80 of them were right (24/32, 56/67).
PROBES_ALL_RIGHT = {
    "review_probes_22.jsonl": {"emergency": 49, "dispatch": 70},
    "review_probes_22b.jsonl": {"emergency": 32, "dispatch": 67},
}


@pytest.mark.parametrize("name", sorted(PROBES_ALL_RIGHT))
def test_the_probes_around_route_wording_5s_revisions_are_all_right(name: str) -> None:
    rows = jsonl(name)
    assert Counter(row["outcome"] for row in rows) == PROBES_ALL_RIGHT[name]
    wrong = [row["text"] for row in rows if not triage_agrees(row)]
    assert wrong == []
