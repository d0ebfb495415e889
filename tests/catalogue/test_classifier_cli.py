"""`flask classifier train|evaluate` on a labelled history (诉求内容 → 事项编码)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook

from hotline.tables import TableError, read_labelled
from routing.classify import NaiveBayesModel

HISTORY = Path(__file__).resolve().parent.parent / "data" / "history_sample.csv"
TRAIN = ["--input", str(HISTORY), "--text-column", "诉求内容", "--label-column", "事项编码"]


def test_training_saves_a_model_the_app_can_load(pg_app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    result = pg_app.test_cli_runner().invoke(
        args=["classifier", "train", *TRAIN, "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert str(target) in result.output and "个事项" in result.output
    model = NaiveBayesModel.from_json(target.read_text(encoding="utf-8"))
    assert model.metadata["rows"] > 1000 and len(model.labels) >= 10


def test_training_without_output_writes_where_the_app_loads_the_model(
    pg_app: Flask, tmp_path: Path
) -> None:
    configured = pg_app.config["CLASSIFIER_MODEL_PATH"]
    pg_app.config["CLASSIFIER_MODEL_PATH"] = str(tmp_path / "instance" / "classifier.json")
    try:
        result = pg_app.test_cli_runner().invoke(args=["classifier", "train", *TRAIN])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "instance" / "classifier.json").exists()
    finally:
        pg_app.config["CLASSIFIER_MODEL_PATH"] = configured
        from hotline.routing_context import invalidate

        invalidate(pg_app)


def test_evaluation_prints_accuracy_and_macro_f1_as_json_on_its_last_line(
    pg_app: Flask,
) -> None:
    result = pg_app.test_cli_runner().invoke(
        args=["classifier", "evaluate", *TRAIN, "--folds", "3"]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output.strip().splitlines()[-1])
    assert scores["folds"] == 3 and scores["rows"] > 1000
    assert 0.0 <= scores["macro_f1"] <= 1.0
    # Far above chance (30 matters): the features carry the signal.
    assert scores["accuracy"] > 0.5


def test_a_missing_column_is_named_with_the_columns_the_file_has(
    pg_app: Flask,
) -> None:
    result = pg_app.test_cli_runner().invoke(
        args=[
            "classifier",
            "evaluate",
            "--input",
            str(HISTORY),
            "--text-column",
            "内容",
            "--label-column",
            "事项编码",
        ]
    )
    assert result.exit_code != 0
    assert "缺少列：内容" in result.output and "诉求内容" in result.output


def test_a_labelled_table_reads_from_xlsx_and_gbk_csv(tmp_path: Path) -> None:
    rows = [
        ("诉求内容", "事项编码"),
        ("电梯坏了", "01.01.01"),
        ("", "01.01.02"),
        ("噪音", "03.03.01"),
    ]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(tmp_path / "history.xlsx")
    expected = [("电梯坏了", "01.01.01"), ("噪音", "03.03.01")]
    assert read_labelled(tmp_path / "history.xlsx", "诉求内容", "事项编码") == expected

    gbk = tmp_path / "history.csv"
    gbk.write_bytes("\n".join(",".join(row) for row in rows).encode("gb18030"))
    assert read_labelled(gbk, "诉求内容", "事项编码") == expected

    with pytest.raises(TableError, match="标签"):
        read_labelled(gbk, "诉求内容", "标签")


def test_training_into_a_path_below_a_file_is_a_clean_cli_error(
    pg_app: Flask, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    target = tmp_path / "notes.txt" / "model.json"
    result = pg_app.test_cli_runner().invoke(
        args=["classifier", "train", *TRAIN, "--output", str(target)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # click's error, not a traceback
    assert f"Error: 无法写入 {target}：路径中有一段不是目录" in result.output
