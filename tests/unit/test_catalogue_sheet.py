"""The catalogue spreadsheet: XLSX/CSV round trips, Chinese encodings and complete error lists."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook, load_workbook

from hotline.catalogue_columns import DISPATCH_LEVELS
from hotline.catalogue_sheet import HEADERS, parse_catalogue, read_sheet, write_sheet
from routing.catalogue import CatalogueEntry, UnitDirectory, UnitRef
from routing.glossary import AppealType, AreaLevel, UnitKind
from routing.sla import DEMO_POLICY_MAPPING
from routing.tree import AreaNode, AreaTree, MatterTree, TreeNode

TIERS = frozenset(DEMO_POLICY_MAPPING["tiers"])
MATTERS = MatterTree(
    [
        TreeNode("01", "城乡建设", None),
        TreeNode("0101", "物业管理", "01"),
        TreeNode("010101", "电梯故障", "0101"),
        TreeNode("0102", "市政设施", "01"),
        TreeNode("010201", "路灯不亮", "0102"),
        TreeNode("02", "生态环境", None),
        TreeNode("0201", "危险废物", "02"),
    ]
)
AREAS = AreaTree(
    [
        AreaNode("3301", "杭州市", None, AreaLevel.CITY),
        AreaNode("330102", "上城区", "3301", AreaLevel.DISTRICT),
        AreaNode("330102001", "清波街道", "330102", AreaLevel.STREET),
    ]
)
UNITS = UnitDirectory(
    [
        UnitRef("JSJ", "市住房和城乡建设局", UnitKind.CITY_DEPARTMENT, None, None),
        UnitRef("STJ", "市生态环境局", UnitKind.CITY_DEPARTMENT, None, None),
        UnitRef("SCQZF", "上城区人民政府", UnitKind.DISTRICT_GOVERNMENT, "330102", None),
        UnitRef("QBJD", "清波街道办事处", UnitKind.STREET_OFFICE, "330102001", "SCQZF"),
        UnitRef("DL", "国网杭州供电公司", UnitKind.UTILITY, None, None),
    ],
    AREAS,
)
ENTRIES = [
    CatalogueEntry(
        "E001",
        "010101",
        None,
        frozenset({AppealType.COMPLAINT, AppealType.HELP}),
        "JSJ",
        ("属地区政府", "DL"),
        "市级",
        "《特种设备安全法》第五条",
        "normal",
        ("电梯", "困人"),
        False,
    ),
    CatalogueEntry(
        "E002", "010201", "330102001", frozenset(), "属地街道", (), "街道级", "", None, (), False
    ),
    CatalogueEntry(
        "E003",
        "0201",
        "330102",
        frozenset(),
        "STJ",
        ("SCQZF",),
        "市级",
        "三定第3条",
        None,
        (),
        True,
    ),
]
GOOD_HEADER = list(HEADERS)


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def good_row(entry_id: str = "E9", **cells: str) -> list[str]:
    values = {
        "条目编号": entry_id,
        "事项编码": "010101",
        "事项名称": "电梯故障",
        "区域编码": "",
        "区域名称": "全市",
        "诉求类型": "",
        "主办单位": "JSJ",
        "主办单位名称": "市住房和城乡建设局",
        "协办单位": "",
        "协办单位名称": "",
        "派单层级": "市级",
        "法律依据": "",
        "时限档位": "",
        "关键词": "",
        "不得下沉": "否",
    }
    values.update(cells)
    return [values[header] for header in HEADERS]


def test_an_xlsx_written_then_read_gives_the_same_entries(tmp_path: Path) -> None:
    path = tmp_path / "派单目录.xlsx"
    write_sheet(ENTRIES, MATTERS, AREAS, UNITS, path, "xlsx")
    entries, problems = parse_catalogue(path, path.name, MATTERS, AREAS, UNITS, TIERS)
    assert problems == []
    assert entries == ENTRIES


def test_a_csv_written_to_a_stream_then_read_gives_the_same_entries() -> None:
    stream = io.BytesIO()
    write_sheet(ENTRIES, MATTERS, AREAS, UNITS, stream, "csv")
    assert stream.getvalue().startswith(b"\xef\xbb\xbf")
    stream.seek(0)
    entries, problems = parse_catalogue(stream, "export.csv", MATTERS, AREAS, UNITS, TIERS)
    assert (entries, problems) == (ENTRIES, [])


def test_the_export_fills_names_and_formats_the_header(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_sheet(ENTRIES, MATTERS, AREAS, UNITS, path, "xlsx")
    workbook = load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert (sheet.column_dimensions["L"].width or 0) > 20
    first = {header: cell.value for header, cell in zip(HEADERS, sheet[2], strict=True)}
    assert first["事项名称"] == "电梯故障"
    assert first["区域名称"] == "全市"
    assert first["诉求类型"] == "求助、投诉"
    assert first["协办单位名称"] == "属地区政府、国网杭州供电公司"
    assert first["不得下沉"] == "否"
    workbook.close()


def test_a_csv_saved_by_excel_in_gb18030_is_read() -> None:
    data = csv_bytes(
        [GOOD_HEADER, good_row("E9", 诉求类型="投诉，求助", 关键词="电梯、困人")], "gb18030"
    )
    rows, problems = read_sheet(io.BytesIO(data), "目录.csv")
    assert problems == []
    assert rows[0].appeal_types == {AppealType.COMPLAINT, AppealType.HELP}
    assert rows[0].keywords == ("电梯", "困人")


def test_columns_are_matched_by_header_in_any_order_and_extra_columns_are_ignored() -> None:
    header = ["备注", *reversed(GOOD_HEADER)]
    row = ["随便写", *reversed(good_row("E9", 协办单位="DL,SCQZF", 不得下沉="是"))]
    rows, problems = read_sheet(io.BytesIO(csv_bytes([header, row], "utf-8")), "a.csv")
    assert problems == []
    assert rows[0].entry_id == "E9"
    assert rows[0].assists == ("DL", "SCQZF")
    assert rows[0].no_push_down


def test_a_name_that_does_not_match_its_code_is_not_an_error() -> None:
    data = csv_bytes(
        [GOOD_HEADER, good_row("E9", 事项名称="改过的名字", 主办单位名称="旧名")], "utf-8"
    )
    entries, problems = parse_catalogue(io.BytesIO(data), "a.csv", MATTERS, AREAS, UNITS, TIERS)
    assert problems == []
    assert entries[0].matter_code == "010101"


def test_a_missing_required_column_is_a_problem_on_the_header_row() -> None:
    header = [h for h in GOOD_HEADER if h not in ("主办单位", "不得下沉")]
    rows, problems = read_sheet(io.BytesIO(csv_bytes([header], "utf-8")), "a.csv")
    assert rows == []
    assert [(p.row, p.column) for p in problems] == [(1, "主办单位"), (1, "不得下沉")]


def test_numeric_codes_typed_into_excel_are_read_as_text(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(GOOD_HEADER)
    row: list[object] = list(good_row("E9", 区域编码="330102"))
    row[HEADERS.index("区域编码")] = 330102
    row[HEADERS.index("不得下沉")] = None
    sheet.append(row)
    path = tmp_path / "typed.xlsx"
    workbook.save(path)
    rows, problems = read_sheet(path, path.name)
    assert problems == []
    assert rows[0].area_code == "330102"
    assert not rows[0].no_push_down


def test_a_wrong_file_lists_every_error_with_the_row_the_sheet_shows(tmp_path: Path) -> None:
    header = GOOD_HEADER
    rows = [
        header,
        good_row("E1"),
        good_row("E1", 区域编码="330102"),  # duplicate id
        good_row("E3", 事项编码="9999", 主办单位="XXX"),
        [""] * len(header),  # blank lines are skipped but still counted
        good_row("E5", 诉求类型="抱怨", 不得下沉="也许", 区域编码="330102001"),
        good_row("E6", 事项编码="0201", 主办单位="属地街道", 不得下沉="是", 区域编码="330102"),
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows, "utf-8-sig"))
    entries, problems = parse_catalogue(path, path.name, MATTERS, AREAS, UNITS, TIERS)
    assert entries == []
    assert [(p.row, p.column) for p in problems] == [
        (3, "条目编号"),
        (4, "事项编码"),
        (4, "主办单位"),
        (6, "诉求类型"),
        (6, "不得下沉"),
        (7, "主办单位"),
    ]
    assert "抱怨" in problems[3].reason


def test_an_unsupported_file_type_is_refused_with_a_reason() -> None:
    rows, problems = read_sheet(io.BytesIO(b"x"), "目录.xls")
    assert rows == []
    assert "xlsx" in problems[0].reason


def test_a_damaged_xlsx_is_a_problem_not_a_crash() -> None:
    rows, problems = read_sheet(io.BytesIO(b"not a zip"), "目录.xlsx")
    assert rows == []
    assert "无法读取" in problems[0].reason


def test_an_empty_file_is_a_problem() -> None:
    rows, problems = read_sheet(io.BytesIO(b""), "empty.csv")
    assert rows == []
    assert problems[0].row == 1


def test_an_unknown_tier_or_dispatch_level_is_a_problem_in_its_column() -> None:
    rows = [
        GOOD_HEADER,
        good_row("E1", 时限档位="whatever"),
        good_row("E2", 派单层级="宇宙级", 区域编码="330102"),
        good_row("E3", 时限档位="urgent", 派单层级="", 区域编码="330102001"),
    ]
    data = csv_bytes(rows, "utf-8")
    entries, problems = parse_catalogue(io.BytesIO(data), "a.csv", MATTERS, AREAS, UNITS, TIERS)
    assert entries == []
    assert [(p.row, p.column) for p in problems] == [(2, "时限档位"), (3, "派单层级")]
    assert "whatever" in problems[0].reason and "normal" in problems[0].reason
    assert "宇宙级" in problems[1].reason and "街道级" in problems[1].reason


def test_every_tier_of_the_policy_and_every_dispatch_level_is_accepted() -> None:
    cells = [{"时限档位": tier} for tier in sorted(TIERS)]
    cells += [{"派单层级": level} for level in DISPATCH_LEVELS]
    for cell in cells:
        data = csv_bytes([GOOD_HEADER, good_row("E1", **cell)], "utf-8")
        problems = parse_catalogue(io.BytesIO(data), "a.csv", MATTERS, AREAS, UNITS, TIERS)[1]
        assert problems == [], cell
