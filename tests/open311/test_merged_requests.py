"""A request merged into an open ticket is published as part of that ticket: open while it is,
naming it, with its agency and expected time, and closed with its reply."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import Ticket
from routing.workflow import TicketState
from tests.open311.helpers import API_KEY, post_body

LAMP = {
    "service_code": "02.03.01",
    "address_string": "云江市江城区南湖街道翠苑社区解放路",
}


def _post(client: Any, description: str, email: str) -> tuple[str, str]:
    response = client.post(
        "/open311/v2/requests.json",
        data=post_body(description=description, email=email, phone=None, **LAMP),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    item = response.json[0]
    return item["service_request_id"], item["service_notice"]


def _one(client: Any, number: str) -> dict[str, Any]:
    response = client.get(f"/open311/v2/requests/{number}.json")
    assert response.status_code == 200
    item: dict[str, Any] = response.json[0]
    return item


def _ticket(number: str) -> Ticket:
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


def test_a_merged_request_stays_open_while_the_ticket_it_joined_is_open(client: Any) -> None:
    first, _ = _post(client, "解放路路灯不亮，晚上很黑", "a@example.com")
    second, notice = _post(client, "解放路路灯坏了，晚上很黑", "b@example.com")
    merged = _ticket(second)
    assert merged.triage_outcome == "merge"
    assert first in notice
    item = _one(client, second)
    parent = _one(client, first)
    assert item["status"] == "open"
    assert item["status_notes"].startswith(f"已并入工单 {first} 合并办理")
    assert item["agency_responsible"] == parent["agency_responsible"] is not None
    assert item["expected_datetime"] == parent["expected_datetime"] is not None
    opened = client.get("/open311/v2/requests.json?status=open").json
    closed = client.get("/open311/v2/requests.json?status=closed").json
    assert second in [i["service_request_id"] for i in opened]
    assert second not in [i["service_request_id"] for i in closed]


def test_a_merged_request_closes_with_the_ticket_it_joined_and_shows_its_reply(
    client: Any,
) -> None:
    first, _ = _post(client, "解放路路灯不亮，晚上很黑", "a@example.com")
    second, _ = _post(client, "解放路路灯坏了，晚上很黑", "b@example.com")
    parent = _ticket(first)
    parent.state = TicketState.CLOSED
    parent.closed_at = utcnow()
    parent.reply_text = "路灯已更换灯头，恢复照明。"
    db.session.flush()
    item = _one(client, second)
    assert item["status"] == "closed"
    assert "路灯已更换灯头" in item["status_notes"]
    closed = client.get("/open311/v2/requests.json?status=closed").json
    assert second in [i["service_request_id"] for i in closed]


def test_an_emergency_posted_online_tells_the_citizen_to_call_the_service(client: Any) -> None:
    number, notice = _post(client, "解放路一栋居民楼着火了，浓烟滚滚，楼上还有人", "c@example.com")
    assert "请立即拨打119（消防救援）" in notice
    assert "转接" not in notice
    # No public service request: anyone finds it closed, only the system that posted it (its
    # api_key) reads the notice again.
    assert client.get(f"/open311/v2/requests/{number}.json").json[0]["service_notice"] is None
    keyed = client.get(f"/open311/v2/requests/{number}.json?api_key={API_KEY}").json[0]
    assert keyed["service_notice"] == notice
