"""Legal-route referral on wording written apart from the rules.

tests/data/legal_route_wording.jsonl: three batches of appeals already on (or headed for) a legal
route and of near misses (a law firm's sign, a court's road works, a landlord who "will sue").

    batch 1 (25 + 25): on arrival 22/25 referred to the right route, 1 false referral; after the
        revision it prompted (已经向法院起诉, 对处理决定不服, 请把…文件公开, a third party's
        threat to sue) 25/25 and none.
    batch 2 (20 + 20): on arrival 17/20 and 1 false referral; after (立案 alone is no lawsuit,
        an official's 挪用, 工伤认定不服) 20/20. The false referral stays: "希望政府公开一下
        今年的道路维修计划" reads as a disclosure request to the classifier, and is close to one.
    batch 3 (40 + 40, "batch": 3), written to avoid the textbook terms (法院判了他不还钱, 想让政府
        把征地补偿的文件给我看看, 村支书把低保名额给了亲戚): on arrival 10/40 and 1 false
        referral, so the rules knew the terms and little else. The revision gave each route the
        citizen's own phrasings (告他, 一审判我输了, 借条…赖账; 怀孕…辞退, 经济补偿金, 能裁决的
        地方; 罚得没道理, 重新认定, 请上级撤销; …给我们看看, 盖了章的复印件; 上访, 去北京告状,
        给市长写信; 开公车, 亲戚…包了工程, 摆了五十桌…红包) and a mask for saying one does not
        want that route (我不想打官司); 39/40 after. A review then wrote 65 ordinary appeals
        around those phrasings and 44 were referred (进京证, 物业决定…不合理, 再审核, 楼长的儿子,
        老板不给工资…告他, 维修基金明细): each route's phrasings now need their own context (an
        administrative body for a penalty, an official for a relative's contract, no property
        company for disclosure, no wage arrears for a lawsuit, no labour inspectorate for
        arbitration) and a conditional threat masks only "再不管…就去上访": 2 of 65 referred, both
        arguable, the batch 38/40, the review's 22 colloquial referrals all referred. No false
        referral among the 1,472 history
        tickets, 329 matter wordings, 376 ordinary realistic messages, 400 short statements or
        585 emergency near misses, before or after. Still referred: "公司说有争议就去仲裁，可我只
        想要回拖欠的三个月工资" (wage arrears are the labour inspectorate's). A dismissal without
        compensation is dispatched, as the earlier sets have it, unless the caller claims it.
"""

from __future__ import annotations

import pytest

from routing.glossary import TriageOutcome
from routing.triage import TriageResult, TriageRules, triage
from tests.unit.test_heldout_messages import routed_legal_matters
from tests.unit.wording_data import jsonl


def rows() -> tuple[dict[str, object], ...]:
    return jsonl("legal_route_wording.jsonl")


def assessed(text: str) -> TriageResult:
    """Triage as intake assesses an appeal: the classifier's legal-route matter is no referral
    on its own (decisions.classifier_legal_matters)."""
    return triage(text, TriageRules.load_default(), None, routed_legal_matters())


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
    assert len(referrals) >= 85
    assert len(missed) <= 4, missed


def test_appeals_that_only_mention_courts_lawyers_or_suing_are_not_referred() -> None:
    referred = [
        r["text"]
        for r in rows()
        if not r["referral"] and assessed(str(r["text"])).outcome is TriageOutcome.REFERRAL
    ]
    assert len(referred) <= 3, referred


@pytest.mark.parametrize(
    "text",
    [
        "外地车进京证怎么办理，办证大厅在哪里",
        "已经给市长信箱写过信了，红绿灯还是坏的",
        "小区物业决定每月停车费涨到300元，太不合理了",
        "等了很长时间我女儿的低保还没批下来",
        "楼长的儿子在楼道里堆放他公司的货物",
        "请再审核一下我的公租房申请",
        "派出所对我的案子一直不立案",
        "老板不给工资，能不能告他，他说没钱",
        "物业不提供维修基金的使用明细，业主要求看看钱花哪了",
        "国庆节加班公司不给双倍工资，劳动监察能管吗",
        "我们楼的住户一起反映过好几次油烟的问题",
        "办居住证要交什么书面材料",
    ],
)
def test_ordinary_appeals_a_review_wrote_around_the_new_phrasings_are_not_referred(
    text: str,
) -> None:
    # Each of these was referred by the first revision for batch 3.
    assert assessed(text).outcome is not TriageOutcome.REFERRAL


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("法院都判了，他还不给我钱", "litigation"),
        ("我去年就上访过了，到现在还不解决", "petition"),
        ("信访了三次了还不答复", "petition"),
    ],
)
def test_a_referral_that_says_still_nothing_happened_is_no_threat_and_still_referred(
    text: str, route: str
) -> None:
    result = assessed(text)
    assert result.outcome is TriageOutcome.REFERRAL
    assert result.route == route
