"""The deadline sweeper: fires the escalation ladder's due steps, each exactly once, a batch of
due tickets at a time with set-based queries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select

from hotline.clock import utcnow
from hotline.domain import Domain, current_domain
from hotline.extensions import db
from hotline.lifecycle.deadlines import BatchOutcome, breaches_by_ticket, fire_due_steps
from hotline.models import Ticket
from hotline.transaction import commit

log = logging.getLogger(__name__)

BATCH = 500

Cursor = tuple[datetime, int]


@dataclass
class SweepReport:
    """How many due tickets were examined, how many steps fired, how many tickets failed.

    `skipped` counts tickets that stopped being due, or were taken by another sweeper, between
    the batch's lock and a one-by-one retry; rows locked by another sweeper are not seen at all.
    """

    examined: int = 0
    fired: int = 0
    skipped: int = 0
    failed: int = 0


def _lock_query(
    now: datetime, after: Cursor | None, batch: int, ids: list[int] | None = None
) -> Select[tuple[Ticket]]:
    query = select(Ticket).where(Ticket.next_due_at <= now)
    if ids is not None:
        query = query.where(Ticket.id.in_(ids))
    if after is not None:
        # Keyset paging: a ticket that failed stays due and is passed, never looped on.
        last_due, last_id = after
        query = query.where(
            or_(
                Ticket.next_due_at > last_due,
                and_(Ticket.next_due_at == last_due, Ticket.id > last_id),
            )
        )
    query = query.order_by(Ticket.next_due_at, Ticket.id).limit(batch)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def _lock_due(
    now: datetime, after: Cursor | None, batch: int, ids: list[int] | None = None
) -> list[Ticket]:
    """Lock and load the next batch of due tickets in one query, passing those another
    sweeper holds (SKIP LOCKED); the `next_due_at` index serves the order and the limit."""
    query = _lock_query(now, after, batch, ids).execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def _one_by_one(ids: list[int], now: datetime, domain: Domain) -> tuple[BatchOutcome, int]:
    """Retry a batch whose set-based write failed, a ticket per savepoint, so that one ticket
    the database rejects does not hold up the others. Returns the outcome and how many of the
    batch were no longer there to sweep."""
    outcome = BatchOutcome()
    tickets = _lock_due(now, None, len(ids), ids)
    breaches = breaches_by_ticket(db.session, [ticket.id for ticket in tickets])
    for ticket in tickets:
        try:
            with db.session.begin_nested():
                single = fire_due_steps(db.session, [ticket], breaches, now, domain)
            outcome.fired += single.fired
            outcome.failed += single.failed
        except Exception:
            log.exception("sweeping ticket %s failed", ticket.id)
            outcome.failed.append(ticket.id)
    commit()
    return outcome, len(ids) - len(tickets)


def sweep(now: datetime | None = None, batch: int = BATCH) -> SweepReport:
    """Sweep every ticket with next_due_at <= now, `batch` at a time, one commit per batch."""
    now = now or utcnow()
    domain = current_domain()
    report = SweepReport()
    cursor: Cursor | None = None
    while True:
        tickets = _lock_due(now, cursor, batch)
        if not tickets:
            break
        last = tickets[-1]
        assert last.next_due_at is not None  # selected by next_due_at <= now
        cursor = (last.next_due_at, last.id)
        ids = [ticket.id for ticket in tickets]
        report.examined += len(ids)
        try:
            outcome = fire_due_steps(
                db.session, tickets, breaches_by_ticket(db.session, ids), now, domain
            )
            commit()
        except Exception:
            db.session.rollback()
            log.exception("sweeping a batch of %d tickets failed; retrying one by one", len(ids))
            outcome, gone = _one_by_one(ids, now, domain)
            report.skipped += gone
        report.fired += outcome.fired
        report.failed += len(outcome.failed)
        if len(tickets) < batch:
            break  # SKIP LOCKED only ever shortens a batch when nothing else is due
    log.info(
        "swept %d due tickets: %d steps fired, %d skipped, %d failed",
        report.examined,
        report.fired,
        report.skipped,
        report.failed,
    )
    return report
