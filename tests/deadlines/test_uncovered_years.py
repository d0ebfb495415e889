"""Past the calendar's last year (the provisional one) no due time is guessed, and no appeal is
lost for it: the clock stays open until that year's schedule is loaded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.domain import current_domain
from hotline.extensions import db
from hotline.lifecycle import DomainError
from hotline.models import TicketEvent
from tests import factories
from tests.deadlines.test_calendar_cli import OFFICIAL_2027

# Thu 2027-12-30 10:00 in Shanghai: 2027 is the provisional year, 2028 is not known at all.
LAST_DAYS = datetime(2027, 12, 30, 2, 0, tzinfo=UTC)
# Fri 2027-12-31 18:00 in Shanghai: after the last business hours the calendar knows.
NEW_YEARS_EVE = datetime(2027, 12, 31, 10, 0, tzinfo=UTC)


def _dispatch_event(ticket_id: int) -> TicketEvent:
    return db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.action == "dispatch"
        )
    ).one()


def test_a_ticket_whose_deadline_falls_in_an_unknown_year_is_dispatched_with_it_open(
    fresh_domain: Flask,
) -> None:
    ticket = factories.dispatched(at=LAST_DAYS)
    assert ticket.state == "dispatched"
    assert ticket.handle_due_at is None
    assert ticket.due_provisional is True
    clocks = _dispatch_event(ticket.id).payload["clocks"]
    assert "handle" in clocks["uncovered"]
    assert clocks["handle_due_at"] is None
    assert "2028" in clocks["uncovered_reason"]


def _load_official_2027(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(OFFICIAL_2027, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["calendar", "load", str(path), "--loaded-by", "admin"]
    )
    assert result.exit_code == 0, result.output


def test_loading_the_schedule_computes_the_clock_left_open(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    ticket = factories.dispatched(at=LAST_DAYS)
    _load_official_2027(fresh_domain, tmp_path)
    db.session.refresh(ticket)
    # 2027 is official now and 2028 the provisional year: the deadline exists, flagged.
    assert ticket.handle_due_at is not None
    assert ticket.handle_due_at.year == 2028
    assert ticket.due_provisional is True


def test_every_clock_left_open_on_new_years_eve_is_computed_once_the_year_is_known(
    fresh_domain: Flask, tmp_path: Path
) -> None:
    ticket = factories.handled(at=NEW_YEARS_EVE - timedelta(days=1))
    lifecycle.reply(db.session, ticket, factories.LEAD, text="已修复", at=NEW_YEARS_EVE)
    lifecycle.review(db.session, ticket, factories.DISPATCHER, approve=True, at=NEW_YEARS_EVE)
    assert ticket.callback_due_at is None
    late = factories.dispatched(at=NEW_YEARS_EVE)
    # Working-hour and working-day clocks need 2028's calendar; natural hours (contact) do not.
    assert (late.sign_due_at, late.handle_due_at) == (None, None)

    _load_official_2027(fresh_domain, tmp_path)
    db.session.refresh(ticket)
    db.session.refresh(late)
    assert ticket.callback_due_at is not None and ticket.callback_due_at.year == 2028
    assert None not in (late.sign_due_at, late.contact_due_at, late.handle_due_at)
    assert late.due_provisional is True


def test_an_extension_into_an_unknown_year_is_refused_with_the_reason(
    fresh_domain: Flask,
) -> None:
    ticket = factories.handled(at=LAST_DAYS - timedelta(days=5))
    assert ticket.handle_due_at is not None
    lifecycle.request_extension(
        db.session,
        ticket,
        factories.LEAD,
        working_days=5,
        reason="需协调多部门",
        at=LAST_DAYS - timedelta(days=4),
    )
    with pytest.raises(DomainError) as refused:
        lifecycle.decide_extension(db.session, ticket, factories.DISPATCHER, approve=True)
    assert refused.value.code == "calendar_not_covered"
    assert ticket.extension_state == "requested"


def test_a_message_raised_after_the_last_known_opening_goes_at_once(fresh_domain: Flask) -> None:
    calendar = current_domain().calendar
    # Fri 2027-12-31 18:00 in Shanghai: the next opening is in 2028, which nobody can name.
    evening = datetime(2027, 12, 31, 10, 0, tzinfo=UTC)
    assert calendar.message_time(evening) == evening
    # Inside the known years a message still waits for business hours.
    friday_evening = datetime(2027, 12, 24, 10, 0, tzinfo=UTC)
    assert calendar.message_time(friday_evening) > friday_evening
