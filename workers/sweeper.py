"""The deadline sweeper: fires the escalation ladder's due steps, each exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from hotline.clock import utcnow
from hotline.domain import Domain, current_domain
from hotline.extensions import db
from hotline.lifecycle import record_breach
from hotline.lifecycle.clocks import open_clocks, refresh_next_due
from hotline.models import Breach, Ticket
from hotline.transaction import commit
from routing.escalation import Level

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class SweepReport:
    """How many due tickets were examined, how many steps fired, how many tickets failed."""

    examined: int = 0
    fired: int = 0
    skipped: int = 0
    failed: int = 0


def _due_ids(
    now: datetime, after: tuple[datetime, int] | None, batch: int
) -> list[tuple[int, datetime]]:
    query = select(Ticket.id, Ticket.next_due_at).where(Ticket.next_due_at <= now)
    if after is not None:
        # Keyset paging: a ticket another sweeper holds (or that failed) is passed, never looped on.
        last_due, last_id = after
        query = query.where(
            or_(
                Ticket.next_due_at > last_due,
                and_(Ticket.next_due_at == last_due, Ticket.id > last_id),
            )
        )
    rows = db.session.execute(query.order_by(Ticket.next_due_at, Ticket.id).limit(batch)).all()
    return [(row[0], row[1]) for row in rows if row[1] is not None]


def _lock(ids: list[int], now: datetime) -> dict[int, Ticket]:
    """Re-read the batch under row locks, skipping tickets another sweeper holds or moved on."""
    query = (
        select(Ticket)
        .where(Ticket.id.in_(ids), Ticket.next_due_at <= now)
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return {ticket.id: ticket for ticket in db.session.scalars(query)}


Fired = dict[tuple[str, datetime], set[Level]]


def _fired(ids: list[int]) -> dict[int, Fired]:
    """The steps already fired, per ticket, clock and due time: one query for the batch."""
    fired: dict[int, Fired] = {}
    rows = db.session.execute(
        select(Breach.ticket_id, Breach.clock, Breach.level, Breach.due_at).where(
            Breach.ticket_id.in_(ids)
        )
    )
    for ticket_id, clock, level, due_at in rows:
        fired.setdefault(ticket_id, {}).setdefault((clock, due_at), set()).add(Level(level))
    return fired


def sweep_ticket(domain: Domain, ticket: Ticket, now: datetime, fired: Fired) -> int:
    """Fire every due, unfired step of every running clock; returns how many fired."""
    count = 0
    for clock, start, due in open_clocks(ticket):
        done = fired.get((clock, due), set())
        times = dict(domain.ladder.fire_times(start, due))
        for level in domain.ladder.due_steps(start, due, now, done):
            if record_breach(
                db.session, ticket, clock, level, due, now, domain=domain, fire_at=times[level]
            ):
                count += 1
    refresh_next_due(db.session, domain, ticket)
    return count


def sweep(now: datetime | None = None, batch: int = BATCH) -> SweepReport:
    """Sweep every ticket with next_due_at <= now, `batch` at a time, committing per batch."""
    now = now or utcnow()
    domain = current_domain()
    report = SweepReport()
    cursor: tuple[datetime, int] | None = None
    while True:
        rows = _due_ids(now, cursor, batch)
        if not rows:
            break
        cursor = (rows[-1][1], rows[-1][0])
        ids = [ticket_id for ticket_id, _due in rows]
        locked = _lock(ids, now)
        fired = _fired(list(locked))
        report.examined += len(ids)
        report.skipped += len(ids) - len(locked)
        for ticket_id, ticket in locked.items():
            try:
                with db.session.begin_nested():
                    report.fired += sweep_ticket(domain, ticket, now, fired.get(ticket_id, {}))
            except Exception:
                # One broken ticket must not hold up the others; it stays due and is retried.
                report.failed += 1
                log.exception("sweeping ticket %s failed", ticket_id)
        commit()
    log.info(
        "swept %d due tickets: %d steps fired, %d skipped, %d failed",
        report.examined,
        report.fired,
        report.skipped,
        report.failed,
    )
    return report
