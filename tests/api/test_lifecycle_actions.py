"""POST /api/v1/tickets/<id>/<action>: the whole lifecycle over HTTP, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import TicketEvent
from routing.triage import DuplicateMatch
from tests.api.conftest import API_KEY, create, login

SURVEY = {"reachable": True, "contacted": True, "solved": True, "satisfaction": "satisfied"}


def act(client: Any, ticket: dict[str, Any], action: str, body: Any = None, **kw: Any) -> Any:
    return client.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body or {}, **kw)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def pending(client: Any) -> dict[str, Any]:
    """A ticket no rule can route: it waits for a dispatcher."""
    ticket = create(client, area_code=None, address=None, requester=None)
    assert ticket["state"] == "pending_dispatch"
    return ticket


def test_a_ticket_goes_from_dispatch_to_close_over_http(
    client: Any, dispatcher: Any, district: Any, agent: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    signed = ok(act(district, ticket, "sign"))
    assert signed["state"] == "signed"
    assert signed["clocks"]["sign"]["met_at"] is not None
    assert ok(act(district, ticket, "contact", {"note": "已电话联系"}))["state"] == "handling"
    extended = ok(act(district, ticket, "extension", {"working_days": 3, "reason": "需协调维保"}))
    assert extended["extension"]["state"] == "requested"
    decided = ok(act(dispatcher, ticket, "extension/decision", {"approve": True}))
    assert decided["extension"]["state"] == "approved"
    assert ok(act(district, ticket, "reply", {"text": "电梯已修复"}))["state"] == "replied"
    assert ok(act(dispatcher, ticket, "review", {"approve": True}))["state"] == "reviewed"
    rated = ok(act(agent, ticket, "callback", SURVEY))
    assert rated["state"] == "rated"
    assert rated["rating"]["satisfaction"] == "satisfied"
    closed = ok(act(dispatcher, ticket, "close", {"note": "归档"}))
    assert closed["state"] == "closed"
    actions = [e["action"] for e in closed["events"]]
    assert actions[-8:] == [
        "sign",
        "contact",
        "request_extension",
        "approve_extension",
        "reply",
        "review",
        "callback",
        "close",
    ]


def test_a_satisfied_ticket_cannot_be_reopened_before_or_after_it_is_closed(
    client: Any, dispatcher: Any, district: Any, agent: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    ok(act(district, ticket, "sign"))
    ok(act(district, ticket, "contact"))
    ok(act(district, ticket, "reply", {"text": "已修复"}))
    ok(act(dispatcher, ticket, "review", {"approve": True}))
    ok(act(agent, ticket, "callback", SURVEY | {"satisfaction": "basically_satisfied"}))
    rated = act(dispatcher, ticket, "reopen", {"reason": "x"})
    assert rated.status_code == 422
    assert rated.get_json()["error"]["code"] == "not_reopenable"
    ok(act(dispatcher, ticket, "close"))
    closed = act(dispatcher, ticket, "reopen", {"reason": "x"})
    assert closed.status_code == 409


def test_an_unsatisfied_callback_for_the_units_fault_is_reopened(
    client: Any, dispatcher: Any, district: Any, agent: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    ok(act(district, ticket, "sign"))
    ok(act(district, ticket, "contact"))
    ok(act(district, ticket, "reply", {"text": "已修复"}))
    ok(act(dispatcher, ticket, "review", {"approve": True}))
    unsatisfied = SURVEY | {"solved": False, "satisfaction": "unsatisfied", "unit_fault": True}
    ok(act(agent, ticket, "callback", unsatisfied))
    reopened = ok(act(dispatcher, ticket, "reopen", {"reason": "诉求人反映电梯又坏了"}))
    assert reopened["state"] == "dispatched"
    assert reopened["reopen_count"] == 1


def test_units_do_not_see_the_rating(
    client: Any, dispatcher: Any, district: Any, agent: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    ok(act(district, ticket, "sign"))
    ok(act(district, ticket, "contact"))
    ok(act(district, ticket, "reply", {"text": "已修复"}))
    ok(act(dispatcher, ticket, "review", {"approve": True}))
    ok(act(agent, ticket, "callback", SURVEY))
    seen = district.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert seen["rating"] is None
    callback = next(e for e in seen["events"] if e["action"] == "callback")
    assert callback["payload"] == {}


def test_a_return_is_arbitrated_and_sent_to_the_suggested_unit(
    client: Any, dispatcher: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    returned = ok(
        act(
            district,
            ticket,
            "return",
            {
                "reason": "电梯属特种设备",
                "legal_basis": "特种设备安全法",
                "suggested_unit": "C-SCJGJ",
            },
        )
    )
    assert returned["state"] == "returned"
    arbitrated = ok(act(dispatcher, ticket, "arbitrate", {"approve": True, "lead": "C-SCJGJ"}))
    assert arbitrated["state"] == "dispatched"
    assert arbitrated["lead_unit"] == "C-SCJGJ"
    # The ticket shows the arbitration's decision; the catalogue's stays in the events.
    assert arbitrated["dispatch"]["lead_unit"] == "C-SCJGJ"
    assert arbitrated["dispatch"]["entry_id"] is None
    assert "派单异议审核" in arbitrated["dispatch"]["reason"]
    last = arbitrated["events"][-1]
    assert last["payload"]["replaced_decision"]["lead_unit"] == "D990102"
    assert district.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404


def test_a_return_without_its_legal_basis_is_a_validation_error(
    client: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    response = act(
        district, ticket, "return", {"reason": "不属于本单位", "suggested_unit": "C-ZJJ"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["field"] == "legal_basis"


def test_a_dispatcher_dispatches_redispatches_and_an_assist_replies_its_part(
    client: Any, dispatcher: Any, app: Any, no_catalogue: None
) -> None:
    ticket = pending(client)
    sent = ok(act(dispatcher, ticket, "dispatch", {"lead": "C-ZJJ", "assists": ["S990102001"]}))
    assert sent["state"] == "dispatched"
    assert sent["assist_units"] == ["S990102001"]
    assistant = login(app.test_client(), "u-s990102001")
    part = ok(act(assistant, ticket, "reply-part", {"text": "街道已配合现场核查"}))
    assert part["events"][-1]["action"] == "reply_part"
    moved = ok(act(dispatcher, ticket, "redispatch", {"lead": "C-CGJ", "reason": "属城市管理范畴"}))
    assert moved["lead_unit"] == "C-CGJ"


def test_a_waiting_ticket_can_be_answered_or_merged(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    answered = pending(client)
    body = ok(act(dispatcher, answered, "answer", {"text": "已电话解答"}))
    assert body["state"] == "closed"
    assert body["reply_text"] == "已电话解答"
    assert body["triage"] == body["triage"] | {
        "outcome": "answer",
        "reason": "坐席直接答复，未派单",
    }
    target = create(client, text="小区门口路灯不亮已经一周", matter_code=None, requester=None)
    folded = create(
        client,
        text="公园健身器材损坏无人维修",
        matter_code=None,
        area_code=None,
        address=None,
        requester=None,
    )
    unrelated = act(dispatcher, folded, "merge", {"into": target["number"]})
    assert unrelated.status_code == 422
    assert unrelated.get_json()["error"]["code"] == "merge_unrelated"
    assert "同一诉求人" in unrelated.get_json()["error"]["message"]
    body = {"into": target["number"], "override": True, "reason": "诉求人确认是同一问题"}
    merged = ok(act(dispatcher, folded, "merge", body))
    assert merged["state"] == "closed"
    assert merged["parent"] == target["number"]
    assert merged["duplicate_of"] == target["number"]
    assert merged["triage"]["reason"].startswith("人工强制并单")


def test_a_redispatch_that_changes_nothing_is_422_and_keeps_the_clocks(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    response = act(dispatcher, ticket, "redispatch", {"lead": "D990102", "reason": "重派"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "redispatch_unchanged" and "相同" in error["message"]
    detail = dispatcher.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert detail["clocks"] == ticket["clocks"]


def test_the_centre_cannot_be_made_lead_or_assisting_unit(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    waiting = pending(client)
    response = act(dispatcher, waiting, "dispatch", {"lead": "CENTRE"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unit_cannot_handle"
    assisted = act(dispatcher, waiting, "dispatch", {"lead": "C-ZJJ", "assists": ["CENTRE"]})
    assert assisted.status_code == 422
    assert dispatcher.get(f"/api/v1/tickets/{waiting['id']}").get_json()["state"] == (
        "pending_dispatch"
    )


def test_after_a_rejected_return_the_unit_cannot_return_the_ticket_again(
    client: Any, dispatcher: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    body = {
        "reason": "电梯属特种设备",
        "legal_basis": "特种设备安全法",
        "suggested_unit": "C-SCJGJ",
    }
    ok(act(district, ticket, "return", body))
    ok(act(dispatcher, ticket, "arbitrate", {"approve": False, "note": "属地管理"}))
    again = act(district, ticket, "return", body)
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "return_already_arbitrated"
    itself = act(district, ticket, "return", body | {"suggested_unit": "D990102"})
    assert itself.status_code == 422


def test_urge_supervise_and_escalate_reach_the_lead_unit(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    ok(act(dispatcher, ticket, "urge", {"note": "请尽快处理"}))
    ok(act(dispatcher, ticket, "supervise", {"note": "限期办结"}))
    escalated = ok(act(dispatcher, ticket, "escalate", {"reason": "群众反映强烈"}))
    assert escalated["escalated"] is True
    assert [e["action"] for e in escalated["events"]][-3:] == ["urge", "supervise", "escalate"]


def test_an_illegal_transition_is_409_and_changes_nothing(
    client: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    response = act(district, ticket, "reply", {"text": "已处理"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "illegal_transition"
    count = db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket["id"])
    )
    assert count == 2


def test_signing_twice_is_409(client: Any, district: Any, no_catalogue: None) -> None:
    ticket = create(client)
    ok(act(district, ticket, "sign"))
    assert act(district, ticket, "sign").status_code == 409


def test_a_body_less_action_without_a_content_type_reads_as_an_empty_body(
    client: Any, district: Any, no_catalogue: None
) -> None:
    # What `curl -X POST .../sign` sends: no body, no Content-Type.
    ticket = create(client)
    response = district.post(f"/api/v1/tickets/{ticket['id']}/sign")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "signed"


def test_a_unit_may_not_take_a_centre_action(
    client: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    response = act(district, ticket, "urge", {"note": "自己催自己"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_another_unit_may_not_sign_someone_elses_ticket(
    client: Any, other_unit: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    # Not its ticket: as on GET, it does not exist for that unit (a 403 would say it does).
    assert act(other_unit, ticket, "sign").status_code == 404


def test_an_integration_may_not_sign(client: Any, no_catalogue: None) -> None:
    ticket = create(client)
    assert act(client, ticket, "sign", headers=API_KEY).status_code == 403


def test_a_domain_rule_broken_is_422(client: Any, district: Any, no_catalogue: None) -> None:
    ticket = create(client)
    ok(act(district, ticket, "sign"))
    response = act(district, ticket, "extension", {"working_days": 99, "reason": "太忙"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "extension_too_long"


def test_dispatching_to_an_unknown_unit_is_an_unknown_code_and_writes_nothing(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    ticket = pending(client)
    response = act(dispatcher, ticket, "dispatch", {"lead": "NOPE"})
    # As an unknown code at intake: 422, not the 404 that says the ticket does not exist.
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unknown_code"
    detail = dispatcher.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert detail["state"] == "pending_dispatch"
    assert len(detail["events"]) == 1


def test_action_bodies_are_validated(client: Any, dispatcher: Any, no_catalogue: None) -> None:
    ticket = create(client)
    bad = act(dispatcher, ticket, "callback", {"reachable": "perhaps"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["details"]["field"] == "reachable"
    assert act(dispatcher, ticket, "urge", {"volume": 11}).status_code == 400
    form = dispatcher.post(f"/api/v1/tickets/{ticket['id']}/urge", data={"note": "x"})
    assert form.status_code == 415
    broken = dispatcher.post(
        f"/api/v1/tickets/{ticket['id']}/urge", data="{", content_type="application/json"
    )
    assert broken.get_json()["error"]["code"] == "invalid_json"


def test_an_action_on_an_unknown_ticket_is_404(dispatcher: Any) -> None:
    assert dispatcher.post("/api/v1/tickets/424242/urge", json={}).status_code == 404


def test_actions_need_credentials(client: Any, no_catalogue: None) -> None:
    ticket = create(client)
    assert client.post(f"/api/v1/tickets/{ticket['id']}/sign", json={}).status_code == 401


def test_a_repeat_found_just_before_its_ticket_was_merged_joins_where_it_went(
    client: Any, dispatcher: Any, no_catalogue: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lookup found the first ticket open; a merge into another committed before the
    # repeat locked it (played here by answering the lookup with the first ticket as it was).
    caller = {"name": "李四", "phone": "13700001111"}
    first = create(client, requester=caller)
    other = create(client, text="小区门口路灯不亮已经一周", requester=None)
    body = {"into": other["number"], "override": True, "reason": "诉求人确认是同一问题"}
    ok(act(dispatcher, first, "merge", body))
    found = DuplicateMatch(first["id"], first["number"], 1.0, "同一诉求人重复反映", open=True)
    monkeypatch.setattr("hotline.intake.find_duplicate", lambda *args, **kwargs: found)
    again = create(client, requester=caller)
    assert again["triage"]["outcome"] == "merge"
    assert again["parent"] == other["number"]


def test_a_repeat_merged_at_intake_is_split_off_and_dispatched_on_its_own(
    client: Any, dispatcher: Any, district: Any, no_catalogue: None
) -> None:
    first = create(client)
    repeat = create(client, text="小区电梯坏了三天还没修，另外3栋的电梯也坏了")
    assert repeat["duplicate_of"] == first["number"]
    assert ok(client.get(f"/api/v1/tickets/{first['id']}", headers=API_KEY))["repeat_count"] == 1

    missing_reason = act(dispatcher, repeat, "split", {})
    assert missing_reason.status_code == 400
    assert act(district, repeat, "split", {"reason": "不是同一部电梯"}).status_code in (403, 404)

    split = ok(act(dispatcher, repeat, "split", {"reason": "不是同一部电梯"}))
    assert split["state"] == "pending_dispatch"
    assert (split["parent"], split["duplicate_of"]) == (None, None)
    assert split["triage"]["outcome"] == "dispatch"
    assert split["events"][-1]["action"] == "split"
    assert split["events"][-1]["payload"] == {"from": first["number"], "reason": "不是同一部电梯"}

    parent = ok(client.get(f"/api/v1/tickets/{first['id']}", headers=API_KEY))
    assert parent["repeat_count"] == 0
    assert parent["events"][-1]["payload"]["split"] == repeat["number"]
    assert parent["state"] == first["state"]

    dispatched = ok(act(dispatcher, repeat, "dispatch", {"lead": "C-ZJJ"}))
    assert dispatched["state"] == "dispatched"
    # Split once, it is no repeat any more.
    again = act(dispatcher, repeat, "split", {"reason": "再拆一次"})
    assert again.status_code == 409


def test_a_ticket_merged_by_hand_after_its_dispatch_is_split_off_undispatched(
    client: Any, dispatcher: Any, district: Any, no_catalogue: None
) -> None:
    target = create(client)
    folded = create(client, text="公园健身器材损坏无人维修", requester=None)
    assert folded["state"] == "dispatched"
    body = {"into": target["number"], "override": True, "reason": "诉求人确认是同一问题"}
    ok(act(dispatcher, folded, "merge", body))
    split = ok(act(dispatcher, folded, "split", {"reason": "核实后不是同一问题"}))
    assert split["state"] == "pending_dispatch"
    assert split["lead_unit"] is None and split["assist_units"] == []
    assert all(clock["due_at"] is None for clock in split["clocks"].values())
    assert split["events"][-1]["payload"]["left_unit"] == folded["lead_unit"]
    # The unit it had left does not hold it any more.
    assert district.get(f"/api/v1/tickets/{folded['id']}").status_code == 404


def test_only_a_repeat_can_be_split(client: Any, dispatcher: Any, no_catalogue: None) -> None:
    answered = pending(client)
    ok(act(dispatcher, answered, "answer", {"text": "已电话解答"}))
    refused = act(dispatcher, answered, "split", {"reason": "误操作"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "not_a_repeat"
    still_open = create(client, text="公园健身器材损坏无人维修", requester=None)
    assert act(dispatcher, still_open, "split", {"reason": "误操作"}).status_code == 409


def test_the_same_facts_refused_after_closing_can_be_split_off_too(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    first = create(client, area_code=None, address=None)
    assert first["state"] == "pending_dispatch"
    ok(act(dispatcher, first, "answer", {"text": "已电话解答"}))
    refused = create(client, area_code=None, address=None)
    assert (refused["triage"]["outcome"], refused["duplicate_of"]) == (
        "not_accepted",
        first["number"],
    )
    split = ok(act(dispatcher, refused, "split", {"reason": "诉求人说问题又出现了"}))
    assert (split["state"], split["duplicate_of"]) == ("pending_dispatch", None)
