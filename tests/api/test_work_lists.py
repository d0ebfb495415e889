"""What the lists that people work from show: the most urgent waiting ticket first, names beside
codes, the clock that falls due next, a caller's whole history counted, and a ticket found by
the last digits of its number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from hotline.api import requesters
from tests.api.conftest import create


def first_due(clocks: dict[str, dict[str, str | None]]) -> dict[str, str | None]:
    """The running clock due first, read from the ticket's own clocks."""
    _, clock = min(
        (datetime.fromisoformat(str(c["due_at"])), name)
        for name, c in clocks.items()
        if c["due_at"] and not c["met_at"]
    )
    return {"clock": clock, "due_at": clocks[clock]["due_at"]}


UNROUTED: dict[str, Any] = {
    "matter_code": None,
    "area_code": None,
    "address": None,
    "text": "请问一下这个事情怎么办呢谢谢",
}


def test_the_manual_queue_lists_critical_then_urgent_then_normal_each_oldest_first(
    agent: FlaskClient, dispatcher: FlaskClient
) -> None:
    texts = (
        "请问一下这个事情怎么办",
        "我想问问那个情况咋整",
        "这个问题麻烦你们帮忙处理一下",
        "有个事情想请你们帮忙协调一下",
    )
    urgencies = ("normal", "critical", "urgent", "critical")
    made = [
        create(
            agent,
            urgency=urgency,
            **UNROUTED | {"text": text},
            requester={"name": "赵六", "phone": f"1370000009{n}"},
        )["number"]
        for n, (urgency, text) in enumerate(zip(urgencies, texts, strict=True))
    ]
    queue = dispatcher.get("/api/v1/queue/manual").get_json()["tickets"]
    ours = [t["number"] for t in queue if t["number"] in made]
    assert ours == [made[1], made[3], made[2], made[0]]


def test_a_listed_ticket_carries_names_beside_its_codes_and_its_next_due_clock(
    agent: FlaskClient, dispatcher: FlaskClient
) -> None:
    created = create(agent)
    assert created["lead_unit"] is not None
    items = dispatcher.get("/api/v1/tickets", query_string={"q": created["number"]}).get_json()
    item = items["items"][0]
    assert item["matter_name"] == "电梯故障"
    assert item["area_name"] == "翠苑社区"
    assert item["lead_unit_name"] == "市市场监督管理局"
    assert item["next_due"] == first_due(created["clocks"])


def test_the_ticket_itself_carries_the_names_and_the_next_due_clock(
    agent: FlaskClient,
) -> None:
    created = create(agent)
    detail = agent.get(f"/api/v1/tickets/{created['number']}").get_json()
    assert detail["matter_name"] == "电梯故障"
    assert detail["lead_unit_name"] == "市市场监督管理局"
    assert detail["next_due"] == first_due(detail["clocks"])
    assert detail["next_due"]["clock"] in ("sign", "contact")


def test_a_ticket_waiting_for_dispatch_has_no_due_clock_and_no_unit_name(
    agent: FlaskClient,
) -> None:
    created = create(agent, **UNROUTED)
    detail = agent.get(f"/api/v1/tickets/{created['number']}").get_json()
    assert detail["next_due"] is None
    assert detail["lead_unit_name"] is None and detail["matter_name"] is None


def test_a_callers_history_says_how_many_tickets_there_are_beyond_those_listed(
    agent: FlaskClient, monkeypatch: Any
) -> None:
    monkeypatch.setattr(requesters, "LOOKUP_LIMIT", 2)
    for text in ("小区电梯坏了", "楼下烧烤油烟大", "路灯不亮了"):
        create(agent, text=text, requester={"name": "王五", "phone": "13700000055"})
    found = agent.get("/api/v1/requesters/lookup", query_string={"phone": "13700000055"})
    body = found.get_json()
    assert len(body["tickets"]) == 2
    assert body["total"] == 3 and body["truncated"] is True
    assert body["open"] == 3


def test_a_ticket_is_found_by_the_last_six_digits_of_its_number(
    agent: FlaskClient, dispatcher: FlaskClient
) -> None:
    number = create(agent)["number"]
    tail = number.split("-")[1]
    for q in (tail, f"-{tail}"):
        items = dispatcher.get("/api/v1/tickets", query_string={"q": q}).get_json()["items"]
        assert number in [item["number"] for item in items], q
