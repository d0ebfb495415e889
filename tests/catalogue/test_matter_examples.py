"""The labelled example appeals that train the catalogue model (HOTLINE_MATTER_EXAMPLES)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import hotline.routing_context
from hotline.routing_context import catalogue_model, matter_examples
from routing.tree import CodeTree, TreeNode

TREE = CodeTree(
    [
        TreeNode("02", "城市管理", None),
        TreeNode("02.03", "市政设施", "02"),
        TreeNode("02.03.01", "路灯不亮", "02.03"),
        TreeNode("02.03.02", "井盖缺失", "02.03"),
    ]
)


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the module logs (Alembic's logging setup disables existing loggers: no caplog)."""
    lines: list[str] = []

    class Recorder(logging.Logger):
        def _log(self, level: int, msg: object, args: Any, *rest: Any, **kwargs: Any) -> None:
            lines.append(str(msg) % args)

    monkeypatch.setattr(hotline.routing_context, "log", Recorder("hotline.routing_context"))
    return lines


def app_reading(path: Path) -> Flask:
    app = Flask(__name__)
    app.config["MATTER_EXAMPLES_PATH"] = str(path)
    return app


def test_rows_of_leaves_are_read_and_others_skipped_with_a_warning(
    tmp_path: Path, logged: list[str]
) -> None:
    path = tmp_path / "examples.jsonl"
    path.write_text(
        '{"text": "小区门口的灯黑了一礼拜", "matter_code": "02.03.01"}\n'
        "\n"
        '{"text": "井盖被人偷了", "matter_code": "02.03.02"}\n'
        '{"text": "市政设施坏了", "matter_code": "02.03"}\n'
        '{"text": "", "matter_code": "02.03.01"}\n'
        '{"text": "电梯坏了", "matter_code": "99.99.99"}\n',
        encoding="utf-8",
    )
    rows = matter_examples(app_reading(path), TREE)
    assert rows == (("小区门口的灯黑了一礼拜", "02.03.01"), ("井盖被人偷了", "02.03.02"))
    assert logged == [f"matter examples {path}: 3 rows skipped (no text or no such leaf)"]


def test_no_file_means_no_examples(tmp_path: Path) -> None:
    assert matter_examples(app_reading(tmp_path / "absent.jsonl"), TREE) == ()


@pytest.mark.parametrize(
    "content", [b'{"text": "x", "matter_code"\n', b"[1, 2]\n", b'{"text": "\xff"}\n']
)
def test_an_unreadable_file_is_logged_and_read_as_no_examples(
    tmp_path: Path, logged: list[str], content: bytes
) -> None:
    path = tmp_path / "examples.jsonl"
    path.write_bytes(content)
    assert matter_examples(app_reading(path), TREE) == ()
    assert logged == [f"matter examples {path} are unreadable; classifying without them"]


def test_the_catalogue_model_knows_every_leaf_from_its_words_alone() -> None:
    leaves = (("02.03.01", "路灯不亮", "路灯、灯不亮"), ("02.03.02", "井盖缺失", "井盖"))
    model = catalogue_model(leaves, {}, ())
    assert model is not None
    assert set(model.labels) == {"02.03.01", "02.03.02"}
    assert model.predict("井盖").matter_code == "02.03.02"


def test_the_same_catalogue_and_examples_train_the_model_once() -> None:
    leaves = (("02.03.01", "路灯不亮", "路灯"), ("02.03.02", "井盖缺失", "井盖"))
    first = catalogue_model(leaves, {}, (("灯黑了", "02.03.01"),))
    assert catalogue_model(leaves, {}, (("灯黑了", "02.03.01"),)) is first
    assert catalogue_model(leaves, {}, (("灯坏了", "02.03.01"),)) is not first


def test_an_empty_catalogue_has_no_model() -> None:
    assert catalogue_model((), {}, ()) is None
