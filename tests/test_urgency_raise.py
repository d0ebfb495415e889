"""A repeat told as more urgent than the open ticket it joins raises the ticket's urgency, and
its running clocks fall due by the new tier counted from the repeat's arrival when sooner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline import lifecycle
from hotline.domain import current_domain
from hotline.extensions import db
from hotline.lifecycle.clocks import refresh_next_due
from hotline.models import OutboxMessage, Ticket, TicketEvent
from tests.api.conftest import API_KEY
from tests.factories import DISPATCHER, MONDAY, accepted, dispatched, handled
from workers.delivery import compose

TUESDAY = MONDAY + timedelta(days=1)


def link_event(ticket: Ticket) -> TicketEvent:
    db.session.flush()
    return db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "link")
        .order_by(TicketEvent.id.desc())
    ).first()  # type: ignore[return-value]


def merged_into(parent: Ticket, urgency: str) -> Ticket:
    parent.requester_phone_key = "k-raise"
    child = accepted(
        at=TUESDAY,
        urgency=urgency,
        requester_phone_key="k-raise",
        area_code=None,
        matter_code=parent.matter_code,
    )
    lifecycle.merge(db.session, child, parent, DISPATCHER, at=TUESDAY)
    return child


def test_a_critical_repeat_makes_the_dispatched_ticket_critical_and_due_within_two_hours(
    app: Flask,
) -> None:
    parent = dispatched()
    # 5 working days from Monday 23 November: the end of Monday 30 November (Beijing).
    assert parent.handle_due_at == datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)
    merged_into(parent, "critical")
    assert parent.urgency == "critical"
    assert parent.tier == "critical"
    assert parent.handle_due_at == TUESDAY + timedelta(hours=2)
    raised = link_event(parent).payload["urgency_raised"]
    assert raised["from"] == "normal" and raised["to"] == "critical"
    assert raised["tier"] == "critical"
    due = datetime.fromisoformat(raised["due"]["handle_due_at"])
    assert due == TUESDAY + timedelta(hours=2)
    # The sweeper's next look follows the new due times: working it out again changes nothing.
    refreshed = parent.next_due_at
    refresh_next_due(db.session, current_domain(), parent)
    assert refreshed is not None and parent.next_due_at == refreshed


def notices(ticket: Ticket) -> list[str]:
    db.session.flush()
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "notify_unit"
        )
    )
    return [compose(row)[1] for row in rows]


def test_the_lead_unit_is_told_its_time_is_shorter_and_until_when(app: Flask) -> None:
    parent = dispatched()
    merged_into(parent, "critical")
    assert notices(parent)[-1] == (
        f"【12345】工单 {parent.number} 的诉求人再次反映，已升级为特急，"
        "时限提前至 2026-11-24 12:00，请优先办理。"
    )


def test_no_unit_is_told_when_no_due_time_moved(app: Flask) -> None:
    parent = dispatched()
    parent.handle_due_at = parent.sign_due_at = parent.contact_due_at = TUESDAY
    before = len(notices(parent))
    merged_into(parent, "critical")
    assert parent.urgency == "critical"
    assert len(notices(parent)) == before


def test_a_clock_already_met_is_left_as_it_was(app: Flask) -> None:
    parent = handled()  # signed and contacted on Monday
    sign_due, contact_due = parent.sign_due_at, parent.contact_due_at
    merged_into(parent, "critical")
    assert parent.sign_due_at == sign_due and parent.contact_due_at == contact_due
    assert parent.handle_due_at == TUESDAY + timedelta(hours=2)
    assert set(link_event(parent).payload["urgency_raised"]["due"]) == {"handle_due_at"}


def test_a_due_time_already_sooner_than_the_new_limit_is_kept(app: Flask) -> None:
    parent = dispatched()
    soon = TUESDAY + timedelta(minutes=30)
    parent.handle_due_at = soon
    merged_into(parent, "critical")
    assert parent.handle_due_at == soon
    assert "handle_due_at" not in link_event(parent).payload["urgency_raised"].get("due", {})


def test_a_repeat_no_more_urgent_changes_nothing(app: Flask) -> None:
    parent = dispatched(urgency="urgent")
    due = parent.handle_due_at
    merged_into(parent, "normal")
    assert parent.urgency == "urgent" and parent.handle_due_at == due
    assert "urgency_raised" not in link_event(parent).payload


def test_before_dispatch_the_raised_urgency_picks_the_tier_when_the_clocks_start(
    app: Flask,
) -> None:
    parent = accepted(requester_phone_key="k-raise", area_code=None)
    merged_into(parent, "critical")
    assert parent.urgency == "critical"
    assert parent.handle_due_at is None
    assert link_event(parent).payload["urgency_raised"] == {"from": "normal", "to": "critical"}
    lifecycle.dispatch(db.session, parent, DISPATCHER, "C-ZJJ", (), at=TUESDAY)
    assert parent.tier == "critical"
    assert parent.handle_due_at == TUESDAY + timedelta(hours=2)


def test_an_urgent_repeat_merged_at_intake_raises_the_open_ticket_it_joins(app: Flask) -> None:
    client = app.test_client()
    body = complaint("锦华苑小区7号楼电梯坏了，停在三楼不动，物业说报修了还没人来", "13700000071")
    first = client.post("/api/v1/tickets", json=body, headers=API_KEY).get_json()
    again = client.post(
        "/api/v1/tickets",
        json=body | {"urgency": "critical", "text": "锦华苑7号楼电梯又坏了，这回把人困在里面了"},
        headers=API_KEY,
    ).get_json()
    assert again["triage"]["outcome"] == "merge", again["triage"]
    parent = numbered(first["number"])
    assert parent.urgency == "critical"
    assert link_event(parent).payload["urgency_raised"]["to"] == "critical"


def test_an_urgent_repeat_gives_a_ticket_the_urgent_tier_the_policy_gives_urgent_appeals(
    app: Flask,
) -> None:
    parent = dispatched(matter_code="01.01.02")  # dispatched by hand: no catalogue tier
    assert parent.tier == "normal"
    merged_into(parent, "urgent")
    assert parent.urgency == "urgent" and parent.tier == "urgent"
    assert parent.handle_due_at == TUESDAY + timedelta(hours=24)


def test_a_catalogue_tier_still_wins_over_urgency_as_it_does_for_a_new_urgent_appeal(
    app: Flask,
) -> None:
    client = app.test_client()
    body = complaint("锦华苑小区物业不打扫卫生，楼道垃圾堆了一个星期", "13700000072") | {
        "matter_code": "01.01.02"
    }
    first = client.post("/api/v1/tickets", json=body, headers=API_KEY).get_json()
    fresh = client.post(
        "/api/v1/tickets",
        json=body
        | {"urgency": "urgent", "requester": {"phone": "13700000073"}, "area_code": "990103001001"},
        headers=API_KEY,
    ).get_json()
    assert {numbered(first["number"]).tier, numbered(fresh["number"]).tier} == {"normal"}
    client.post(
        "/api/v1/tickets",
        json=body | {"urgency": "urgent", "text": "锦华苑物业还是不打扫，楼道垃圾都臭了"},
        headers=API_KEY,
    )
    parent = numbered(first["number"])
    assert parent.urgency == "urgent" and parent.tier == "normal"


def test_a_catalogue_tier_the_policy_no_longer_defines_does_not_stop_the_merge(
    app: Flask,
) -> None:
    parent = dispatched()
    parent.dispatch_decision = {**(parent.dispatch_decision or {}), "tier": "retired_tier"}
    merged_into(parent, "urgent")
    assert parent.urgency == "urgent" and parent.tier == "urgent"
    assert parent.handle_due_at == TUESDAY + timedelta(hours=24)


def test_a_tier_looser_than_the_tickets_own_is_not_taken(app: Flask) -> None:
    from hotline.domain import current_domain

    parent = dispatched()
    lifecycle.redispatch(db.session, parent, DISPATCHER, "C-SCJGJ", (), reason="改派市场监管")
    assert (parent.dispatch_decision or {}).get("tier") is None
    # Dispatched under the tightest tier (a catalogue entry's), though told as 一般.
    parent.tier = "critical"
    parent.policy_snapshot = current_domain().policy.tiers["critical"].to_mapping()
    merged_into(parent, "urgent")
    assert parent.urgency == "urgent"
    assert parent.tier == "critical"
    assert "tier" not in link_event(parent).payload["urgency_raised"]


def numbered(number: str) -> Ticket:
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


def complaint(text: str, phone: str) -> dict[str, Any]:
    """A web complaint from 李先生 in 翠苑社区, as the ticket API takes it."""
    return {
        "channel": "web",
        "appeal_type": "complaint",
        "text": text,
        "area_code": "990102001001",
        "requester": {"name": "李先生", "phone": phone},
    }
