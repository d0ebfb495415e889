"""Finding tickets for the list endpoint: filters, unit visibility and keyset (cursor) paging."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from hotline.api.privacy import not_hidden
from hotline.auth import CENTRE_ROLES
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.lifecycle import Actor, DomainError
from hotline.models import CLOCKS, MAX_ROW_ID, Ticket, TicketAssignment, Unit
from hotline.personal_data import as_digits, scrub
from hotline.routing_context import RoutingContext
from routing.tree import CodeTree
from routing.workflow import Role, TicketState

# A ticket number as the centre gives it (20261128-000001): `q` finds the ticket by it too.
TICKET_NUMBER = re.compile(r"[0-9]{8}-[0-9]{6}")
NUMBER_TAIL = re.compile(r"-?([0-9]{6})")
# Seven digits or more, however spaced or spoken, are part of a phone, an ID or a card number,
# which only the centre may look tickets up by (its caller lookup is audited; a unit's or
# another system's text search would not be, and `contains` finds a whole number from any part
# of it). A whole ticket number, or a date alone, is no one's personal data.
_LONG_DIGITS = re.compile(r"\d{7,}")
_NUMBER_SEPARATORS = re.compile(r"[\s\-./_]")
_DATE = re.compile(r"(20\d{2})-?(\d{2})-?(\d{2})")


def _is_date(q: str) -> bool:
    found = _DATE.fullmatch(q.strip())
    if found is None:
        return False
    try:
        date(*(int(part) for part in found.groups()))
    except ValueError:
        return False
    return True


def personal_number_in(q: str) -> bool:
    """Whether a search term holds personal data, or part of a personal number, in digits or
    spoken."""
    if TICKET_NUMBER.fullmatch(q.strip()) or _is_date(q):
        return False
    if scrub(q) != q:
        return True
    return _LONG_DIGITS.search(_NUMBER_SEPARATORS.sub("", as_digits(q))) is not None


MIN_CURSOR_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CURSOR_TIME = datetime(9000, 1, 1, tzinfo=UTC)


def encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.accepted_at.isoformat(), ticket.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, ticket_id = json.loads(raw)
        at = datetime.fromisoformat(moment)
        # A bool is an int to Python; ids are 32-bit; a time the database cannot hold (year
        # 9999 at -23:59 overflows in UTC) was never written by encode_cursor.
        if (
            at.tzinfo is None
            or type(ticket_id) is not int
            or not 0 < ticket_id <= MAX_ROW_ID
            or not MIN_CURSOR_TIME <= at.astimezone(UTC) <= MAX_CURSOR_TIME
        ):
            raise ValueError(cursor)
    except (ValueError, TypeError, OverflowError, binascii.Error):
        raise ApiError(400, "invalid_cursor", "分页游标无效", {"field": "cursor"}) from None
    return at, ticket_id


def subtree(tree: CodeTree, code: str, field: str) -> list[str]:
    """The code and every code below it; an unknown code is the same 422 the intake gives."""
    if code not in tree:
        raise DomainError("unknown_code", "编码不存在", {field: f"未知的编码 {code}"})
    found, pending = [code], [code]
    while pending:
        children = tree.children(pending.pop())
        found.extend(children)
        pending.extend(children)
    return found


def check_unit(code: str) -> None:
    """The same 422 as an unknown area or matter. Any unit ever loaded counts, deactivated ones
    too: their past tickets are still found under them."""
    if db.session.get(Unit, code) is None:
        raise DomainError("unknown_code", "编码不存在", {"unit": f"未知的编码 {code}"})


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Any clock breached, or, on a ticket still open, due in the past and not yet met (closing
    stops the clocks: a ticket merged into another is not late for ever)."""
    terms: list[ColumnElement[bool]] = []
    still_open = Ticket.state != TicketState.CLOSED
    for name in CLOCKS:
        due = getattr(Ticket, f"{name}_due_at")
        terms.append(getattr(Ticket, f"{name}_breached_at").is_not(None))
        late = and_(due.is_not(None), due < now, getattr(Ticket, f"{name}_met_at").is_(None))
        terms.append(and_(still_open, late))
    return or_(*terms)


def visible_to(actor: Actor) -> ColumnElement[bool] | None:
    """Unit staff see only tickets where their unit is the lead or an active assisting unit."""
    if actor.role != Role.UNIT:
        return None
    if actor.unit_code is None:
        return false()
    assigned = select(TicketAssignment.ticket_id).where(
        TicketAssignment.unit_code == actor.unit_code, TicketAssignment.active.is_(True)
    )
    return or_(Ticket.lead_unit_code == actor.unit_code, Ticket.id.in_(assigned))


def ticket_query(
    filters: dict[str, Any], actor: Actor, context: RoutingContext, now: datetime
) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    visibility = visible_to(actor)
    if visibility is not None:
        conditions.append(visibility)
    states = [s for s in (filters.get("state") or "").split(",") if s]
    if states:
        conditions.append(Ticket.state.in_(states))
    if filters.get("unit"):
        conditions.append(Ticket.lead_unit_code == filters["unit"])
    if filters.get("area"):
        conditions.append(Ticket.area_code.in_(subtree(context.areas, filters["area"], "area")))
    if filters.get("matter"):
        codes = subtree(context.matters, filters["matter"], "matter")
        conditions.append(Ticket.matter_code.in_(codes))
    if filters.get("channel"):
        conditions.append(Ticket.channel == filters["channel"])
    if filters.get("source_line"):
        conditions.append(Ticket.source_line == filters["source_line"])
    if filters.get("overdue") is not None:
        overdue = overdue_condition(now)
        conditions.append(overdue if filters["overdue"] else ~overdue)
    if filters.get("q"):
        q = filters["q"]
        if actor.role not in CENTRE_ROLES and personal_number_in(q):
            raise ApiError(
                403,
                "personal_data_search",
                "单位和外部系统不能按个人信息（电话、证件号、银行卡号、姓名、门牌等）查找工单",
                {"field": "q"},
            )
        matches = [
            Ticket.text.contains(q, autoescape=True),
            Ticket.title.contains(q, autoescape=True),
        ]
        if TICKET_NUMBER.fullmatch(q):
            matches.append(Ticket.number == q)
        elif tail := NUMBER_TAIL.fullmatch(q.strip()):
            # The last six digits, as callers read a number out: the day's ticket of each day.
            matches.append(Ticket.number.endswith(f"-{tail.group(1)}"))
        text_match = or_(*matches)
        if actor.role == Role.INTEGRATION:
            # Another system never learns what a 举报 or a confidential appeal says, not even
            # by finding it with a word from it (its number still finds it).
            text_match = or_(Ticket.number == q, and_(not_hidden(), text_match))
        conditions.append(text_match)
    if filters.get("accepted_from") is not None:
        conditions.append(Ticket.accepted_at >= filters["accepted_from"])
    if filters.get("accepted_to") is not None:
        conditions.append(Ticket.accepted_at <= filters["accepted_to"])
    if filters.get("cursor"):
        at, ticket_id = decode_cursor(filters["cursor"])
        conditions.append(
            or_(Ticket.accepted_at < at, and_(Ticket.accepted_at == at, Ticket.id < ticket_id))
        )
    return (
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.accepted_at.desc(), Ticket.id.desc())
        .limit(int(filters["limit"]) + 1)
    )


def page(rows: Iterable[Ticket], limit: int) -> tuple[list[Ticket], str | None]:
    items = list(rows)
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, encode_cursor(items[-1])
