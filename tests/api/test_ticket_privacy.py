"""GET /api/v1/tickets/<id> and /requesters/lookup: the timeline, masking by role, the audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.models import PersonalDataAccess, Ticket
from tests.api.conftest import API_KEY, create
from tests.factories import AGENT


def _audits() -> list[PersonalDataAccess]:
    return list(db.session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)))


def test_the_detail_holds_the_event_timeline(client: Any, agent: Any, no_catalogue: None) -> None:
    created = create(client)
    body = agent.get(f"/api/v1/tickets/{created['id']}").get_json()
    events = body["events"]
    assert [e["seq"] for e in events] == [1, 2]
    assert [e["action"] for e in events] == ["accept", "dispatch"]
    assert events[0]["from_state"] is None
    assert events[0]["to_state"] == "pending_dispatch"
    assert events[1]["to_state"] == "dispatched"
    assert events[1]["actor_role"] == "system"
    assert set(events[0]) == {
        "seq",
        "action",
        "actor_name",
        "actor_role",
        "from_state",
        "to_state",
        "payload",
        "at",
    }


def test_a_ticket_can_be_read_by_its_number(client: Any, agent: Any, no_catalogue: None) -> None:
    created = create(client)
    body = agent.get(f"/api/v1/tickets/{created['number']}").get_json()
    assert body["id"] == created["id"]


def test_an_agent_sees_the_requester_and_the_view_is_audited(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(client)
    requester = agent.get(f"/api/v1/tickets/{created['id']}").get_json()["requester"]
    assert requester["masked"] is False
    assert requester["name"] == "张三"
    assert requester["phone"] == "+8613800138000"
    assert requester["id_number"] == "110101199001011234"
    audits = _audits()
    assert len(audits) == 1
    assert audits[0].ticket_id == created["id"]
    assert audits[0].user_id is not None
    assert audits[0].actor == "郑梦瑶"
    assert audits[0].purpose == "ticket_view"


def test_every_view_writes_its_own_audit_row(client: Any, agent: Any, no_catalogue: None) -> None:
    created = create(client)
    agent.get(f"/api/v1/tickets/{created['id']}")
    agent.get(f"/api/v1/tickets/{created['id']}")
    assert len(_audits()) == 2


def test_the_lead_unit_never_sees_the_requesters_identity(
    client: Any, district: Any, no_catalogue: None
) -> None:
    created = create(client)
    body = district.get(f"/api/v1/tickets/{created['id']}").get_json()
    requester = body["requester"]
    assert requester["masked"] is True
    assert requester["name"] is None
    assert requester["phone"] is None
    assert requester["phone_masked"] is None
    assert requester["id_number"] is None
    assert body["address"] is None
    assert "张三" not in str(body) and "13800138000" not in str(body)
    assert _audits() == []


def test_numbers_the_requester_typed_into_the_appeal_are_masked_for_units_and_systems(
    client: Any, agent: Any, district: Any, no_catalogue: None
) -> None:
    text = "小区电梯坏了三天，请联系我13911112222，身份证330102199001011234"
    created = create(client, text=text)
    path = f"/api/v1/tickets/{created['id']}"
    ticket = db.session.get(Ticket, created["id"])
    assert ticket is not None
    lifecycle.add_note(db.session, ticket, AGENT, "来电补充：备用电话13822223333")
    db.session.commit()
    for view in (district.get(path).get_json(), client.get(path, headers=API_KEY).get_json()):
        assert "小区电梯坏了三天" in view["text"]
        assert "13911112222" not in str(view) and "330102199001011234" not in str(view)
        assert "13822223333" not in str(view)
    by_agent = agent.get(path).get_json()
    assert by_agent["text"] == text
    assert "13822223333" in str(by_agent["events"])


def test_the_lead_unit_sees_the_place_only_where_the_citizen_published_it(
    client: Any, district: Any, no_catalogue: None
) -> None:
    place = {"address": "南湖路 18 号路灯杆", "location": {"lat": 30.27, "long": 120.15}}
    phoned = create(client, channel="phone", **place)
    posted = create(
        client,
        channel="open311",
        text="南湖路 18 号的路灯杆被车撞歪了，灯也不亮",
        matter_code="02.03.01",
        requester={"name": "王五", "phone": "13700137000"},
        **place,
    )
    assert posted["duplicate_of"] is None

    by_phone = district.get(f"/api/v1/tickets/{phoned['id']}").get_json()
    on_open311 = district.get(f"/api/v1/tickets/{posted['id']}").get_json()

    assert (by_phone["address"], by_phone["location"]) == (None, None)
    assert on_open311["address"] == "南湖路 18 号路灯杆"
    assert on_open311["location"] == {"lat": 30.27, "long": 120.15}
    assert on_open311["requester"]["phone"] is None


def test_a_report_hides_the_requester_even_from_agents(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(
        client, appeal_type="report", text="某饭店后厨卫生极差，老鼠乱窜，举报", matter_code=None
    )
    body = agent.get(f"/api/v1/tickets/{created['id']}").get_json()
    requester = body["requester"]
    assert requester["masked"] is True
    assert requester["confidential"] is True
    assert requester["name"] is None
    assert requester["phone_masked"] == "138****8000"
    assert body["address"] is None
    assert _audits() == []


def test_a_confidential_request_hides_the_requester_from_agents(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(
        client, requester={"name": "李四", "phone": "13900139000", "confidential": True}
    )
    requester = agent.get(f"/api/v1/tickets/{created['id']}").get_json()["requester"]
    assert requester["name"] is None
    assert requester["phone_masked"] == "139****9000"


def test_an_agent_reveals_a_report_requesters_contact_for_a_callback_and_it_is_audited(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(client, appeal_type="report", text="某饭店后厨卫生极差，老鼠乱窜，举报")
    response = agent.post(
        f"/api/v1/tickets/{created['id']}/requester/reveal",
        json={"purpose": "callback", "reason": "次日回访"},
    )
    assert response.status_code == 200, response.get_json()
    requester = response.get_json()["requester"]
    assert (requester["phone"], requester["name"]) == ("+8613800138000", "张三")
    assert requester["confidential"] is True
    [row] = _audits()
    assert (row.purpose, row.reason, row.ticket_id) == (
        "reveal:callback",
        "次日回访",
        created["id"],
    )
    # The ordinary view stays masked: revealing is the exception, asked for each time.
    again = agent.get(f"/api/v1/tickets/{created['id']}").get_json()["requester"]
    assert again["masked"] is True and again["phone"] is None


def test_a_unit_or_an_integration_cannot_reveal_a_requester(
    client: Any, district: Any, no_catalogue: None
) -> None:
    created = create(client, appeal_type="report", text="某饭店后厨卫生极差，老鼠乱窜，举报")
    body = {"purpose": "relay", "reason": "需要联系"}
    path = f"/api/v1/tickets/{created['id']}/requester/reveal"
    assert district.post(path, json=body).status_code == 403
    assert client.post(path, json=body, headers=API_KEY).status_code == 403
    assert _audits() == []


def test_revealing_needs_a_known_purpose_and_a_reason(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(client, appeal_type="report", text="某饭店后厨卫生极差，老鼠乱窜，举报")
    path = f"/api/v1/tickets/{created['id']}/requester/reveal"
    assert agent.post(path, json={"purpose": "curiosity", "reason": "看看"}).status_code == 400
    assert agent.post(path, json={"purpose": "callback"}).status_code == 400
    assert _audits() == []


def test_an_anonymous_ticket_has_no_contact_to_reveal(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(client, requester={"anonymous": True})
    response = agent.post(
        f"/api/v1/tickets/{created['id']}/requester/reveal",
        json={"purpose": "callback", "reason": "次日回访"},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "no_requester"


def test_another_unit_cannot_see_the_ticket(
    client: Any, other_unit: Any, no_catalogue: None
) -> None:
    created = create(client)
    assert other_unit.get(f"/api/v1/tickets/{created['id']}").status_code == 404


def test_a_lookup_by_phone_finds_earlier_tickets_newest_first_and_audits(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    first = create(client)
    second = create(client, text="楼下餐馆油烟太大，家里窗户都不敢开", matter_code=None)
    create(
        client, text="公交站台顶棚破损漏雨", matter_code=None, requester={"phone": "13912345678"}
    )
    response = agent.get("/api/v1/requesters/lookup?phone=+86 138-0013-8000")
    assert response.status_code == 200
    body = response.get_json()
    assert body["phone_masked"] == "138****8000"
    assert [t["number"] for t in body["tickets"]] == [second["number"], first["number"]]
    assert body["tickets"][0]["requester"]["name"] == "张三"
    assert {a.purpose for a in _audits()} == {"requester_lookup"}
    assert len(_audits()) == 2


def test_a_lookup_with_a_malformed_phone_is_400_naming_the_field(agent: Any) -> None:
    response = agent.get("/api/v1/requesters/lookup?phone=12ab")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_phone"
    assert error["details"]["field"] == "phone"


def test_a_lookup_without_a_phone_is_400(agent: Any) -> None:
    assert agent.get("/api/v1/requesters/lookup").status_code == 400


def test_units_and_integrations_may_not_look_requesters_up(client: Any, district: Any) -> None:
    query = "/api/v1/requesters/lookup?phone=13800138000"
    assert district.get(query).status_code == 403
    assert client.get(query, headers=API_KEY).status_code == 403


def test_another_system_reads_no_word_of_a_report_but_staff_and_units_do(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    text = "某饭店后厨卫生极差，老鼠乱窜，举报"
    created = create(client, appeal_type="report", text=text, matter_code=None)
    path = f"/api/v1/tickets/{created['id']}"

    by_key = client.get(path, headers=API_KEY).get_json()
    assert text not in str(by_key)
    assert by_key["text"].startswith("（举报或诉求人要求保密")
    assert all(event["payload"] == {} for event in by_key["events"])
    listed = client.get("/api/v1/tickets", headers=API_KEY).get_json()["items"]
    assert [item["title"] for item in listed if item["id"] == created["id"]] == [None]
    found = client.get("/api/v1/tickets?q=老鼠乱窜", headers=API_KEY).get_json()["items"]
    assert found == []

    assert agent.get(path).get_json()["text"] == text
    assert agent.get("/api/v1/tickets?q=老鼠乱窜").get_json()["items"][0]["id"] == created["id"]


def test_a_ticket_number_finds_its_ticket_in_the_list(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    created = create(client)
    items = agent.get(f"/api/v1/tickets?q={created['number']}").get_json()["items"]
    assert [item["id"] for item in items] == [created["id"]]


def test_a_voicemail_recording_is_the_centres_to_hear(
    client: Any, agent: Any, district: Any, no_catalogue: None
) -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "a" * 32
    created = create(client, text=f"电话留言待转写，请听取录音：{url}")
    path = f"/api/v1/tickets/{created['id']}"
    assert url not in str(district.get(path).get_json())
    assert "录音仅限热线中心听取" in district.get(path).get_json()["text"]
    assert url in agent.get(path).get_json()["text"]


def test_what_the_agent_told_the_caller_is_read_by_other_systems_without_his_number(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    answer = "已告知拨打120，并记下他的电话13977776666"
    created = create(client, text="我家老人突然晕倒了，叫不醒", matter_code=None, answer=answer)
    path = f"/api/v1/tickets/{created['id']}"
    by_system = client.get(path, headers=API_KEY).get_json()
    assert by_system["triage"]["agent_answer"].startswith("已告知拨打120")
    assert "13977776666" not in str(by_system)
    assert agent.get(path).get_json()["triage"]["agent_answer"] == answer


def test_the_unit_reads_what_a_merged_repeat_added_masked_and_never_a_confidential_one(
    client: Any, district: Any, no_catalogue: None
) -> None:
    first = create(client)
    repeat = create(
        client,
        text="小区电梯坏了三天没人修，今天早上又把人困在里面半小时，联系我13911112222",
        urgency="urgent",
    )
    secret = create(
        client,
        text="小区电梯坏了三天没人修，物业经理收了维修款不干活",
        requester={"name": "王五", "phone": "13700137000", "confidential": True},
    )
    assert repeat["duplicate_of"] == first["number"] == secret["duplicate_of"]
    events = district.get(f"/api/v1/tickets/{first['id']}").get_json()["events"]
    links = [e["payload"] for e in events if e["action"] == "link"]
    told = next(p for p in links if p["number"] == repeat["number"])
    assert "今天早上又把人困在里面半小时" in told["text"]
    assert "13911112222" not in told["text"]
    assert told["urgency"] == "urgent"
    hidden = next(p for p in links if p["number"] == secret["number"])
    assert "text" not in hidden
