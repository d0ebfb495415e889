"""POST /api/v1/tickets: intake over HTTP, routing, clocks and Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import IdempotencyRecord, Ticket
from tests.api.conftest import API_KEY, ELEVATOR, create


def test_an_appeal_in_jiangcheng_without_a_catalogue_falls_back_to_the_district_government(
    client: Any, no_catalogue: None
) -> None:
    body = create(client)
    assert body["state"] == "dispatched"
    assert body["number"]
    assert body["triage"]["outcome"] == "dispatch"
    assert body["dispatch"]["lead_unit"] == "D990102"
    assert body["dispatch"]["fallback"] == "district_government"
    assert body["dispatch"]["catalogue_version"] in (None, 0)
    assert body["lead_unit"] == "D990102"
    assert body["classification"]["matter_code"] == "01.01.01"
    assert body["duplicate_of"] is None


def test_a_created_ticket_carries_running_clocks(client: Any, no_catalogue: None) -> None:
    body = create(client)
    clocks = body["clocks"]
    assert set(clocks) == {"sign", "contact", "handle", "callback"}
    for name in ("sign", "handle"):
        assert clocks[name]["due_at"] is not None
        assert clocks[name]["met_at"] is None
        assert clocks[name]["breached_at"] is None
    assert clocks["callback"]["due_at"] is None
    assert isinstance(body["due_provisional"], bool)


def test_an_active_catalogue_entry_routes_the_elevator_to_market_regulation(
    client: Any, elevator_catalogue: None
) -> None:
    body = create(client)
    assert body["dispatch"]["lead_unit"] == "C-SCJGJ"
    assert body["dispatch"]["entry_id"] == "E-API"
    assert body["dispatch"]["fallback"] == "none"


def test_the_creation_answer_holds_no_personal_data(client: Any, no_catalogue: None) -> None:
    body = create(client)
    assert body["requester"]["masked"] is True
    assert body["requester"]["phone"] is None
    assert body["address"] is None
    assert "张三" not in str(body)


def test_an_emergency_is_transferred_and_never_dispatched(client: Any, no_catalogue: None) -> None:
    body = create(client, text="楼下着火了，浓烟很大，有人被困", matter_code=None)
    assert body["triage"]["outcome"] == "emergency"
    assert body["state"] == "closed"
    assert body["dispatch"] is None


def test_a_transfer_on_the_emergency_models_reading_says_how_sure_it_was(
    client: Any, no_catalogue: None
) -> None:
    body = create(client, text="手腕割了 血在喷", matter_code=None)
    assert body["triage"]["outcome"] == "emergency"
    assert body["triage"]["service"] == "120"
    assert 0.8 <= body["triage"]["model_probability"] <= 1
    ruled = create(client, text="楼下着火了，浓烟很大，有人被困", matter_code=None)
    assert ruled["triage"]["model_probability"] is None


def test_an_appeal_answered_at_intake_is_closed_with_the_answer(
    client: Any, no_catalogue: None
) -> None:
    body = create(
        client,
        text="请问社保卡丢失了怎么补办",
        matter_code=None,
        area_code=None,
        requester=None,
        answer="携带身份证到任一社保网点即可补办。",
    )
    assert body["triage"]["outcome"] == "answer"
    assert body["state"] == "closed"
    assert body["reply_text"] == "携带身份证到任一社保网点即可补办。"


def test_an_answer_given_to_a_caller_who_is_then_transferred_is_kept_on_the_ticket(
    client: Any, no_catalogue: None
) -> None:
    body = create(
        client,
        text="我家老人突然晕倒了，叫不醒",
        matter_code=None,
        answer="已告知马上拨打120",
    )
    assert body["triage"]["outcome"] == "emergency"
    assert body["triage"]["agent_answer"] == "已告知马上拨打120"
    stored = client.get(f"/api/v1/tickets/{body['id']}", headers=API_KEY).get_json()
    assert stored["triage"]["agent_answer"] == "已告知马上拨打120"
    assert stored["events"][0]["payload"]["agent_answer"] == "已告知马上拨打120"


def test_the_same_appeal_again_is_linked_to_the_first(client: Any, no_catalogue: None) -> None:
    first = create(client)
    second = create(client)
    assert second["duplicate_of"] == first["number"]
    assert second["triage"]["outcome"] == "merge"


def test_two_neighbours_unpaid_wages_are_two_claims_not_one(
    client: Any, no_catalogue: None
) -> None:
    wages = {"matter_code": "05.01.01", "address": None}
    first = create(
        client,
        text="我在工地干了三个月活，老板一直拖欠工资不给，找了好几次都不给",
        **wages,
    )
    neighbour = create(
        client,
        text="我在饭店打工，老板拖欠了我两个月工资不给",
        requester={"name": "李四", "phone": "13900139000"},
        **wages,
    )
    assert (first["duplicate_of"], neighbour["duplicate_of"]) == (None, None)
    # The same worker again is still one claim.
    again = create(client, text="老板拖欠我三个月的工资还是不给", **wages)
    assert again["duplicate_of"] == first["number"]


def test_one_phone_reporting_from_two_streets_is_two_appeals(
    client: Any, no_catalogue: None
) -> None:
    lamp = {"matter_code": "02.03.01", "address": None}
    first = create(client, text="路口的路灯不亮了，晚上黑乎乎的", area_code="990102001001", **lamp)
    elsewhere = create(
        client, text="路口那盏路灯不亮，晚上黑乎乎的", area_code="990102002001", **lamp
    )
    assert (first["duplicate_of"], elsewhere["duplicate_of"]) == (None, None)
    told_again = create(client, text="路口那盏路灯还是不亮", area_code="990102001001", **lamp)
    assert told_again["duplicate_of"] == first["number"]


def test_a_console_agent_may_create_and_is_the_recorded_actor(
    agent: Any, no_catalogue: None
) -> None:
    response = agent.post("/api/v1/tickets", json=ELEVATOR)
    assert response.status_code == 201
    ticket = agent.get(f"/api/v1/tickets/{response.get_json()['id']}").get_json()
    assert ticket["events"][0]["actor_role"] == "agent"
    assert ticket["events"][0]["actor_name"] == "郑梦瑶"


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
    client: Any, no_catalogue: None
) -> None:
    headers = API_KEY | {"Idempotency-Key": "retry-1"}
    first = client.post("/api/v1/tickets", json=ELEVATOR, headers=headers)
    again = client.post("/api/v1/tickets", json=ELEVATOR, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_idempotency_record_is_stored_with_the_ticket(client: Any, no_catalogue: None) -> None:
    headers = API_KEY | {"Idempotency-Key": "stored-1"}
    body = client.post("/api/v1/tickets", json=ELEVATOR, headers=headers).get_json()
    record = db.session.scalars(select(IdempotencyRecord)).one()
    assert record.key == "stored-1"
    assert record.scope.startswith("key:")
    assert record.response_status == 201
    assert record.response_body["number"] == body["number"]


def test_the_same_idempotency_key_with_another_body_is_a_conflict(
    client: Any, no_catalogue: None
) -> None:
    headers = API_KEY | {"Idempotency-Key": "retry-2"}
    client.post("/api/v1/tickets", json=ELEVATOR, headers=headers)
    other = client.post(
        "/api/v1/tickets", json=ELEVATOR | {"text": "另一件事：路灯不亮"}, headers=headers
    )
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "idempotency_conflict"
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_idempotency_keys_are_scoped_to_the_caller(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    headers = API_KEY | {"Idempotency-Key": "shared"}
    client.post("/api/v1/tickets", json=ELEVATOR, headers=headers)
    mine = agent.post(
        "/api/v1/tickets",
        json=ELEVATOR | {"text": "路口红绿灯坏了", "matter_code": None},
        headers={"Idempotency-Key": "shared"},
    )
    assert mine.status_code == 201
    assert "Idempotent-Replayed" not in mine.headers


def test_a_second_ticket_with_the_same_external_id_is_refused(
    client: Any, no_catalogue: None
) -> None:
    create(client, external_id="APP-1")
    again = client.post(
        "/api/v1/tickets",
        json=ELEVATOR | {"external_id": "APP-1", "text": "路灯不亮"},
        headers=API_KEY,
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate_external_id"


def test_an_external_id_that_a_concurrent_request_took_first_is_a_409_not_a_500(
    client: Any, no_catalogue: None, monkeypatch: Any
) -> None:
    # The race: this request's check ran before the other request committed the same id.
    from hotline.api import tickets

    create(client, external_id="APP-2")
    checked = tickets._refuse_duplicate_external_id
    calls: list[int] = []

    def check_too_early(data: dict[str, Any]) -> None:
        calls.append(1)
        if len(calls) > 1:
            checked(data)

    monkeypatch.setattr(tickets, "_refuse_duplicate_external_id", check_too_early)
    again = client.post(
        "/api/v1/tickets",
        json=ELEVATOR | {"external_id": "APP-2", "text": "路灯不亮"},
        headers=API_KEY,
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate_external_id"
    assert len(calls) == 2
    count = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.external_id == "APP-2")
    )
    assert count == 1


def _without_area(**fields: Any) -> dict[str, Any]:
    body = {key: value for key, value in ELEVATOR.items() if key != "area_code"}
    return body | fields


def test_an_address_without_an_area_code_gives_the_area_it_names(
    client: Any, no_catalogue: None
) -> None:
    response = client.post("/api/v1/tickets", json=_without_area(), headers=API_KEY)
    assert response.status_code == 201
    assert response.get_json()["area_code"] == "990102001001"


def test_an_appeal_naming_its_street_and_community_in_the_text_gets_that_area(
    client: Any, no_catalogue: None
) -> None:
    body = _without_area(address=None, text="南湖街道翠苑社区东门有人占道经营，堵住了路")
    response = client.post("/api/v1/tickets", json=body, headers=API_KEY)
    assert response.get_json()["area_code"] == "990102001001"


def test_a_district_named_in_passing_in_the_text_is_too_coarse_to_be_the_area(
    client: Any, no_catalogue: None
) -> None:
    body = _without_area(address=None, text="江城区的电梯都该查一查，我们楼的坏了三天")
    response = client.post("/api/v1/tickets", json=body, headers=API_KEY)
    assert response.get_json()["area_code"] is None


def test_a_rest_intake_in_the_last_days_of_the_calendar_is_accepted_not_lost(
    client: Any, no_catalogue: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thu 2027-12-30 10:00 in Shanghai: a 5-working-day limit ends in 2028, a year unknown.
    last_days = datetime(2027, 12, 30, 2, 0, tzinfo=UTC)
    monkeypatch.setattr("hotline.intake.utcnow", lambda: last_days)
    body = create(client)
    assert body["state"] == "dispatched"
    assert body["clocks"]["handle"]["due_at"] is None
    assert body["due_provisional"] is True


def test_the_accept_event_alone_says_what_the_statistics_group_by(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(client, source_line="12315", urgency="urgent")
    accept = agent.get(f"/api/v1/tickets/{created['id']}").get_json()["events"][0]
    assert accept["action"] == "accept"
    payload = accept["payload"]
    assert payload["matter_code"] == created["matter_code"] == "01.01.01"
    assert payload["area_code"] == created["area_code"]
    assert (payload["channel"], payload["source_line"]) == (created["channel"], "12315")
    assert (payload["appeal_type"], payload["urgency"]) == (created["appeal_type"], "urgent")
    assert payload["anonymous"] is False
