"""The catalogue spreadsheet (派单目录表) staff maintain: XLSX/CSV import and export.

One row per entry with Chinese headers, codes and names; names are informational, codes are checked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import warnings
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import BinaryIO, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from hotline.catalogue_columns import column_problems
from routing.catalogue import (
    APPEAL_TYPE_NAMES,
    ROLE_TOKENS,
    CatalogueEntry,
    EntryRow,
    Problem,
    UnitDirectory,
    sort_problems,
    validate_entries,
)
from routing.glossary import AppealType
from routing.tree import AreaTree, CodeTree

Source = str | os.PathLike[str] | BinaryIO
SheetFormat = Literal["xlsx", "csv"]

HEADERS: tuple[str, ...] = (
    "条目编号",
    "事项编码",
    "事项名称",
    "区域编码",
    "区域名称",
    "诉求类型",
    "主办单位",
    "主办单位名称",
    "协办单位",
    "协办单位名称",
    "派单层级",
    "法律依据",
    "时限档位",
    "关键词",
    "不得下沉",
)
# Name columns are informational and keywords/tier may be left out; every column that carries
# a code or a rule must be present, or an import would silently drop it.
OPTIONAL_HEADERS: frozenset[str] = frozenset(
    {"事项名称", "区域名称", "主办单位名称", "协办单位名称", "时限档位", "关键词"}
)
COLUMN_WIDTHS: dict[str, int] = {
    "条目编号": 14,
    "事项编码": 14,
    "事项名称": 22,
    "区域编码": 14,
    "区域名称": 18,
    "诉求类型": 16,
    "主办单位": 14,
    "主办单位名称": 24,
    "协办单位": 20,
    "协办单位名称": 30,
    "派单层级": 10,
    "法律依据": 40,
    "时限档位": 10,
    "关键词": 24,
    "不得下沉": 10,
}
SHEET_TITLE = "派单目录"
CITY_WIDE = "全市"

_SEPARATORS = ("，", ",", "；", ";")  # all normalised to 、 before splitting
_APPEAL_TYPE_BY_NAME: dict[str, AppealType] = {
    **{name: kind for kind, name in APPEAL_TYPE_NAMES.items()},
    **{kind.value: kind for kind in AppealType},
    "感谢": AppealType.PRAISE,
    "表扬/感谢": AppealType.PRAISE,
}
_YES = frozenset({"是", "y", "yes", "true", "1", "√"})
_NO = frozenset({"", "否", "n", "no", "false", "0", "×"})


def _split(text: str) -> tuple[str, ...]:
    for separator in _SEPARATORS:
        text = text.replace(separator, "、")
    return tuple(part.strip() for part in text.split("、") if part.strip())


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    # Excel turns a typed code like 110101 into a number; give it back as text.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _header_key(text: str) -> str:
    # Staff often mark required columns with * or add spaces; match on the bare name.
    return text.replace(" ", "").replace("\u3000", "").strip("*＊")


def read_sheet(source: Source, filename: str) -> tuple[list[EntryRow], list[Problem]]:
    """Rows of a .xlsx or .csv catalogue and every problem of form (not of references)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        try:
            table = _xlsx_rows(source)
        except Exception as error:  # openpyxl raises many types for a damaged file
            return [], [Problem(0, "", f"无法读取 xlsx 文件：{error}")]
    elif suffix == ".csv":
        try:
            table = _csv_rows(source)
        except UnicodeDecodeError:
            return [], [Problem(0, "", "无法识别 CSV 文件的编码（支持 UTF-8 与 GBK/GB18030）")]
    else:
        return [], [Problem(0, "", f"不支持的文件类型 {suffix or filename}，请上传 .xlsx 或 .csv")]
    return _parse_table(table)


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, str | os.PathLike):
        return Path(source).read_bytes()
    return source.read()


def _xlsx_rows(source: Source) -> list[list[str]]:
    stream: str | os.PathLike[str] | BinaryIO = source
    if not isinstance(source, str | os.PathLike) and not source.seekable():
        stream = io.BytesIO(source.read())
    # Files saved by WPS or older Excel trigger harmless openpyxl style/extension warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        workbook = load_workbook(stream, read_only=True, data_only=True)
    try:
        sheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.active
        if sheet is None:
            return []
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(source: Source) -> list[list[str]]:
    data = _read_bytes(source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel in China saves "CSV" in the ANSI code page; GB18030 is a superset of GBK.
        text = data.decode("gb18030")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _parse_table(table: list[list[str]]) -> tuple[list[EntryRow], list[Problem]]:
    problems: list[Problem] = []
    if not table or not any(table[0]):
        return [], [Problem(1, "", "文件为空或第 1 行不是表头")]
    columns: dict[str, int] = {}
    for index, header in enumerate(table[0]):
        key = _header_key(header)
        if key not in HEADERS:
            continue  # extra columns staff add for their own notes are ignored
        if key in columns:
            problems.append(Problem(1, key, f"表头“{key}”重复出现"))
            continue
        columns[key] = index
    for header in HEADERS:
        if header not in columns and header not in OPTIONAL_HEADERS:
            problems.append(Problem(1, header, f"缺少必需的列“{header}”"))
    if problems:
        return [], problems

    rows: list[EntryRow] = []
    for offset, raw in enumerate(table[1:]):
        row_number = offset + 2
        if not any(raw):
            continue

        def cell(header: str, raw: list[str] = raw) -> str:
            index = columns.get(header)
            return raw[index] if index is not None and index < len(raw) else ""

        appeal_types: set[AppealType] = set()
        for name in _split(cell("诉求类型")):
            if name == "全部":
                continue
            kind = _APPEAL_TYPE_BY_NAME.get(name.lower())
            if kind is None:
                problems.append(
                    Problem(
                        row_number,
                        "诉求类型",
                        f"无法识别的诉求类型“{name}”，应为 "
                        + "、".join(APPEAL_TYPE_NAMES.values())
                        + " 之一，留空表示全部",
                    )
                )
            else:
                appeal_types.add(kind)
        flag = cell("不得下沉").lower()
        if flag not in _YES and flag not in _NO:
            problems.append(Problem(row_number, "不得下沉", f"“{flag}”应填 是 或 否（留空为否）"))
        area = cell("区域编码")
        rows.append(
            EntryRow(
                row=row_number,
                entry_id=cell("条目编号"),
                matter_code=cell("事项编码"),
                area_code=None if area in ("", CITY_WIDE) else area,
                appeal_types=frozenset(appeal_types),
                lead=cell("主办单位"),
                assists=_split(cell("协办单位")),
                dispatch_level=cell("派单层级"),
                legal_basis=cell("法律依据"),
                tier=cell("时限档位") or None,
                keywords=_split(cell("关键词")),
                no_push_down=flag in _YES,
            )
        )
    return rows, problems


def parse_catalogue(
    source: Source,
    filename: str,
    matters: CodeTree,
    areas: AreaTree,
    units: UnitDirectory,
    tiers: Collection[str],
) -> tuple[list[CatalogueEntry], list[Problem]]:
    """Read and validate; a file with any problem yields no entries, and lists every problem."""
    rows, problems = read_sheet(source, filename)
    if rows:
        problems = sort_problems(
            [
                *problems,
                *validate_entries(rows, matters, areas, units),
                *column_problems(rows, tiers),
            ]
        )
    if problems:
        return [], problems
    return [row.to_entry() for row in rows], []


def _unit_name(code: str, units: UnitDirectory) -> str:
    if code in ROLE_TOKENS:
        return code
    unit = units.get(code)
    return unit.name if unit is not None else ""


def entry_cells(
    entry: CatalogueEntry, matters: CodeTree, areas: AreaTree, units: UnitDirectory
) -> list[str]:
    """One sheet row, in HEADERS order, names filled from the trees and the unit directory."""
    area_name = CITY_WIDE
    if entry.area_code is not None:
        area_name = areas.name(entry.area_code) if entry.area_code in areas else ""
    return [
        entry.entry_id,
        entry.matter_code,
        matters.name(entry.matter_code) if entry.matter_code in matters else "",
        entry.area_code or "",
        area_name,
        "、".join(name for kind, name in APPEAL_TYPE_NAMES.items() if kind in entry.appeal_types),
        entry.lead,
        _unit_name(entry.lead, units),
        "、".join(entry.assists),
        "、".join(_unit_name(code, units) for code in entry.assists),
        entry.dispatch_level,
        entry.legal_basis,
        entry.tier or "",
        "、".join(entry.keywords),
        "是" if entry.no_push_down else "否",
    ]


def write_sheet(
    entries: Iterable[CatalogueEntry],
    matters: CodeTree,
    areas: AreaTree,
    units: UnitDirectory,
    target: Source,
    fmt: SheetFormat = "xlsx",
) -> None:
    rows = (entry_cells(entry, matters, areas, units) for entry in entries)
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        writer.writerows(rows)
        # The BOM makes Excel open UTF-8 Chinese text correctly.
        data = buffer.getvalue().encode("utf-8-sig")
        if isinstance(target, str | os.PathLike):
            Path(target).write_bytes(data)
        else:
            target.write(data)
        return
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS[header]
    bold = Font(bold=True)
    header_cells = []
    for header in HEADERS:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(row)
    workbook.save(target)
