"""Routing on the active catalogue: the explain API during a call, what every dispatched ticket
records, and the manual dispatch queue when nothing in the catalogue applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from hotline import catalogue_store
from hotline.extensions import db
from hotline.intake import Submission, submit
from tests.factories import AGENT

LIFT_TEXT = "电梯困人了"
COMMUNITY = "990102001001"  # a community of 江城区 南湖街道
CABLE_TV = "13.03.01"  # 有线电视: no catalogue entry at any level


def active_id() -> int:
    version = catalogue_store.active_version(db.session)
    assert version is not None
    return version.id


def explain(client: Any, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return client.post("/api/v1/routing/explain", json=body, headers=headers or {})


def test_explain_sends_a_trapped_lift_to_entry_e0001_of_the_active_version(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    response = explain(sign_in("agent"), text=LIFT_TEXT, area_code=COMMUNITY, appeal_type="help")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["classification"]["matter_code"] == "01.01.01"
    decision = body["decision"]
    assert decision["entry_id"] == "E0001"
    assert decision["catalogue_version"] == active_id() == body["catalogue_version"]
    assert decision["lead_unit"] == "C-SCJGJ" and decision["manual"] is False
    assert decision["assist_units"] == ["S990102001"]  # 属地街道 of the caller's community
    assert "E0001" in decision["reason"] and f"第 {active_id()} 版" in decision["reason"]
    assert body["entry"]["legal_basis"].startswith("《中华人民共和国特种设备安全法》")


def test_explain_is_open_to_integrations_and_creates_no_ticket(
    app: Flask, integration_headers: dict[str, str]
) -> None:
    from sqlalchemy import func, select

    from hotline.models import Ticket

    before = db.session.scalar(select(func.count()).select_from(Ticket))
    response = explain(app.test_client(), integration_headers, text=LIFT_TEXT, area_code=COMMUNITY)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before


def test_explain_without_area_for_an_uncatalogued_matter_goes_to_the_manual_queue(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    body = explain(
        sign_in("dispatcher"), text="有线电视没信号", matter_code=CABLE_TV, appeal_type="help"
    ).get_json()
    assert body["classification"]["method"] == "agent"
    assert body["decision"]["manual"] is True and body["decision"]["fallback"] == "manual"
    assert "转人工派单队列" in body["decision"]["reason"]


def test_explain_refuses_unknown_codes(app: Flask, sign_in: Callable[[str], Any]) -> None:
    response = explain(sign_in("agent"), text=LIFT_TEXT, area_code="000000000000")
    assert response.status_code == 422
    assert "area_code" in response.get_json()["error"]["details"]


@pytest.mark.parametrize(
    ("text", "area_code", "appeal_type"),
    [
        ("电梯困人了，快来人", COMMUNITY, "help"),
        ("小区物业乱收费，物业费上涨", "990103001", "complaint"),
        ("楼下广场舞噪音扰民到深夜", "990103002001", "complaint"),
    ],
)
def test_every_dispatched_ticket_records_its_entry_version_and_reason(
    app: Flask, text: str, area_code: str, appeal_type: str
) -> None:
    result = submit(
        db.session,
        AGENT,
        Submission(channel="phone", text=text, area_code=area_code, appeal_type=appeal_type),
    )
    ticket = result.ticket
    assert ticket.state == "dispatched", ticket.triage_reason
    assert ticket.catalogue_entry_id is not None
    assert ticket.catalogue_version == active_id()
    assert ticket.dispatch_decision is not None
    assert ticket.catalogue_entry_id in ticket.dispatch_decision["reason"]
    assert ticket.triage_reason == ticket.dispatch_decision["reason"]


def test_the_trapped_lift_ticket_is_dispatched_by_entry_e0001(app: Flask) -> None:
    ticket = submit(
        db.session,
        AGENT,
        Submission(channel="phone", text=LIFT_TEXT, area_code=COMMUNITY, appeal_type="help"),
    ).ticket
    assert (ticket.catalogue_entry_id, ticket.lead_unit_code) == ("E0001", "C-SCJGJ")


def test_a_ticket_nothing_matches_waits_in_the_manual_queue_with_its_candidates(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    ticket = submit(
        db.session,
        AGENT,
        Submission(channel="web", text="有线电视没有信号了", matter_code=CABLE_TV),
    ).ticket
    assert ticket.state == "pending_dispatch" and ticket.lead_unit_code is None
    assert ticket.catalogue_version == active_id() and ticket.catalogue_entry_id is None
    db.session.flush()

    body = sign_in("dispatcher").get("/api/v1/queue/manual").get_json()
    queued = {t["number"]: t for t in body["tickets"]}
    assert ticket.number in queued
    entry = queued[ticket.number]
    assert entry["decision"]["fallback"] == "manual"
    assert entry["classification"]["matter_code"] == CABLE_TV
    assert body["total"] >= 1


def test_an_unclassifiable_text_without_area_goes_to_the_manual_queue(app: Flask) -> None:
    ticket = submit(
        db.session, AGENT, Submission(channel="web", text="请问一下这个事情怎么办呢谢谢")
    ).ticket
    assert ticket.state == "pending_dispatch"
    assert ticket.dispatch_decision is not None
    assert ticket.dispatch_decision["fallback"] == "manual"


def test_a_catalogue_entry_from_the_manual_queue_routes_the_next_ticket_once_activated(
    app: Flask, sign_in: Callable[[str], Any]
) -> None:
    first = submit(
        db.session,
        AGENT,
        Submission(channel="web", text="有线电视没有信号了", matter_code=CABLE_TV),
    ).ticket
    db.session.flush()
    client = sign_in("dispatcher")
    created = client.post(
        "/api/v1/catalogue/entries",
        json={"matter_code": CABLE_TV, "lead": "C-WGLJ", "from_ticket": first.number},
    ).get_json()
    assert first.number in created["note"]
    client.post(f"/api/v1/catalogue/versions/{created['id']}/activate")

    second = submit(
        db.session,
        AGENT,
        Submission(
            channel="web",
            text="家里的有线电视频道全部黑屏",
            matter_code=CABLE_TV,
            area_code="990104001001",
        ),
    ).ticket
    assert second.lead_unit_code == "C-WGLJ"
    assert (second.catalogue_entry_id, second.catalogue_version) == (
        created["entry"]["entry_id"],
        created["id"],
    )
