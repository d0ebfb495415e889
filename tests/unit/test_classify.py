"""Matter classification: keyword rules, the naive Bayes model, and who decides."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from routing.classify import (
    ASSIST_WEIGHT,
    Classification,
    Classifier,
    KeywordRules,
    NaiveBayesModel,
    catalogue_documents,
    combine,
    evaluate,
    stratified_folds,
)

HISTORY = Path(__file__).parents[1] / "data" / "history_sample.csv"

LEAVES = [
    ("B01.01", "电梯故障", "电梯、电梯坏了、电梯困人、电梯停运"),
    ("B01.02", "小区停车", ["停车位", "车位", "停车费"]),
    ("B02.01", "施工噪音", "工地、夜间施工、打桩"),
    ("B02.02", "商业噪音", "酒吧、KTV、高音喇叭"),
    ("B03.01", "油烟扰民", "油烟、排烟管道"),
    ("B04.01", "拖欠工资", "欠薪、工钱、讨薪"),
]

ROWS = [
    ("小区电梯坏了三天了物业不修", "B01.01"),
    ("电梯困人了半天没人来", "B01.01"),
    ("电梯停在半层不动，吓死人", "B01.01"),
    ("电梯门关不上，老人不敢坐电梯", "B01.01"),
    ("小区停车位太少晚上没地方停", "B01.02"),
    ("物业停车费涨了一倍", "B01.02"),
    ("车位被外面的车占了", "B01.02"),
    ("地下车库车位只卖不租", "B01.02"),
    ("工地晚上十二点还在施工", "B02.01"),
    ("附近工地半夜打桩吵得睡不着", "B02.01"),
    ("工地周末也不停工，电钻声音太吵", "B02.01"),
    ("渣土车半夜来回跑，工地太吵", "B02.01"),
    ("楼下酒吧唱歌到凌晨太吵了", "B02.02"),
    ("超市门口高音喇叭循环播放", "B02.02"),
    ("楼下KTV半夜有人大声喧哗", "B02.02"),
    ("店门口放音乐招揽顾客声音很大", "B02.02"),
    ("楼下饭店油烟往我家飘", "B03.01"),
    ("烧烤店油烟太大不敢开窗", "B03.01"),
    ("餐馆排烟管道对着居民楼", "B03.01"),
    ("火锅店的油烟味往楼上窜", "B03.01"),
    ("老板拖欠三个月工资不给", "B04.01"),
    ("包工头欠我们工钱不结", "B04.01"),
    ("公司倒闭了工资一直不发", "B04.01"),
    ("讨薪讨了半年老板说下个月", "B04.01"),
]


@pytest.fixture(scope="module")
def rules() -> KeywordRules:
    return KeywordRules.from_matters(LEAVES)


@pytest.fixture(scope="module")
def model() -> NaiveBayesModel:
    return NaiveBayesModel.train(ROWS, created_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC))


def test_rules_pick_the_leaf_whose_keyword_appears(rules: KeywordRules) -> None:
    result = rules.classify("你好，阳光花园3号楼电梯停运一个星期了")
    assert result.matter_code == "B01.01"
    assert result.method == "rules"
    assert 0 < result.confidence <= 1


def test_the_longer_keyword_beats_two_short_name_words(rules: KeywordRules) -> None:
    # 噪音 (a word of two leaves' names) appears, but 夜间施工 is specific.
    assert rules.classify("夜间施工噪音").matter_code == "B02.01"


def test_name_words_count_when_no_keyword_matches(rules: KeywordRules) -> None:
    assert rules.classify("邻居家装修噪音").matter_code in {"B02.01", "B02.02"}
    assert rules.classify("小区门口乱停车").matter_code == "B01.02"


def test_keywords_separated_by_the_dunhao_are_split(rules: KeywordRules) -> None:
    assert rules.classify("电梯困人").matter_code == "B01.01"
    assert "电梯困人" in rules.keywords


def test_keyword_matching_ignores_case(rules: KeywordRules) -> None:
    assert rules.classify("楼下ktv太吵").matter_code == "B02.02"


def test_extra_keywords_from_the_catalogue_are_used() -> None:
    rules = KeywordRules.from_matters(LEAVES, extra_keywords={"B04.01": ["农民工工资"]})
    assert rules.classify("农民工工资").matter_code == "B04.01"


def test_a_keyword_split_by_a_particle_or_an_intensifier_still_matches() -> None:
    rules = KeywordRules.from_matters(
        [("A", "停电", "停电、没电"), ("B", "挂号", "挂号、排队"), ("C", "课业负担", "作业多")]
    )
    assert rules.classify("昨晚又停了电").matter_code == "A"
    assert rules.classify("挂个号要排一上午").matter_code == "B"
    assert rules.classify("孩子作业太多了").matter_code == "C"
    assert rules.classify("电梯老是坏").matter_code is None


def test_a_keyword_split_by_a_negation_or_another_word_does_not_match() -> None:
    rules = KeywordRules.from_matters([("A", "停电", "停电、没电、水费高")])
    assert rules.classify("水费太高").matter_code == "A"
    assert rules.classify("水费不高") == Classification(None, 0.0, "none", ())
    assert rules.classify("停车场电梯") == Classification(None, 0.0, "none", ())


def test_two_short_problem_words_outweigh_one_three_character_place_word() -> None:
    rules = KeywordRules.from_matters(
        [("A", "人行道损坏", "人行道、地砖"), ("B", "井盖缺失", "井盖、黑洞")]
    )
    assert rules.classify("人行道上井盖没了，一个黑洞").matter_code == "B"


def test_a_clear_hit_is_more_confident_than_a_contested_one(rules: KeywordRules) -> None:
    clear = rules.classify("夜间施工打桩，工地太吵")
    contested = rules.classify("工地旁边的酒吧")
    assert clear.confidence > contested.confidence


def test_rules_without_any_hit_return_no_matter(rules: KeywordRules) -> None:
    result = rules.classify("今天天气不错")
    assert result == Classification(None, 0.0, "none", ())


def test_rules_list_at_most_three_candidates_best_first(rules: KeywordRules) -> None:
    result = rules.classify("电梯坏了，停车位也没有，工地还吵，油烟也大")
    assert len(result.candidates) == 3
    scores = [score for _, score in result.candidates]
    assert scores == sorted(scores, reverse=True)


def test_the_model_predicts_the_trained_matter_for_a_new_wording(model: NaiveBayesModel) -> None:
    assert model.predict("物业不修电梯，老人上不了楼").matter_code == "B01.01"
    assert model.predict("烧烤店的油烟熏得没法开窗").matter_code == "B03.01"
    assert model.predict("欠了我们半年的工钱").matter_code == "B04.01"


def test_model_confidence_is_a_normalised_posterior(model: NaiveBayesModel) -> None:
    result = model.predict("楼下酒吧唱歌太吵")
    scores = model.log_posteriors("楼下酒吧唱歌太吵")
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    assert result.method == "model"
    assert result.confidence == pytest.approx(1 / total)
    assert 0 < result.confidence <= 1
    assert result.candidates[0] == (result.matter_code, round(result.confidence, 4))
    assert len(result.candidates) == 3


def test_the_model_finds_its_words_without_running_the_segmenter(
    model: NaiveBayesModel,
) -> None:
    # 困人 after 电梯 is found even when glued to unknown characters around it.
    assert model.predict("甲乙电梯困人丙丁").matter_code == "B01.01"


def test_packed_scores_equal_the_textbook_naive_bayes_formula(model: NaiveBayesModel) -> None:
    text = "楼下酒吧的油烟和噪音，电梯也坏了"
    found = [f for f in model.text_features(text) if f in model.feature_counts]
    vocabulary = len(model.feature_counts)
    documents = sum(model.doc_counts)
    expected = []
    for index, docs in enumerate(model.doc_counts):
        total = sum(per.get(index, 0) for per in model.feature_counts.values())
        score = math.log(docs / documents)
        for feature in found:
            count = model.feature_counts[feature].get(index, 0)
            score += math.log((count + model.alpha) / (total + model.alpha * vocabulary))
        expected.append(score)
    assert model.log_posteriors(text) == pytest.approx(expected, abs=1e-5)


def test_long_texts_do_not_underflow_the_posterior(model: NaiveBayesModel) -> None:
    result = model.predict("电梯坏了物业不修。" * 200)
    assert result.matter_code == "B01.01"
    assert result.confidence == pytest.approx(1.0)


def test_unknown_words_leave_the_prior(model: NaiveBayesModel) -> None:
    result = model.predict("zzzz qqqq")
    assert result.confidence == pytest.approx(1 / 6)


def test_the_model_file_round_trips_with_its_metadata(model: NaiveBayesModel) -> None:
    text = model.to_json()
    data = json.loads(text)
    assert data["format"] == "hotline.matter-naive-bayes"
    assert data["version"] == 1
    assert data["metadata"] == {"rows": 24, "labels": 6, "created_at": "2025-03-01T08:00:00+00:00"}
    assert set(data["labels"]) == {code for code, _, _ in LEAVES}
    loaded = NaiveBayesModel.from_json(text)
    for sample, _ in ROWS:
        assert loaded.predict(sample) == model.predict(sample)


def test_a_file_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not a hotline\.matter-naive-bayes"):
        NaiveBayesModel.from_json(json.dumps({"format": "other", "version": 1}))


def test_training_on_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        NaiveBayesModel.train([])


def test_folds_are_stratified_and_fixed_by_the_seed() -> None:
    labels = ["a"] * 10 + ["b"] * 5
    folds = stratified_folds(labels, 5, seed=7)
    assert folds == stratified_folds(labels, 5, seed=7)
    for fold in range(5):
        members = [label for label, f in zip(labels, folds, strict=True) if f == fold]
        assert members.count("a") == 2 and members.count("b") == 1


def test_cross_validation_reports_accuracy_macro_f1_and_sizes() -> None:
    report = NaiveBayesModel.cross_validate(ROWS, folds=4, seed=1)
    assert report["folds"] == 4
    assert report["rows"] == 24
    assert report["labels"] == 6
    assert 0.5 <= report["accuracy"] <= 1
    assert 0 <= report["macro_f1"] <= 1
    assert report == NaiveBayesModel.cross_validate(ROWS, folds=4, seed=1)


def test_evaluate_counts_a_missing_prediction_as_wrong(rules: KeywordRules) -> None:
    report = evaluate(rules.classify, [("电梯坏了", "B01.01"), ("今天天气不错", "B04.01")])
    assert report["accuracy"] == 0.5


def test_the_agents_matter_wins_over_everything(
    model: NaiveBayesModel, rules: KeywordRules
) -> None:
    classifier = Classifier(model, rules, threshold=0.5)
    result = classifier.classify("电梯坏了", agent_matter="B04.01")
    assert result == Classification("B04.01", 1.0, "agent", (("B04.01", 1.0),))


def test_a_confident_model_decides(model: NaiveBayesModel, rules: KeywordRules) -> None:
    result = Classifier(model, rules, threshold=0.5).classify("工地半夜打桩施工吵得睡不着")
    assert (result.matter_code, result.method) == ("B02.01", "model")


def test_an_unsure_model_gives_way_to_the_rules(
    model: NaiveBayesModel, rules: KeywordRules
) -> None:
    # 欠薪 never occurs in the training rows, so the model is unsure; the rules know it.
    assert model.predict("欠薪").confidence < 0.8
    result = Classifier(model, rules, threshold=0.8).classify("欠薪")
    assert (result.matter_code, result.method) == ("B04.01", "rules")


def test_without_a_model_the_rules_decide(rules: KeywordRules) -> None:
    result = Classifier(None, rules, threshold=0.5).classify("排烟管道对着我家窗户")
    assert (result.matter_code, result.method) == ("B03.01", "rules")


def test_nobody_sure_sends_the_ticket_to_manual_dispatch(
    model: NaiveBayesModel, rules: KeywordRules
) -> None:
    result = Classifier(model, rules, threshold=0.999).classify("今天天气不错")
    assert result.matter_code is None
    assert result.method == "none"
    assert result.confidence == 0.0
    assert len(result.candidates) == 3  # the model's guesses, for the dispatcher


def test_the_model_learns_the_sample_history_well() -> None:
    with HISTORY.open(encoding="utf-8") as f:
        rows = [(r["诉求内容"], r["事项编码"]) for r in csv.DictReader(f)]
    assert len(rows) >= 1400
    assert len({label for _, label in rows}) >= 30
    report = NaiveBayesModel.cross_validate(rows, folds=3, seed=0)
    assert report["accuracy"] >= 0.8
    assert report["macro_f1"] >= 0.8


def test_the_catalogue_documents_are_each_leafs_name_and_keywords_once() -> None:
    rows = catalogue_documents(LEAVES[:2], {"B01.02": ["车位", "地库"]})
    assert rows == [
        ("电梯故障", "B01.01"),
        ("电梯", "B01.01"),
        ("电梯坏了", "B01.01"),
        ("电梯困人", "B01.01"),
        ("电梯停运", "B01.01"),
        ("小区停车", "B01.02"),
        ("停车位", "B01.02"),
        ("车位", "B01.02"),
        ("停车费", "B01.02"),
        ("地库", "B01.02"),
    ]


def test_combining_adds_a_quarter_of_the_models_belief_to_the_rules_scores() -> None:
    by_rules = Classification("B02.02", 0.3, "rules", (("B02.02", 0.40), ("B02.01", 0.35)))
    by_model = Classification("B02.01", 0.9, "model", (("B02.01", 0.9), ("B03.01", 0.1)))
    result = combine(by_rules, by_model, weight=0.25)
    # B02.01: 0.35 + 0.225 = 0.575; B02.02: 0.40; B03.01: 0.025; total 1.0
    assert result.matter_code == "B02.01"
    assert result.method == "combined"
    assert result.candidates == (("B02.01", 0.575), ("B02.02", 0.4), ("B03.01", 0.025))
    assert result.confidence == 0.575


def test_a_clear_keyword_is_not_outvoted_by_a_sure_model() -> None:
    by_rules = Classification("B04.01", 0.7, "rules", (("B04.01", 0.7),))
    by_model = Classification("B01.01", 1.0, "model", (("B01.01", 1.0),))
    assert combine(by_rules, by_model, weight=ASSIST_WEIGHT).matter_code == "B04.01"


def test_the_catalogue_model_helps_the_rules_when_they_match(rules: KeywordRules) -> None:
    assist = NaiveBayesModel.train(ROWS)
    result = Classifier(None, rules, threshold=0.9, assist=assist).classify("欠薪三个月了")
    assert (result.matter_code, result.method) == ("B04.01", "combined")


def test_the_catalogue_model_alone_never_decides_where_no_keyword_matched(
    rules: KeywordRules,
) -> None:
    assist = NaiveBayesModel.train(ROWS)
    text = "楼下饭馆的味道往楼上窜"
    assert rules.classify(text).matter_code is None
    assert assist.predict(text).matter_code == "B03.01"
    result = Classifier(None, rules, threshold=0.9, assist=assist).classify(text)
    assert (result.matter_code, result.method) == (None, "none")
    assert result.candidates[0][0] == "B03.01"  # offered to the dispatcher of the manual queue


def test_a_confident_history_model_still_decides_before_the_rules_and_the_catalogue_model(
    model: NaiveBayesModel, rules: KeywordRules
) -> None:
    assist = NaiveBayesModel.train([("电梯", "B01.01")])
    result = Classifier(model, rules, threshold=0.5, assist=assist).classify("工地半夜打桩")
    assert (result.matter_code, result.method) == ("B02.01", "model")
