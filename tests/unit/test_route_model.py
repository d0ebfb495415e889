"""The route model: triage's last look, for legal-route referrals and refusals the rules miss.

Forward-chained on the held-out sets 11–13 (the rules as on each set's arrival, the model trained
on what came before, believed at 0.8): referrals right 45 → 53 of 72, refusals 16 → 32 of 48, no
ordinary appeal of the sets referred or refused, no emergency changed. Over 4,069 ordinary texts
(5-fold), 8 were referred or refused at 0.8, six of them labour appeals sent to arbitration; at
0.95 for arbitration, 2 (decisions.route_model_last_look).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from hotline.emergency_training import (
    ROUTE_NEGLIGIBLE,
    ROUTE_SIGNIFICANT_DIGITS,
    TrainingError,
    read_labelled_examples,
    train,
    write_model,
)
from hotline.route_examples import (
    DEFAULT_EMERGENCY_EXAMPLES_PATH,
    DEFAULT_ROUTE_EXAMPLES_PATH,
    DEFAULT_ROUTE_MODEL_PATH,
    labelled_texts,
    route_classes,
    route_examples,
    write_route_examples,
)
from routing.emergency_model import EmergencyModel
from routing.glossary import TriageOutcome
from routing.ngram_model import NgramModel
from routing.triage import (
    DEFAULT_RULES_PATH,
    ROUTE_MODEL,
    TriageRules,
    normalise,
    route_model_not_asked,
    triage,
)
from tests.unit.sklearn_reference import assert_serves_what_scikit_learn_learns

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


def rules_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return data


def rules_of(data: dict[str, Any]) -> TriageRules:
    return TriageRules.from_mapping(data, DEFAULT_RULES_PATH.parent)


@pytest.fixture(scope="module")
def rules() -> TriageRules:
    return TriageRules.load_default()


@pytest.fixture(scope="module")
def without_model() -> TriageRules:
    data = rules_data()
    del data["route_model"]
    return rules_of(data)


def blind_data() -> dict[str, Any]:
    """The shipped rules with no words or patterns for the legal routes and the refusals: what
    the rules miss, the model alone reads."""
    data = rules_data()
    for route in data["legal_routes"]:
        route["words"], route["patterns"] = [], []
    for key in ("trolling_patterns", "outside_remit_patterns", "abusive_words", "abusive_patterns"):
        data["not_accepted"][key] = []
    return data


@pytest.fixture(scope="module")
def blind_rules() -> TriageRules:
    return rules_of(blind_data())


@pytest.fixture(scope="module")
def blind_without_model() -> TriageRules:
    data = blind_data()
    del data["route_model"]
    return rules_of(data)


def small_route_examples(tmp_path: Path) -> Path:
    """A few examples of each class of the route model, in words that recur."""
    rows = [
        ("我要起诉他，法院立案了吗", "litigation"),
        ("我想去法院起诉邻居", "litigation"),
        ("公司辞退我不给补偿，我要申请劳动仲裁", "arbitration"),
        ("被公司辞退了，想申请仲裁要补偿", "arbitration"),
        ("举报村干部贪污补偿款", "discipline"),
        ("举报干部收红包贪污", "discipline"),
        ("对城管的处罚决定不服，要申请复议", "reconsideration"),
        ("罚款决定不服想复议", "reconsideration"),
        ("我要去信访局上访", "petition"),
        ("信访局一直不答复我的上访", "petition"),
        ("申请公开征地批复文件", "information_disclosure"),
        ("要求政府公开拆迁批复文件", "information_disclosure"),
        ("你们都是废物滚", "not_accepted"),
        ("帮我找个女朋友", "not_accepted"),
        ("小区路灯坏了好几天", "ordinary"),
        ("楼上装修太吵了", "ordinary"),
        ("路灯不亮希望修一下", "ordinary"),
        ("有人拿刀砍人了快来", "emergency"),
        ("厨房着火了火很大", "emergency"),
    ]
    path = tmp_path / "route_examples.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"text": t, "label": label, "source": "test"}, ensure_ascii=False)
            for t, label in rows
        ),
        encoding="utf-8",
    )
    return path


def test_the_served_arithmetic_is_that_of_the_trained_model(tmp_path: Path) -> None:
    """As the shipped model is trained: four significant digits, small weights written as 0."""
    examples, _ = read_labelled_examples(small_route_examples(tmp_path), route_classes())
    model = train(
        examples,
        classes=route_classes(),
        significant_digits=ROUTE_SIGNIFICANT_DIGITS,
        negligible=ROUTE_NEGLIGIBLE,
    )
    write_model(model, tmp_path / "model.json", NgramModel, compact=True)
    served = NgramModel.load(tmp_path / "model.json")

    assert_serves_what_scikit_learn_learns(
        examples, served, ("我要去法院起诉", "申请仲裁", "举报干部", "路灯坏了", "今天天气不错")
    )


def test_the_shipped_model_was_trained_on_the_shipped_examples() -> None:
    model = NgramModel.load(DEFAULT_ROUTE_MODEL_PATH)
    examples, sha256 = read_labelled_examples(DEFAULT_ROUTE_EXAMPLES_PATH, route_classes())
    assert model.trained_on["sha256"] == sha256, "examples changed: flask triage train --routes"
    assert model.trained_on["examples"] == len(examples)
    assert set(model.classes) == set(route_classes())


def test_the_shipped_examples_are_built_from_the_labelled_data(tmp_path: Path) -> None:
    built = tmp_path / "route_examples.jsonl"
    write_route_examples(
        route_examples(labelled_texts(DATA, DEFAULT_EMERGENCY_EXAMPLES_PATH)), built
    )
    assert built.read_bytes() == DEFAULT_ROUTE_EXAMPLES_PATH.read_bytes(), (
        "tests/data changed: flask triage route-examples, then flask triage train --routes"
    )


def test_the_examples_hold_each_text_once() -> None:
    rows = [
        json.loads(line)
        for line in DEFAULT_ROUTE_EXAMPLES_PATH.read_text(encoding="utf-8").splitlines()
    ]
    assert all(set(row) == {"text", "label", "source"} for row in rows)
    assert len({normalise(row["text"]) for row in rows}) == len(rows)


@pytest.mark.parametrize(
    ("text", "route"),
    [
        # Set 13, missed by the rules on its arrival (they have since learned its words).
        (
            "我家低保上个月被取消了，民政发的通知说收入超标，可我家情况根本没变，要求恢复。",
            "reconsideration",
        ),
        (
            "举报我们镇一个副镇长，周末开着公车拉家里人去水库钓鱼，车牌尾号36，好几个周末都看见了。",
            "discipline",
        ),
        (
            "公司要搬到外省去，让我们要么跟着去要么自己辞职，自己走就一分补偿没有，我们十几个老员工不同意。",
            "arbitration",
        ),
    ],
)
def test_a_legal_route_the_rules_miss_is_referred_on_the_models_reading(
    blind_rules: TriageRules, blind_without_model: TriageRules, text: str, route: str
) -> None:
    assert triage(text, blind_without_model).outcome is None
    result = triage(text, blind_rules)
    assert result.outcome is TriageOutcome.REFERRAL
    assert result.route == route
    guidance = next(r.guidance_zh for r in blind_rules.legal_routes if r.route == route)
    assert result.guidance_zh == guidance
    assert result.matched == ROUTE_MODEL
    assert result.probability is not None and result.probability >= 0.8


def test_the_shipped_rules_refer_what_only_the_model_reads(
    rules: TriageRules, without_model: TriageRules
) -> None:
    text = "想给市长写封信，把我们村这十几年的问题一条条写清楚，寄到哪里能送到"
    assert triage(text, without_model).outcome is None
    result = triage(text, rules)
    assert (result.outcome, result.route, result.matched) == (
        TriageOutcome.REFERRAL,
        "petition",
        ROUTE_MODEL,
    )


@pytest.mark.parametrize(
    "text",
    [
        "你们这帮吃干饭的，打了八百遍都是机器人接，一群废物，滚！",
        "我家猫今天不理我 你说它是不是想它前主人了😂😂",
    ],
)
def test_a_contact_nobody_can_act_on_is_refused_on_the_models_reading(
    rules: TriageRules, without_model: TriageRules, text: str
) -> None:
    assert triage(text, without_model).outcome is None
    result = triage(text, rules)
    assert result.outcome is TriageOutcome.NOT_ACCEPTED
    assert result.reason_zh == "诉求内容经判断不涉及任何单位可以办理的具体事项，不予受理。"
    assert result.matched == ROUTE_MODEL
    assert result.probability is not None and result.probability >= 0.8


def test_a_refusal_the_rules_miss_is_read_by_the_model(
    blind_rules: TriageRules, blind_without_model: TriageRules
) -> None:
    assert triage("你今天吃饭了没？你们那边忙不忙呀", blind_without_model).outcome is None
    result = triage("你今天吃饭了没？你们那边忙不忙呀", blind_rules)
    assert (result.outcome, result.matched) == (TriageOutcome.NOT_ACCEPTED, ROUTE_MODEL)


def test_the_model_is_never_asked_when_the_rules_decided(rules: TriageRules) -> None:
    # The model reads arbitration (0.99); the rules, a lawsuit after the award.
    text = "仲裁委裁决公司支付我工资，公司不服又去起诉了"
    assert rules.route_model is not None
    probabilities = rules.route_model.probabilities(normalise(text))
    assert max(probabilities, key=lambda c: probabilities[c]) == "arbitration"
    result = triage(text, rules)
    assert (result.outcome, result.route, result.probability) == (
        TriageOutcome.REFERRAL,
        "litigation",
        None,
    )
    assert result.matched != ROUTE_MODEL
    fire = triage("楼道里着火了烟很大，快来人", rules)
    assert fire.outcome is TriageOutcome.EMERGENCY and fire.matched != ROUTE_MODEL


def test_arbitration_needs_its_higher_threshold(rules: TriageRules) -> None:
    # Labour inspection in most sets, arbitration in two: the model reads arbitration at 0.83.
    text = "公司不跟我签劳动合同，已经干了一年多了"
    assert rules.route_model_thresholds["arbitration"] == 0.95 > rules.route_model_threshold
    assert triage(text, rules).outcome is None
    data = rules_data()
    data["route_model"]["thresholds"] = {}
    at_the_common_threshold = triage(text, rules_of(data))
    assert (at_the_common_threshold.outcome, at_the_common_threshold.route) == (
        TriageOutcome.REFERRAL,
        "arbitration",
    )


def ordinary_appeals() -> list[str]:
    texts = [
        json.loads(line)["text"]
        for path in sorted(DATA.glob("ordinary_probes*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with (DATA / "real_messages.csv").open(encoding="utf-8", newline="") as f:
        texts += [r["text"] for r in csv.DictReader(f) if r["expected_outcome"] == "none"]
    return texts


def test_ordinary_appeals_keep_their_outcome(
    rules: TriageRules, without_model: TriageRules
) -> None:
    texts = ordinary_appeals()
    assert len(texts) > 400
    changed = [
        text
        for text in texts
        if triage(text, rules).outcome is not triage(text, without_model).outcome
    ]
    assert changed == []


def test_a_message_mostly_in_another_language_is_not_put_to_the_model(
    rules: TriageRules,
) -> None:
    text = "can you help me find my old classmate 王芳"
    assert route_model_not_asked(text, rules) == "not mostly Chinese (min_chinese_share)"
    assert route_model_not_asked("帮我找个初中同学", rules) is None


def test_rules_without_a_route_model_have_none(without_model: TriageRules) -> None:
    assert without_model.route_model is None
    assert route_model_not_asked("想给市长写封信", without_model) == "no route model in the rules"


def test_thresholds_must_be_probabilities_of_a_route(tmp_path: Path) -> None:
    data = rules_data()
    data["route_model"]["thresholds"] = {"lottery": 0.9}
    with pytest.raises(ValueError, match="lottery"):
        rules_of(data)
    for threshold in (0, 1.5):
        data = rules_data()
        data["route_model"]["threshold"] = threshold
        with pytest.raises(ValueError, match="threshold"):
            rules_of(data)
    data = rules_data()
    with pytest.raises(ValueError, match=r"route model .*route_model\.json"):
        TriageRules.from_mapping({**data, "emergency_model": {}}, tmp_path)


def test_examples_with_a_label_the_model_has_no_class_for_are_refused(tmp_path: Path) -> None:
    path = small_route_examples(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8") + '\n{"text": "中了彩票", "label": "lottery"}\n',
        encoding="utf-8",
    )
    with pytest.raises(TrainingError, match=r"route_examples\.jsonl:20: the label must be one of"):
        read_labelled_examples(path, route_classes())


def test_the_emergency_model_is_the_same_arithmetic() -> None:
    assert issubclass(EmergencyModel, NgramModel)
    with pytest.raises(ValueError, match="none"):
        EmergencyModel.load(DEFAULT_ROUTE_MODEL_PATH)


def test_the_route_model_is_not_asked_about_messages_the_rules_keep_to_themselves() -> None:
    rules = TriageRules.load_default()
    kept = "left to the rules (route_model.leave_to_rules)"
    assert route_model_not_asked("请问信访局几点上班？", rules) == kept
    assert route_model_not_asked("公司罚了我两百块 想把这个处罚翻过来", rules) == kept
    assert triage("请问信访局周六上班吗", rules).outcome is None
    for asked in (
        "市信访局在哪里。",
        "你好，市信访局在哪里？",
        "请问：信访局几点上班？",
        "请问信访局几点上班？谢谢",
        "请问信访局的地址是多少？",
    ):
        assert triage(asked, rules).outcome is None, asked
    # A petition that also asks the hours is still the rules' and the model's to read.
    assert route_model_not_asked("我要去信访局上访，请问信访局几点上班", rules) is None
    assert triage("交警罚了我两百，想申请复议", rules).route == "reconsideration"
