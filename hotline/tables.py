"""Labelled tables (text + label columns) from CSV or XLSX, for training the matter classifier."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

from openpyxl import load_workbook


class TableError(ValueError):
    """The file cannot give the requested columns; the message says what it has instead."""


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel in China saves "CSV" in the ANSI code page; GB18030 is a superset of GBK.
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise TableError("无法识别 CSV 文件的编码（支持 UTF-8 与 GBK/GB18030）") from None


def _csv_rows(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes())
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(path: Path, sheet_names: tuple[str, ...] = ()) -> list[list[str]]:
    with warnings.catch_warnings():
        # Files saved by WPS or older Excel trigger harmless openpyxl style warnings.
        warnings.simplefilter("ignore", UserWarning)
        workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        named = [name for name in sheet_names if name in workbook.sheetnames]
        sheet = workbook[named[0]] if named else workbook.active
        if sheet is None:
            return []
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_table(path: Path, sheet_names: tuple[str, ...] = ()) -> list[list[str]]:
    """The cells of a CSV file or of an XLSX workbook's sheet, row by row, stripped: the first
    sheet named one of `sheet_names` (one workbook may hold several tables), else the active."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(path)
    elif suffix == ".xlsx":
        table = _xlsx_rows(path, sheet_names)
    else:
        raise TableError(f"不支持的文件类型 {suffix or path.name}，请使用 .csv 或 .xlsx")
    if not table:
        raise TableError(f"{path.name} 是空文件")
    return table


def read_labelled(path: Path, text_column: str, label_column: str) -> list[tuple[str, str]]:
    """(text, label) pairs by header name; rows missing either value are skipped."""
    table = read_table(path)
    header = [cell.strip().lstrip("\ufeff") for cell in table[0]]
    missing = [name for name in (text_column, label_column) if name not in header]
    if missing:
        available = "、".join(h for h in header if h) or "（无）"
        raise TableError(f"{path.name} 缺少列：{'、'.join(missing)}；表头中的列有：{available}")
    text_index, label_index = header.index(text_column), header.index(label_column)
    pairs: list[tuple[str, str]] = []
    for row in table[1:]:
        text = row[text_index].strip() if text_index < len(row) else ""
        label = row[label_index].strip() if label_index < len(row) else ""
        if text and label:
            pairs.append((text, label))
    return pairs
