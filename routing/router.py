"""按责转办: resolve a ticket's (matter, area, appeal type) to a lead unit and assists, with why.

Only dict lookups along two precomputed ancestor chains, so the cost is flat in catalogue size.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.catalogue import (
    ROLE_DISTRICT_GOVERNMENT,
    ROLE_STREET_OFFICE,
    Catalogue,
    CatalogueEntry,
    UnitDirectory,
    appeal_types_label,
)
from routing.glossary import AppealType
from routing.tree import AreaTree, CodeTree

FALLBACK_NONE = "none"
FALLBACK_MATTER_ANCESTOR = "matter_ancestor"
FALLBACK_DISTRICT_GOVERNMENT = "district_government"
FALLBACK_MANUAL = "manual"

_CITY = (None,)


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a ticket goes and why; recorded on the dispatch so a return can be arbitrated."""

    lead_unit: str | None
    assist_units: tuple[str, ...]
    entry_id: str | None
    catalogue_version: int | None
    matched_matter: str | None
    matched_area: str | None  # None = the whole city (or nothing matched)
    matter_steps_up: int
    fallback: str  # "none" | "matter_ancestor" | "district_government" | "manual"
    tier: str | None
    reason: str

    @property
    def is_manual(self) -> bool:
        return self.lead_unit is None

    def to_mapping(self) -> dict[str, object]:
        return {
            "lead_unit": self.lead_unit,
            "assist_units": list(self.assist_units),
            "entry_id": self.entry_id,
            "catalogue_version": self.catalogue_version,
            "matched_matter": self.matched_matter,
            "matched_area": self.matched_area,
            "matter_steps_up": self.matter_steps_up,
            "fallback": self.fallback,
            "tier": self.tier,
            "reason": self.reason,
        }


def _role_unit(
    token: str, area_code: str | None, areas: AreaTree, units: UnitDirectory
) -> tuple[str | None, str]:
    """The unit code a lead/assist stands for, or None and why it cannot be resolved."""
    if token == ROLE_STREET_OFFICE:
        if area_code is None:
            return None, "工单无区域，无法确定属地街道"
        street = areas.street_of(area_code)
        if street is None:
            return None, f"工单区域 {area_code}（{areas.name(area_code)}）未细化到街道"
        unit = units.street_office_at(street)
        if unit is None:
            return None, f"街道 {street}（{areas.name(street)}）没有登记街道办事处"
        return unit.code, ""
    if token == ROLE_DISTRICT_GOVERNMENT:
        if area_code is None:
            return None, "工单无区域，无法确定属地区政府"
        district = areas.district_of(area_code)
        if district is None:
            return None, f"工单区域 {area_code}（{areas.name(area_code)}）未细化到区县"
        unit = units.district_government_at(district)
        if unit is None:
            return None, f"区县 {district}（{areas.name(district)}）没有登记区政府"
        return unit.code, ""
    return token, ""


def _unit_label(code: str, units: UnitDirectory) -> str:
    unit = units.get(code)
    return f"{code}（{unit.name}）" if unit is not None else code


def _area_label(code: str | None, areas: AreaTree) -> str:
    if code is None:
        return "全市"
    return f"{code}（{areas.name(code)}）"


def _hit(
    entry: CatalogueEntry,
    lead: str,
    catalogue: Catalogue,
    matters: CodeTree,
    areas: AreaTree,
    units: UnitDirectory,
    matter_code: str,
    area_code: str | None,
    steps: int,
    notes: list[str],
) -> Decision:
    assists: list[str] = []
    for token in entry.assists:
        code, why = _role_unit(token, area_code, areas, units)
        if code is None:
            notes.append(f"协办“{token}”未派：{why}")
        elif code != lead and code not in assists:
            assists.append(code)
    if steps:
        notes.append(
            f"事项 {matter_code}（{matters.name(matter_code)}）无适用条目，"
            f"上溯 {steps} 级至 {entry.matter_code}（{matters.name(entry.matter_code)}）"
        )
    assist_text = "、".join(_unit_label(code, units) for code in assists) or "无"
    role_text = f"{entry.lead} " if lead != entry.lead else ""
    reason = (
        f"按派单目录第 {catalogue.version} 版条目 {entry.entry_id} 派单："
        f"事项 {entry.matter_code}（{matters.name(entry.matter_code)}）× "
        f"区域 {_area_label(entry.area_code, areas)}，"
        f"诉求类型 {appeal_types_label(entry.appeal_types)}；"
        f"主办 {role_text}{_unit_label(lead, units)}，协办 {assist_text}。"
    )
    if notes:
        reason += "；".join(notes) + "。"
    return Decision(
        lead_unit=lead,
        assist_units=tuple(assists),
        entry_id=entry.entry_id,
        catalogue_version=catalogue.version,
        matched_matter=entry.matter_code,
        matched_area=entry.area_code,
        matter_steps_up=steps,
        fallback=FALLBACK_MATTER_ANCESTOR if steps else FALLBACK_NONE,
        tier=entry.tier,
        reason=reason,
    )


def resolve(
    catalogue: Catalogue,
    matters: CodeTree,
    areas: AreaTree,
    units: UnitDirectory,
    matter_code: str | None,
    area_code: str | None,
    appeal_type: AppealType,
) -> Decision:
    """Most specific entry first (matter leaf × smallest area), then up the matter tree,
    then the district government of the area (区政府兜底), then the manual dispatch queue."""
    notes: list[str] = []
    if area_code is not None and area_code not in areas:
        notes.append(f"区域编码 {area_code} 不在行政区划中，按无区域处理")
        area_code = None
    # The ticket's area chain, then the whole city (entries with no area).
    scopes: tuple[str | None, ...] = (
        _CITY if area_code is None else (*areas.ancestors(area_code), None)
    )
    if matter_code is None:
        notes.append("工单未确定事项分类")
    elif matter_code not in matters:
        notes.append(f"事项编码 {matter_code} 不在事项分类中")
    else:
        by_matter = catalogue.by_matter
        for steps, matter in enumerate(matters.ancestors(matter_code)):
            by_area = by_matter.get(matter)
            if by_area is None:
                continue
            for scope in scopes:
                group = by_area.get(scope)
                if group is None:
                    continue
                for entry in group:
                    if entry.appeal_types and appeal_type not in entry.appeal_types:
                        continue
                    lead, why = _role_unit(entry.lead, area_code, areas, units)
                    if lead is None:
                        notes.append(f"条目 {entry.entry_id} 的主办“{entry.lead}”无法确定：{why}")
                        continue
                    return _hit(
                        entry,
                        lead,
                        catalogue,
                        matters,
                        areas,
                        units,
                        matter_code,
                        area_code,
                        steps,
                        notes,
                    )
        where = "全市" if area_code is None else f"区域 {_area_label(area_code, areas)}及其上级区域"
        notes.append(
            f"派单目录第 {catalogue.version} 版中，"
            f"事项 {matter_code}（{matters.name(matter_code)}）及其上级事项在{where}均无可用条目"
        )
    return _fallback(catalogue, areas, units, area_code, notes)


def _fallback(
    catalogue: Catalogue,
    areas: AreaTree,
    units: UnitDirectory,
    area_code: str | None,
    notes: list[str],
) -> Decision:
    district = areas.district_of(area_code) if area_code is not None else None
    government = units.district_government_at(district) if district is not None else None
    if district is not None and government is not None:
        reason = "；".join(notes) + f"。按区政府兜底派给 {government.code}（{government.name}）。"
        return Decision(
            lead_unit=government.code,
            assist_units=(),
            entry_id=None,
            catalogue_version=catalogue.version,
            matched_matter=None,
            matched_area=district,
            matter_steps_up=0,
            fallback=FALLBACK_DISTRICT_GOVERNMENT,
            tier=None,
            reason=reason,
        )
    if area_code is None:
        notes.append("工单无区域，无法区政府兜底")
    elif district is None:
        notes.append(f"工单区域 {_area_label(area_code, areas)} 不属于任何区县，无法区政府兜底")
    else:
        notes.append(f"区县 {_area_label(district, areas)} 没有登记区政府，无法兜底")
    return Decision(
        lead_unit=None,
        assist_units=(),
        entry_id=None,
        catalogue_version=catalogue.version,
        matched_matter=None,
        matched_area=None,
        matter_steps_up=0,
        fallback=FALLBACK_MANUAL,
        tier=None,
        reason="；".join(notes) + "。转人工派单队列。",
    )
