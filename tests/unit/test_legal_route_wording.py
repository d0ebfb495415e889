"""Legal-route referral on wording written apart from the rules.

tests/data/legal_route_wording.jsonl: two batches of appeals already on (or headed for) a legal
route and of near misses (a law firm's sign, a court's road works, a landlord who "will sue").

    batch 1 (25 + 25): on arrival 22/25 referred to the right route, 1 false referral; after the
        revision it prompted (已经向法院起诉, 对处理决定不服, 请把…文件公开, a third party's
        threat to sue) 25/25 and none.
    batch 2 (20 + 20): on arrival 17/20 and 1 false referral; after (立案 alone is no lawsuit,
        an official's 挪用, 工伤认定不服) 20/20. The false referral stays: "希望政府公开一下
        今年的道路维修计划" reads as a disclosure request to the classifier, and is close to one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from routing.glossary import TriageOutcome
from routing.triage import TriageResult, TriageRules, triage
from tests.unit.test_heldout_messages import keyword_rules, routed_legal_matters

MESSAGES = Path(__file__).resolve().parents[1] / "data" / "legal_route_wording.jsonl"


@cache
def rows() -> tuple[dict[str, object], ...]:
    lines = MESSAGES.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line)


def assessed(text: str) -> TriageResult:
    """Triage, and again with the classifier's matter, as intake assesses an appeal."""
    rules, legal = TriageRules.load_default(), routed_legal_matters()
    result = triage(text, rules, None, legal)
    matter = keyword_rules().classify(text).matter_code
    if result.outcome is None and matter in legal:
        result = triage(text, rules, matter, legal)
    return result


def test_appeals_on_a_legal_route_are_referred_to_that_route() -> None:
    referrals = [r for r in rows() if r["referral"]]
    missed = [
        r["text"]
        for r in referrals
        if not (
            (result := assessed(str(r["text"]))).outcome is TriageOutcome.REFERRAL
            and result.route in r["routes"]  # type: ignore[operator]
        )
    ]
    assert len(referrals) >= 45
    assert len(missed) <= 3, missed


def test_appeals_that_only_mention_courts_lawyers_or_suing_are_not_referred() -> None:
    referred = [
        r["text"]
        for r in rows()
        if not r["referral"] and assessed(str(r["text"])).outcome is TriageOutcome.REFERRAL
    ]
    assert len(referred) <= 2, referred
