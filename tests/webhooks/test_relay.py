"""经中心联系诉求人: a unit texts the requester through the hotline's number without learning
who they are, and the requester's SMS reply comes back to the unit's ticket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline import lifecycle, opt_outs
from hotline.extensions import db
from hotline.models import Conversation, OutboxMessage, Ticket, TicketEvent
from hotline.phones import phone_key
from hotline.stale_messages import stale_reason
from tests.api.conftest import create, login
from tests.factories import DISPATCHER
from tests.twilio_support import post_signed
from tests.webhooks.test_sms import PATH, reply_text, sms
from workers.delivery import compose

PHONE = "+8613800138000"  # ELEVATOR's requester ("138 0013 8000"), as the SMS tests' sender
QUESTION = "请问电梯是几号楼几单元的？明天上午维保人员上门，家里有人吗？"


def signed_ticket(app: Flask, **fields: Any) -> tuple[Ticket, FlaskClient]:
    """A ticket led by 市市场监督管理局 (C-SCJGJ), signed by it, and its staff's client."""
    number = create(app.test_client(), **fields)["number"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert ticket.lead_unit_code == "C-SCJGJ"
    unit = login(app.test_client(), "u-c-scjgj")
    assert unit.post(f"/api/v1/tickets/{number}/sign", json={}).status_code == 200
    return ticket, unit


def relay(unit: FlaskClient, ticket: Ticket, text: str = QUESTION) -> Any:
    return unit.post(f"/api/v1/tickets/{ticket.number}/relay", json={"text": text})


def relayed_texts(ticket: Ticket) -> list[OutboxMessage]:
    db.session.flush()
    query = select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "sms_requester"
    )
    return [m for m in db.session.scalars(query) if m.payload.get("template") == "unit_relay"]


def test_a_units_relay_texts_the_requester_from_the_hotline(twilio_app: Flask) -> None:
    ticket, unit = signed_ticket(twilio_app)
    response = relay(unit, ticket)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert PHONE not in response.get_data(as_text=True)
    assert body["events"][-1]["action"] == "relay"
    (message,) = relayed_texts(ticket)
    contact, text = compose(message)
    assert contact.phone == PHONE
    assert text == (
        f"【12345】市市场监督管理局就您反映的问题（工单号 {ticket.number}）向您转达："
        f"{QUESTION}（如需回复，请直接回复本短信）"
    )


def test_the_requesters_sms_reply_joins_the_ticket_and_the_unit_is_told(
    twilio_app: Flask,
) -> None:
    ticket, unit = signed_ticket(twilio_app)
    relay(unit, ticket)
    answer = "3号楼2单元，明天上午我在家"
    response = post_signed(twilio_app.test_client(), PATH, sms(body=answer, sender=PHONE))
    assert reply_text(response) == f"【12345】您的回复已转达承办单位（工单 {ticket.number}）。"
    note = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "note")
        .order_by(TicketEvent.seq.desc())
    ).first()
    assert note is not None and note.payload["reply_to"] == "C-SCJGJ"
    assert note.payload["text"] == answer
    seen = unit.get(f"/api/v1/tickets/{ticket.number}").get_json()
    assert answer in [e["payload"].get("text") for e in seen["events"]]
    notices = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "notify_unit"
        )
    )
    told = [compose(m)[1] for m in notices if m.payload.get("unit_code") == "C-SCJGJ"]
    assert (
        f"【12345】工单 {ticket.number} 的诉求人已回复您单位经中心转达的消息，请登录系统查看。"
        in told
    )


def test_an_assisting_unit_may_relay_without_it_counting_as_the_leads_contact(
    twilio_app: Flask,
) -> None:
    ticket, _ = signed_ticket(twilio_app)
    lifecycle.redispatch(
        db.session, ticket, DISPATCHER, "C-SCJGJ", ("C-ZJJ",), reason="请住建局协助"
    )
    db.session.flush()
    helper = login(twilio_app.test_client(), "u-c-zjj")
    response = relay(helper, ticket, "我们是住建局，想了解电梯所在小区的物业公司名称")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["clocks"]["contact"]["met_at"] is None
    assert response.get_json()["state"] == "signed"


def test_a_report_of_wrongdoing_is_never_texted_on_a_units_behalf(twilio_app: Flask) -> None:
    ticket, unit = signed_ticket(twilio_app, appeal_type="report")
    response = relay(unit, ticket)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "relay_not_allowed"
    assert relayed_texts(ticket) == []


def test_an_opted_out_requester_is_not_texted_and_the_unit_is_told_to_ask_the_centre(
    twilio_app: Flask,
) -> None:
    ticket, unit = signed_ticket(twilio_app)
    opt_outs.record(db.session, str(phone_key(PHONE)), "TD", None)
    response = relay(unit, ticket)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "requester_opted_out" and "中心" in error["message"]


def test_a_unit_must_sign_before_it_relays_and_a_stranger_may_not(twilio_app: Flask) -> None:
    number = create(twilio_app.test_client())["number"]
    unit = login(twilio_app.test_client(), "u-c-scjgj")
    unsigned = unit.post(f"/api/v1/tickets/{number}/relay", json={"text": QUESTION})
    assert unsigned.status_code == 409
    stranger = login(twilio_app.test_client(), "u-c-zjj")
    assert stranger.post(f"/api/v1/tickets/{number}/relay", json={"text": "x"}).status_code == 404


@pytest.mark.parametrize(("text", "status"), [("", 400), ("   ", 400), ("长" * 301, 400)])
def test_an_empty_or_overlong_message_is_refused(twilio_app: Flask, text: str, status: int) -> None:
    ticket, unit = signed_ticket(twilio_app)
    response = relay(unit, ticket, text)
    assert response.status_code == status
    assert response.get_json()["error"]["details"]["field"] == "text"


def test_the_lead_units_first_relay_in_business_hours_is_its_contact(twilio_app: Flask) -> None:
    ticket, _ = signed_ticket(twilio_app)
    morning = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 Beijing, a Tuesday
    lifecycle.relay(db.session, ticket, _unit_actor(), text=QUESTION, at=morning)
    assert ticket.state == "handling" and ticket.contact_met_at == morning
    (message,) = relayed_texts(ticket)
    assert message.available_at == morning


def test_a_relay_made_at_night_goes_out_in_the_morning_and_is_not_yet_a_contact(
    twilio_app: Flask,
) -> None:
    ticket, _ = signed_ticket(twilio_app)
    night = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 Beijing, a Tuesday
    lifecycle.relay(db.session, ticket, _unit_actor(), text=QUESTION, at=night)
    (message,) = relayed_texts(ticket)
    assert message.available_at == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    assert ticket.state == "signed" and ticket.contact_met_at is None
    conversation = db.session.scalars(
        select(Conversation)
        .where(Conversation.ticket_id == ticket.id)
        .order_by(Conversation.id.desc())
    ).first()
    assert conversation is not None and conversation.data["relay_unit"] == "C-SCJGJ"


def test_a_waiting_relay_is_not_sent_once_the_unit_no_longer_holds_the_ticket(
    twilio_app: Flask,
) -> None:
    ticket, unit = signed_ticket(twilio_app)
    relay(unit, ticket)
    (message,) = relayed_texts(ticket)
    assert stale_reason(db.session, message) is None
    lifecycle.redispatch(db.session, ticket, DISPATCHER, "C-ZJJ", (), reason="非市场监管职责")
    db.session.flush()
    assert "不再承办" in str(stale_reason(db.session, message))


def _unit_actor() -> Any:
    from hotline.lifecycle import Actor
    from routing.workflow import Role

    return Actor(role=Role.UNIT, name="u-c-scjgj", unit_code="C-SCJGJ")


REPORT = "我要举报市市场监督管理局的张科长，上周来检查时收了商户两条烟，请为我保密"


def test_a_report_texted_after_a_relay_is_a_hidden_ticket_of_its_own_not_a_note_for_the_unit(
    twilio_app: Flask,
) -> None:
    ticket, unit = signed_ticket(twilio_app)
    relay(unit, ticket)
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    response = post_signed(twilio_app.test_client(), PATH, sms(body=REPORT, sender=PHONE))
    assert "转达承办单位" not in reply_text(response)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before + 1
    assert not unit_reads(unit, ticket, "张科长")


def test_a_reply_goes_to_the_relay_whose_question_it_answers_not_the_newest(
    twilio_app: Flask,
) -> None:
    first, unit = signed_ticket(twilio_app)
    second, _ = signed_ticket(
        twilio_app,
        text="小区另一部电梯按钮失灵，按了没反应",
        requester={"name": "张三", "phone": "138 0013 8000"},
    )
    assert relay(unit, first, "请问是几号楼的电梯？").status_code == 200
    assert relay(unit, second, "请问失灵的按钮是哪家维保公司负责的？").status_code == 200
    post_signed(twilio_app.test_client(), PATH, sms(body="是3号楼的电梯", sender=PHONE))
    assert replies_on(first) == ["是3号楼的电梯"]
    assert replies_on(second) == []


def test_a_reply_naming_a_ticket_number_goes_to_that_tickets_relay(twilio_app: Flask) -> None:
    first, unit = signed_ticket(twilio_app)
    second, _ = signed_ticket(twilio_app, text="小区另一部电梯按钮失灵，按了没反应")
    relay(unit, first, "请问是几号楼的电梯？")
    relay(unit, second, "请问是几号楼的电梯？")
    tail = first.number.split("-")[1]
    post_signed(twilio_app.test_client(), PATH, sms(body=f"{tail} 是5号楼", sender=PHONE))
    assert replies_on(first) == [f"{tail} 是5号楼"]


def unit_reads(unit: FlaskClient, ticket: Ticket, words: str) -> bool:
    """Whether the unit's view of the ticket has an event whose text holds `words`."""
    seen = unit.get(f"/api/v1/tickets/{ticket.number}").get_json()
    return any(words in (e["payload"].get("text") or "") for e in seen["events"])


def replies_on(ticket: Ticket) -> list[str]:
    notes = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "note")
    )
    return [n.payload["text"] for n in notes if n.payload.get("reply_to")]


def test_a_report_about_the_relayed_tickets_own_problem_is_still_a_ticket_of_its_own(
    twilio_app: Flask,
) -> None:
    ticket, unit = signed_ticket(twilio_app)
    relay(unit, ticket)
    report = "我要举报小区电梯维保公司，电梯坏了三天没人修，他们收了物业的钱不干活"
    response = post_signed(twilio_app.test_client(), PATH, sms(body=report, sender=PHONE))
    assert "转达承办单位" not in reply_text(response)
    assert replies_on(ticket) == []
    assert not unit_reads(unit, ticket, "维保公司")


def test_a_reply_after_the_ticket_left_the_unit_is_not_filed_as_an_answer_to_it(
    twilio_app: Flask,
) -> None:
    ticket, unit = signed_ticket(twilio_app)
    relay(unit, ticket)
    lifecycle.redispatch(db.session, ticket, DISPATCHER, "C-ZJJ", (), reason="非市场监管职责")
    db.session.flush()
    response = post_signed(twilio_app.test_client(), PATH, sms(body="是3号楼的电梯", sender=PHONE))
    assert "转达承办单位" not in reply_text(response)
    assert replies_on(ticket) == []
    window = db.session.scalars(
        select(Conversation).where(
            Conversation.ticket_id == ticket.id, Conversation.kind == "relay"
        )
    ).one()
    assert window.state == "closed"
