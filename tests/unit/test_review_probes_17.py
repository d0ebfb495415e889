"""Ordinary appeals the rules had sent to the police, found by the review of set 17's revision,
and the dangers of the same wording that must still be transferred.

tests/data/review_probes_17.jsonl, 212 messages written around four families (each with the
outcome an agent would choose): an employer, a school or a landlord that "不让我走" (a labour or
rental dispute) against someone locked in, held at knifepoint or kept by a pyramid scheme (110);
someone who 拿着借条 (a document) against someone 拿着刀 (110); a sign, an air conditioner or a
cable 挂在楼外面 (a hazard to dispatch) against a person or a child hanging outside a window; and
a wage claim that asks where 仲裁院 or 仲裁委 is (arbitration) against a bare question of the
office's hours (dispatched). Before the revision 3 ordinary appeals of set17_edges.jsonl went to
110 (an IOU, a resignation, a billboard) and the four wage claims were dispatched; after it,
all 212 are right, and of the 12,995 labelled texts only those and one loose cable of
matter_wording_13 (119 before, dispatched now, as its label says) changed outcome.

tests/data/threat_probes.jsonl, 54 more: threats of serious harm made now against the caller or
their family ("说不还钱就砍死我全家", "老板不让走，说走就打断我的腿") and workers kept under
watch, all missed before (110), against the caller's own temper, bargaining, a parent's scolding,
a film's or a game's lines and a threat the police already handled (dispatched; a game's "要杀了
我" and "真想杀了他们，广场舞太吵了" had gone to 110). All 54 right after, with none of the
13,207 labelled texts changing outcome.
"""

from __future__ import annotations

import pytest

from tests.unit.wording_data import jsonl, triage_agrees

PROBES = jsonl("review_probes_17.jsonl")
THREATS = jsonl("threat_probes.jsonl")


def test_the_probes_are_the_212_messages_the_revision_was_checked_on() -> None:
    assert len(PROBES) == 212
    assert len({row["text"] for row in PROBES}) == 212


def test_the_threat_probes_are_54_messages_half_of_them_dangers() -> None:
    assert len(THREATS) == 54
    assert sum(row["outcome"] == "emergency" for row in THREATS) == 27


@pytest.mark.parametrize("row", PROBES + THREATS, ids=lambda row: row["text"][:24])
def test_each_probe_gets_the_outcome_an_agent_would_choose(row: dict[str, str]) -> None:
    assert triage_agrees(row)
