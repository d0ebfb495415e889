"""Catalogue (派单目录) versions in the database: import, activate, diff, export, add an entry.

Versions are never deleted or edited after import: a dispatch names the version it used, and an
arbitration months later must still read that exact entry. An activation may be scheduled: the
version in force at any instant is the activated one with the latest effective time not after it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from hotline.catalogue_columns import column_problems
from hotline.catalogue_sheet import SheetFormat, Source, parse_catalogue, write_sheet
from hotline.clock import utcnow
from hotline.domain import current_domain, local_iso
from hotline.extensions import DbSession
from hotline.lifecycle.errors import DomainError, NotFound
from hotline.models import CatalogueEntryRecord, CatalogueVersion
from hotline.routing_context import (
    active_version_key,
    entry_from_record,
    invalidate,
    load_catalogue,
    load_trees,
)
from routing.catalogue import (
    APPEAL_TYPE_NAMES,
    Catalogue,
    CatalogueDiff,
    CatalogueEntry,
    EntryRow,
    Problem,
    appeal_types_label,
    diff,
    sort_problems,
    validate_entries,
)
from routing.glossary import AppealType

DRAFT = "draft"
SCHEDULED = "scheduled"
ACTIVE = "active"
RETIRED = "retired"

_ENTRY_NUMBER = re.compile(r"^E(\d+)$")


def policy_tiers() -> frozenset[str]:
    """The 时限档位 a catalogue entry may name: the tiers of the policy in force."""
    return frozenset(current_domain().policy.tiers)


def get_version(session: DbSession, version_id: int) -> CatalogueVersion:
    version = session.get(CatalogueVersion, version_id)
    if version is None:
        raise NotFound("派单目录版本", version_id)
    return version


class ActivationConflict(DomainError):
    """An activation that contradicts what is already active or scheduled."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__("catalogue_activation_conflict", message, details)


def active_version(session: DbSession, at: datetime | None = None) -> CatalogueVersion | None:
    """The version in force at `at` (default: now)."""
    # The same rule the router uses (hotline.routing_context.active_version_key).
    key = active_version_key(at)
    return session.get(CatalogueVersion, key[0]) if key is not None else None


def state_at(version: CatalogueVersion, at: datetime) -> str:
    """The state as routing sees it at `at`: a scheduled version is active from its effective
    time on, and the version it replaces retired from then, before anything is written."""
    if version.state not in (ACTIVE, SCHEDULED):
        return version.state
    if version.effective_at is not None and version.effective_at > at:
        return SCHEDULED
    if version.retired_at is not None and version.retired_at <= at:
        return RETIRED
    return ACTIVE


def list_versions(session: DbSession) -> list[CatalogueVersion]:
    return list(session.scalars(select(CatalogueVersion).order_by(CatalogueVersion.id.desc())))


def entries_of(session: DbSession, version_id: int) -> list[CatalogueEntry]:
    records = session.scalars(
        select(CatalogueEntryRecord)
        .where(CatalogueEntryRecord.version_id == version_id)
        .order_by(CatalogueEntryRecord.id)
    )
    return [entry_from_record(record) for record in records]


def _record(version_id: int, entry: CatalogueEntry) -> CatalogueEntryRecord:
    return CatalogueEntryRecord(
        version_id=version_id,
        entry_id=entry.entry_id,
        matter_code=entry.matter_code,
        area_code=entry.area_code,
        # Glossary order, so the stored list does not depend on frozenset iteration order.
        appeal_types=[kind.value for kind in AppealType if kind in entry.appeal_types],
        lead=entry.lead,
        assists=list(entry.assists),
        dispatch_level=entry.dispatch_level,
        legal_basis=entry.legal_basis,
        tier=entry.tier,
        keywords=list(entry.keywords),
        no_push_down=entry.no_push_down,
    )


def _store(
    session: DbSession,
    entries: Sequence[CatalogueEntry],
    source_name: str,
    created_by: str,
    note: str,
) -> CatalogueVersion:
    version = CatalogueVersion(
        state=DRAFT,
        source_name=source_name[:255],
        note=note,
        entry_count=len(entries),
        created_by=created_by[:120],
        created_at=utcnow(),
    )
    session.add(version)
    session.flush()
    session.add_all(_record(version.id, entry) for entry in entries)
    session.flush()
    return version


def import_catalogue(
    session: DbSession,
    source: Source,
    filename: str,
    created_by: str,
    note: str = "",
) -> tuple[CatalogueVersion | None, list[Problem]]:
    """Store a sheet as a new draft version; a sheet with any problem stores nothing."""
    matters, areas, units = load_trees()
    entries, problems = parse_catalogue(source, filename, matters, areas, units, policy_tiers())
    if problems:
        return None, problems
    if not entries:
        return None, [Problem(2, "", "文件中没有任何条目")]
    return _store(session, entries, Path(filename).name, created_by, note), []


def activate(
    session: DbSession,
    version_id: int,
    *,
    actor: str,
    effective_at: datetime | None = None,
) -> CatalogueVersion:
    """Make a version the one the router uses, now or from a later `effective_at`; the version in
    force until then is retired at that time, and kept.

    At most one version waits for a later time. Activating the version in force again, or the
    waiting one with its own time, changes nothing; asking for another time is a conflict for the
    version in force, and moves the waiting one (an earlier time brings it in at once).
    """
    version = get_version(session, version_id)
    now = utcnow()
    when = effective_at or now
    current = _settled(session, now)
    if version.state == ACTIVE:
        if effective_at is not None and effective_at != version.effective_at:
            raise ActivationConflict(
                f"第 {version.id} 版已于 {local_iso(version.effective_at)} 起启用，"
                "不能再更改生效时间",
                {"version": version.id, "effective_at": local_iso(version.effective_at)},
            )
        return version
    if version.state == SCHEDULED and effective_at == version.effective_at:
        return version
    waiting = [v for v in current if v.state == SCHEDULED and v.id != version.id]
    if when > now and waiting:
        raise ActivationConflict(
            f"第 {waiting[0].id} 版已定于 {local_iso(waiting[0].effective_at)} 生效，"
            "同一时间只能有一个待生效的版本；可先改期或立即启用该版本",
            {"scheduled_version": waiting[0].id},
        )
    for previous in current:
        if previous.state == ACTIVE:
            previous.retired_at = when
            if when <= now:
                previous.state = RETIRED
    version.state = ACTIVE if when <= now else SCHEDULED
    version.effective_at = when
    # Brought in now while another waits: in force until that one's time.
    version.retired_at = waiting[0].effective_at if waiting else None
    if not version.note:
        version.note = f"由 {actor} 启用"
    session.flush()
    # The routing cache is keyed by version id, and ids can repeat after a rollback (SQLite).
    invalidate(current_app._get_current_object())  # type: ignore[attr-defined]
    return version


def _settled(session: DbSession, now: datetime) -> list[CatalogueVersion]:
    """The active and scheduled versions, their stored state brought up to `now` (a scheduled
    time that has passed makes no write of its own)."""
    versions = list(
        session.scalars(
            select(CatalogueVersion).where(CatalogueVersion.state.in_((ACTIVE, SCHEDULED)))
        )
    )
    for version in versions:
        version.state = state_at(version, now)
    return [v for v in versions if v.state != RETIRED]


def diff_versions(session: DbSession, from_id: int, to_id: int) -> CatalogueDiff:
    get_version(session, from_id)
    get_version(session, to_id)
    return diff(load_catalogue(from_id), load_catalogue(to_id))


def export(session: DbSession, version: CatalogueVersion, fmt: SheetFormat = "xlsx") -> bytes:
    """The version as the sheet staff edit and import again."""
    matters, areas, units = load_trees()
    buffer = io.BytesIO()
    write_sheet(entries_of(session, version.id), matters, areas, units, buffer, fmt)
    return buffer.getvalue()


@dataclass(frozen=True)
class NewEntry:
    """A dispatcher's decision to be written into the catalogue (from the manual queue)."""

    matter_code: str
    lead: str
    area_code: str | None = None
    appeal_types: frozenset[AppealType] = frozenset()
    assists: tuple[str, ...] = ()
    legal_basis: str = ""
    tier: str | None = None
    dispatch_level: str = ""
    keywords: tuple[str, ...] = ()
    no_push_down: bool = False
    entry_id: str | None = None
    from_ticket: str | None = None


def next_entry_id(entries: Iterable[CatalogueEntry]) -> str:
    numbers = [int(m.group(1)) for e in entries if (m := _ENTRY_NUMBER.match(e.entry_id))]
    return f"E{max(numbers, default=0) + 1:04d}"


def add_entry(
    session: DbSession, new: NewEntry, created_by: str
) -> tuple[CatalogueVersion | None, list[Problem]]:
    """A new draft: the active version's entries plus this one, validated like an import."""
    base = active_version(session)
    current = entries_of(session, base.id) if base is not None else []
    entry = CatalogueEntry(
        entry_id=new.entry_id or next_entry_id(current),
        matter_code=new.matter_code,
        area_code=new.area_code or None,
        appeal_types=new.appeal_types,
        lead=new.lead,
        assists=new.assists,
        dispatch_level=new.dispatch_level,
        legal_basis=new.legal_basis,
        tier=new.tier,
        keywords=new.keywords,
        no_push_down=new.no_push_down,
    )
    entries = [*current, entry]
    # Row numbers as an export of the new draft would show them (header on row 1).
    rows = [EntryRow.from_entry(e, row=index + 2) for index, e in enumerate(entries)]
    matters, areas, units = load_trees()
    problems = sort_problems(
        [*validate_entries(rows, matters, areas, units), *column_problems(rows, policy_tiers())]
    )
    if problems:
        return None, problems
    origin = f"工单 {new.from_ticket} 的派单决定" if new.from_ticket else "调度员新增条目"
    base_text = f"第 {base.id} 版" if base is not None else "空目录"
    note = f"在{base_text}基础上新增条目 {entry.entry_id}（{origin}）"
    return _store(session, entries, f"entry:{entry.entry_id}", created_by, note), []


def ensure_active(session: DbSession, path: Path, created_by: str) -> CatalogueVersion:
    """Import and activate a sheet unless the active version already has the same entries."""
    matters, areas, units = load_trees()
    entries, problems = parse_catalogue(path, path.name, matters, areas, units, policy_tiers())
    if problems:
        listed = "；".join(f"第 {p.row} 行 {p.column}：{p.reason}" for p in problems[:10])
        raise DomainError("catalogue_invalid", f"{path.name} 无法导入：{listed}")
    current = active_version(session)
    if current is not None and diff(load_catalogue(current.id), Catalogue(0, entries)).is_empty:
        return current
    version = _store(session, entries, path.name, created_by, "演示城市派单目录")
    return activate(session, version.id, actor=created_by)


def version_mapping(version: CatalogueVersion, at: datetime | None = None) -> dict[str, Any]:
    return {
        "id": version.id,
        "state": state_at(version, at or utcnow()),
        "source_name": version.source_name,
        "note": version.note,
        "entry_count": version.entry_count,
        "created_by": version.created_by,
        "created_at": _iso(version.created_at),
        "effective_at": _iso(version.effective_at),
        "retired_at": _iso(version.retired_at),
    }


def entry_mapping(entry: CatalogueEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "matter_code": entry.matter_code,
        "area_code": entry.area_code,
        "appeal_types": [kind.value for kind in AppealType if kind in entry.appeal_types],
        "appeal_types_label": appeal_types_label(entry.appeal_types),
        "lead": entry.lead,
        "assists": list(entry.assists),
        "dispatch_level": entry.dispatch_level,
        "legal_basis": entry.legal_basis,
        "tier": entry.tier,
        "keywords": list(entry.keywords),
        "no_push_down": entry.no_push_down,
    }


def diff_mapping(result: CatalogueDiff) -> dict[str, Any]:
    return {
        "added": [entry_mapping(e) for e in result.added],
        "removed": [entry_mapping(e) for e in result.removed],
        "changed": [
            {
                "entry_id": after.entry_id,
                "fields": names,
                "before": {name: entry_mapping(before).get(name) for name in names},
                "after": {name: entry_mapping(after).get(name) for name in names},
            }
            for before, after, names in result.changed
        ],
    }


def diff_lines(result: CatalogueDiff) -> list[str]:
    """The diff as staff read it, one line per added, removed or changed entry."""
    lines = [
        f"+ {e.entry_id} {e.matter_code} {e.area_code or '全市'} → {e.lead}" for e in result.added
    ]
    lines += [f"- {e.entry_id} {e.matter_code} {e.area_code or '全市'}" for e in result.removed]
    for before, after, names in result.changed:
        old, new = entry_mapping(before), entry_mapping(after)
        changes = "，".join(f"{name}: {old.get(name)!r} → {new.get(name)!r}" for name in names)
        lines.append(f"~ {after.entry_id} {changes}")
    return lines


def problem_mapping(problem: Problem) -> dict[str, Any]:
    return {"row": problem.row, "column": problem.column, "reason": problem.reason}


def parse_appeal_types(values: Iterable[str]) -> frozenset[AppealType]:
    """Glossary identifiers or the Chinese names staff use; raises ValueError on an unknown one."""
    by_name = {name: kind for kind, name in APPEAL_TYPE_NAMES.items()}
    kinds: set[AppealType] = set()
    for value in values:
        kind = by_name.get(value)
        kinds.add(kind if kind is not None else AppealType(value))
    return frozenset(kinds)


def _iso(value: datetime | None) -> str | None:
    return local_iso(value)
