"""The sweeper fires each step of the escalation ladder once per ticket, clock, level and due
time, however often and however many sweepers run."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, text

from hotline import lifecycle
from hotline.extensions import db
from hotline.models import Breach, OutboxMessage, Ticket, TicketEvent, TicketNumberCounter
from hotline.routing_context import invalidate
from tests import factories
from tests.conftest import migrated_app
from workers.schedule import _embedded_loop, ensure_embedded_scheduler, run_embedded_once
from workers.sweeper import sweep

SHANGHAI_10AM_MONDAY = factories.MONDAY  # 2026-11-23 10:00 +08:00


def _breaches(ticket: Ticket) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Breach.clock, Breach.level).where(Breach.ticket_id == ticket.id)
    )
    return sorted((clock, level) for clock, level in rows)


def _actions(ticket: Ticket) -> Counter[str]:
    return Counter(
        db.session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id))
    )


def test_the_sign_warning_fires_at_four_fifths_of_the_span_and_nothing_else(app: Flask) -> None:
    ticket = factories.dispatched()
    # Sign: 2 working hours, due 12:00; its warning at 11:36.
    report = sweep(SHANGHAI_10AM_MONDAY + timedelta(minutes=105))
    db.session.refresh(ticket)
    assert report.fired == 1
    assert _breaches(ticket) == [("sign", "warning")]
    assert ticket.next_due_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    warning = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "warning"
        )
    ).one()
    assert warning.payload["recipient"] == "unit_liaison"


def test_every_step_fires_once_even_when_the_sweeper_runs_twice(app: Flask) -> None:
    ticket = factories.dispatched()
    later = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # past every clock's 提级督办

    first = sweep(later)
    second = sweep(later)

    db.session.refresh(ticket)
    assert first.fired == 15 and second.fired == 0
    levels = ["escalate", "overdue", "supervise", "urge", "warning"]
    assert _breaches(ticket) == sorted(
        (clock, level) for clock in ("contact", "handle", "sign") for level in levels
    )
    actions = _actions(ticket)
    assert (actions["breach"], actions["urge"], actions["supervise"], actions["escalate"]) == (
        15,
        3,
        3,
        3,
    )
    assert ticket.sign_breached_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
    assert ticket.escalated is True
    assert ticket.next_due_at is None


def test_a_late_callback_warns_the_centre_and_presses_no_unit(app: Flask) -> None:
    ticket = factories.replied()
    lifecycle.review(
        db.session, ticket, factories.DISPATCHER, approve=True, at=SHANGHAI_10AM_MONDAY
    )
    assert ticket.callback_due_at is not None
    report = sweep(ticket.callback_due_at + timedelta(days=10))
    db.session.refresh(ticket)
    assert report.fired == 2
    assert _breaches(ticket) == [("callback", "overdue"), ("callback", "warning")]
    messages = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind.in_(("warning", "overdue"))
        )
    ).all()
    assert {message.payload["recipient"] for message in messages} == {"supervisor"}
    assert _actions(ticket)["escalate"] == 0 and ticket.escalated is False
    assert ticket.next_due_at is None


def test_a_met_clock_fires_nothing(app: Flask) -> None:
    ticket = factories.dispatched()
    lifecycle.sign(db.session, ticket, factories.LEAD, at=SHANGHAI_10AM_MONDAY + timedelta(hours=1))
    sweep(SHANGHAI_10AM_MONDAY + timedelta(minutes=110))
    assert _breaches(ticket) == []


def test_messages_fired_on_a_sunday_night_wait_for_monday_morning(app: Flask) -> None:
    friday_4pm = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    ticket = factories.dispatched(at=friday_4pm)
    sunday_9pm = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)

    sweep(sunday_9pm)

    messages = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.kind.in_(["warning", "overdue", "urge", "supervise"]),
        )
    ).all()
    assert {m.kind for m in messages} == {"warning", "overdue", "urge", "supervise"}
    monday_9am = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert {m.available_at for m in messages} == {monday_9am}


def test_a_breach_event_names_the_clock_level_and_due_time(app: Flask) -> None:
    ticket = factories.dispatched()
    sweep(SHANGHAI_10AM_MONDAY + timedelta(minutes=105))
    event = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "breach"
        )
    ).one()
    assert event.actor_role == "system"
    assert event.payload["clock"] == "sign"
    assert event.payload["level"] == "warning"
    assert event.payload["due_at"] == "2026-11-23T12:00:00+08:00"
    assert "签收" in event.payload["note"]


def test_the_embedded_sweeper_never_starts_in_tests(app: Flask) -> None:
    assert ensure_embedded_scheduler(app) is None


def test_the_embedded_job_thread_builds_the_routing_rules_before_its_first_round(
    app: Flask,
) -> None:
    invalidate(app)
    stop = threading.Event()
    stop.set()  # no round: only what the thread does as it starts
    _embedded_loop(app, stop)
    assert "hotline.routing" in app.extensions


def test_one_embedded_round_sweeps_due_tickets(app: Flask) -> None:
    ticket = factories.dispatched(at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    db.session.commit()  # the round runs in its own app context
    run_embedded_once(app)
    assert len(_breaches(ticket)) == 15


# ---- two sweepers at once, on a committed PostgreSQL database -------------------------------

TRIGGER = "ticket_events_no_update"
JUNE_15 = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai


@pytest.fixture
def committed_pg(database_urls: dict[str, str]) -> Iterator[tuple[Flask, list[int]]]:
    """The PostgreSQL app without the rolled-back transaction: what a test commits is real,
    so the rows it created are deleted afterwards."""
    flask_app = migrated_app("postgresql", database_urls)
    created: list[int] = []
    with flask_app.app_context():
        day = JUNE_15.strftime("%Y%m%d")
        had_counter = db.session.get(TicketNumberCounter, day) is not None
        try:
            yield flask_app, created
        finally:
            db.session.rollback()
            if created:
                # The log is append-only by trigger; lifted only inside this cleanup transaction.
                db.session.execute(text(f"ALTER TABLE ticket_events DISABLE TRIGGER {TRIGGER}"))
                for table in reversed(db.metadata.sorted_tables):
                    if "ticket_id" in table.c:
                        db.session.execute(delete(table).where(table.c.ticket_id.in_(created)))
                db.session.execute(delete(Ticket).where(Ticket.id.in_(created)))
                db.session.execute(text(f"ALTER TABLE ticket_events ENABLE TRIGGER {TRIGGER}"))
            if not had_counter:
                db.session.execute(
                    delete(TicketNumberCounter).where(TicketNumberCounter.day == day)
                )
            db.session.commit()


def test_two_concurrent_sweepers_fire_each_step_exactly_once(
    committed_pg: tuple[Flask, list[int]],
) -> None:
    flask_app, created = committed_pg
    for _ in range(12):
        created.append(factories.dispatched(at=JUNE_15).id)
    db.session.commit()
    now = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with flask_app.app_context():
                start.wait()
                sweep(now, batch=3)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    per_ticket = dict(
        db.session.execute(
            select(Breach.ticket_id, func.count())
            .where(Breach.ticket_id.in_(created))
            .group_by(Breach.ticket_id)
        ).all()
    )
    assert per_ticket == {ticket_id: 15 for ticket_id in created}
    events = Counter(
        db.session.scalars(
            select(TicketEvent.action).where(
                TicketEvent.ticket_id.in_(created),
                TicketEvent.action.in_(["breach", "urge", "supervise", "escalate"]),
            )
        )
    )
    assert events == {"breach": 15 * 12, "urge": 3 * 12, "supervise": 3 * 12, "escalate": 3 * 12}
