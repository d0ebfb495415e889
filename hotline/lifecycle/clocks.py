"""Setting and recomputing a ticket's clocks (sign, contact, handle, callback) and next_due_at."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import select

from hotline.domain import Domain, current_domain
from hotline.extensions import DbSession
from hotline.models import Breach, Ticket
from routing.calendar import CalendarNotCovered
from routing.escalation import Level
from routing.glossary import AppealType, Channel, ClockName, Urgency
from routing.sla import Tier, callback_due, compute_open_clocks

WORK_CLOCKS = (ClockName.SIGN, ClockName.CONTACT, ClockName.HANDLE)
URGENCY_RANK = {Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.CRITICAL: 2}


def clock_start(ticket: Ticket, clock: str) -> datetime | None:
    return ticket.reviewed_at if clock == ClockName.CALLBACK else ticket.dispatched_at


def tier_for(domain: Domain, ticket: Ticket) -> Tier:
    return domain.policy.tier_for(
        AppealType(ticket.appeal_type),
        Urgency(ticket.urgency),
        Channel(ticket.channel),
        ticket.tier,
    )


def snapshot_policy(domain: Domain, ticket: Ticket) -> Tier:
    """Pick the tier and freeze it onto the ticket: later rule changes never rewrite history."""
    tier = tier_for(domain, ticket)
    ticket.tier = tier.name
    ticket.policy_snapshot = tier.to_mapping()
    return tier


def snapshotted_tier(domain: Domain, ticket: Ticket) -> Tier:
    if ticket.policy_snapshot:
        return Tier.from_mapping(ticket.policy_snapshot)
    return snapshot_policy(domain, ticket)


def start_work_clocks(domain: Domain, ticket: Ticket, at: datetime) -> dict[str, object]:
    """Start sign, contact and handle clocks at dispatch: accountability starts here.

    A due time in a year the calendar does not know is never guessed, and never costs the
    appeal: the ticket is dispatched with that clock unset, marked provisional so that loading
    the year's schedule computes it (hotline.schedules.recompute_provisional), and the
    payload names the clocks left open and why.
    """
    tier = snapshotted_tier(domain, ticket)
    dues, uncovered = compute_open_clocks(domain.calendar, tier, at)
    provisional = bool(uncovered)
    for clock in WORK_CLOCKS:
        due = dues[clock]
        setattr(ticket, f"{clock}_due_at", due.due_at if due else None)
        setattr(ticket, f"{clock}_met_at", None)
        setattr(ticket, f"{clock}_breached_at", None)
        provisional = provisional or (due is not None and due.provisional)
    ticket.due_provisional = provisional
    payload: dict[str, object] = {
        f"{c}_due_at": due.due_at.isoformat() if (due := dues[c]) else None for c in WORK_CLOCKS
    }
    payload |= {"tier": tier.name, "provisional": provisional}
    if uncovered:
        payload["uncovered"] = [str(c) for c in WORK_CLOCKS if dues[c] is None]
        payload["uncovered_reason"] = uncovered
    return payload


def start_callback_clock(domain: Domain, ticket: Ticket, at: datetime) -> str | None:
    """The callback clock from the review; unset (and provisional) past the calendar's years."""
    try:
        due = callback_due(domain.calendar, snapshotted_tier(domain, ticket), at)
    except CalendarNotCovered:
        ticket.callback_due_at = None
        ticket.callback_met_at = None
        ticket.callback_breached_at = None
        ticket.due_provisional = True
        return None
    ticket.callback_due_at = due.due_at
    ticket.callback_met_at = None
    ticket.callback_breached_at = None
    ticket.due_provisional = ticket.due_provisional or due.provisional
    return due.due_at.isoformat()


def provisional_due(domain: Domain, ticket: Ticket, due_at: datetime) -> bool:
    """Whether a clock's due time rests on the provisional year: the ticket says one of its due
    times does, and no due time before that year can (a sign clock due in December is firm)."""
    year = domain.calendar.provisional_year
    return (
        bool(ticket.due_provisional)
        and year is not None
        and due_at.astimezone(domain.tz).year >= year
    )


def provisional_mark(ticket: Ticket, due_at: datetime) -> str:
    """ "（暂定）" after a due time that rests on the provisional year, as every text says it."""
    return "（暂定）" if provisional_due(current_domain(), ticket, due_at) else ""


def meet(ticket: Ticket, clock: str, at: datetime) -> None:
    if getattr(ticket, f"{clock}_met_at") is None:
        setattr(ticket, f"{clock}_met_at", at)


def open_clocks(ticket: Ticket) -> list[tuple[str, datetime, datetime]]:
    """(clock, start, due) for every clock that is running: due set, not yet met."""
    running = []
    for clock in ClockName:
        due = getattr(ticket, f"{clock}_due_at")
        start = clock_start(ticket, clock)
        if due is not None and start is not None and getattr(ticket, f"{clock}_met_at") is None:
            running.append((str(clock), start, due))
    return running


Fired = Mapping[tuple[str, datetime], Collection[Level]]


def fired_steps(
    rows: Collection[tuple[str, str, datetime]],
) -> dict[tuple[str, datetime], set[Level]]:
    """Group breach rows (clock, level, due_at) by clock and due time."""
    fired: dict[tuple[str, datetime], set[Level]] = {}
    for clock, level, due_at in rows:
        fired.setdefault((clock, due_at), set()).add(Level(level))
    return fired


def refresh_next_due(
    session: DbSession, domain: Domain, ticket: Ticket, fired: Fired | None = None
) -> None:
    """Recompute the indexed instant at which the sweeper next has work for this ticket.

    `fired` (the ticket's breaches by clock and due time) spares the query when a batch
    already loaded them.
    """
    running = open_clocks(ticket)
    if ticket.state == "closed" or not running:
        ticket.next_due_at = None
        return
    if fired is None:
        fired = {}
        if ticket.id is not None:
            rows = session.execute(
                select(Breach.clock, Breach.level, Breach.due_at).where(
                    Breach.ticket_id == ticket.id
                )
            )
            fired = fired_steps([(clock, level, due_at) for clock, level, due_at in rows])
    candidates = []
    for clock, start, due in running:
        at = domain.ladder.next_fire_at(start, due, fired.get((clock, due), set()), clock)
        if at is not None:
            candidates.append(at)
    ticket.next_due_at = min(candidates) if candidates else None


def _tier_for_urgency(domain: Domain, ticket: Ticket, urgency: Urgency) -> Tier:
    """The tier a ticket of this urgency would get now: with the catalogue entry's tier where
    the dispatch followed one (the snapshot's own tier is not the catalogue's), unless the
    policy no longer defines it, then the policy's rules."""
    catalogue_tier = (ticket.dispatch_decision or {}).get("tier")
    if catalogue_tier not in domain.policy.tiers:
        catalogue_tier = None
    return domain.policy.tier_for(
        AppealType(ticket.appeal_type), urgency, Channel(ticket.channel), catalogue_tier
    )


def _dues_from(domain: Domain, tier: Tier, at: datetime) -> dict[str, datetime | None]:
    """Each clock's due time under `tier` counted from `at` (None past the known years)."""
    dues: dict[str, datetime | None] = {
        str(clock): due.due_at if due else None
        for clock, due in compute_open_clocks(domain.calendar, tier, at)[0].items()
    }
    try:
        dues[str(ClockName.CALLBACK)] = callback_due(domain.calendar, tier, at).due_at
    except CalendarNotCovered:
        dues[str(ClockName.CALLBACK)] = None
    return dues


def raise_urgency(
    session: DbSession, domain: Domain, ticket: Ticket, urgency: Urgency, at: datetime
) -> dict[str, object] | None:
    """A repeat told as more urgent than the open ticket it joined raises the ticket's urgency
    (a lift that now traps people, merged into "the lift is slow"), or None when it is not more
    urgent. Before dispatch the raised urgency picks the tier when the clocks start; after it,
    the tier is picked again (kept only when no looser than the ticket's own on any clock), and
    each running clock is due by the new tier's limit counted from the repeat's arrival, when
    that is sooner: a unit is never given more time for it, and never a due time already past
    for what it could not have known."""
    if ticket.urgency is None or URGENCY_RANK[urgency] <= URGENCY_RANK[Urgency(ticket.urgency)]:
        return None
    payload: dict[str, object] = {"from": ticket.urgency, "to": str(urgency)}
    ticket.urgency = urgency
    if ticket.policy_snapshot is None:
        return payload
    tier = _tier_for_urgency(domain, ticket, urgency)
    dues = _dues_from(domain, tier, at)
    # The ticket takes the new tier (its later clocks, the callback's, follow it) only when the
    # tier is no looser than its own on any clock, counted from now.
    old = _dues_from(domain, snapshotted_tier(domain, ticket), at)
    if tier.name != ticket.tier and all(
        new is not None and (before is None or new <= before)
        for new, before in ((dues[c], old[c]) for c in dues)
    ):
        ticket.tier = tier.name
        ticket.policy_snapshot = tier.to_mapping()
        payload["tier"] = tier.name
    if ticket.reviewed_at is None:
        dues.pop(ClockName.CALLBACK)
    sooner = {}
    for clock, _, due in open_clocks(ticket):
        new = dues.get(clock)
        if new is not None and new < due:
            setattr(ticket, f"{clock}_due_at", new)
            sooner[f"{clock}_due_at"] = new.isoformat()
    if sooner:
        payload["due"] = sooner
        refresh_next_due(session, domain, ticket)
    return payload
