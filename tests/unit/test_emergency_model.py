"""The emergency model: the third look of emergency triage, learned from labelled examples.

Measured by forward-chained validation (bench/bench_triage.py: for each wording batch k, a model
trained on the batches before k and 4 of 5 folds of the ordinary messages reads batch k on
arrival; threshold 0.8, calm messages not asked): 416 of 560 dangers of batches 2–14 to a right
service (the rules on arrival: 366), 3 of 610 near misses and 5 of 2,609 ordinary messages
transferred. On arrival with the rules, batch 12: 35/40 (rules alone 30/40); batch 13, written
apart after a review: 72/80 (66/80), no ordinary appeal of its 120 transferred by the model;
batch 14, written last: 46/50 (42/50), none of its 70 ordinary appeals by the model.
(docs/benchmarks/triage.md)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.emergency_training import (
    TrainingError,
    read_examples,
    train,
    write_model,
)
from routing.emergency_model import (
    DEFAULT_EXAMPLES_PATH,
    DEFAULT_MODEL_PATH,
    NOT_AN_EMERGENCY,
    EmergencyModel,
    model_text,
)
from routing.glossary import TriageOutcome
from routing.triage import DEFAULT_RULES_PATH, TriageRules, normalise, triage
from tests.unit.sklearn_reference import assert_serves_what_scikit_learn_learns


@pytest.fixture(scope="module")
def rules() -> TriageRules:
    return TriageRules.load_default()


def small_examples(tmp_path: Path) -> Path:
    """A few examples of each class, repeated in other words so that n-grams recur."""
    rows = [
        ("有人拿刀砍人了快报警", ["110"]),
        ("有人拿刀在街上追着砍人", ["110"]),
        ("小偷正在撬我家的门", ["110"]),
        ("楼道里着火了烟很大", ["119"]),
        ("厨房着火了火很大", ["119"]),
        ("仓库着火了冒黑烟", ["119"]),
        ("老人晕倒了叫不醒", ["120"]),
        ("我爸突然晕倒了没有呼吸", ["120"]),
        ("孩子晕倒了抽搐", ["120"]),
        ("路口两辆车相撞有人受伤", ["122", "120"]),
        ("高速上车相撞了司机被卡住", ["122"]),
        ("十字路口车相撞了", ["122"]),
        ("小区路灯坏了好几天", []),
        ("楼上装修太吵了", []),
        ("物业费太贵了", []),
        ("路灯不亮希望修一下", []),
        ("装修噪音太吵希望管一管", []),
        ("公积金怎么提取", []),
    ]
    path = tmp_path / "examples.jsonl"
    path.write_text(
        "\n".join(json.dumps({"text": t, "services": s}, ensure_ascii=False) for t, s in rows),
        encoding="utf-8",
    )
    return path


def test_the_served_arithmetic_is_exactly_that_of_the_trained_model(tmp_path: Path) -> None:
    examples, _ = read_examples(small_examples(tmp_path))
    write_model(train(examples), tmp_path / "model.json")
    served = EmergencyModel.load(tmp_path / "model.json")
    assert_serves_what_scikit_learn_learns(
        examples, served, ("厨房里着火了", "有人晕倒了", "路灯坏了", "两辆车相撞", "今天天气不错")
    )


def test_a_model_trained_on_a_few_examples_tells_the_services_apart(tmp_path: Path) -> None:
    examples, _ = read_examples(small_examples(tmp_path))
    model = EmergencyModel.from_mapping(train(examples))
    assert model.read(normalise("隔壁着火了")).service == "119"
    assert model.read(normalise("有人晕倒了")).service == "120"
    assert model.read(normalise("有人拿刀")).service == "110"
    fire = model.read(normalise("着火了"))
    lamp = model.read(normalise("路灯坏了"))
    assert fire.probability > 0.5 > lamp.probability
    assert fire.evidence and all(gram in normalise("着火了") for gram in fire.evidence)


def test_the_shipped_model_was_trained_on_the_shipped_examples() -> None:
    model = EmergencyModel.load(DEFAULT_MODEL_PATH)
    examples, sha256 = read_examples(DEFAULT_EXAMPLES_PATH)
    assert model.trained_on["sha256"] == sha256, "examples changed: run `flask triage train`"
    assert model.trained_on["examples"] == len(examples)
    assert set(model.classes) == {NOT_AN_EMERGENCY, "110", "119", "120", "122"}


def test_the_rules_name_the_model_and_the_probability_it_is_believed_at(
    rules: TriageRules,
) -> None:
    assert rules.emergency_model is not None
    assert 0.5 <= rules.emergency_model_threshold < 1
    without = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    del without["emergency_model"]
    assert TriageRules.from_mapping(without).emergency_model is None


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("手腕割了 血在喷", "120"),
        ("我一个人在家 阳台外面有响动 有人顺着水管爬上来了 正在拉我的窗户 三楼 怎么办", "110"),
        ("暴雨 铁路桥下那个涵洞积水都到胸口了 有辆车熄火泡在里面 司机爬到车顶上了水还在涨", "119"),
    ],
)
def test_a_danger_no_rule_words_is_transferred_on_the_models_reading(
    rules: TriageRules, text: str, service: str
) -> None:
    without_model = TriageRules.from_mapping(
        {
            k: v
            for k, v in json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8")).items()
            if k != "emergency_model"
        }
    )
    assert triage(text, without_model).outcome is None
    result = triage(text, rules)
    assert result.outcome is TriageOutcome.EMERGENCY
    assert result.service == service
    assert result.reason_zh == f"涉及紧急情况（{rules.label_of(service)}），请立即转接{service}。"
    assert result.matched  # the n-grams that weighed most, for the agent to see


def test_a_calm_message_is_not_put_to_the_model(rules: TriageRules) -> None:
    # The same danger told as a question about the past: the rules' calm reading decides.
    assert triage("上个月我手腕割了血在喷，医药费能报销吗？", rules).outcome is None


def test_what_the_rules_keep_to_themselves_is_not_put_to_the_model(rules: TriageRules) -> None:
    text = "我被困在电梯里了，卡在12楼和13楼中间，里面好热"
    assert rules.emergency_model is not None
    assert rules.emergency_model.read(normalise(text)).service == "119"
    assert triage(text, rules).outcome is None


def test_ordinary_short_appeals_stay_below_the_threshold(rules: TriageRules) -> None:
    for text in ("阳台上有个马蜂窝", "我家楼上有个人天天吵", "楼下有个坑", "家里停水了"):
        assert triage(text, rules).outcome is None, text


@pytest.mark.parametrize(
    "text",
    [
        "There is a pothole on Main Street, please fix it",
        "The traffic light at 5th and Main is not working",
        "Water is leaking from the ceiling of my apartment",
        "I want to complain about the noise from the bar downstairs",
    ],
)
def test_a_message_mostly_in_another_language_is_left_to_the_rules(
    rules: TriageRules, text: str
) -> None:
    assert triage(text, rules).outcome is None


def test_numbers_and_latin_letters_are_not_read(rules: TriageRules) -> None:
    # A room or phone number says nothing of danger; read, it would dilute the words that do.
    assert rules.emergency_model is not None
    bare = rules.emergency_model.read(normalise("隔壁老太太倒在门口一动不动"))
    numbered = rules.emergency_model.read(normalise("隔壁老太太倒在门口一动不动 1502 13912345678"))
    assert numbered.probability == pytest.approx(bare.probability)
    assert model_text(normalise("Fire! 3栋2单元着火了")) == "!栋单元着火了"


def test_an_emergency_in_english_is_still_found_by_the_rules(rules: TriageRules) -> None:
    result = triage("Help! There is a fire in my house", rules)
    assert result.outcome is TriageOutcome.EMERGENCY
    assert result.service == "119"


def test_examples_that_cannot_train_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "着火了", "services": ["119"]}\nnot json\n', encoding="utf-8")
    with pytest.raises(TrainingError, match=r"bad.jsonl:2"):
        read_examples(path)
    path.write_text('{"text": "着火了", "services": ["999"]}\n', encoding="utf-8")
    with pytest.raises(TrainingError, match="services must be"):
        read_examples(path)
    path.write_text('{"text": "着火了", "services": ["119"]}\n', encoding="utf-8")
    with pytest.raises(TrainingError, match="no example for none, 110, 120, 122"):
        read_examples(path)


def test_example_files_are_read_as_written_or_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "examples.jsonl"
    good = small_examples(tmp_path).read_text(encoding="utf-8")
    # A byte-order mark, and a text with a line separator in it, are read as written.
    path.write_text("\ufeff" + good + '\n{"text": "有人晕倒了\u2028快来", "services": ["120"]}')
    examples, _ = read_examples(path)
    assert examples[-1].text == "有人晕倒了\u2028快来"
    path.write_bytes(good.encode("utf-8") + b"\n\xff\xfe")
    with pytest.raises(TrainingError, match="not UTF-8"):
        read_examples(path)
    path.write_text(good + '\n{"text": "有人晕倒了", "services": [["120"]]}', encoding="utf-8")
    with pytest.raises(TrainingError, match="services must be"):
        read_examples(path)
    path.write_text(good + '\n{"text": 5, "services": []}', encoding="utf-8")
    with pytest.raises(TrainingError, match="must be a string"):
        read_examples(path)
    path.write_text(good + '\n{"text": "厨房着火了 火很大", "services": []}', encoding="utf-8")
    with pytest.raises(TrainingError, match="same text as line 5 with another label"):
        read_examples(path)


def test_a_retrained_model_replaces_the_served_file_whole(tmp_path: Path) -> None:
    examples, _ = read_examples(small_examples(tmp_path))
    target = tmp_path / "model.json"
    target.write_text("the model being served", encoding="utf-8")
    write_model(train(examples), target)
    assert EmergencyModel.load(target).trained_on["examples"] == len(examples)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples.jsonl", "model.json"]


def test_rules_that_name_a_missing_model_say_so(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=r"emergency model .*emergency_model\.json"):
        TriageRules.from_mapping(data, tmp_path)


def test_a_model_file_that_does_not_fit_its_classes_is_refused() -> None:
    with pytest.raises(ValueError, match="none"):
        EmergencyModel.from_mapping({"classes": ["110"], "intercepts": [0.0], "features": {}})
    with pytest.raises(ValueError, match="weights"):
        EmergencyModel.from_mapping(
            {"classes": ["none", "110"], "intercepts": [0, 0], "features": {"火": [1.0, 0.5]}}
        )


@pytest.mark.parametrize(
    "text",
    [
        "楼下着火了，火已经灭了，没人受伤",
        "昨晚小区有辆车自燃了，消防来灭的火，现在烧剩的车架子还停在那没人拉走",
        "前几天小区有人跳楼，现在大家心里很不安",
    ],
)
def test_the_model_reads_the_message_as_the_rules_do_without_its_past_or_negated_clauses(
    rules: TriageRules, text: str
) -> None:
    assert triage(text, rules).outcome is None


def test_a_burn_after_a_fire_already_out_goes_to_the_ambulance(rules: TriageRules) -> None:
    result = triage("油锅起火把我奶奶手臂和脸烫伤了 起了好多水泡 火已经灭了 人一直在喊疼", rules)
    assert result.outcome is TriageOutcome.EMERGENCY
    assert result.service == "120"


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("快给我叫救护车，我爸不动了", "120"),
        ("被逼得要跳楼了，我在天台上", "110"),
        ("电梯里被困，电梯在往下掉", "119"),
    ],
)
def test_dangers_the_new_masks_once_hid_are_transferred(
    rules: TriageRules, text: str, service: str
) -> None:
    result = triage(text, rules)
    assert result.outcome is TriageOutcome.EMERGENCY
    assert result.service == service


def test_a_threshold_that_is_no_probability_is_refused() -> None:
    data = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for threshold in (0, 1.5, -0.2):
        data["emergency_model"]["threshold"] = threshold
        with pytest.raises(ValueError, match="threshold"):
            TriageRules.from_mapping(data)


def test_a_model_that_cannot_serve_never_replaces_the_served_file(tmp_path: Path) -> None:
    examples, _ = read_examples(small_examples(tmp_path))
    # Only English for 122: once what the model cannot read is left out, 122 has no example.
    english = [e for e in examples if e.label != "122"] + [
        type(examples[0])("car crash on the ring road", "122")
    ]
    with pytest.raises(TrainingError, match="for 122"):
        train(english)
    target = tmp_path / "model.json"
    target.write_text("served", encoding="utf-8")
    with pytest.raises(TrainingError, match="does not read back"):
        write_model({"classes": ["110"], "intercepts": [0.0], "features": {}}, target)
    assert target.read_text(encoding="utf-8") == "served"
