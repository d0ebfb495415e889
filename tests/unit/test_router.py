"""按责转办: the resolution order, each fallback, role tokens, appeal types and the reason."""

from __future__ import annotations

from routing.catalogue import Catalogue, CatalogueEntry, UnitDirectory, UnitRef
from routing.glossary import AppealType, AreaLevel, UnitKind
from routing.router import Decision, resolve
from routing.tree import AreaNode, AreaTree, MatterTree, TreeNode

MATTERS = MatterTree(
    [
        TreeNode("01", "城乡建设", None),
        TreeNode("0101", "物业管理", "01"),
        TreeNode("010101", "电梯故障", "0101"),
        TreeNode("010102", "物业收费", "0101"),
        TreeNode("0102", "市政设施", "01"),
        TreeNode("010201", "路灯不亮", "0102"),
        TreeNode("02", "市场监管", None),
        TreeNode("0201", "食品安全", "02"),
        TreeNode("020101", "过期食品", "0201"),
    ]
)
AREAS = AreaTree(
    [
        AreaNode("3301", "杭州市", None, AreaLevel.CITY),
        AreaNode("330102", "上城区", "3301", AreaLevel.DISTRICT),
        AreaNode("330102001", "清波街道", "330102", AreaLevel.STREET),
        AreaNode("330102001001", "柳翠井巷社区", "330102001", AreaLevel.COMMUNITY),
        AreaNode("330102002", "湖滨街道", "330102", AreaLevel.STREET),
        AreaNode("330106", "西湖区", "3301", AreaLevel.DISTRICT),
        AreaNode("330106001", "北山街道", "330106", AreaLevel.STREET),
    ]
)
# 湖滨街道 has no registered street office and 西湖区 no district government, on purpose.
UNITS = UnitDirectory(
    [
        UnitRef("JSJ", "市住房和城乡建设局", UnitKind.CITY_DEPARTMENT, None, None),
        UnitRef("SCJ", "市市场监督管理局", UnitKind.CITY_DEPARTMENT, None, None),
        UnitRef("SCQZF", "上城区人民政府", UnitKind.DISTRICT_GOVERNMENT, "330102", None),
        UnitRef("SCQJSJ", "上城区住建局", UnitKind.DISTRICT_DEPARTMENT, "330102", "SCQZF"),
        UnitRef("QBJD", "清波街道办事处", UnitKind.STREET_OFFICE, "330102001", "SCQZF"),
        UnitRef("BSJD", "北山街道办事处", UnitKind.STREET_OFFICE, "330106001", None),
        UnitRef("LCJ", "柳翠井巷社区居委会", UnitKind.COMMUNITY, "330102001001", "QBJD"),
        UnitRef("DL", "国网杭州供电公司", UnitKind.UTILITY, None, None),
    ],
    AREAS,
)
ANY: frozenset[AppealType] = frozenset()


def entry(
    entry_id: str,
    matter: str,
    area: str | None,
    lead: str,
    assists: tuple[str, ...] = (),
    types: frozenset[AppealType] = ANY,
) -> CatalogueEntry:
    return CatalogueEntry(entry_id, matter, area, types, lead, assists, tier="5工作日")


def route(
    entries: list[CatalogueEntry],
    matter: str | None,
    area: str | None,
    appeal_type: AppealType = AppealType.COMPLAINT,
    version: int = 7,
) -> Decision:
    return resolve(Catalogue(version, entries), MATTERS, AREAS, UNITS, matter, area, appeal_type)


LIFT_ENTRIES = [
    entry("E-city", "010101", None, "JSJ"),
    entry("E-district", "010101", "330102", "SCQJSJ"),
    entry("E-street", "010101", "330102001", "QBJD", assists=("JSJ",)),
    entry("E-community", "010101", "330102001001", "LCJ"),
]


def test_the_entry_for_the_smallest_area_wins() -> None:
    decision = route(LIFT_ENTRIES, "010101", "330102001001")
    assert decision.lead_unit == "LCJ"
    assert decision.entry_id == "E-community"
    assert decision.fallback == "none"
    assert decision.matter_steps_up == 0


def test_the_area_is_walked_up_until_an_entry_is_found() -> None:
    decision = route(LIFT_ENTRIES, "010101", "330102002")
    assert (decision.entry_id, decision.lead_unit) == ("E-district", "SCQJSJ")
    assert decision.matched_area == "330102"


def test_a_city_wide_entry_serves_any_area_and_tickets_without_area() -> None:
    assert route(LIFT_ENTRIES, "010101", "330106001").entry_id == "E-city"
    decision = route(LIFT_ENTRIES, "010101", None)
    assert decision.entry_id == "E-city"
    assert decision.matched_area is None


def test_the_matched_entry_brings_its_assists_and_tier() -> None:
    decision = route(LIFT_ENTRIES, "010101", "330102001")
    assert decision.assist_units == ("JSJ",)
    assert decision.tier == "5工作日"
    assert decision.catalogue_version == 7


def test_the_matter_tree_is_walked_up_when_no_entry_fits_the_leaf() -> None:
    decision = route([entry("E-prop", "0101", None, "JSJ")], "010102", "330102001")
    assert decision.lead_unit == "JSJ"
    assert decision.fallback == "matter_ancestor"
    assert decision.matter_steps_up == 1
    assert decision.matched_matter == "0101"
    assert "上溯 1 级" in decision.reason


def test_a_leaf_entry_for_the_whole_city_beats_a_local_entry_for_a_parent_matter() -> None:
    entries = [
        entry("E-leaf", "010102", None, "JSJ"),
        entry("E-local", "0101", "330102001", "QBJD"),
    ]
    assert route(entries, "010102", "330102001").entry_id == "E-leaf"


def test_the_district_government_takes_what_the_catalogue_does_not_cover() -> None:
    decision = route(LIFT_ENTRIES, "020101", "330102001001")
    assert decision.lead_unit == "SCQZF"
    assert decision.fallback == "district_government"
    assert decision.entry_id is None
    assert decision.matched_area == "330102"
    assert "区政府兜底" in decision.reason


def test_a_ticket_without_area_and_without_entry_goes_to_manual_dispatch() -> None:
    decision = route(LIFT_ENTRIES, "020101", None)
    assert decision.lead_unit is None
    assert decision.is_manual
    assert decision.fallback == "manual"
    assert "人工派单" in decision.reason


def test_a_district_without_a_registered_government_goes_to_manual_dispatch() -> None:
    decision = route(LIFT_ENTRIES, "020101", "330106001")
    assert decision.fallback == "manual"
    assert "西湖区" in decision.reason


def test_an_unclassified_ticket_falls_back_to_the_district_government() -> None:
    decision = route(LIFT_ENTRIES, None, "330102001")
    assert decision.fallback == "district_government"
    assert "未确定事项分类" in decision.reason


def test_an_unknown_matter_code_is_explained_and_falls_back() -> None:
    decision = route(LIFT_ENTRIES, "999999", "330102001")
    assert decision.lead_unit == "SCQZF"
    assert "999999" in decision.reason


def test_an_unknown_area_code_is_treated_as_no_area() -> None:
    decision = route(LIFT_ENTRIES, "010101", "999")
    assert decision.entry_id == "E-city"
    assert "999" in decision.reason


def test_the_street_office_role_resolves_to_the_street_of_the_ticket() -> None:
    lamps = [entry("E-lamp", "010201", None, "属地街道", assists=("DL", "属地区政府"))]
    decision = route(lamps, "010201", "330102001001")
    assert decision.lead_unit == "QBJD"
    assert decision.assist_units == ("DL", "SCQZF")
    assert "属地街道" in decision.reason


def test_a_role_that_cannot_resolve_is_skipped_with_a_reason() -> None:
    lamps = [entry("E-lamp", "010201", None, "属地街道")]
    decision = route(lamps, "010201", "330102002")
    assert decision.fallback == "district_government"
    assert decision.lead_unit == "SCQZF"
    assert "E-lamp" in decision.reason
    assert "湖滨街道" in decision.reason


def test_a_role_is_skipped_in_favour_of_the_next_entry_up_the_chain() -> None:
    entries = [
        entry("E-lamp", "010201", None, "属地街道"),
        entry("E-municipal", "0102", None, "JSJ"),
    ]
    decision = route(entries, "010201", "330102")
    assert decision.entry_id == "E-municipal"
    assert "未细化到街道" in decision.reason


def test_a_role_without_an_area_goes_to_manual_dispatch() -> None:
    decision = route([entry("E-lamp", "010201", None, "属地街道")], "010201", None)
    assert decision.fallback == "manual"
    assert "工单无区域" in decision.reason


def test_an_assist_role_that_cannot_resolve_is_dropped_not_fatal() -> None:
    decision = route([entry("E-x", "010201", None, "JSJ", ("属地街道",))], "010201", "330106")
    assert (decision.lead_unit, decision.assist_units) == ("JSJ", ())
    assert "协办" in decision.reason


def test_entries_whose_appeal_types_exclude_the_ticket_are_skipped() -> None:
    food = [
        entry("E-complaint", "020101", None, "SCJ", types=frozenset({AppealType.COMPLAINT})),
        entry("E-consult", "020101", None, "DL", types=frozenset({AppealType.CONSULT})),
    ]
    assert route(food, "020101", "330102001", AppealType.COMPLAINT).entry_id == "E-complaint"
    assert route(food, "020101", "330102001", AppealType.CONSULT).entry_id == "E-consult"
    assert route(food, "020101", "330102001", AppealType.HELP).fallback == "district_government"


def test_the_reason_names_the_entry_and_the_catalogue_version() -> None:
    decision = route(LIFT_ENTRIES, "010101", "330102001", version=12)
    assert "E-street" in decision.reason
    assert "第 12 版" in decision.reason
    assert "清波街道办事处" in decision.reason


def test_the_mapping_is_plain_data_for_the_dispatch_record() -> None:
    mapping = route(LIFT_ENTRIES, "010101", "330102001").to_mapping()
    assert mapping["lead_unit"] == "QBJD"
    assert mapping["assist_units"] == ["JSJ"]
    assert mapping["entry_id"] == "E-street"
    assert mapping["catalogue_version"] == 7
    assert mapping["fallback"] == "none"
    assert set(mapping) == {
        "lead_unit",
        "assist_units",
        "entry_id",
        "catalogue_version",
        "matched_matter",
        "matched_area",
        "matter_steps_up",
        "fallback",
        "tier",
        "reason",
    }
