"""Whom an escalation-ladder target (unit_liaison, unit_head, district_government, supervisor,
leaders) reaches for a ticket: a phone number, or the reason there is none."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hotline.extensions import DbSession
from hotline.models import Area, Unit
from routing.glossary import AreaLevel, UnitKind


@dataclass(frozen=True, slots=True)
class Contact:
    """A phone number to send to, or (phone None) why the target cannot be reached."""

    phone: str | None
    missing: str = ""


def _none(reason: str) -> Contact:
    return Contact(None, reason)


def _district_government(
    session: DbSession, unit: Unit | None, area_code: str | None
) -> Unit | None:
    """The district government over the lead unit (its parent chain), else the one of the
    ticket's district: a city department has no parent, but its ticket has a place."""
    seen: set[str] = set()
    while unit is not None and unit.code not in seen:
        if unit.kind == UnitKind.DISTRICT_GOVERNMENT:
            return unit
        seen.add(unit.code)
        unit = session.get(Unit, unit.parent_code) if unit.parent_code else None
    area = session.get(Area, area_code) if area_code else None
    while area is not None and area.level != AreaLevel.DISTRICT:
        area = session.get(Area, area.parent_code) if area.parent_code else None
    if area is None:
        return None
    found: Unit | None = session.scalars(
        select(Unit)
        .where(Unit.kind == UnitKind.DISTRICT_GOVERNMENT.value, Unit.area_code == area.code)
        .where(Unit.active.is_(True))
        .order_by(Unit.code)
    ).first()
    return found


def contact_for(
    session: DbSession, target: str, unit_code: str | None, area_code: str | None
) -> Contact:
    """The phone that `target` (a ladder `notify` value) means for a ticket of `unit_code`
    (its lead unit) in `area_code`."""
    unit = session.get(Unit, unit_code) if unit_code else None
    if target in ("unit_liaison", "unit_head"):
        if unit is None:
            return _none(f"承办单位 {unit_code or '（未派单）'} 不存在")
        phone = unit.liaison_phone if target == "unit_liaison" else unit.head_phone
        label = "联络员" if target == "unit_liaison" else "负责人"
        return Contact(phone) if phone else _none(f"承办单位 {unit.code} 没有{label}电话")
    if target == "district_government":
        government = _district_government(session, unit, area_code)
        if government is None:
            return _none(f"找不到承办单位 {unit_code or '-'}、区域 {area_code or '-'} 所属的区政府")
        if not government.head_phone:
            return _none(f"区政府 {government.code} 没有负责人电话")
        return Contact(government.head_phone)
    if target == "supervisor":
        # 督办 is the centre's: its supervision desk is the centre unit's head.
        centre: Unit | None = session.scalars(
            select(Unit).where(Unit.kind == UnitKind.CENTRE.value).order_by(Unit.code)
        ).first()
        if centre is None or not centre.head_phone:
            return _none("热线中心（督办人）没有负责人电话")
        return Contact(centre.head_phone)
    # `leaders` (市领导) and any other target have no contact in the unit directory.
    return _none(f"通知对象 {target} 没有登记联系电话")
