"""`flask triage train` retrains the emergency model (`--routes`: the route model), `flask triage
route-examples` rebuilds the route model's examples; `flask triage check` shows a reading."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from hotline.route_examples import DEFAULT_ROUTE_EXAMPLES_PATH
from routing.emergency_model import EmergencyModel
from routing.ngram_model import NgramModel
from tests.unit.test_emergency_model import small_examples
from tests.unit.test_route_model import small_route_examples


def test_training_writes_a_model_that_serves_and_says_what_it_learned_from(
    app: Flask, tmp_path: Path
) -> None:
    output = tmp_path / "model.json"
    examples = small_examples(tmp_path)
    result = app.test_cli_runner().invoke(
        args=["triage", "train", "--examples", str(examples), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "trained on 18 examples (110 3, 119 3, 120 3, 122 3, none 6)" in result.output
    model = EmergencyModel.load(output)
    assert model.trained_on["examples"] == 18
    assert model.read("厨房着火了").service == "119"


def test_examples_that_cannot_train_are_a_readable_error(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "着火了"}\n', encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["triage", "train", "--examples", str(bad), "--output", str(tmp_path / "m.json")]
    )
    assert result.exit_code != 0
    assert "bad.jsonl:1: not an example" in result.output
    assert not (tmp_path / "m.json").exists()


def test_check_shows_the_outcome_and_the_models_reading(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["triage", "check", "手腕割了 血在喷"])
    assert result.exit_code == 0, result.output
    assert "outcome: emergency" in result.output
    assert "service: 120" in result.output
    assert "model: 120" in result.output
    ordinary = app.test_cli_runner().invoke(args=["triage", "check", "小区路灯坏了好几天"])
    assert "outcome: continue" in ordinary.output
    calm = app.test_cli_runner().invoke(args=["triage", "check", "请问手腕割了血在喷该挂哪个科"])
    assert "not asked: the message reads as calm" in calm.output


def test_training_into_a_folder_that_does_not_exist_is_a_clean_cli_error(
    app: Flask, tmp_path: Path
) -> None:
    output = tmp_path / "missing" / "model.json"
    examples = small_examples(tmp_path)
    result = app.test_cli_runner().invoke(
        args=["triage", "train", "--examples", str(examples), "--output", str(output)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # click's error, not a traceback
    assert f"Error: 无法写入 {output}：所在目录不存在" in result.output


def test_training_the_route_model_writes_a_model_that_serves(app: Flask, tmp_path: Path) -> None:
    output = tmp_path / "route_model.json"
    examples = small_route_examples(tmp_path)
    result = app.test_cli_runner().invoke(
        args=["triage", "train", "--routes", "--examples", str(examples), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "trained on 19 examples (arbitration 2, discipline 2, emergency 2," in result.output
    model = NgramModel.load(output)
    assert model.trained_on["settings"]["significant_digits"] == 4
    probabilities = model.probabilities("我要申请劳动仲裁")
    assert max(probabilities, key=lambda c: probabilities[c]) == "arbitration"


def test_route_examples_are_rebuilt_from_the_labelled_data(app: Flask, tmp_path: Path) -> None:
    output = tmp_path / "route_examples.jsonl"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["triage", "route-examples", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_bytes() == DEFAULT_ROUTE_EXAMPLES_PATH.read_bytes()


def test_check_shows_the_route_models_reading(app: Flask) -> None:
    text = "想给市长写封信，把我们村这十几年的问题一条条写清楚，寄到哪里能送到"
    result = app.test_cli_runner().invoke(args=["triage", "check", text])
    assert "outcome: referral" in result.output
    assert "matched: route_model" in result.output
    assert "route model: petition" in result.output
    english = app.test_cli_runner().invoke(args=["triage", "check", "hello, is this pizza shop"])
    assert "not asked: not mostly Chinese" in english.output
