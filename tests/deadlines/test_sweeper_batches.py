"""A sweep works a batch of due tickets with set-based statements and still fires each ladder
step exactly once: only the breach rows it inserted get events and messages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.domain import current_domain
from hotline.extensions import db
from hotline.lifecycle.deadlines import breaches_by_ticket, fire_due_steps
from hotline.models import Breach, OutboxMessage, Ticket, TicketEvent
from routing.escalation import Level
from tests import factories
from workers import sweeper
from workers.sweeper import sweep

PAST_EVERY_ESCALATION = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
STEPS_PER_TICKET = 15  # three work clocks × five levels
PRESSURE_MESSAGES = ("warning", "overdue", "urge", "supervise", "escalate")


def _many_due(count: int) -> list[Ticket]:
    tickets = [
        factories.dispatched(at=factories.MONDAY + timedelta(minutes=7 * n)) for n in range(count)
    ]
    db.session.commit()
    return tickets


def _breach_counts(tickets: list[Ticket]) -> dict[int, int]:
    rows = db.session.execute(
        select(Breach.ticket_id, func.count())
        .where(Breach.ticket_id.in_([t.id for t in tickets]))
        .group_by(Breach.ticket_id)
    )
    return {ticket_id: count for ticket_id, count in rows}


def _actions(tickets: list[Ticket]) -> Counter[str]:
    return Counter(
        db.session.scalars(
            select(TicketEvent.action).where(TicketEvent.ticket_id.in_([t.id for t in tickets]))
        )
    )


def _messages(tickets: list[Ticket]) -> int:
    return db.session.scalar(
        select(func.count()).where(
            OutboxMessage.ticket_id.in_([t.id for t in tickets]),
            OutboxMessage.kind.in_(PRESSURE_MESSAGES),
        )
    )


def test_one_batch_sweep_of_many_due_tickets_fires_each_step_once(app: Flask) -> None:
    tickets = _many_due(12)

    report = sweep(PAST_EVERY_ESCALATION)

    assert report.examined == 12 and report.failed == 0
    assert report.fired == STEPS_PER_TICKET * 12
    assert _breach_counts(tickets) == {t.id: STEPS_PER_TICKET for t in tickets}
    actions = _actions(tickets)
    assert (actions["breach"], actions["urge"], actions["supervise"], actions["escalate"]) == (
        STEPS_PER_TICKET * 12,
        3 * 12,
        3 * 12,
        3 * 12,
    )
    assert _messages(tickets) == STEPS_PER_TICKET * 12
    for ticket in tickets:
        db.session.refresh(ticket)
        assert ticket.next_due_at is None
        assert ticket.escalated is True
        assert ticket.handle_breached_at == ticket.handle_due_at


def test_a_second_batch_sweep_fires_nothing(app: Flask) -> None:
    tickets = _many_due(12)
    sweep(PAST_EVERY_ESCALATION)
    events_after_first = _actions(tickets)

    second = sweep(PAST_EVERY_ESCALATION)

    assert second.fired == 0
    assert _actions(tickets) == events_after_first
    assert _messages(tickets) == STEPS_PER_TICKET * 12


def test_small_batches_fire_what_one_large_batch_fires(app: Flask) -> None:
    tickets = _many_due(7)

    report = sweep(PAST_EVERY_ESCALATION, batch=3)

    assert report.examined == 7
    assert report.fired == STEPS_PER_TICKET * 7
    assert _breach_counts(tickets) == {t.id: STEPS_PER_TICKET for t in tickets}


def test_a_batch_numbers_each_tickets_events_without_gaps(app: Flask) -> None:
    tickets = _many_due(3)
    sweep(PAST_EVERY_ESCALATION)
    for ticket in tickets:
        db.session.refresh(ticket)
        seqs = sorted(
            db.session.scalars(select(TicketEvent.seq).where(TicketEvent.ticket_id == ticket.id))
        )
        assert seqs == list(range(1, ticket.event_seq + 1))


def test_only_the_steps_whose_breach_rows_the_batch_inserted_are_fired(app: Flask) -> None:
    ticket = factories.dispatched()
    # Another sweeper already fired the sign warning; this batch read the breaches before it.
    db.session.add(
        Breach(
            ticket_id=ticket.id,
            clock="sign",
            level="warning",
            due_at=ticket.sign_due_at,
            fired_at=factories.MONDAY,
        )
    )
    db.session.flush()
    stale: dict[int, dict[tuple[str, datetime], set[Level]]] = {}

    outcome = fire_due_steps(
        db.session, [ticket], stale, factories.MONDAY + timedelta(minutes=105), current_domain()
    )

    assert outcome.fired == 0
    assert _actions([ticket])["breach"] == 0
    assert ticket.next_due_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def test_breaches_are_loaded_for_a_whole_batch_at_once(app: Flask) -> None:
    tickets = _many_due(2)
    sweep(factories.MONDAY + timedelta(minutes=105))
    loaded = breaches_by_ticket(db.session, [t.id for t in tickets])
    assert set(loaded) == {tickets[0].id}  # the second ticket's warning is seven minutes later
    assert [set(levels) for levels in loaded[tickets[0].id].values()] == [{"warning"}]


def test_a_ticket_whose_steps_cannot_fire_does_not_hold_up_the_batch(app: Flask) -> None:
    tickets = _many_due(3)
    broken = tickets[1]
    broken.state = "closed"  # inconsistent on purpose: a closed ticket that is still due
    db.session.commit()

    report = sweep(PAST_EVERY_ESCALATION)

    assert report.failed == 1
    assert report.fired == STEPS_PER_TICKET * 2
    assert _breach_counts(tickets) == {
        tickets[0].id: STEPS_PER_TICKET,
        tickets[2].id: STEPS_PER_TICKET,
    }
    db.session.refresh(broken)
    assert broken.next_due_at is not None  # still due: retried by the next sweep


def test_a_batch_the_database_rejects_is_retried_ticket_by_ticket(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = _many_due(3)
    whole = sweeper.fire_due_steps

    def reject_batches(session, batch, *args, **kwargs):  # type: ignore[no-untyped-def]
        if len(batch) > 1:
            raise RuntimeError("the batch's INSERT failed")
        return whole(session, batch, *args, **kwargs)

    monkeypatch.setattr(sweeper, "fire_due_steps", reject_batches)

    report = sweep(PAST_EVERY_ESCALATION)

    assert report.fired == STEPS_PER_TICKET * 3 and report.failed == 0
    assert _breach_counts(tickets) == {t.id: STEPS_PER_TICKET for t in tickets}
