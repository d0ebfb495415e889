"""The responsibility matrix (派单目录): units, entries, their validation, index and diff.

Entries are indexed by (matter, area) at construction so the router only does dict lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import cache

from routing.glossary import AppealType, UnitKind
from routing.tree import AreaTree, CodeTree

ROLE_STREET_OFFICE = "属地街道"
ROLE_DISTRICT_GOVERNMENT = "属地区政府"
ROLE_TOKENS: frozenset[str] = frozenset({ROLE_STREET_OFFICE, ROLE_DISTRICT_GOVERNMENT})

# 诉求类型 as staff write them; 感谢 is the other common name of 表扬.
APPEAL_TYPE_NAMES: dict[AppealType, str] = {
    AppealType.CONSULT: "咨询",
    AppealType.HELP: "求助",
    AppealType.COMPLAINT: "投诉",
    AppealType.REPORT: "举报",
    AppealType.SUGGESTION: "建议",
    AppealType.PRAISE: "表扬",
    AppealType.OTHER: "其他",
}

# Unit kinds that a "must not be pushed down" matter may never be given to.
PUSHED_DOWN_KINDS: frozenset[UnitKind] = frozenset({UnitKind.STREET_OFFICE, UnitKind.COMMUNITY})

# The Chinese column headers of the catalogue sheet, keyed by EntryRow field name; problems
# name the column the way staff see it.
COLUMN_HEADERS: dict[str, str] = {
    "entry_id": "条目编号",
    "matter_code": "事项编码",
    "area_code": "区域编码",
    "appeal_types": "诉求类型",
    "lead": "主办单位",
    "assists": "协办单位",
    "dispatch_level": "派单层级",
    "legal_basis": "法律依据",
    "tier": "时限档位",
    "keywords": "关键词",
    "no_push_down": "不得下沉",
}
REQUIRED_FIELDS: tuple[str, ...] = ("entry_id", "matter_code", "lead")
_COLUMN_ORDER: dict[str, int] = {header: i for i, header in enumerate(COLUMN_HEADERS.values())}


@dataclass(frozen=True, slots=True)
class UnitRef:
    """承办单位 as the router needs it."""

    code: str
    name: str
    kind: UnitKind
    area_code: str | None
    parent_code: str | None


class UnitDirectory:
    """Units by code, plus the street office and district government of each area.

    Pass the area tree to let `street_office_for` / `district_government_for` walk up from a
    community or grid; without it they only match an area that is itself a street or district.
    """

    def __init__(self, units: Iterable[UnitRef], areas: AreaTree | None = None) -> None:
        self._units: dict[str, UnitRef] = {}
        self._street_offices: dict[str, UnitRef] = {}
        self._district_governments: dict[str, UnitRef] = {}
        self._areas = areas
        for unit in units:
            self._units[unit.code] = unit
            if unit.area_code is None:
                continue
            # First unit wins, so a directory listing order decides deterministically.
            if unit.kind is UnitKind.STREET_OFFICE:
                self._street_offices.setdefault(unit.area_code, unit)
            elif unit.kind is UnitKind.DISTRICT_GOVERNMENT:
                self._district_governments.setdefault(unit.area_code, unit)

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[UnitRef]:
        return iter(self._units.values())

    def get(self, code: str) -> UnitRef | None:
        return self._units.get(code)

    def __getitem__(self, code: str) -> UnitRef:
        try:
            return self._units[code]
        except KeyError:
            raise KeyError(f"没有编码为 {code!r} 的承办单位") from None

    def street_office_at(self, street_code: str) -> UnitRef | None:
        """The street office whose area is exactly `street_code`."""
        return self._street_offices.get(street_code)

    def district_government_at(self, district_code: str) -> UnitRef | None:
        """The district government whose area is exactly `district_code`."""
        return self._district_governments.get(district_code)

    def street_office_for(self, area_code: str) -> UnitRef | None:
        street = area_code
        if self._areas is not None and area_code in self._areas:
            street = self._areas.street_of(area_code) or ""
        return self._street_offices.get(street)

    def district_government_for(self, area_code: str) -> UnitRef | None:
        district = area_code
        if self._areas is not None and area_code in self._areas:
            district = self._areas.district_of(area_code) or ""
        return self._district_governments.get(district)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One row of the responsibility matrix: (matter × area × appeal types) → lead + assists."""

    entry_id: str
    matter_code: str
    area_code: str | None  # None = the whole city
    appeal_types: frozenset[AppealType]  # empty = any appeal type
    lead: str  # a unit code or a role token
    assists: tuple[str, ...] = ()
    dispatch_level: str = ""
    legal_basis: str = ""
    tier: str | None = None
    keywords: tuple[str, ...] = ()
    no_push_down: bool = False

    def accepts(self, appeal_type: AppealType) -> bool:
        return not self.appeal_types or appeal_type in self.appeal_types


@dataclass(frozen=True, slots=True)
class EntryRow:
    """An entry as read from a sheet, before validation; `row` is the sheet's row number."""

    row: int
    entry_id: str
    matter_code: str
    area_code: str | None
    appeal_types: frozenset[AppealType] = frozenset()
    lead: str = ""
    assists: tuple[str, ...] = ()
    dispatch_level: str = ""
    legal_basis: str = ""
    tier: str | None = None
    keywords: tuple[str, ...] = ()
    no_push_down: bool = False

    def to_entry(self) -> CatalogueEntry:
        return CatalogueEntry(
            entry_id=self.entry_id,
            matter_code=self.matter_code,
            area_code=self.area_code,
            appeal_types=self.appeal_types,
            lead=self.lead,
            assists=self.assists,
            dispatch_level=self.dispatch_level,
            legal_basis=self.legal_basis,
            tier=self.tier,
            keywords=self.keywords,
            no_push_down=self.no_push_down,
        )

    @classmethod
    def from_entry(cls, entry: CatalogueEntry, row: int) -> EntryRow:
        return cls(
            row=row,
            entry_id=entry.entry_id,
            matter_code=entry.matter_code,
            area_code=entry.area_code,
            appeal_types=entry.appeal_types,
            lead=entry.lead,
            assists=entry.assists,
            dispatch_level=entry.dispatch_level,
            legal_basis=entry.legal_basis,
            tier=entry.tier,
            keywords=entry.keywords,
            no_push_down=entry.no_push_down,
        )


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """Why a sheet cannot be imported: the row as the sheet shows it, the Chinese header."""

    row: int
    column: str
    reason: str


class Catalogue:
    """One version of the catalogue, indexed by (matter_code, area_code or None)."""

    def __init__(self, version: int, entries: Iterable[CatalogueEntry]) -> None:
        self.version = version
        self.entries: tuple[CatalogueEntry, ...] = tuple(entries)
        index: dict[tuple[str, str | None], list[CatalogueEntry]] = {}
        by_id: dict[str, CatalogueEntry] = {}
        for entry in self.entries:
            index.setdefault((entry.matter_code, entry.area_code), []).append(entry)
            by_id[entry.entry_id] = entry
        self._index: dict[tuple[str, str | None], tuple[CatalogueEntry, ...]] = {
            key: tuple(group) for key, group in index.items()
        }
        # The same index split by matter: the router skips a matter with no entry in one lookup
        # instead of one per level of the area chain.
        self._by_matter: dict[str, dict[str | None, tuple[CatalogueEntry, ...]]] = {}
        for (matter_code, area_code), group in self._index.items():
            self._by_matter.setdefault(matter_code, {})[area_code] = group
        self._by_id = by_id

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, matter_code: str, area_code: str | None) -> tuple[CatalogueEntry, ...]:
        """Entries keyed exactly on (matter, area); several when their appeal types differ."""
        return self._index.get((matter_code, area_code), ())

    @property
    def index(self) -> dict[tuple[str, str | None], tuple[CatalogueEntry, ...]]:
        return self._index

    @property
    def by_matter(self) -> dict[str, dict[str | None, tuple[CatalogueEntry, ...]]]:
        """matter_code -> area_code (None = whole city) -> entries."""
        return self._by_matter

    def get(self, entry_id: str) -> CatalogueEntry | None:
        return self._by_id.get(entry_id)


def _types_overlap(a: frozenset[AppealType], b: frozenset[AppealType]) -> bool:
    return not a or not b or bool(a & b)


@cache
def appeal_types_label(types: frozenset[AppealType]) -> str:
    """诉求类型 in Chinese, in the glossary order; "全部" when the set is empty (any type)."""
    if not types:
        return "全部"
    return "、".join(name for kind, name in APPEAL_TYPE_NAMES.items() if kind in types)


def validate_entries(
    rows: Sequence[EntryRow], matters: CodeTree, areas: AreaTree, units: UnitDirectory
) -> list[Problem]:
    """Every problem of every row at once, sorted by row; an empty list means importable."""
    problems: list[Problem] = []

    def report(row: EntryRow, field_name: str, reason: str) -> None:
        problems.append(Problem(row.row, COLUMN_HEADERS[field_name], reason))

    first_row_of_id: dict[str, int] = {}
    by_key: dict[tuple[str, str | None], list[EntryRow]] = {}
    for row in rows:
        for name in REQUIRED_FIELDS:
            if not getattr(row, name):
                report(row, name, f"必填项“{COLUMN_HEADERS[name]}”为空")
        if row.entry_id:
            if row.entry_id in first_row_of_id:
                report(
                    row,
                    "entry_id",
                    f"条目编号 {row.entry_id} 重复（第 {first_row_of_id[row.entry_id]} 行已使用）",
                )
            else:
                first_row_of_id[row.entry_id] = row.row
        if row.matter_code and row.matter_code not in matters:
            report(row, "matter_code", f"事项编码 {row.matter_code} 不在事项分类中")
        if row.area_code is not None and row.area_code not in areas:
            report(row, "area_code", f"区域编码 {row.area_code} 不在行政区划中")
        if row.lead:
            _check_unit(row, "lead", row.lead, units, report)
            _check_jurisdiction(row, "lead", row.lead, units, areas, report)
        for assist in row.assists:
            _check_unit(row, "assists", assist, units, report)
        if row.lead and row.lead in row.assists:
            report(row, "assists", f"协办单位 {row.lead} 与主办单位相同")
        if row.matter_code and row.lead:
            by_key.setdefault((row.matter_code, row.area_code), []).append(row)

    for group in by_key.values():
        for later_index, later in enumerate(group):
            for earlier in group[:later_index]:
                if _types_overlap(earlier.appeal_types, later.appeal_types):
                    area = later.area_code or "全市"
                    report(
                        later,
                        "appeal_types",
                        f"与第 {earlier.row} 行条目 {earlier.entry_id} 重叠：同一事项 "
                        f"{later.matter_code}、同一区域 {area}，诉求类型"
                        f"（{appeal_types_label(earlier.appeal_types)} / "
                        f"{appeal_types_label(later.appeal_types)}）有交集",
                    )
                    break
    return sort_problems(problems)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """By row, then in the column order of the sheet, so staff can fix them top to bottom."""
    return sorted(problems, key=lambda p: (p.row, _COLUMN_ORDER.get(p.column, -1), p.reason))


def _check_unit(
    row: EntryRow,
    field_name: str,
    code: str,
    units: UnitDirectory,
    report: Callable[[EntryRow, str, str], None],
) -> None:
    role = "主办单位" if field_name == "lead" else "协办单位"
    if code in ROLE_TOKENS:
        if row.no_push_down and code == ROLE_STREET_OFFICE:
            report(row, field_name, f"不得下沉的事项不能由“{ROLE_STREET_OFFICE}”承办（{role}）")
        return
    unit = units.get(code)
    if unit is None:
        report(row, field_name, f"{role} {code} 不在承办单位名录中")
    elif unit.kind == UnitKind.CENTRE:
        report(row, field_name, f"{role} {code}（{unit.name}）是热线中心本身，不能承办工单")
    elif row.no_push_down and unit.kind in PUSHED_DOWN_KINDS:
        report(
            row,
            field_name,
            f"不得下沉的事项不能交给街道或社区：{role} {code}（{unit.name}）",
        )


def _check_jurisdiction(
    row: EntryRow,
    field_name: str,
    code: str,
    units: UnitDirectory,
    areas: AreaTree,
    report: Callable[[EntryRow, str, str], None],
) -> None:
    """A lead unit with a territory (a district's government or bureau, a street office, a
    community) leads only inside it: an entry for the whole city, or for another district,
    would send that place's appeals to a unit that has no say there."""
    unit = units.get(code)
    if unit is None or unit.area_code is None or unit.area_code not in areas:
        return
    if row.area_code is None:
        report(
            row,
            field_name,
            f"主办单位 {code}（{unit.name}）只管辖 {areas.name(unit.area_code)}，"
            "不能作为全市条目的主办单位",
        )
    elif row.area_code in areas and unit.area_code not in areas.ancestors(row.area_code):
        report(
            row,
            field_name,
            f"主办单位 {code}（{unit.name}）只管辖 {areas.name(unit.area_code)}，"
            f"条目区域 {areas.name(row.area_code)} 不在其辖区内",
        )


@dataclass(frozen=True, slots=True)
class CatalogueDiff:
    """What an import would change, entries matched by entry_id."""

    added: list[CatalogueEntry] = field(default_factory=list)
    removed: list[CatalogueEntry] = field(default_factory=list)
    changed: list[tuple[CatalogueEntry, CatalogueEntry, list[str]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


_ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CatalogueEntry))


def diff(old: Catalogue, new: Catalogue) -> CatalogueDiff:
    old_by_id = {entry.entry_id: entry for entry in old.entries}
    new_by_id = {entry.entry_id: entry for entry in new.entries}
    result = CatalogueDiff()
    for entry_id, entry in new_by_id.items():
        before = old_by_id.get(entry_id)
        if before is None:
            result.added.append(entry)
        elif before != entry:
            changed = [
                name for name in _ENTRY_FIELDS if getattr(before, name) != getattr(entry, name)
            ]
            result.changed.append((before, entry, changed))
    result.removed.extend(
        entry for entry_id, entry in old_by_id.items() if entry_id not in new_by_id
    )
    return result
