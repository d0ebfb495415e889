"""Writing a new ticket with all its rows at once, without the ORM's unit of work.

Intake is the hottest write: a requester, the ticket, its events, its assignments and its
outbox rows. On PostgreSQL they go to the database as one statement (a chain of INSERT CTEs
built once per shape); SQLite, which has no data-modifying CTEs, takes one INSERT per table.
The ticket, its assignments and the requester then join the session as persistent objects,
exactly as a load from the database would give them, so later actions in the same request
change them with ordinary UPDATEs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    CompoundSelect,
    Dialect,
    Select,
    Table,
    bindparam,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.elements import False_, True_

from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import OutboxMessage, Requester, Ticket, TicketAssignment, TicketEvent
from hotline.outbox import note_written
from hotline.postgres import Compiled, compile_statement, fetch_in_session, on_postgresql

REQUESTERS: Table = Requester.__table__
TICKETS: Table = Ticket.__table__
EVENTS: Table = TicketEvent.__table__
ASSIGNMENTS: Table = TicketAssignment.__table__
OUTBOX: Table = OutboxMessage.__table__


@dataclass
class NewTicket:
    """A ticket built in memory (ids already allocated) with everything written alongside."""

    ticket: Ticket
    requester: Requester | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


NOW = object()  # stands for the database's now() among the defaults


def _default(column: Column[Any]) -> Any:
    """What the database would store for a column the row leaves out (NOW for now())."""
    if column.default is not None and getattr(column.default, "is_scalar", False):
        return column.default.arg  # type: ignore[attr-defined]
    if column.server_default is None:
        return None
    default = column.server_default.arg  # type: ignore[attr-defined]
    if isinstance(default, True_ | False_):
        return isinstance(default, True_)
    if not isinstance(default, str):
        return NOW
    return int(default) if default.isascii() and default.isdigit() else default


# Per table, every column's key and default, in the table's order.
DEFAULTS: dict[str, tuple[tuple[str, Any, bool], ...]] = {
    table.name: tuple((c.key, _default(c), c.primary_key) for c in table.columns)
    for table in (REQUESTERS, TICKETS, EVENTS, ASSIGNMENTS, OUTBOX)
}


def _complete(table: Table, row: dict[str, Any], at: datetime) -> dict[str, Any]:
    """Every column but the id, so that each table's statement has one shape."""
    return {
        key: row.get(key, at if default is NOW else default)
        for key, default, primary in DEFAULTS[table.name]
        if not primary
    }


def _complete_object(instance: Any, table: Table, at: datetime) -> dict[str, Any]:
    """The object's row, its unset attributes given the database's defaults. They go into the
    object's state directly (no attribute events): the object is about to be made persistent,
    which forgets any history anyway, and then matches the row."""
    state = instance.__dict__
    for key, default, _primary in DEFAULTS[table.name]:
        if key not in state:
            state[key] = at if default is NOW else default
    return {key: state[key] for key, _default, _primary in DEFAULTS[table.name]}


@dataclass(frozen=True)
class _Shape:
    requester: bool
    events: int
    assignments: int
    messages: int


def _values(table: Table, prefix: str, count: int, *, with_id: bool) -> list[dict[str, Any]]:
    return [
        {
            column.key: bindparam(f"{prefix}{i}_{column.key}", type_=column.type)
            for column in table.columns
            if with_id or not column.primary_key
        }
        for i in range(count)
    ]


_PARAMETER = re.compile(r"([a-z])(\d+)_(\w+)")


@cache
def _postgresql_sql(
    shape: _Shape, dialect: Dialect
) -> tuple[Compiled, tuple[tuple[str, int, str], ...]]:
    """The statement compiled once per shape (SQLAlchemy does not cache multi-row INSERTs, and
    compiling this one costs more than running it), with where each placeholder's value is:
    (table prefix, row, column)."""
    compiled = compile_statement(_postgresql_statement(shape), dialect)
    places = []
    for name in compiled.names:
        match = _PARAMETER.fullmatch(name)
        assert match is not None, name
        places.append((match.group(1), int(match.group(2)), match.group(3)))
    return compiled, tuple(places)


def _postgresql_statement(shape: _Shape) -> Select[Any] | CompoundSelect[Any]:
    """One statement for the whole new ticket; PostgreSQL checks the foreign keys between the
    CTEs' rows at the end of the statement. Returns (kind, id, key) for the rows whose ids the
    caller needs: assignments by unit code, outbox rows by idempotency key."""
    ctes = []
    if shape.requester:
        ctes.append(
            insert(REQUESTERS).values(_values(REQUESTERS, "r", 1, with_id=True)).cte("new_r")
        )
    ctes.append(insert(TICKETS).values(_values(TICKETS, "t", 1, with_id=True)).cte("new_t"))
    if shape.events:
        values = _values(EVENTS, "e", shape.events, with_id=False)
        ctes.append(insert(EVENTS).values(values).cte("new_e"))
    returned: list[Select[Any]] = [
        selected
        for selected in (
            _ids_by_key(ASSIGNMENTS, "a", shape.assignments, ASSIGNMENTS.c.unit_code),
            _ids_by_key(OUTBOX, "o", shape.messages, OUTBOX.c.idempotency_key),
        )
        if selected is not None
    ] or [_NOTHING_RETURNED]
    final = returned[0] if len(returned) == 1 else union_all(*returned)
    return final.add_cte(*ctes)


# A ticket with neither assignments nor outbox rows: the statement still returns a row.
_NOTHING_RETURNED: Any = select(*(literal_column(value) for value in ("'t'", "0", "''")))


def _ids_by_key(table: Table, prefix: str, count: int, key: Column[Any]) -> Select[Any] | None:
    """Insert `count` rows; select ('<prefix>', id, key) for each."""
    if not count:
        return None
    values = _values(table, prefix, count, with_id=False)
    inserted = insert(table).values(values).returning(table.c.id, key).cte(f"new_{prefix}")
    return select(literal_column(f"'{prefix}'"), inserted.c.id, inserted.c[key.key])


def store(session: DbSession, new: NewTicket) -> None:
    """Write the new ticket and its rows, then make the ticket (with its assignments) and the
    requester persistent in the session. The outbox rows are handed to the relay."""
    # What the database's now() would give the columns left to it: the time of writing.
    ticket, at = new.ticket, utcnow()
    ticket_row = _complete_object(ticket, TICKETS, at)
    assignments = list(ticket.assignments)
    assignment_rows = []
    for assignment in assignments:
        assignment.ticket_id = ticket.id
        row = _complete_object(assignment, ASSIGNMENTS, at)
        del row["id"]
        assignment_rows.append(row)
    requester_row = (
        _complete_object(new.requester, REQUESTERS, at) if new.requester is not None else None
    )
    events = [_complete(EVENTS, row, at) for row in new.events]
    messages = [_complete(OUTBOX, row, at) for row in new.messages]

    if on_postgresql(session):
        shape = _Shape(requester_row is not None, len(events), len(assignments), len(messages))
        groups = {
            "r": [requester_row] if requester_row is not None else [],
            "t": [ticket_row],
            "e": events,
            "a": assignment_rows,
            "o": messages,
        }
        compiled, places = _postgresql_sql(shape, session.get_bind().dialect)
        arguments = [groups[prefix][index][key] for prefix, index, key in places]
        returned = fetch_in_session(session, compiled, arguments)
        ids = {(kind, key): row_id for kind, row_id, key in returned}
    else:
        ids = _store_one_table_at_a_time(
            session.connection(), requester_row, ticket_row, events, assignment_rows, messages
        )

    for assignment in assignments:
        assignment.id = ids[("a", assignment.unit_code)]
    note_written(
        session,
        [
            (ids[("o", row["idempotency_key"])], new_row.get("available_at"))
            for row, new_row in zip(messages, new.messages, strict=True)
        ],
    )
    _persist(session, ticket, assignments, new.requester)


def _store_one_table_at_a_time(
    connection: Any,
    requester_row: dict[str, Any] | None,
    ticket_row: dict[str, Any],
    events: list[dict[str, Any]],
    assignments: list[dict[str, Any]],
    messages: list[dict[str, Any]],
) -> dict[tuple[str, str], int]:
    if requester_row is not None:
        connection.execute(insert(REQUESTERS), requester_row)
    connection.execute(insert(TICKETS), ticket_row)
    if events:
        connection.execute(insert(EVENTS), events)
    ids: dict[tuple[str, str], int] = {}
    for row in assignments:
        statement = insert(ASSIGNMENTS).returning(ASSIGNMENTS.c.id)
        ids[("a", row["unit_code"])] = connection.execute(statement, row).scalar_one()
    for row in messages:
        statement = insert(OUTBOX).returning(OUTBOX.c.id)
        ids[("o", row["idempotency_key"])] = connection.execute(statement, row).scalar_one()
    return ids


def _persist(
    session: DbSession,
    ticket: Ticket,
    assignments: list[TicketAssignment],
    requester: Requester | None,
) -> None:
    """Rows already written become persistent objects: as loaded, nothing pending."""
    for assignment in assignments:
        make_transient_to_detached(assignment)
    make_transient_to_detached(ticket)
    session.add(ticket)
    if requester is not None:
        make_transient_to_detached(requester)
        session.add(requester)
