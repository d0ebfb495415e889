"""The demo city 云江市 data files are complete and consistent with each other."""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache
from itertools import combinations
from pathlib import Path

from openpyxl import load_workbook

DATA = Path(__file__).resolve().parents[2] / "hotline" / "demo" / "data"

CATALOGUE_HEADERS = [
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
]
APPEAL_TYPES = {"咨询", "求助", "投诉", "举报", "建议", "表扬", "其他"}
ROLES = {"属地街道", "属地区政府"}
TIERS = {"", "critical", "utility", "normal", "complex", "consult", "hall_rating"}
UNIT_KINDS = {
    "centre",
    "city_department",
    "district_government",
    "district_department",
    "street_office",
    "community",
    "utility",
}
FICTIONAL_PHONE = re.compile(r"^\+86(138|139)0000\d{4}$")

Row = dict[str, str]


@cache
def read(name: str) -> tuple[Row, ...]:
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def header(name: str) -> list[str]:
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def areas() -> dict[str, Row]:
    return {row["code"]: row for row in read("areas.csv")}


def units() -> dict[str, Row]:
    return {row["code"]: row for row in read("units.csv")}


def matters() -> dict[str, Row]:
    return {row["code"]: row for row in read("matters.csv")}


def leaves() -> dict[str, Row]:
    parents = {row["parent_code"] for row in read("matters.csv")}
    return {code: row for code, row in matters().items() if code not in parents}


def catalogue() -> tuple[Row, ...]:
    return read("catalogue.csv")


def split(cell: str) -> list[str]:
    return [part for part in cell.split("、") if part]


def types_of(entry: Row) -> set[str]:
    return set(split(entry["诉求类型"])) or set(APPEAL_TYPES)


def test_every_file_has_the_documented_header() -> None:
    assert header("areas.csv") == ["code", "name", "level", "parent_code"]
    assert header("units.csv") == [
        "code",
        "name",
        "kind",
        "parent_code",
        "area_code",
        "liaison_phone",
        "head_phone",
    ]
    assert header("matters.csv") == ["code", "name", "parent_code", "keywords"]
    assert header("catalogue.csv") == CATALOGUE_HEADERS
    assert header("users.csv") == ["username", "display_name", "role", "unit_code"]


def test_the_city_has_enough_districts_streets_and_communities() -> None:
    levels = Counter(row["level"] for row in read("areas.csv"))
    assert levels["city"] == 1
    assert levels["district"] >= 4
    assert levels["street"] >= 20
    assert levels["community"] >= 60
    assert set(levels) == {"city", "district", "street", "community"}
    assert areas()["990100"]["name"] == "云江市"


def test_area_codes_are_unique() -> None:
    codes = [row["code"] for row in read("areas.csv")]
    assert len(codes) == len(set(codes))


def test_every_area_hangs_one_level_below_an_existing_parent_that_prefixes_its_code() -> None:
    depth = {"city": 0, "district": 1, "street": 2, "community": 3}
    code_length = {"district": 6, "street": 9, "community": 12}
    by_code = areas()
    for code, row in by_code.items():
        if row["level"] == "city":
            assert row["parent_code"] == ""
            continue
        parent = by_code[row["parent_code"]]
        assert depth[parent["level"]] == depth[row["level"]] - 1
        assert len(code) == code_length[row["level"]]
        if row["level"] != "district":
            assert code.startswith(parent["code"])


def test_there_are_enough_units_of_every_kind_with_valid_references() -> None:
    by_code = units()
    kinds = Counter(row["kind"] for row in by_code.values())
    assert set(kinds) <= UNIT_KINDS
    assert len(by_code) >= 40
    assert kinds["centre"] == 1
    assert by_code["CENTRE"]["kind"] == "centre"
    assert kinds["city_department"] >= 15
    assert kinds["utility"] >= 6
    for row in by_code.values():
        assert row["parent_code"] == "" or row["parent_code"] in by_code
        assert row["area_code"] == "" or row["area_code"] in areas()


def test_unit_codes_are_unique() -> None:
    codes = [row["code"] for row in read("units.csv")]
    assert len(codes) == len(set(codes))


def test_every_district_has_a_government_and_every_street_an_office_in_that_area() -> None:
    by_area: dict[tuple[str, str], Row] = {
        (row["kind"], row["area_code"]): row for row in units().values()
    }
    for code, area in areas().items():
        if area["level"] == "district":
            assert ("district_government", code) in by_area
        if area["level"] == "street":
            office = by_area[("street_office", code)]
            district_government = units()[office["parent_code"]]
            assert district_government["kind"] == "district_government"
            assert district_government["area_code"] == area["parent_code"]


def test_district_departments_belong_to_the_government_of_their_district() -> None:
    for row in units().values():
        if row["kind"] == "district_department":
            government = units()[row["parent_code"]]
            assert government["kind"] == "district_government"
            assert government["area_code"] == row["area_code"]


def test_every_unit_has_fictional_e164_liaison_and_head_phones() -> None:
    for row in units().values():
        assert FICTIONAL_PHONE.match(row["liaison_phone"]), row["code"]
        assert FICTIONAL_PHONE.match(row["head_phone"]), row["code"]


def test_the_matter_tree_has_at_least_150_leaves_all_at_depth_three() -> None:
    by_code = matters()
    assert len(leaves()) >= 150
    for code in leaves():
        path = [code]
        while by_code[path[-1]]["parent_code"]:
            path.append(by_code[path[-1]]["parent_code"])
        assert len(path) == 3, path
        assert path[1] == code.rsplit(".", 1)[0]
        assert path[2] == code.split(".")[0]


def test_every_matter_parent_exists() -> None:
    by_code = matters()
    for row in by_code.values():
        assert row["parent_code"] == "" or row["parent_code"] in by_code


def test_leaves_carry_three_to_sixteen_keywords_and_inner_nodes_none() -> None:
    leaf_codes = set(leaves())
    for code, row in matters().items():
        if code in leaf_codes:
            assert 3 <= len(split(row["keywords"])) <= 16, code
        else:
            assert row["keywords"] == "", code


def test_the_legal_route_utility_and_hall_rating_matters_exist() -> None:
    leaf_names = {row["name"] for row in leaves().values()}
    assert {"诉讼", "仲裁", "纪检监察", "行政复议", "信访事项", "政府信息公开申请"} <= leaf_names
    assert {"停水", "停电", "燃气泄漏隐患", "暖气不热", "好差评整改"} <= leaf_names
    legal = next(row for row in matters().values() if row["name"] == "法定途径")
    assert legal["parent_code"] == ""


def test_catalogue_entry_ids_are_unique() -> None:
    ids = [entry["条目编号"] for entry in catalogue()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"E\d{4}", entry_id) for entry_id in ids)


def test_every_catalogue_cell_refers_to_known_codes_and_values() -> None:
    for entry in catalogue():
        assert entry["事项编码"] in matters()
        assert matters()[entry["事项编码"]]["name"] == entry["事项名称"]
        assert entry["区域编码"] == "" or entry["区域编码"] in areas()
        assert set(split(entry["诉求类型"])) <= APPEAL_TYPES
        for code in [entry["主办单位"], *split(entry["协办单位"])]:
            assert code in ROLES or code in units(), code
        assert entry["派单层级"] in {"市级", "区级", "街道级"}
        assert entry["时限档位"] in TIERS
        assert entry["不得下沉"] in {"是", "否"}
        assert entry["法律依据"]


def test_no_two_catalogue_entries_overlap_in_matter_area_and_appeal_type() -> None:
    by_key: dict[tuple[str, str], list[Row]] = {}
    for entry in catalogue():
        by_key.setdefault((entry["事项编码"], entry["区域编码"]), []).append(entry)
    for entries in by_key.values():
        for first, second in combinations(entries, 2):
            assert not types_of(first) & types_of(second), (first["条目编号"], second["条目编号"])


def test_entries_that_must_not_be_pushed_down_name_no_street_or_community_unit() -> None:
    low_kinds = {"street_office", "community"}
    for entry in catalogue():
        if entry["不得下沉"] != "是":
            continue
        for code in [entry["主办单位"], *split(entry["协办单位"])]:
            assert code != "属地街道", entry["条目编号"]
            assert code in ROLES or units()[code]["kind"] not in low_kinds, entry["条目编号"]


def test_the_catalogue_covers_most_leaves_citywide_but_leaves_some_to_walk_up() -> None:
    leaf_codes = set(leaves())
    citywide = {e["事项编码"] for e in catalogue() if e["区域编码"] == ""} & leaf_codes
    covered = {e["事项编码"] for e in catalogue()}
    uncovered = leaf_codes - covered
    assert len(citywide) >= 120
    assert len(uncovered) >= len(leaf_codes) // 20
    parents_with_entries = {matters()[code]["parent_code"] for code in uncovered} & covered
    assert parents_with_entries


def test_the_catalogue_has_area_overrides_and_appeal_type_filters() -> None:
    assert sum(1 for e in catalogue() if e["区域编码"]) >= 5
    reports = [
        e for e in catalogue() if e["事项名称"] == "餐饮食品安全" and types_of(e) == {"举报"}
    ]
    assert len(reports) == 1
    assert reports[0]["主办单位"] == "C-SCJGJ"
    assert "C-GAJ" in split(reports[0]["协办单位"])


def test_catalogue_xlsx_holds_exactly_the_csv_rows_on_a_sheet_named_pai_dan_mu_lu() -> None:
    workbook = load_workbook(DATA / "catalogue.xlsx", read_only=True)
    try:
        sheet = workbook["派单目录"]
        rows = [
            ["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    assert rows[0] == CATALOGUE_HEADERS
    assert rows[1:] == [[entry[h] for h in CATALOGUE_HEADERS] for entry in catalogue()]


def test_catalogue_xlsx_has_a_bold_frozen_header() -> None:
    sheet = load_workbook(DATA / "catalogue.xlsx")["派单目录"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])


def test_users_cover_every_role_and_every_department_government_and_street_office() -> None:
    users = read("users.csv")
    roles = Counter(user["role"] for user in users)
    assert set(roles) == {"admin", "supervisor", "dispatcher", "agent", "unit"}
    assert roles["admin"] >= 1
    assert roles["supervisor"] >= 1
    assert roles["dispatcher"] >= 2
    assert roles["agent"] >= 4
    with_users = {user["unit_code"] for user in users if user["role"] == "unit"}
    for code, unit in units().items():
        if unit["kind"] in {"city_department", "district_government", "street_office"}:
            assert code in with_users, code
    assert "u-c-zjj" in {user["username"] for user in users}


def test_every_user_name_is_unique_and_every_user_unit_exists() -> None:
    users = read("users.csv")
    assert len({user["username"] for user in users}) == len(users)
    for user in users:
        assert user["display_name"]
        if user["role"] == "unit":
            assert user["unit_code"]
        assert user["unit_code"] == "" or user["unit_code"] in units()
