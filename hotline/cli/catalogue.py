"""`flask catalogue import|export|diff|activate|versions` and `flask classifier train|evaluate`."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click
from flask import current_app

from hotline import catalogue_store
from hotline.cli.files import write_file
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.lifecycle.errors import DomainError
from hotline.models import CatalogueVersion
from hotline.routing_context import invalidate
from hotline.tables import TableError, read_labelled
from hotline.transaction import commit
from routing.classify import NaiveBayesModel


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry for the uid in some containers
        return "cli"


def _sheet_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("xlsx", "csv"):
        raise click.BadParameter("文件扩展名须为 .xlsx 或 .csv", param_hint="--output")
    return suffix


@click.group()
def catalogue() -> None:
    """The responsibility matrix (派单目录)."""


@catalogue.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--activate", "activate_now", is_flag=True, help="启用导入的新版本")
@click.option("--note", default="", help="版本说明")
def import_command(file: Path, activate_now: bool, note: str) -> None:
    """Import an XLSX/CSV sheet as a new draft version; nothing is stored if any row is wrong."""
    operator = _operator()
    version, problems = catalogue_store.import_catalogue(
        db.session, file, file.name, operator, note
    )
    if version is None:
        for problem in problems:
            column = f"[{problem.column}] " if problem.column else ""
            click.echo(f"第 {problem.row} 行 {column}{problem.reason}", err=True)
        raise click.ClickException(f"{file.name} 有 {len(problems)} 处问题，未导入任何内容")
    if activate_now:
        catalogue_store.activate(db.session, version.id, actor=operator)
    commit()
    state = "已启用" if activate_now else "草稿"
    click.echo(f"导入第 {version.id} 版（{state}）：{version.entry_count} 条")


@catalogue.command("export")
@click.option("--version", "version_id", type=int, help="版本号（默认：当前启用的版本）")
@click.option(
    "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=".xlsx/.csv"
)
def export_command(version_id: int | None, output: Path) -> None:
    """Write a version as the sheet staff edit (XLSX or CSV by the file's extension)."""
    fmt = _sheet_format(output)
    if version_id is None:
        version = catalogue_store.active_version(db.session)
        if version is None:
            raise click.ClickException("没有启用的派单目录版本；请用 --version 指定")
    else:
        version = _version(version_id)
    write_file(output, catalogue_store.export(db.session, version, fmt))  # type: ignore[arg-type]
    click.echo(f"第 {version.id} 版 {version.entry_count} 条已导出到 {output}")


@catalogue.command("diff")
@click.argument("from_id", type=int)
@click.argument("to_id", type=int)
def diff_command(from_id: int, to_id: int) -> None:
    """What changes from version A to version B (entries matched by 条目编号)."""
    try:
        result = catalogue_store.diff_versions(db.session, from_id, to_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    for line in catalogue_store.diff_lines(result):
        click.echo(line)
    click.echo(
        f"第 {from_id} 版 → 第 {to_id} 版：新增 {len(result.added)}，"
        f"删除 {len(result.removed)}，修改 {len(result.changed)}"
    )


@catalogue.command("activate")
@click.argument("version_id", type=int)
def activate_command(version_id: int) -> None:
    """Make a version the one the router uses; the previous one is retired (and kept)."""
    _version(version_id)
    try:
        version = catalogue_store.activate(db.session, version_id, actor=_operator())
    except DomainError as error:
        raise click.ClickException(error.message) from None
    commit()
    click.echo(f"第 {version.id} 版已启用（{version.entry_count} 条）")


@catalogue.command("versions")
def versions_command() -> None:
    """Every version, newest first."""
    labels = {"draft": "草稿", "scheduled": "待生效", "active": "启用", "retired": "停用"}
    now = utcnow()
    for version in catalogue_store.list_versions(db.session):
        effective = version.effective_at.isoformat() if version.effective_at else "-"
        state = catalogue_store.state_at(version, now)
        click.echo(
            f"{version.id}\t{labels.get(state, state)}\t{version.entry_count}\t"
            f"{effective}\t{version.source_name}\t{version.note}"
        )


def _version(version_id: int) -> CatalogueVersion:
    try:
        return catalogue_store.get_version(db.session, version_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None


@click.group()
def classifier() -> None:
    """The matter classifier."""


def _labelled(path: Path, text_column: str, label_column: str) -> list[tuple[str, str]]:
    try:
        rows = read_labelled(path, text_column, label_column)
    except TableError as error:
        raise click.ClickException(str(error)) from None
    if not rows:
        raise click.ClickException(f"{path.name} 中没有同时填写了文本与标签的行")
    return rows


_input = click.option(
    "--input", "input_path", required=True, type=click.Path(exists=True, path_type=Path)
)
_text = click.option("--text-column", required=True, help="诉求文本所在列的表头，如 诉求内容")
_label = click.option("--label-column", required=True, help="事项编码所在列的表头，如 事项编码")


@classifier.command("train")
@_input
@_text
@_label
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="模型文件路径")
def train_command(
    input_path: Path, text_column: str, label_column: str, output: Path | None
) -> None:
    """Train the matter model on a labelled history and save it where the app loads it."""
    rows = _labelled(input_path, text_column, label_column)
    model = NaiveBayesModel.train(rows, created_at=utcnow())
    model.metadata["source"] = input_path.name
    target = output or Path(current_app.config["CLASSIFIER_MODEL_PATH"])
    write_file(target, model.to_json().encode("utf-8"), make_folder=True)
    invalidate(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(
        f"模型已保存到 {target}：{len(rows)} 行，{len(model.labels)} 个事项，"
        f"词表 {model.vocabulary_size} 项"
    )


@classifier.command("evaluate")
@_input
@_text
@_label
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--seed", default=0, show_default=True, type=int)
def evaluate_command(
    input_path: Path, text_column: str, label_column: str, folds: int, seed: int
) -> None:
    """K-fold cross-validation; the last line is one JSON object (accuracy, macro_f1...)."""
    rows = _labelled(input_path, text_column, label_column)
    scores = NaiveBayesModel.cross_validate(rows, folds=folds, seed=seed)
    click.echo(
        f"{folds} 折交叉验证（{input_path.name}，{scores['rows']} 行，{scores['labels']} 个事项）："
        f"准确率 {scores['accuracy']:.4f}，宏平均 F1 {scores['macro_f1']:.4f}"
    )
    click.echo(json.dumps({**scores, "input": input_path.name, "seed": seed}, ensure_ascii=False))
