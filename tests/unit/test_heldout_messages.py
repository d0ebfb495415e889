"""Intake triage and matter classification on a held-out set of citizen messages.

tests/data/heldout_messages_2.jsonl was written apart from the rules: 202 messages first, measured
before any rule changed, then three smaller batches, each written before the rules were next
revised. Styles vary on purpose: SMS shorthand, traditional characters, full-width letters,
English, emoji, dialect, rambling or three-character messages, angry callers with real problems,
and near misses (a past fire, a blocked fire lane, a court next to a building site, "简直是抢劫").

The assessment is hotline.intake.assess with the keyword rules built as in
tests/unit/test_real_messages.py and the legal-route matters mapped to their routes as
hotline.routing_context maps them. The floors below sit above what the rules before this set
reached (in brackets) and below what they reach now, so a reworded rule does not fail the suite.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from routing.glossary import TriageOutcome
from routing.triage import TriageRules, triage
from tests.unit.test_real_messages import (
    OUTCOMES,
    ROUTES,
    SERVICES,
    Assessed,
    Message,
    keyword_rules,
    legal_route_matters,
    matter_tree,
)

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "tests" / "data" / "heldout_messages_2.jsonl"

# Before → now on this set (325 messages: 93 emergencies, 38 referrals, 33 not accepted).
EMERGENCY_RECALL_FLOOR = 0.95  # 46/93 → 92/93, with the right service
SERVICE_RECALL_FLOOR = 0.9  # 110 8/30, 119 13/24, 120 14/27, 122 9/12 → 29/30, all, all, all
FALSE_ALARMS_CEILING = 2  # 5 of 232 → 0
REFERRAL_RECALL_FLOOR = 0.95  # 35/38 → 38/38, with the right route
FALSE_REFERRALS_CEILING = 1  # 4 of 287 → 0
NOT_ACCEPTED_RECALL_FLOOR = 0.9  # 26/33 → 33/33
FALSE_REFUSALS_CEILING = 1  # 3 of 292 → 0
MATTER_ACCURACY_FLOOR = (
    0.9  # 0.802 → 0.879 → 0.940 → 0.948 on 116 labelled messages (matter_wording)
)


@cache
def messages() -> tuple[Message, ...]:
    rows = [json.loads(line) for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line]
    return tuple(
        Message(
            r["text"],
            r["expected_outcome"],
            r["expected_service"],
            r["expected_route"],
            r["expected_matter"],
        )
        for r in rows
    )


@cache
def routed_legal_matters() -> dict[str, str | None]:
    """Each legal-route leaf with its route, matched by name as hotline.routing_context does."""
    rules = TriageRules.load_default()
    tree = matter_tree()
    return {
        code: next(
            (
                r.route
                for r in rules.legal_routes
                if tree.name(code) in r.label_zh or r.label_zh in tree.name(code)
            ),
            None,
        )
        for code in legal_route_matters()
    }


@cache
def assessed() -> tuple[Assessed, ...]:
    rules = TriageRules.load_default()
    legal = routed_legal_matters()
    out: list[Assessed] = []
    for message in messages():
        triaged = triage(message.text, rules, None, legal)
        classification = keyword_rules().classify(message.text)
        out.append(Assessed(message, triaged, classification))
    return tuple(out)


def report(rows: list[Assessed]) -> str:
    return "\n".join(a.describe() for a in rows)


def transferred_to(a: Assessed, service: str) -> bool:
    return a.triaged.outcome is TriageOutcome.EMERGENCY and a.triaged.service == service


def test_the_held_out_set_is_large_varied_and_well_formed() -> None:
    rows = messages()
    assert len(rows) >= 150
    assert len({m.text for m in rows}) == len(rows)
    assert set(Counter(m.outcome for m in rows)) == OUTCOMES
    leaves = set(matter_tree().leaves())
    for m in rows:
        assert (m.service in SERVICES) == (m.outcome == "emergency"), m
        assert (m.route in ROUTES) == (m.outcome == "referral"), m
        assert m.matter == "" or m.matter in leaves, m
    assert {m.service for m in rows if m.service} == SERVICES
    assert {m.route for m in rows if m.route} == ROUTES
    # Styles the hidden traffic has: traditional characters, full-width letters, English, emoji.
    assert any("樓" in m.text or "電" in m.text for m in rows)
    assert any("ｔ" in m.text or "１" in m.text for m in rows)
    assert any(m.text.isascii() and m.text.strip() for m in rows)
    assert any("🔥" in m.text or "😭" in m.text for m in rows)


def test_nearly_every_emergency_is_transferred_to_the_right_service() -> None:
    emergencies = [a for a in assessed() if a.message.outcome == "emergency"]
    missed = [a for a in emergencies if not transferred_to(a, a.message.service)]
    print(f"\nemergencies missed {len(missed)}/{len(emergencies)}:\n" + report(missed))
    assert 1 - len(missed) / len(emergencies) >= EMERGENCY_RECALL_FLOOR, report(missed)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_emergency_service_gets_nearly_all_of_its_calls(service: str) -> None:
    calls = [a for a in assessed() if a.message.service == service]
    hits = [a for a in calls if transferred_to(a, service)]
    assert len(hits) / len(calls) >= SERVICE_RECALL_FLOOR, report(
        [a for a in calls if a not in hits]
    )


def test_hardly_anything_else_is_transferred_as_an_emergency() -> None:
    false_alarms = [
        a
        for a in assessed()
        if a.message.outcome != "emergency" and a.triaged.outcome is TriageOutcome.EMERGENCY
    ]
    assert len(false_alarms) <= FALSE_ALARMS_CEILING, report(false_alarms)


def test_nearly_every_legal_route_is_referred_with_its_own_guidance() -> None:
    referrals = [a for a in assessed() if a.message.outcome == "referral"]
    right = [
        a
        for a in referrals
        if a.triaged.outcome is TriageOutcome.REFERRAL
        and a.triaged.route == a.message.route
        and a.triaged.guidance_zh
    ]
    assert len(right) / len(referrals) >= REFERRAL_RECALL_FLOOR, report(
        [a for a in referrals if a not in right]
    )


def test_complaints_that_mention_a_court_or_a_lawyer_are_hardly_ever_referred() -> None:
    wrong = [
        a
        for a in assessed()
        if a.message.outcome != "referral" and a.triaged.outcome is TriageOutcome.REFERRAL
    ]
    assert len(wrong) <= FALSE_REFERRALS_CEILING, report(wrong)


def test_empty_meaningless_and_abusive_contacts_are_nearly_all_not_accepted() -> None:
    refusable = [a for a in assessed() if a.message.outcome == "not_accepted"]
    refused = [a for a in refusable if a.triaged.outcome is TriageOutcome.NOT_ACCEPTED]
    assert len(refused) / len(refusable) >= NOT_ACCEPTED_RECALL_FLOOR, report(
        [a for a in refusable if a not in refused]
    )


def test_angry_short_and_genuine_appeals_are_hardly_ever_refused() -> None:
    wrong = [
        a
        for a in assessed()
        if a.message.outcome != "not_accepted" and a.triaged.outcome is TriageOutcome.NOT_ACCEPTED
    ]
    assert len(wrong) <= FALSE_REFUSALS_CEILING, report(wrong)


def test_the_matter_is_right_for_most_held_out_messages() -> None:
    labelled = [a for a in assessed() if a.message.matter]
    wrong = [a for a in labelled if a.classification.matter_code != a.message.matter]
    accuracy = 1 - len(wrong) / len(labelled)
    print(f"\nmatter accuracy {accuracy:.3f} on {len(labelled)} labelled messages")
    for a in wrong:
        print("  " + a.describe())
    assert accuracy >= MATTER_ACCURACY_FLOOR
