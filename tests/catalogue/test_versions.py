"""Catalogue versions: import refuses a wrong sheet whole, activation retires the previous
version, export and re-import round-trip, and `flask catalogue ...` does the same from a shell."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from hotline import catalogue_store
from hotline.demo.loader import DATA, load_demo
from hotline.extensions import db
from hotline.models import CatalogueEntryRecord, CatalogueVersion
from hotline.routing_context import routing_context
from tests.catalogue.conftest import DEMO_ENTRIES

DEMO_XLSX = DATA / "catalogue.xlsx"
HEADER = (
    "条目编号,事项编码,事项名称,区域编码,区域名称,诉求类型,主办单位,主办单位名称,"
    "协办单位,协办单位名称,派单层级,法律依据,时限档位,关键词,不得下沉"
)


# The instant the catalogue store, the router and the CLI take for now, and when the demo
# version came into force: activations then mean the same whatever the date of the run.
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DEMO_IN_FORCE = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
PAST = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=120)


@pytest.fixture(autouse=True)
def fixed_clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Now is NOW, and the demo version (activated when the test database was set up, by the
    real clock) has been in force since DEMO_IN_FORCE."""
    active().effective_at = DEMO_IN_FORCE
    db.session.flush()
    for clock in (
        "hotline.catalogue_store.utcnow",
        "hotline.routing_context.utcnow",
        "hotline.cli.catalogue.utcnow",
    ):
        monkeypatch.setattr(clock, lambda: NOW)


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CatalogueVersion)) or 0


def entry_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CatalogueEntryRecord)) or 0


def active() -> CatalogueVersion:
    version = catalogue_store.active_version(db.session)
    assert version is not None
    return version


def csv_upload(*rows: str) -> io.BytesIO:
    return io.BytesIO("\n".join((HEADER, *rows)).encode("utf-8-sig"))


def test_the_demo_sheet_imports_as_a_draft_with_every_entry(app: Flask) -> None:
    version, problems = catalogue_store.import_catalogue(
        db.session, DEMO_XLSX, DEMO_XLSX.name, "tester"
    )
    assert problems == []
    assert version is not None and version.state == "draft"
    assert version.entry_count == DEMO_ENTRIES
    assert len(catalogue_store.entries_of(db.session, version.id)) == DEMO_ENTRIES


def test_the_demo_load_leaves_the_demo_catalogue_active_and_a_second_load_adds_no_version(
    app: Flask,
) -> None:
    before = version_count()
    current = active()
    assert current.entry_count == DEMO_ENTRIES and current.source_name == "catalogue.xlsx"
    load_demo(db.session, "test-password", None)
    db.session.flush()
    assert version_count() == before
    assert active().id == current.id
    assert routing_context().catalogue.version == current.id


def test_a_sheet_with_problems_is_refused_whole_with_every_problem_listed(app: Flask) -> None:
    versions, entries = version_count(), entry_count()
    upload = csv_upload(
        "X1,01.01.01,,,,,C-SCJGJ,,,,,,,,",  # fine on its own
        "X2,99.99.99,,,,,C-SCJGJ,,,,,,,,",  # unknown matter
        "X3,01.01.02,,990102001001,,咨询,NO-SUCH-UNIT,,,,,,,,",  # unknown lead
        "X1,01.01.03,,,,,C-ZJJ,,,,,,,,",  # duplicate entry id
        "X5,01.01.04,,,,吐槽,C-ZJJ,,,,,,,,",  # unknown appeal type
        "X6,01.01.05,,000000,,,C-ZJJ,,,,,,,,",  # unknown area
    )
    version, problems = catalogue_store.import_catalogue(db.session, upload, "bad.csv", "tester")
    assert version is None
    found = {(p.row, p.column) for p in problems}
    assert found == {
        (3, "事项编码"),
        (4, "主办单位"),
        (5, "条目编号"),
        (6, "诉求类型"),
        (7, "区域编码"),
    }
    assert all(p.reason for p in problems)
    assert (version_count(), entry_count()) == (versions, entries)


def test_activating_a_version_retires_the_previous_one_and_keeps_both(app: Flask) -> None:
    previous = active()
    draft, _ = catalogue_store.import_catalogue(db.session, DEMO_XLSX, DEMO_XLSX.name, "tester")
    assert draft is not None
    # A past effective time takes effect at once.
    catalogue_store.activate(db.session, draft.id, actor="tester", effective_at=PAST)
    assert active().id == draft.id
    assert draft.state == "active" and draft.effective_at == PAST
    assert previous.state == "retired" and previous.retired_at == PAST
    assert len(catalogue_store.entries_of(db.session, previous.id)) == DEMO_ENTRIES
    assert routing_context().catalogue.version == draft.id


def draft_version() -> CatalogueVersion:
    draft, _ = catalogue_store.import_catalogue(db.session, DEMO_XLSX, DEMO_XLSX.name, "tester")
    assert draft is not None
    return draft


def test_a_version_activated_for_a_later_time_waits_while_the_current_one_keeps_routing(
    app: Flask,
) -> None:
    previous = active()
    draft = draft_version()
    catalogue_store.activate(db.session, draft.id, actor="tester", effective_at=LATER)
    assert active().id == previous.id
    assert routing_context().catalogue.version == previous.id
    assert catalogue_store.version_mapping(draft)["state"] == "scheduled"
    assert draft.effective_at == LATER
    assert catalogue_store.version_mapping(previous)["state"] == "active"
    assert previous.retired_at == LATER


def test_a_scheduled_version_is_the_one_in_force_from_its_effective_time_with_nothing_written(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = active()
    draft = draft_version()
    catalogue_store.activate(db.session, draft.id, actor="tester", effective_at=LATER)
    just_before = LATER - timedelta(microseconds=1)
    assert catalogue_store.active_version(db.session, at=just_before) is previous
    assert catalogue_store.active_version(db.session, at=LATER) is draft
    assert catalogue_store.version_mapping(draft, at=LATER)["state"] == "active"
    assert catalogue_store.version_mapping(previous, at=LATER)["state"] == "retired"
    monkeypatch.setattr("hotline.routing_context.utcnow", lambda: LATER)
    assert routing_context().catalogue.version == draft.id


def test_activating_the_version_in_force_again_changes_nothing_and_a_new_time_is_refused(
    app: Flask,
) -> None:
    current = active()
    effective = current.effective_at
    assert catalogue_store.activate(db.session, current.id, actor="tester") is current
    again = catalogue_store.activate(db.session, current.id, actor="tester", effective_at=effective)
    assert again is current
    for other in (LATER, PAST):
        with pytest.raises(catalogue_store.ActivationConflict, match="不能再更改生效时间"):
            catalogue_store.activate(db.session, current.id, actor="tester", effective_at=other)
    assert (current.state, current.effective_at, current.retired_at) == ("active", effective, None)


def test_one_version_waits_at_a_time_and_the_waiting_one_can_move_or_come_in_now(
    app: Flask,
) -> None:
    previous, first, second = active(), draft_version(), draft_version()
    catalogue_store.activate(db.session, first.id, actor="tester", effective_at=LATER)
    with pytest.raises(catalogue_store.ActivationConflict, match=f"第 {first.id} 版已定于"):
        catalogue_store.activate(db.session, second.id, actor="tester", effective_at=LATER)

    sooner = LATER - timedelta(days=30)
    catalogue_store.activate(db.session, first.id, actor="tester", effective_at=sooner)
    assert (first.effective_at, previous.retired_at) == (sooner, sooner)

    # Activated now while the first waits: in force until the first's time.
    catalogue_store.activate(db.session, second.id, actor="tester")
    assert active() is second and second.retired_at == sooner
    assert previous.state == "retired"
    assert catalogue_store.active_version(db.session, at=sooner) is first

    catalogue_store.activate(db.session, first.id, actor="tester")
    assert active() is first and first.retired_at is None
    assert catalogue_store.version_mapping(second)["state"] == "retired"


def test_an_exported_sheet_edited_in_one_cell_imports_back_with_exactly_that_change(
    app: Flask, tmp_path: Path
) -> None:
    current = active()
    data = catalogue_store.export(db.session, current, "xlsx")
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["派单目录"]
    headers = [cell.value for cell in sheet[1]]
    basis_column = headers.index("法律依据") + 1
    assert sheet.cell(row=2, column=1).value == "E0001"
    sheet.cell(row=2, column=basis_column).value = "《特种设备安全监察条例》第四条"
    edited = tmp_path / "edited.xlsx"
    workbook.save(edited)

    version, problems = catalogue_store.import_catalogue(db.session, edited, edited.name, "tester")
    assert problems == [] and version is not None
    result = catalogue_store.diff_versions(db.session, current.id, version.id)
    assert result.added == [] and result.removed == []
    assert [(after.entry_id, names) for _, after, names in result.changed] == [
        ("E0001", ["legal_basis"])
    ]
    assert result.changed[0][1].legal_basis == "《特种设备安全监察条例》第四条"


def test_a_csv_export_imports_back_unchanged(app: Flask) -> None:
    current = active()
    data = catalogue_store.export(db.session, current, "csv")
    version, problems = catalogue_store.import_catalogue(
        db.session, io.BytesIO(data), "same.csv", "tester"
    )
    assert problems == [] and version is not None
    assert catalogue_store.diff_versions(db.session, current.id, version.id).is_empty


def test_the_cli_imports_activates_lists_diffs_and_exports_versions(
    app: Flask, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    previous = active()
    exported = tmp_path / "current.csv"
    result = runner.invoke(args=["catalogue", "export", "--output", str(exported)])
    assert result.exit_code == 0, result.output
    text = exported.read_text(encoding="utf-8-sig")
    exported.write_text(
        text.replace("《中华人民共和国特种设备安全法》第五条", "第五条", 1), "utf-8"
    )

    result = runner.invoke(args=["catalogue", "import", str(exported), "--activate"])
    assert result.exit_code == 0, result.output
    assert f"{DEMO_ENTRIES} 条" in result.output
    new = active()
    assert new.id != previous.id

    result = runner.invoke(args=["catalogue", "diff", str(previous.id), str(new.id)])
    assert result.exit_code == 0, result.output
    assert "~ E0001" in result.output and "修改 1" in result.output

    result = runner.invoke(args=["catalogue", "versions"])
    assert str(new.id) in result.output and "启用" in result.output and "停用" in result.output

    result = runner.invoke(args=["catalogue", "activate", str(previous.id)])
    assert result.exit_code == 0, result.output
    assert active().id == previous.id


def test_the_cli_refuses_a_wrong_sheet_and_prints_every_problem(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_upload("X1,99.99.99,,,,,C-SCJGJ,,,,,,,,", "X2,01.01.01,,,,,NOPE,,,,,,,,").getvalue()
    )
    before = version_count()
    result = app.test_cli_runner().invoke(args=["catalogue", "import", str(bad)])
    assert result.exit_code != 0
    assert "第 2 行" in result.output and "第 3 行" in result.output
    assert "未导入任何内容" in result.output
    assert version_count() == before


def test_the_cli_refuses_an_unknown_tier_and_an_unknown_dispatch_level(
    app: Flask, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_upload(
            "X1,01.01.01,,,,,C-SCJGJ,,,,宇宙级,,,,",
            "X2,01.01.02,,,,,C-SCJGJ,,,,市级,,whatever,,",
        ).getvalue()
    )
    before = version_count()
    result = app.test_cli_runner().invoke(args=["catalogue", "import", str(bad), "--activate"])
    assert result.exit_code != 0
    assert "第 2 行" in result.output and "宇宙级" in result.output
    assert "第 3 行" in result.output and "whatever" in result.output
    assert version_count() == before


def test_the_cli_lists_a_version_activated_for_a_later_time_as_waiting(app: Flask) -> None:
    draft = draft_version()
    catalogue_store.activate(db.session, draft.id, actor="tester", effective_at=LATER)
    result = app.test_cli_runner().invoke(args=["catalogue", "versions"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith(f"{draft.id}\t"))
    assert "\t待生效\t" in line


def test_exporting_into_a_folder_that_does_not_exist_is_a_clean_cli_error(
    app: Flask, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "catalogue.csv"
    result = app.test_cli_runner().invoke(args=["catalogue", "export", "--output", str(target)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # click's error, not a traceback
    assert f"Error: 无法写入 {target}：所在目录不存在" in result.output
