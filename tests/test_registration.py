"""登记: intake's one-statement write stores what accept-then-dispatch stores, row for row."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, literal_column, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hotline import lifecycle
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.intake import Submission, duplicate_candidates, submit
from hotline.lifecycle import SYSTEM
from hotline.models import OutboxMessage, Requester, Ticket, TicketAssignment, TicketEvent
from hotline.outbox import FLUSHED
from hotline.phones import phone_key
from hotline.postgres import (
    autocommit_connection,
    check_on_checkout,
    close_connections_of_ended_threads,
    run,
)
from routing.glossary import TriageOutcome
from tests.factories import AGENT, ASSIST_UNIT, LEAD, LEAD_UNIT, MONDAY, intake

DECISION = {
    "lead_unit": LEAD_UNIT,
    "assist_units": [ASSIST_UNIT],
    "entry_id": "E0001",
    "catalogue_version": 1,
    "fallback": False,
    "reason": "派单目录 E0001",
}
PAYLOAD = {"triage": {"service": None, "route": None, "guidance": None, "matched": []}}
# Ids and numbers differ between any two tickets; `version` counts the writes (fewer here).
IGNORED = {"id", "number", "requester_id", "ticket_id", "version"}


def _registered(*, with_requester: bool = True) -> Ticket:
    return lifecycle.register(
        db.session,
        AGENT,
        intake(),
        TriageOutcome.DISPATCH,
        reason="派单目录 E0001",
        at=MONDAY,
        requester=Requester(phone="+8613800000001") if with_requester else None,
        payload=PAYLOAD,
        decision=DECISION,
    )


def _accepted_then_dispatched() -> Ticket:
    requester = Requester(phone="+8613800000001")
    db.session.add(requester)
    db.session.flush()
    ticket = lifecycle.accept(
        db.session,
        AGENT,
        intake(),
        TriageOutcome.DISPATCH,
        reason="派单目录 E0001",
        requester=requester,
        at=MONDAY,
        payload=PAYLOAD,
    )
    return lifecycle.dispatch(
        db.session, ticket, SYSTEM, LEAD_UNIT, [ASSIST_UNIT], decision=DECISION, at=MONDAY
    )


def _columns(row: Any, *, ticket: Ticket) -> dict[str, Any]:
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in IGNORED}
    return _anonymous(values, ticket)


def _anonymous(value: Any, ticket: Ticket, key: str = "") -> Any:
    """The value with this ticket's own id and number replaced, to compare two tickets."""
    if isinstance(value, dict):
        return {name: _anonymous(item, ticket, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_anonymous(item, ticket) for item in value]
    if isinstance(value, str):
        return value.replace(ticket.number, "<number>").replace(f":{ticket.id}:", ":<id>:")
    return "<id>" if key == "ticket_id" and value == ticket.id else value


def _stored(ticket: Ticket) -> dict[str, Any]:
    """Everything the database holds for the ticket, read back afresh."""
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket is not None
    by_ticket = {
        "events": select(TicketEvent).order_by(TicketEvent.seq),
        "assignments": select(TicketAssignment).order_by(TicketAssignment.unit_code),
        "outbox": select(OutboxMessage).order_by(OutboxMessage.idempotency_key),
    }
    stored: dict[str, Any] = {"ticket": _columns(ticket, ticket=ticket)}
    for name, query in by_ticket.items():
        model = query.column_descriptions[0]["entity"]
        rows = db.session.scalars(query.where(model.ticket_id == ticket.id))
        stored[name] = [_columns(row, ticket=ticket) for row in rows]
    requester = db.session.get(Requester, ticket.requester_id)
    stored["requester"] = _columns(requester, ticket=ticket)
    for rows in (stored["events"], stored["outbox"], [stored["requester"]]):
        for row in rows:
            # The database's clock (or the writer's), not the action's.
            for moment in ("recorded_at", "created_at", "available_at"):
                row.pop(moment, None)
    stored["ticket"].pop("updated_at")
    stored["ticket"].pop("created_at")
    return stored


def test_a_registered_ticket_is_stored_exactly_as_accept_then_dispatch_store_it(
    app: Flask,
) -> None:
    registered = _stored(_registered())
    accepted = _stored(_accepted_then_dispatched())

    assert registered["ticket"] == accepted["ticket"]
    assert registered == accepted
    assert [e["action"] for e in registered["events"]] == ["accept", "dispatch"]
    assert [a["role"] for a in registered["assignments"]] == ["lead", "assist"]
    assert len(registered["outbox"]) == 2


def test_the_outbox_rows_of_a_registration_are_handed_to_the_relay(app: Flask) -> None:
    ticket = _registered()

    noted = [message_id for message_id, _due in db.session.info[FLUSHED]]
    stored = db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
    messages = sorted(stored, key=lambda m: m.id)
    assert sorted(noted) == [m.id for m in messages]
    assert all(m.state == "pending" and m.available_at <= utcnow() for m in messages)


@pytest.mark.parametrize("make", [_registered, _accepted_then_dispatched])
def test_a_registered_ticket_is_in_the_session_so_later_actions_update_it(
    app: Flask, make: Any
) -> None:
    ticket = make()
    version = ticket.version

    lifecycle.sign(db.session, ticket, LEAD, at=MONDAY + timedelta(minutes=20))
    db.session.flush()
    db.session.expire_all()

    stored = db.session.get(Ticket, ticket.id)
    assert stored is not None
    assert (stored.state, stored.event_seq) == ("signed", 3)
    assert stored.version > version
    lead = next(a for a in stored.assignments if a.role == "lead")
    assert lead.signed_at == MONDAY + timedelta(minutes=20)


def test_a_ticket_nobody_can_take_yet_is_registered_waiting_for_dispatch(app: Flask) -> None:
    ticket = lifecycle.register(
        db.session,
        AGENT,
        intake(matter_code=None),
        TriageOutcome.DISPATCH,
        reason="派单目录无匹配",
        at=MONDAY,
        decision={**DECISION, "lead_unit": None, "assist_units": [], "fallback": True},
    )
    db.session.expire_all()

    stored = db.session.get(Ticket, ticket.id)
    assert stored is not None
    assert stored.state == "pending_dispatch" and stored.lead_unit_code is None
    assert stored.assignments == [] and stored.requester_id is None
    assert stored.sign_due_at is None and stored.next_due_at is None


def test_a_repeat_by_the_same_caller_about_the_same_place_is_one_candidate(app: Flask) -> None:
    phone = "+8613800000009"
    first = submit(
        db.session,
        AGENT,
        Submission(
            channel="phone",
            text="小区门口的路灯坏了一个星期，晚上很黑",
            area_code="990102001001",
            requester_phone=phone,
        ),
        at=MONDAY,
    ).ticket
    assert first.matter_code is not None

    candidates = duplicate_candidates(
        db.session,
        phone_key(phone),
        phone,
        first.area_code,
        first.matter_code,
        MONDAY - timedelta(days=7),
    )

    assert [c.number for c in candidates] == [first.number]


def test_an_intake_the_database_refuses_leaves_nothing_behind(pg_app: Flask) -> None:
    appeal = Submission(
        channel="web", text="小区门口的路灯坏了一个星期，晚上很黑", external_id="web-77"
    )
    submit(db.session, AGENT, appeal, at=MONDAY)
    db.session.flush()
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Ticket, Requester)]

    savepoint = db.session.begin_nested()
    with pytest.raises(IntegrityError):
        # The same channel and external id: the unique constraint refuses the one statement.
        submit(db.session, AGENT, appeal, at=MONDAY + timedelta(days=30))
    savepoint.rollback()

    after = [db.session.scalar(select(func.count()).select_from(m)) for m in (Ticket, Requester)]
    assert after == counts


def test_numbers_keep_coming_after_the_allocation_connection_is_lost(pg_app: Flask) -> None:
    first = _registered()
    backend = autocommit_connection(db.engine).info.backend_pid
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})

    second = _registered(with_requester=False)

    assert second.number > first.number
    assert autocommit_connection(db.engine).info.backend_pid != backend


def _terminate_and_wait(backend: int) -> None:
    """End a server backend and return once it has exited (PostgreSQL waits for it: the
    timeout argument), so that its goodbye has been written to the client's socket."""
    with db.engine.connect() as other:
        ended = other.execute(
            text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": backend}
        ).scalar_one()
    assert ended


def test_a_pooled_connection_the_server_closed_is_replaced_without_an_error(
    pg_app: Flask,
) -> None:
    engine = create_engine(db.engine.url, pool_size=1, max_overflow=0)
    check_on_checkout(engine)
    try:
        with engine.connect() as connection:
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _terminate_and_wait(backend)  # its goodbye is now on the idle connection's socket

        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
    finally:
        engine.dispose()


SELECT_ONE = select(literal_column("1"))


def test_a_connection_lost_under_a_raw_statement_is_dropped_and_the_rollback_succeeds(
    pg_app: Flask,
) -> None:
    engine = create_engine(db.engine.url)
    try:
        with Session(engine) as session:
            backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            _terminate_and_wait(backend)

            with pytest.raises(OperationalError) as raised:
                run(session, SELECT_ONE, {})
            assert raised.value.connection_invalidated

            session.rollback()  # no second error over the first
            assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
    finally:
        engine.dispose()


@pytest.mark.parametrize("make", [_registered, _accepted_then_dispatched])
def test_a_document_not_given_is_sql_null_whichever_way_the_ticket_was_written(
    app: Flask, make: Any
) -> None:
    ticket = make()
    db.session.flush()

    empty = db.session.scalar(
        select(func.count()).where(Ticket.id == ticket.id, Ticket.classification.is_(None))
    )
    assert empty == 1


def test_a_thread_that_ended_gives_its_allocation_connection_back(pg_app: Flask) -> None:
    theirs: list[Any] = []

    def allocate_in_a_thread() -> None:
        with pg_app.app_context():
            theirs.append(autocommit_connection(db.engine))

    worker = threading.Thread(target=allocate_in_a_thread)
    worker.start()
    worker.join()
    mine = autocommit_connection(db.engine)

    close_connections_of_ended_threads()

    assert theirs[0].closed
    assert not mine.closed
    assert autocommit_connection(db.engine) is mine
