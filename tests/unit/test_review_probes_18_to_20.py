"""Messages written around the revisions of the triage rules after held-out sets 18 to 20.

tests/data/review_probes_18.jsonl: 123 messages written while revising the rules after held-out
set 18 (tests/unit/test_heldout_messages_3_to_20.py), each with the outcome an agent would
choose. 53 change outcome against the rules before the revision: an injured stray animal is no
medical emergency (a dog that bites a person, a fall while walking the dog, a cat in a burning
flat still are); a person with dementia gone out and not back is a 110 emergency, one already
found is not; a lock being cut or prised now is a theft in progress, also after an earlier
question; children in a lift, asked to be freed by firefighters, go to 119; a junction's signals
all dead now with near collisions go to 122; a letter taken to the city or county over the
township is a petition; a foreign war, the weather, a pet's "crime", a stock tip and an advert
with a contact handle are refused. 70 are near misses that keep their outcome: a lift that often
breaks, a dead signal reported afterwards, complaints about spam texts and fake invoices, a
thank-you letter, a 市长信箱 follow-up.

tests/data/written_false_alarms.jsonl: the 2,904 ordinary appeals written for the matter
classifier (hotline/demo/data/matter_examples.jsonl) by writers who never saw the rules were run
through triage; 77 were transferred or referred. 59 of them labelled here (18 others, such as a
drunk driver seen an hour ago or a tanker pouring chemicals now, are arguable and left out): 43
should be dispatched, 16 are right as they are (a forest fire spreading, gas smelled now, sparks
from a fallen line). Before the second revision 16/59 right; after it 58/59. Fixed as families: a
road or bridge defect asking for repair, something habitual or settled (常有人, 交警已认定), a near
miss or a fire imagined (差点着火, 一着火跑不出来), a leak denied, a medical history in a request
for aid (老伴中风瘫在床上好几年了 … 低保), a request to the rescue station, other senses of danger
words (救护车进出, 安眠药也没用), and consultations that are not legal routes (产检假, 村务公开,
公积金 "能不能告他"). The one left: a divorced wife asking whether the judgment can register the
flat, which the route model reads as litigation (0.895 at a threshold of 0.8).

tests/data/review_probes_18b.jsonl: 81 messages written around that revision: 38 ordinary appeals
in the families it changed, 35 real emergencies beside them that must still transfer
(人行道塌了个坑，刚才有个老人掉进去了 → 120; 常有人打架，现在又打起来了 → 110), 8 real legal
routes (怀孕被辞退要赔偿 → arbitration). All right.

tests/data/review_probes_19.jsonl: 134 messages written around set 19's revision (agents' typed
notes): 47 notes of calls with nothing to act on that must be refused (a misdial and whom they
meant to call, abuse and a hang-up, a child playing, singing, a quiz question, flirting, a foreign
embassy), 64 that must be dispatched (real appeals ending in 无其他诉求, 随后挂断, 情绪激动 or
辱骂), 19 emergencies (a fight now after habitual fights, a wrong-way driver still going, a minor
crash waiting for the traffic police, a hazardous leak), 4 referrals. All right.

The review probes and the written false alarms then joined the route model's examples (8,189):
the divorced wife's question is dispatched (59/59), and two labelled texts that the retrained
model read past its thresholds ("村干部亲戚吃低保" as discipline, "？？你们到底管不管" refused)
are dispatched again with discipline at 0.9 and refusals at 0.85 (0.9 once set 20 joined:
the question read 0.86 again).

tests/data/review_probes_18_19.jsonl: 278 messages written by a reviewer at the edges of every
rule the three revisions changed (87 emergencies, 28 referrals, 36 refusals, 127 ordinary
appeals). The rules of the session's start got 202 right, the three revisions 210, but 49 that
had been right were now wrong: the ordinary appeals fell from 105/127 to 76/127 (a local
election's bribery refused as foreign politics, a child telling of a teacher's blows refused for
"挂断", a letter to a grandson referred as a petition, a dog that fell into a river masking the
man swept away after it). Its fixes narrowed 30 rules and widened a few families: 271/278, with
no labelled text changing. The 7 left were wrong at the session's start too: three road accidents
with someone hurt that go to 122, an autistic child not home at 10 p.m., an auxiliary policeman's
extortion (discipline, sent to 110), a petrol station's leaking tank, a vomiting and confused
person dispatched.

The 4,177 example appeals of the demo's matter classifier (hotline/demo/data/matter_examples.jsonl,
ordinary appeals by their writers' intent) are all triaged too: 44 are transferred or referred,
most of them dangers their writers told as such (gas smelled now, a forest fire spreading), and
some arguable ("村干部亲戚吃低保", referred to the discipline commission by the route model once
the review's probes joined its examples).

tests/data/review_probes_20.jsonl: 133 messages written around set 20's revision
(tests/unit/test_heldout_messages_3_to_20.py): 67 that change outcome (legal routes in everyday
words, refusals such as a chain message or a lone "[图片] 见图", a gas valve already shut) and 66
near misses that keep theirs (a thank-you that raises a new problem, wage arrears for the labour
inspectors, a loan shark, a petition office's hours). All right.

tests/data/review_probes_20b.jsonl: 86 messages around the last gaps: asking the hotline to call an
ambulance or the police for someone hurt now (a request, not a calm question), a vulnerable
person not home late at night, things locked away (no confinement), and the route model left out
of whole-message questions of where or when a petitions office or court opens and of an
employer's fines (route_model.leave_to_rules; it read 0.97-0.99 for petition and reconsideration).
All right. tests/data/examples_false_alarms.jsonl: 9 more of the demo's example appeals that were
transferred or referred (a pothole where an e-bike nearly overturned, a lift whose trapped riders
are out now); 9/9 after.

tests/data/late_review_probes.jsonl: 152 messages by a second reviewer, at the edges of every rule
changed after the first review (set 20's revision, the last gaps, a danger now after past
context). The rules before those changes got 99 right, the changed ones 85: they referred or
refused 45 of 85 ordinary appeals (a driving school's expulsion "这合理吗" sent to arbitration, a
thank-you that also reports a loose manhole cover refused, "帮我叫辆车来清运建筑垃圾" refused as
booking a car, a landlord's "多拿一个月房租" as a labour claim). Narrowed: 134/152 (ordinary
appeals 79/85), no labelled text changing. Of the 18 left: a learned look still refers "我要看
正式文件" about an order to demolish (0.90), "现在社区工作人员堵在我家门口让我签字" goes to 110,
and families in other words (手机被我妈收走了, 双倍工资, 让我回家等通知).
"""

from __future__ import annotations

import pytest

from routing.triage import TriageRules, triage
from tests.unit.test_matter_catalogue_model import examples
from tests.unit.wording_data import jsonl, triage_agrees

PROBES = jsonl("review_probes_18.jsonl")
SECOND = jsonl("review_probes_18b.jsonl")
THIRD = jsonl("review_probes_19.jsonl")
REVIEW = jsonl("review_probes_18_19.jsonl")
LATE = jsonl("late_review_probes.jsonl")
FOURTH = jsonl("review_probes_20.jsonl")
FIFTH = jsonl("review_probes_20b.jsonl") + jsonl("examples_false_alarms.jsonl")
WRITTEN = jsonl("written_false_alarms.jsonl")


def test_the_probes_are_the_123_messages_the_revision_was_checked_on() -> None:
    assert len(PROBES) == 123
    assert len({row["text"] for row in PROBES}) == 123


def test_the_later_probes_are_81_and_134_messages_and_the_written_false_alarms_59() -> None:
    assert len({row["text"] for row in SECOND}) == len(SECOND) == 81
    assert len({row["text"] for row in WRITTEN}) == len(WRITTEN) == 59
    assert sum(row["outcome"] == "dispatch" for row in WRITTEN) == 43
    assert len({row["text"] for row in THIRD}) == len(THIRD) == 134
    assert len({row["text"] for row in FOURTH}) == len(FOURTH) == 133
    for name, count in (("review_probes_20b.jsonl", 86), ("examples_false_alarms.jsonl", 9)):
        assert len({row["text"] for row in jsonl(name)}) == len(jsonl(name)) == count


def test_the_second_reviewers_probes_hold_what_its_fixes_measured() -> None:
    assert len({row["text"] for row in LATE}) == len(LATE) == 152
    assert sum(triage_agrees(row) for row in LATE) >= 134


def test_the_reviewers_probes_hold_what_the_review_fixes_measured() -> None:
    assert len({row["text"] for row in REVIEW}) == len(REVIEW) == 278
    assert sum(triage_agrees(row) for row in REVIEW) >= 272


def test_at_most_45_of_the_demos_example_appeals_are_transferred_or_referred() -> None:
    # 44 at the end of session 16; the 45th since the route model learnt from the written
    # referrals (tests/unit/test_route_wording.py) is a labour claim the policy sends to
    # arbitration: "公司搬迁…算不算公司解除合同，经济补偿应该怎么算".
    rules = TriageRules.load_default()
    texts = [text for text, _ in examples()]
    assert len(texts) == 4177
    assert sum(triage(text, rules).outcome is not None for text in texts) <= 45


def test_the_written_appeals_once_transferred_all_get_the_outcome_an_agent_would_choose() -> None:
    assert sum(triage_agrees(row) for row in WRITTEN) == 59


@pytest.mark.parametrize("row", PROBES + SECOND + THIRD + FOURTH, ids=lambda row: row["text"][:24])
def test_each_probe_gets_the_outcome_an_agent_would_choose(row: dict[str, str]) -> None:
    assert triage_agrees(row)
