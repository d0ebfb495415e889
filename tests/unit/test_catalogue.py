"""The catalogue: unit directory, validation of every problem kind at once, index and diff."""

from __future__ import annotations

from dataclasses import replace

from routing.catalogue import (
    Catalogue,
    CatalogueEntry,
    EntryRow,
    UnitDirectory,
    UnitRef,
    appeal_types_label,
    diff,
    validate_entries,
)
from routing.glossary import AppealType, AreaLevel, UnitKind
from routing.tree import AreaNode, AreaTree, MatterTree, TreeNode

MATTERS = MatterTree(
    [
        TreeNode("01", "城乡建设", None),
        TreeNode("0101", "物业管理", "01"),
        TreeNode("010101", "电梯故障", "0101"),
        TreeNode("02", "生态环境", None),
        TreeNode("0201", "危险废物", "02"),
    ]
)
AREAS = AreaTree(
    [
        AreaNode("3301", "杭州市", None, AreaLevel.CITY),
        AreaNode("330102", "上城区", "3301", AreaLevel.DISTRICT),
        AreaNode("330102001", "清波街道", "330102", AreaLevel.STREET),
        AreaNode("330102001001", "柳翠井巷社区", "330102001", AreaLevel.COMMUNITY),
    ]
)
UNITS = UnitDirectory(
    [
        UnitRef("JSJ", "市住房和城乡建设局", UnitKind.CITY_DEPARTMENT, None, None),
        UnitRef("STJ", "市生态环境局", UnitKind.CITY_DEPARTMENT, None, None),
        UnitRef("SCQZF", "上城区人民政府", UnitKind.DISTRICT_GOVERNMENT, "330102", None),
        UnitRef("QBJD", "清波街道办事处", UnitKind.STREET_OFFICE, "330102001", "SCQZF"),
        UnitRef("LCJ", "柳翠井巷社区居委会", UnitKind.COMMUNITY, "330102001001", "QBJD"),
    ],
    AREAS,
)


def row(number: int, entry_id: str, **changes: object) -> EntryRow:
    base = EntryRow(
        row=number,
        entry_id=entry_id,
        matter_code="010101",
        area_code=None,
        lead="JSJ",
        dispatch_level="市级",
        legal_basis="《特种设备安全法》第五条",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_directory_finds_the_street_office_of_a_community() -> None:
    office = UNITS.street_office_for("330102001001")
    assert office is not None and office.code == "QBJD"


def test_the_directory_finds_the_district_government_of_a_street() -> None:
    government = UNITS.district_government_for("330102001")
    assert government is not None and government.code == "SCQZF"


def test_the_directory_has_no_street_office_above_street_level() -> None:
    assert UNITS.street_office_for("330102") is None
    assert UNITS.district_government_for("3301") is None


def test_a_clean_catalogue_has_no_problems() -> None:
    rows = [
        row(2, "E1"),
        row(3, "E2", area_code="330102001", lead="属地街道", assists=("JSJ",)),
        row(4, "E3", matter_code="0201", lead="STJ", no_push_down=True, assists=("属地区政府",)),
    ]
    assert validate_entries(rows, MATTERS, AREAS, UNITS) == []


def test_an_unknown_lead_or_assist_unit_is_reported_in_its_column() -> None:
    problems = validate_entries([row(2, "E1", lead="XXX", assists=("YYY",))], MATTERS, AREAS, UNITS)
    assert [(p.row, p.column) for p in problems] == [(2, "主办单位"), (2, "协办单位")]
    assert "XXX" in problems[0].reason and "YYY" in problems[1].reason


def test_the_hotline_centre_itself_cannot_be_an_entrys_lead_or_assist_unit() -> None:
    units = UnitDirectory(
        [*UNITS, UnitRef("CENTRE", "12345热线中心", UnitKind.CENTRE, None, None)], AREAS
    )
    problems = validate_entries(
        [row(2, "E1", lead="CENTRE"), row(3, "E2", matter_code="0201", assists=("CENTRE",))],
        MATTERS,
        AREAS,
        units,
    )
    assert [(p.row, p.column) for p in problems] == [(2, "主办单位"), (3, "协办单位")]
    assert all("热线中心本身" in p.reason for p in problems)


def test_unknown_matter_and_area_codes_are_reported() -> None:
    problems = validate_entries(
        [row(2, "E1", matter_code="9999", area_code="8888")], MATTERS, AREAS, UNITS
    )
    assert [p.column for p in problems] == ["事项编码", "区域编码"]
    assert "9999" in problems[0].reason and "8888" in problems[1].reason


def test_two_entries_for_the_same_matter_area_and_appeal_type_overlap() -> None:
    rows = [
        row(2, "E1", appeal_types=frozenset({AppealType.COMPLAINT})),
        row(3, "E2", appeal_types=frozenset({AppealType.COMPLAINT, AppealType.HELP})),
    ]
    problems = validate_entries(rows, MATTERS, AREAS, UNITS)
    assert [(p.row, p.column) for p in problems] == [(3, "诉求类型")]
    assert "E1" in problems[0].reason and "第 2 行" in problems[0].reason


def test_an_entry_for_all_appeal_types_overlaps_any_other_on_the_same_key() -> None:
    rows = [row(2, "E1"), row(3, "E2", appeal_types=frozenset({AppealType.CONSULT}))]
    assert [p.row for p in validate_entries(rows, MATTERS, AREAS, UNITS)] == [3]


def test_entries_with_disjoint_appeal_types_or_different_areas_do_not_overlap() -> None:
    rows = [
        row(2, "E1", appeal_types=frozenset({AppealType.COMPLAINT})),
        row(3, "E2", appeal_types=frozenset({AppealType.CONSULT})),
        row(4, "E3", area_code="330102"),
    ]
    assert validate_entries(rows, MATTERS, AREAS, UNITS) == []


def test_a_matter_that_must_not_be_pushed_down_cannot_go_to_a_street_or_community() -> None:
    rows = [
        row(2, "E1", matter_code="0201", area_code="330102001", no_push_down=True, lead="QBJD"),
        row(3, "E2", matter_code="0201", area_code="330102", no_push_down=True, lead="属地街道"),
        row(4, "E3", matter_code="02", no_push_down=True, lead="STJ", assists=("LCJ",)),
    ]
    problems = validate_entries(rows, MATTERS, AREAS, UNITS)
    assert [(p.row, p.column) for p in problems] == [
        (2, "主办单位"),
        (3, "主办单位"),
        (4, "协办单位"),
    ]
    assert all("不得下沉" in p.reason for p in problems)


def test_a_unit_with_a_territory_leads_only_entries_inside_it() -> None:
    rows = [
        row(2, "E1", lead="SCQZF"),
        row(3, "E2", area_code="330102001", lead="SCQZF"),
        row(4, "E3", area_code="330102", lead="QBJD"),
        row(5, "E4", area_code="330102001001", lead="QBJD"),
    ]
    problems = validate_entries(rows, MATTERS, AREAS, UNITS)
    assert [(p.row, p.column) for p in problems] == [(2, "主办单位"), (4, "主办单位")]
    assert "全市条目" in problems[0].reason
    assert "不在其辖区内" in problems[1].reason


def test_missing_required_fields_are_reported_by_column() -> None:
    problems = validate_entries([row(2, "", matter_code="", lead="")], MATTERS, AREAS, UNITS)
    assert [p.column for p in problems] == ["条目编号", "事项编码", "主办单位"]
    assert all("为空" in p.reason for p in problems)


def test_a_duplicate_entry_id_names_the_row_that_used_it_first() -> None:
    rows = [row(2, "E1"), row(5, "E1", area_code="330102")]
    problems = validate_entries(rows, MATTERS, AREAS, UNITS)
    assert [(p.row, p.column) for p in problems] == [(5, "条目编号")]
    assert "第 2 行" in problems[0].reason


def test_every_problem_of_every_row_is_reported_at_once_in_row_order() -> None:
    rows = [
        row(2, "E1", lead="XXX"),
        row(3, "E1", matter_code="9999"),
        row(4, "E4", area_code="8888", assists=("YYY",)),
        row(5, "", matter_code="0201", area_code="330102001", no_push_down=True, lead="QBJD"),
    ]
    problems = validate_entries(rows, MATTERS, AREAS, UNITS)
    assert [(p.row, p.column) for p in problems] == [
        (2, "主办单位"),
        (3, "条目编号"),
        (3, "事项编码"),
        (4, "区域编码"),
        (4, "协办单位"),
        (5, "条目编号"),
        (5, "主办单位"),
    ]


def test_the_catalogue_indexes_entries_by_matter_and_area() -> None:
    complaint = CatalogueEntry("E1", "010101", None, frozenset({AppealType.COMPLAINT}), "JSJ")
    consult = CatalogueEntry("E2", "010101", None, frozenset({AppealType.CONSULT}), "JSJ")
    local = CatalogueEntry("E3", "010101", "330102", frozenset(), "SCQZF")
    catalogue = Catalogue(3, [complaint, consult, local])
    assert catalogue.lookup("010101", None) == (complaint, consult)
    assert catalogue.lookup("010101", "330102") == (local,)
    assert catalogue.lookup("0101", None) == ()
    assert catalogue.get("E3") is local
    assert len(catalogue) == 3


def test_an_entry_with_no_appeal_types_accepts_every_type() -> None:
    entry = CatalogueEntry("E1", "010101", None, frozenset(), "JSJ")
    assert all(entry.accepts(kind) for kind in AppealType)
    assert appeal_types_label(frozenset()) == "全部"


def test_the_diff_matches_entries_by_id_and_lists_changed_fields() -> None:
    kept = CatalogueEntry("E1", "010101", None, frozenset(), "JSJ")
    edited = CatalogueEntry("E2", "0101", None, frozenset(), "JSJ", tier="5工作日")
    dropped = CatalogueEntry("E3", "02", None, frozenset(), "STJ")
    added = CatalogueEntry("E4", "0201", None, frozenset(), "STJ")
    edited_after = replace(edited, lead="SCQZF", tier="7工作日")
    result = diff(Catalogue(1, [kept, edited, dropped]), Catalogue(2, [kept, edited_after, added]))
    assert result.added == [added]
    assert result.removed == [dropped]
    assert result.changed == [(edited, edited_after, ["lead", "tier"])]
    assert not result.is_empty


def test_the_diff_of_a_catalogue_with_itself_is_empty() -> None:
    catalogue = Catalogue(1, [CatalogueEntry("E1", "010101", None, frozenset(), "JSJ")])
    assert diff(catalogue, catalogue).is_empty
