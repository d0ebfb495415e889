"""A city's own reference data (areas, matters, units, users) from CSV or XLSX sheets.

`city import` reads any of the four sheets, checks every row of every sheet against the others
and against what the database holds, and stores nothing unless all of it is right: each problem
is listed with its sheet, row and column. Rows are matched by code (username for users); a row
already stored is updated, a new one added. What the database holds and a sheet leaves out is
kept and reported, or, with `deactivate_missing`, units and users are deactivated (areas and
matters are never removed: tickets and catalogue versions name them). A unit that the catalogue
in force or a scheduled one names, or that holds open tickets, is not deactivated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, false, func, select, update
from werkzeug.security import generate_password_hash

from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import (
    Area,
    CatalogueEntryRecord,
    CatalogueVersion,
    Matter,
    Ticket,
    TicketAssignment,
    Unit,
    User,
)
from hotline.phones import InvalidPhone, normalise
from hotline.tables import TableError, read_table
from routing.catalogue import ROLE_DISTRICT_GOVERNMENT, ROLE_STREET_OFFICE
from routing.glossary import AREA_LEVEL_DEPTH, AreaLevel, UnitKind
from routing.workflow import OPEN_STATES, Role

SHEETS = ("areas", "matters", "units", "users")

# Each sheet's columns: English names (as in hotline/demo/data) or the Chinese headers staff use.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "areas": {
        "code": ("编码", "区划编码", "代码"),
        "name": ("名称", "区划名称"),
        "level": ("级别", "层级"),
        "parent_code": ("上级编码", "上级区划编码"),
    },
    "matters": {
        "code": ("编码", "事项编码"),
        "name": ("名称", "事项名称"),
        "parent_code": ("上级编码", "上级事项编码"),
        "keywords": ("关键词",),
    },
    "units": {
        "code": ("编码", "单位编码"),
        "name": ("名称", "单位名称"),
        "kind": ("类型", "单位类型"),
        "parent_code": ("上级编码", "上级单位编码"),
        "area_code": ("区划编码", "所在区划"),
        "liaison_phone": ("联络员电话", "联系电话"),
        "head_phone": ("负责人电话",),
        "active": ("启用", "是否启用"),
    },
    "users": {
        "username": ("用户名", "账号"),
        "display_name": ("姓名", "显示名"),
        "role": ("角色",),
        "unit_code": ("单位编码", "所属单位"),
        "active": ("启用", "是否启用"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "areas": ("code", "name", "level"),
    "matters": ("code", "name"),
    "units": ("code", "name", "kind"),
    "users": ("username", "display_name", "role"),
}
SHEET_NAMES = {"areas": "区划表", "matters": "事项表", "units": "单位表", "users": "用户表"}
# The worksheet of a workbook that holds each table, when one workbook holds several.
WORKSHEETS = {
    "areas": ("区划表", "区划", "areas"),
    "matters": ("事项表", "事项", "matters"),
    "units": ("单位表", "单位", "units"),
    "users": ("用户表", "用户", "账号", "users"),
}
# A title or notes may stand above the header (staff sheets often start with one).
HEADER_SEARCH_ROWS = 5
# Units that 属地 catalogue entries reach through an area, by kind, and the token they answer.
LOCAL_KINDS = {
    UnitKind.STREET_OFFICE.value: ROLE_STREET_OFFICE,
    UnitKind.DISTRICT_GOVERNMENT.value: ROLE_DISTRICT_GOVERNMENT,
}

CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
USERNAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{1,63}")
NAME_MAX = 120
LEVELS = frozenset(level.value for level in AreaLevel)
KINDS = frozenset(kind.value for kind in UnitKind)
USER_ROLES = (Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.UNIT)
YES = frozenset({"1", "true", "yes", "y", "是", "启用", "有效"})
NO = frozenset({"0", "false", "no", "n", "否", "停用", "无效"})
KEYWORD_SEPARATORS = re.compile(r"[、,，;；\s]+")

Row = dict[str, str]


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int  # 1-based, the header being row 1; 0 for the sheet as a whole
    column: str
    reason: str

    def __str__(self) -> str:
        where = SHEET_NAMES.get(self.sheet, self.sheet)
        if self.row:
            where += f" 第 {self.row} 行"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}：{self.reason}"


@dataclass
class ImportReport:
    added: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    # Stored, left out of the sheet: kept as they are, or deactivated when asked.
    missing: dict[str, list[str]] = field(default_factory=dict)
    deactivated: dict[str, list[str]] = field(default_factory=dict)
    # New users' one-time passwords, to hand over; shown once, stored only as hashes.
    passwords: dict[str, str] = field(default_factory=dict)
    # Active users of units this import deactivated: deactivated with their unit.
    users_with_their_unit: list[str] = field(default_factory=list)
    # Units the sheet itself turned off (启用 = 否).
    turned_off: list[str] = field(default_factory=list)


@dataclass
class Sheets:
    """The rows of each sheet given, keyed by their code, each with its row number."""

    rows: dict[str, dict[str, Row]] = field(default_factory=dict)
    line: dict[tuple[str, str], int] = field(default_factory=dict)

    def given(self, sheet: str) -> bool:
        return sheet in self.rows


def read_sheets(paths: Mapping[str, Path]) -> tuple[Sheets, list[Problem]]:
    """Each sheet's rows by key; a problem for each unreadable file, header or malformed cell."""
    sheets = Sheets()
    problems: list[Problem] = []
    for sheet, path in paths.items():
        try:
            table = read_table(path, WORKSHEETS[sheet])
        except TableError as error:
            problems.append(Problem(sheet, 0, "", str(error)))
            continue
        except OSError as error:
            problems.append(Problem(sheet, 0, "", f"无法读取 {path.name}：{error.strerror}"))
            continue
        problems.extend(_parse(sheet, table, sheets))
    return sheets, problems


def _aliases(sheet: str) -> dict[str, str]:
    aliases = {name: name for name in COLUMNS[sheet]}
    for name, chinese in COLUMNS[sheet].items():
        aliases.update(dict.fromkeys(chinese, name))
    return aliases


def _header_row(sheet: str, table: list[list[str]]) -> int:
    """The index of the header: the first of the top rows naming a required column (a title or
    a note above it is skipped); the first row when none does, to report what it lacks."""
    aliases = _aliases(sheet)
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        names = {aliases.get(c.strip().lstrip("\ufeff").lower()) for c in cells if c.strip()}
        names |= {aliases.get(c.strip().lstrip("\ufeff")) for c in cells if c.strip()}
        if set(REQUIRED[sheet]) & names:
            return index
    return 0


def _header(sheet: str, cells: list[str], line: int) -> tuple[dict[str, int], list[Problem]]:
    aliases = _aliases(sheet)
    positions: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(cells):
        title = cell.strip().lstrip("\ufeff")
        if not title:
            continue
        column = aliases.get(title) or aliases.get(title.lower())
        if column is None:
            known = "、".join(
                f"{name}（{'/'.join(chinese)}）" for name, chinese in COLUMNS[sheet].items()
            )
            problems.append(Problem(sheet, line, title, f"未知的列（可用的列：{known}）"))
        elif column in positions:
            problems.append(Problem(sheet, line, title, "列重复"))
        else:
            positions[column] = index
    for name in REQUIRED[sheet]:
        if name not in positions:
            problems.append(Problem(sheet, line, name, "缺少必需的列"))
    return positions, problems


def _parse(sheet: str, table: list[list[str]], sheets: Sheets) -> list[Problem]:
    top = _header_row(sheet, table)
    positions, problems = _header(sheet, table[top], top + 1)
    if problems:
        return problems
    key = "username" if sheet == "users" else "code"
    rows: dict[str, Row] = {}
    sheets.rows[sheet] = rows
    for number, cells in enumerate(table[top + 1 :], start=top + 2):
        row = {
            name: (cells[index].strip() if index < len(cells) else "")
            for name, index in positions.items()
        }
        if not any(row.values()):
            continue
        missing = [name for name in REQUIRED[sheet] if not row.get(name)]
        for name in missing:
            problems.append(Problem(sheet, number, name, "不能为空"))
        if key in missing:
            continue
        code = row[key]
        pattern = USERNAME if sheet == "users" else CODE
        if not pattern.fullmatch(code):
            problems.append(
                Problem(
                    sheet,
                    number,
                    key,
                    f"“{code}”只能由字母、数字、点、横线和下划线组成"
                    f"（至多 {64 if sheet == 'users' else 32} 个字符）",
                )
            )
            continue
        if code in rows:
            first = sheets.line[sheet, code]
            problems.append(Problem(sheet, number, key, f"“{code}”与第 {first} 行重复"))
            continue
        for name in ("name", "display_name"):
            if len(row.get(name, "")) > NAME_MAX:
                problems.append(Problem(sheet, number, name, f"超过 {NAME_MAX} 个字符"))
        rows[code] = row
        sheets.line[sheet, code] = number
    return problems


@dataclass
class Stored:
    """What the database holds now, for the rows the sheets do not give."""

    areas: dict[str, Area]
    matters: dict[str, Matter]
    units: dict[str, Unit]
    users: dict[str, User]

    @classmethod
    def load(cls, session: DbSession) -> Stored:
        return cls(
            areas={a.code: a for a in session.scalars(select(Area))},
            matters={m.code: m for m in session.scalars(select(Matter))},
            units={u.code: u for u in session.scalars(select(Unit))},
            users={u.username: u for u in session.scalars(select(User))},
        )


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def _check_tree(
    sheet: str, sheets: Sheets, stored_parents: Mapping[str, str | None]
) -> list[Problem]:
    """Every parent exists (in the sheet or stored) and no code is its own ancestor."""
    rows = sheets.rows[sheet]
    parent_of = dict(stored_parents) | {
        code: row.get("parent_code") or None for code, row in rows.items()
    }
    problems = []
    for code, row in rows.items():
        parent = row.get("parent_code") or None
        number = sheets.line[sheet, code]
        if parent is None:
            continue
        if parent not in parent_of:
            problems.append(Problem(sheet, number, "parent_code", f"上级“{parent}”不存在"))
            continue
        seen = {code}
        walker: str | None = parent
        while walker is not None:
            if walker in seen:
                problems.append(
                    Problem(sheet, number, "parent_code", f"上级关系成环（经过“{walker}”）")
                )
                break
            seen.add(walker)
            walker = parent_of.get(walker)
    return problems


def _check_areas(sheets: Sheets, stored: Stored) -> list[Problem]:
    rows = sheets.rows["areas"]
    problems = _check_tree(
        "areas", sheets, {code: area.parent_code for code, area in stored.areas.items()}
    )
    levels = {code: area.level for code, area in stored.areas.items()}
    levels |= {code: row["level"] for code, row in rows.items()}
    allowed = "、".join(level.value for level in AreaLevel)
    for code, row in rows.items():
        number = sheets.line["areas", code]
        if row["level"] not in LEVELS:
            problems.append(
                Problem("areas", number, "level", f"“{row['level']}”不是区划级别（{allowed}）")
            )
            continue
        level = AreaLevel(row["level"])
        parent = row.get("parent_code") or None
        if parent is None:
            if level is not AreaLevel.CITY:
                problems.append(Problem("areas", number, "parent_code", "只有市级区划可以没有上级"))
            continue
        parent_level = levels.get(parent)
        if parent_level in LEVELS and (
            AREA_LEVEL_DEPTH[AreaLevel(str(parent_level))] >= AREA_LEVEL_DEPTH[level]
        ):
            problems.append(
                Problem(
                    "areas",
                    number,
                    "parent_code",
                    f"上级“{parent}”（{parent_level}）须高于本区划的级别（{level.value}）",
                )
            )
    # A stored area the sheet leaves out must still sit below its parent's new level.
    for code, area in stored.areas.items():
        parent = area.parent_code
        if code in rows or parent not in rows or rows[parent]["level"] not in LEVELS:
            continue
        if (
            AREA_LEVEL_DEPTH[AreaLevel(rows[parent]["level"])]
            >= AREA_LEVEL_DEPTH[AreaLevel(area.level)]
        ):
            problems.append(
                Problem(
                    "areas",
                    sheets.line["areas", parent],
                    "level",
                    f"下级区划“{code}”（{area.level}）须低于本区划的级别（{rows[parent]['level']}）",
                )
            )
    return problems


def _check_units(sheets: Sheets, stored: Stored) -> list[Problem]:
    rows = sheets.rows["units"]
    problems = _check_tree(
        "units", sheets, {code: unit.parent_code for code, unit in stored.units.items()}
    )
    areas = set(stored.areas) | set(sheets.rows.get("areas", {}))
    kinds = "、".join(kind.value for kind in UnitKind)
    for code, row in rows.items():
        number = sheets.line["units", code]
        if row["kind"] not in KINDS:
            problems.append(
                Problem("units", number, "kind", f"“{row['kind']}”不是单位类型（{kinds}）")
            )
        area = row.get("area_code") or ""
        if area and area not in areas:
            problems.append(Problem("units", number, "area_code", f"区划“{area}”不存在"))
        for column in ("liaison_phone", "head_phone"):
            if row.get(column):
                try:
                    row[column] = normalise(row[column])
                except InvalidPhone as error:
                    problems.append(Problem("units", number, column, str(error)))
        if row.get("active") and _flag(row["active"]) is None:
            problems.append(Problem("units", number, "active", "应为“是”或“否”"))
    return problems


@dataclass(frozen=True)
class UnitAfter:
    kind: str
    area_code: str | None
    active: bool


def units_after(sheets: Sheets, stored: Stored, deactivate_missing: bool) -> dict[str, UnitAfter]:
    """Every unit as the import would leave it (kind, area, active)."""
    after = {
        code: UnitAfter(unit.kind, unit.area_code, unit.active)
        for code, unit in stored.units.items()
    }
    if not sheets.given("units"):
        return after
    rows = sheets.rows["units"]
    for code, row in rows.items():
        before = after.get(code)
        if "area_code" in row:
            area = row["area_code"] or None
        else:
            area = before.area_code if before is not None else None
        active = _flag(row["active"]) is not False if row.get("active") else True
        after[code] = UnitAfter(row["kind"], area, active)
    if deactivate_missing:
        for code in set(after) - set(rows):
            after[code] = UnitAfter(after[code].kind, after[code].area_code, False)
    return after


def _check_users(sheets: Sheets, stored: Stored, after: Mapping[str, UnitAfter]) -> list[Problem]:
    problems = []
    units = set(after)
    roles = "、".join(role.value for role in USER_ROLES)
    for username, row in sheets.rows["users"].items():
        number = sheets.line["users", username]
        if row["role"] not in {role.value for role in USER_ROLES}:
            problems.append(Problem("users", number, "role", f"“{row['role']}”不是角色（{roles}）"))
        unit = row.get("unit_code") or ""
        if unit and unit not in units:
            problems.append(Problem("users", number, "unit_code", f"单位“{unit}”不存在"))
        elif not unit and row["role"] == Role.UNIT:
            problems.append(Problem("users", number, "unit_code", "承办单位账号须填写所属单位"))
        elif unit and not after[unit].active and _flag(row.get("active") or "是") is not False:
            problems.append(
                Problem(
                    "users",
                    number,
                    "unit_code",
                    f"单位“{unit}”已停用（或本次导入停用），不能有启用的账号",
                )
            )
        if row.get("active") and _flag(row["active"]) is None:
            problems.append(Problem("users", number, "active", "应为“是”或“否”"))
    return problems


def _units_in_use(session: DbSession, codes: Iterable[str]) -> dict[str, str]:
    """Why each of `codes` cannot be deactivated: named by the catalogue in force or a scheduled
    one, or holding open tickets as lead or assisting unit."""
    wanted = set(codes)
    if not wanted:
        return {}
    reasons: dict[str, str] = {}
    entries = session.execute(
        select(
            CatalogueEntryRecord.entry_id, CatalogueEntryRecord.lead, CatalogueEntryRecord.assists
        )
        .join(CatalogueVersion, CatalogueVersion.id == CatalogueEntryRecord.version_id)
        .where(CatalogueVersion.state.in_(("active", "scheduled")))
    )
    for entry_id, lead, assists in entries:
        for code in {lead, *assists} & wanted:
            reasons.setdefault(code, f"派单目录条目 {entry_id} 仍指定该单位")
    open_states = [state.value for state in OPEN_STATES]
    held = session.execute(
        select(Ticket.lead_unit_code, Ticket.number)
        .where(Ticket.state.in_(open_states), Ticket.lead_unit_code.in_(wanted))
        .union_all(
            select(TicketAssignment.unit_code, Ticket.number)
            .join(Ticket, Ticket.id == TicketAssignment.ticket_id)
            .where(
                Ticket.state.in_(open_states),
                TicketAssignment.active.is_(True),
                TicketAssignment.unit_code.in_(wanted),
            )
        )
    )
    for holder, number in held:
        reasons.setdefault(str(holder), f"仍有未办结工单（如 {number}）")
    return reasons


def _sole_local_units(
    session: DbSession, stored: Stored, after: Mapping[str, UnitAfter]
) -> dict[str, str]:
    """Why a unit cannot be deactivated, moved to another area or given another kind: it is
    the only active street office (or district government) of its area now, which the
    catalogue's 属地街道 (属地区政府) entries reach, and the import would leave the area none."""
    tokens = _catalogue_tokens(session)
    reasons = {}
    for code, unit in stored.units.items():
        token = LOCAL_KINDS.get(unit.kind)
        if not unit.active or token is None or token not in tokens or unit.area_code is None:
            continue
        if after[code] == UnitAfter(unit.kind, unit.area_code, True):
            continue
        left = any(
            state.active and state.kind == unit.kind and state.area_code == unit.area_code
            for state in after.values()
        )
        if not left:
            office = "街道办事处" if token == ROLE_STREET_OFFICE else "区政府"
            reasons[code] = (
                f"它是区划 {unit.area_code} 唯一的{office}，派单目录的“{token}”条目派到这里"
            )
    return reasons


def _catalogue_tokens(session: DbSession) -> set[str]:
    """The 属地 tokens the catalogue in force or a scheduled one names as lead or assist."""
    found: set[str] = set()
    rows = session.execute(
        select(CatalogueEntryRecord.lead, CatalogueEntryRecord.assists)
        .join(CatalogueVersion, CatalogueVersion.id == CatalogueEntryRecord.version_id)
        .where(CatalogueVersion.state.in_(("active", "scheduled")))
    )
    for lead, assists in rows:
        found |= {lead, *assists} & set(LOCAL_KINDS.values())
    return found


def check(
    session: DbSession,
    sheets: Sheets,
    deactivate_missing: bool,
    stored: Stored | None = None,
) -> list[Problem]:
    stored = stored or Stored.load(session)
    after = units_after(sheets, stored, deactivate_missing)
    problems: list[Problem] = []
    if sheets.given("areas"):
        problems += _check_areas(sheets, stored)
    if sheets.given("matters"):
        problems += _check_tree(
            "matters", sheets, {code: m.parent_code for code, m in stored.matters.items()}
        )
    if sheets.given("units"):
        problems += _check_units(sheets, stored)
        leaving = [
            code for code, unit in stored.units.items() if unit.active and not after[code].active
        ]
        in_use = _units_in_use(session, leaving)
        sole = _sole_local_units(session, stored, after)
        for code in [*leaving, *(c for c in sole if c not in leaving)]:
            if code not in in_use and code not in sole:
                continue
            reason = "；".join(r for r in (in_use.get(code), sole.get(code)) if r)
            number = sheets.line.get(("units", code), 0)
            change, column = (
                ("停用", "active") if code in leaving else ("改区划或类型", "area_code")
            )
            problems.append(
                Problem(
                    "units",
                    number,
                    column if number else "",
                    f"单位“{code}”不能{change}：{reason}",
                )
            )
    if sheets.given("users"):
        problems += _check_users(sheets, stored, after)
    return problems


def present(row: Row, values: dict[str, object]) -> dict[str, object]:
    """The values of the columns the sheet has: a column left out of a sheet leaves that field
    as stored (a new row takes its default), so a sheet without phones keeps the phones."""
    return {name: value for name, value in values.items() if name in row}


def _assign(record: object, values: Mapping[str, object]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _parents_first(rows: Mapping[str, Row]) -> list[str]:
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen:
            return
        seen.add(code)
        parent = rows[code].get("parent_code") or ""
        if parent in rows:
            visit(parent)
        ordered.append(code)

    for code in rows:
        visit(code)
    return ordered


def _apply_coded(
    session: DbSession,
    sheet: str,
    model: type,
    stored: Mapping[str, object],
    rows: Mapping[str, Row],
    values_of: object,
    report: ImportReport,
) -> None:
    added, changed, unchanged = [], [], 0
    for code in _parents_first(rows):
        values = present(rows[code], values_of(rows[code]))  # type: ignore[operator]
        record = stored.get(code)
        if record is None:
            stamp = {"changed_at": utcnow()} if hasattr(model, "changed_at") else {}
            session.add(model(code=code, **values, **stamp))
            added.append(code)
        elif _assign(record, values):
            if hasattr(record, "changed_at"):
                record.changed_at = utcnow()
            changed.append(code)
        else:
            unchanged += 1
        session.flush()  # parents before children: foreign keys are checked per row
    report.added[sheet], report.changed[sheet], report.unchanged[sheet] = added, changed, unchanged
    report.missing[sheet] = sorted(code for code in stored if code not in rows)


# A new user's one-time password and its hash, made before the import takes its lock (hashing is
# slow on purpose: about 0.15 s each); None on a dry run, which stores nothing.
Credentials = Mapping[str, tuple[str, str] | None]


# How often a long run of password hashing says how far it has got.
PROGRESS_EVERY = 100


def new_credentials(
    session: DbSession,
    sheets: Sheets,
    dry_run: bool,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, tuple[str, str] | None]:
    if not sheets.given("users"):
        return {}
    # Read on a connection of its own: the import's transaction must start with its lock (an
    # SQLite read begun before the hashing could not become a write after another commit).
    bind = session.get_bind()
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            stored = set(connection.scalars(select(User.username)))
    else:
        stored = set(session.scalars(select(User.username)))
    new = [username for username in sheets.rows["users"] if username not in stored]
    if dry_run:
        return dict.fromkeys(new)
    made: dict[str, tuple[str, str] | None] = {}
    for done, username in enumerate(new, start=1):
        password = secrets.token_urlsafe(9)
        made[username] = (password, generate_password_hash(password))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(new)):
            progress(done, len(new))
    return made


def lock(session: DbSession) -> None:
    """One import at a time, checked and stored against what the one before it committed: two
    imports checked side by side could each pass and together store a loop of parents."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext("hotline.city_import"))))
    else:
        # SQLite: a write statement takes the database's write lock until the commit, even one
        # that changes no row.
        session.execute(update(Area).where(false()).values(name=Area.name))


def apply(
    session: DbSession,
    sheets: Sheets,
    deactivate_missing: bool,
    credentials: Credentials | None = None,
    stored: Stored | None = None,
) -> ImportReport:
    """Store checked sheets: parents before children, areas before units before users."""
    stored = stored or Stored.load(session)
    report = ImportReport()
    if sheets.given("areas"):
        _apply_coded(
            session,
            "areas",
            Area,
            stored.areas,
            sheets.rows["areas"],
            lambda r: {
                "name": r["name"],
                "level": r["level"],
                "parent_code": r.get("parent_code") or None,
            },
            report,
        )
    if sheets.given("matters"):
        _apply_coded(
            session,
            "matters",
            Matter,
            stored.matters,
            sheets.rows["matters"],
            lambda r: {
                "name": r["name"],
                "parent_code": r.get("parent_code") or None,
                "keywords": "、".join(
                    k for k in KEYWORD_SEPARATORS.split(r.get("keywords", "")) if k
                ),
            },
            report,
        )
    if sheets.given("units"):
        _apply_units(session, sheets.rows["units"], stored, deactivate_missing, report)
    if sheets.given("users"):
        _apply_users(
            session, sheets.rows["users"], stored, deactivate_missing, report, credentials or {}
        )
    _deactivate_users_of_inactive_units(session, report)
    return report


def _deactivate_users_of_inactive_units(session: DbSession, report: ImportReport) -> None:
    leaving = set(report.deactivated.get("units", [])) | set(report.turned_off)
    if not leaving:
        return
    for user in session.scalars(
        select(User).where(User.unit_code.in_(sorted(leaving)), User.active.is_(True))
    ):
        user.active = False
        report.users_with_their_unit.append(user.username)
    session.flush()


def _apply_units(
    session: DbSession,
    rows: Mapping[str, Row],
    stored: Stored,
    deactivate_missing: bool,
    report: ImportReport,
) -> None:
    def values(row: Row) -> dict[str, object]:
        wanted: dict[str, object] = {
            "name": row["name"],
            "kind": row["kind"],
            "parent_code": row.get("parent_code") or None,
            "area_code": row.get("area_code") or None,
            "liaison_phone": row.get("liaison_phone") or None,
            "head_phone": row.get("head_phone") or None,
        }
        wanted["active"] = _flag(row["active"]) if row.get("active") else True
        return wanted

    report.turned_off = [
        code
        for code, row in rows.items()
        if _flag(row.get("active", "")) is False
        and code in stored.units
        and stored.units[code].active
    ]
    _apply_coded(session, "units", Unit, stored.units, rows, values, report)
    report.deactivated["units"] = []
    if deactivate_missing:
        for code in report.missing["units"]:
            unit = stored.units[code]
            if unit.active:
                unit.active = False
                unit.changed_at = utcnow()
                report.deactivated["units"].append(code)
        session.flush()


def _apply_users(
    session: DbSession,
    rows: Mapping[str, Row],
    stored: Stored,
    deactivate_missing: bool,
    report: ImportReport,
    credentials: Credentials,
) -> None:
    added, changed, unchanged = [], [], 0
    for username, row in rows.items():
        values = present(
            row,
            {
                "display_name": row["display_name"],
                "role": row["role"],
                "unit_code": row.get("unit_code") or None,
                "active": _flag(row["active"]) if row.get("active") else True,
            },
        )
        user = stored.users.get(username)
        if user is None:
            made = credentials.get(username)
            if made is None and username not in credentials:
                # Added by another import since the hashes were made: hash it now.
                password = secrets.token_urlsafe(9)
                made = (password, generate_password_hash(password))
            session.add(User(username=username, password_hash=made[1] if made else "!", **values))
            if made is not None:
                report.passwords[username] = made[0]
            added.append(username)
        elif _assign(user, values):
            changed.append(username)
        else:
            unchanged += 1
    report.added["users"], report.changed["users"] = added, changed
    report.unchanged["users"] = unchanged
    report.missing["users"] = sorted(name for name in stored.users if name not in rows)
    report.deactivated["users"] = []
    if deactivate_missing:
        for username in report.missing["users"]:
            if stored.users[username].active:
                stored.users[username].active = False
                report.deactivated["users"].append(username)
    session.flush()


def import_city(
    session: DbSession,
    paths: Mapping[str, Path],
    deactivate_missing: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ImportReport | None, list[Problem]]:
    """Check every sheet, then store them all, or nothing when any problem is found. The
    caller commits (or rolls back, for a dry run), which ends the import's lock."""
    sheets, problems = read_sheets(paths)
    credentials = {} if problems else new_credentials(session, sheets, dry_run, progress)
    lock(session)
    stored = Stored.load(session)  # read once the lock is held: what the last import committed
    problems += check(session, sheets, deactivate_missing, stored)
    if problems:
        return None, problems
    return apply(session, sheets, deactivate_missing, credentials, stored), []
