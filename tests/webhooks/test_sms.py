"""Inbound SMS: signed, idempotent, routed into tickets, follow-ups, surveys and status queries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline import lifecycle
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import Conversation, InboundMessage, Requester, Ticket, TicketEvent
from hotline.phones import phone_key
from routing.workflow import TicketState
from tests.factories import AGENT, DISPATCHER, LEAD, accepted, dispatched
from tests.twilio_support import ACCOUNT_SID, post_signed, sign

PATH = "/webhooks/twilio/sms"
SENDER = "+8613800138000"
APPEAL = "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"


def sms(sid: str = "SM" + "1" * 32, body: str = APPEAL, sender: str = SENDER) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": "+8610012345",
        "Body": body,
        "NumMedia": "0",
    }


def reply_text(response: Any) -> str:
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return "".join(message.text or "" for message in root.iter("Message"))


def notes_on(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's notes, oldest first."""
    query = select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == "note"
    )
    return list(db.session.scalars(query.order_by(TicketEvent.seq)))


def tickets_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket)) or 0


def ticket_for(sid: str) -> Ticket:
    ticket = db.session.scalars(select(Ticket).where(Ticket.external_id == sid)).one()
    return ticket


def test_an_unsigned_sms_is_refused(twilio_app: Flask) -> None:
    response = twilio_app.test_client().post(PATH, data=sms())
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_an_sms_signed_with_another_token_is_refused(twilio_app: Flask) -> None:
    response = post_signed(twilio_app.test_client(), PATH, sms(), token="someone-elses-token")
    assert response.status_code == 403


def test_a_tampered_sms_body_is_refused(twilio_app: Flask) -> None:
    params = sms()
    signature = sign("http://localhost" + PATH, params)
    tampered = params | {"Body": "别的内容"}
    response = twilio_app.test_client().post(
        PATH, data=tampered, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_every_sms_is_refused_when_no_auth_token_is_configured(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "TWILIO_AUTH_TOKEN", None)
    response = post_signed(twilio_app.test_client(), PATH, sms())
    assert response.status_code == 403


def test_an_sms_becomes_an_sms_ticket_and_the_reply_names_its_number(twilio_app: Flask) -> None:
    response = post_signed(twilio_app.test_client(), PATH, sms())
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    ticket = ticket_for(sms()["MessageSid"])
    assert ticket.channel == "sms"
    assert ticket.text == APPEAL
    assert ticket.requester_phone_key == phone_key(SENDER)
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None and requester.phone == SENDER
    text = reply_text(response)
    assert ticket.number in text
    assert "您的诉求已受理" in text


def test_a_national_sender_number_is_stored_in_e164_with_the_chinese_prefix(
    twilio_app: Flask,
) -> None:
    post_signed(twilio_app.test_client(), PATH, sms(sender="138 0013 8000"))
    ticket = ticket_for(sms()["MessageSid"])
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None and requester.phone == SENDER


def test_a_retried_message_sid_creates_nothing_and_replays_the_same_twiml(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    first = post_signed(client, PATH, sms())
    count = tickets_count()
    second = post_signed(client, PATH, sms())
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert tickets_count() == count
    rows = db.session.scalars(select(InboundMessage).where(InboundMessage.kind == "sms")).all()
    assert len(rows) == 1
    assert rows[0].ticket_id == ticket_for(sms()["MessageSid"]).id


@pytest.mark.parametrize("sid", ["", "   "])
def test_a_message_without_a_sid_is_a_400_and_shares_no_earlier_reply(
    twilio_app: Flask, sid: str
) -> None:
    client = twilio_app.test_client()
    assert post_signed(client, PATH, sms()).status_code == 200
    count = tickets_count()
    response = post_signed(client, PATH, sms(sid=sid, sender="+8613900001111"))
    assert response.status_code == 400
    assert "MessageSid" in response.get_data(as_text=True)
    assert tickets_count() == count


def test_a_retry_that_loses_the_race_replays_the_winners_reply(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>先到者</Message></Response>'
    db.session.add(
        InboundMessage(
            provider="twilio", sid=sms()["MessageSid"], kind="sms", reply=stored, payload={}
        )
    )
    db.session.flush()
    count = tickets_count()
    # The concurrent request committed after this one looked: only the unique constraint sees it.
    monkeypatch.setattr("hotline.webhooks.inbound.find", lambda session, sid: None)
    response = post_signed(twilio_app.test_client(), PATH, sms())
    assert response.status_code == 200
    assert reply_text(response) == "先到者"
    assert tickets_count() == count


def test_a_second_sms_within_the_window_joins_the_first_ticket(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    ticket = ticket_for(sms()["MessageSid"])
    count = tickets_count()
    response = post_signed(client, PATH, sms(sid="SM" + "2" * 32, body="具体位置在3号楼东侧。"))
    assert tickets_count() == count
    assert ticket.number in reply_text(response)
    notes = notes_on(ticket)
    assert [note.payload["text"] for note in notes] == ["具体位置在3号楼东侧。"]


def test_another_matter_texted_within_the_window_is_an_appeal_of_its_own(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    first = ticket_for(sms()["MessageSid"])
    fumes = "另外楼下那家烧烤店油烟太大了，天天熏得开不了窗"
    post_signed(client, PATH, sms(sid="SM" + "2" * 32, body=fumes))
    second = ticket_for("SM" + "2" * 32)
    assert second.id != first.id and second.text == fumes
    notes = notes_on(first)
    assert notes == []


def test_a_confidential_repeat_merged_by_sms_opens_no_window_on_anothers_ticket(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    lamp = "翠苑社区门口的路灯坏了一个多月，晚上出行很不安全"
    post_signed(client, PATH, sms(body=lamp, sender="+8613900139000"))
    first = ticket_for(sms()["MessageSid"])
    report = post_signed(client, PATH, sms(sid="SM" + "2" * 32, body=f"举报：{lamp}"))
    repeat = ticket_for("SM" + "2" * 32)
    assert repeat.parent_id == first.id and repeat.hidden_from_everyone
    assert "分钟内回复本号码可补充说明" not in reply_text(report)
    post_signed(client, PATH, sms(sid="SM" + "3" * 32, body="路灯是物业经理王建国故意弄坏的"))
    notes = notes_on(first)
    assert notes == []


def _close_windows() -> None:
    for conversation in db.session.scalars(select(Conversation)):
        conversation.open_until = utcnow() - timedelta(minutes=1)
    db.session.flush()


def test_a_repeat_merged_by_sms_opens_the_window_on_the_ticket_it_joined(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    first = ticket_for(sms()["MessageSid"])
    _close_windows()
    again = post_signed(client, PATH, sms(sid="SM" + "2" * 32, body="小区门口的路灯还是坏的"))
    assert ticket_for("SM" + "2" * 32).parent_id == first.id
    assert "分钟内回复本号码可补充说明" in reply_text(again)
    post_signed(client, PATH, sms(sid="SM" + "3" * 32, body="具体是3号楼东侧那盏"))
    notes = notes_on(first)
    assert [note.payload["text"] for note in notes] == ["具体是3号楼东侧那盏"]


@pytest.mark.parametrize("empty", ["", "   ", "\x07\x08"])
def test_an_empty_text_within_the_window_gets_a_reply_and_adds_no_note(
    twilio_app: Flask, empty: str
) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    ticket = ticket_for(sms()["MessageSid"])
    response = post_signed(client, PATH, sms(sid="SM" + "4" * 32, body=empty))
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert "未收到补充内容" in reply_text(response)
    assert ticket.number in reply_text(response)
    notes = notes_on(ticket)
    assert notes == []


def test_an_emergency_within_the_window_is_transferred_not_filed_as_a_note(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    first = ticket_for(sms()["MessageSid"])
    fire = "着火了！三单元楼道里冒烟起火了，快来救火！"
    response = post_signed(client, PATH, sms(sid="SM" + "5" * 32, body=fire))
    assert "请立即拨打119" in reply_text(response)
    assert ticket_for("SM" + "5" * 32).triage_outcome == "emergency"
    notes = notes_on(first)
    assert notes == []
    # The exchange about the first appeal stays open for what the caller adds to it.
    response = post_signed(client, PATH, sms(sid="SM" + "6" * 32, body="路灯在3号楼东侧。"))
    assert first.number in reply_text(response)


def test_a_text_after_the_ticket_was_closed_is_an_appeal_of_its_own(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    first = ticket_for(sms()["MessageSid"])
    first.state = TicketState.CLOSED
    db.session.flush()
    later = "路灯旁边的井盖也松了，踩上去会晃，请一并处理。"
    response = post_signed(client, PATH, sms(sid="SM" + "7" * 32, body=later))
    second = ticket_for("SM" + "7" * 32)
    assert second.id != first.id and second.text == later
    assert second.number in reply_text(response)


@pytest.mark.parametrize("sender", ["+266696687", "anonymous", "95588", "Alipay", ""])
def test_a_withheld_or_non_personal_sender_gets_no_follow_up_and_shares_nothing(
    twilio_app: Flask, sender: str
) -> None:
    client = twilio_app.test_client()
    response = post_signed(client, PATH, sms(sender=sender))
    ticket = ticket_for(sms()["MessageSid"])
    assert ticket.requester_phone_key is None
    assert "分钟内回复本号码可补充说明" not in reply_text(response)
    assert ticket.number in reply_text(response)
    second = post_signed(client, PATH, sms(sid="SM" + "8" * 32, sender=sender, body="具体在3号楼"))
    assert ticket.number not in reply_text(second)


def test_a_whatsapp_sender_is_stored_as_the_number_behind_it(twilio_app: Flask) -> None:
    post_signed(twilio_app.test_client(), PATH, sms(sender="whatsapp:+8613800138001"))
    ticket = ticket_for(sms()["MessageSid"])
    assert ticket.requester_phone_key == phone_key("+8613800138001")


def test_an_sms_after_the_window_closed_is_a_new_appeal(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    post_signed(client, PATH, sms())
    _close_windows()
    later = "我想咨询一下新生儿医保怎么办理，需要准备哪些材料？"
    post_signed(client, PATH, sms(sid="SM" + "3" * 32, body=later))
    assert ticket_for("SM" + "3" * 32).text == later


def test_an_emergency_sms_is_told_to_call_the_emergency_number(twilio_app: Flask) -> None:
    response = post_signed(twilio_app.test_client(), PATH, sms(body="我家厨房着火了，火势很大"))
    text = reply_text(response)
    assert "请立即拨打119" in text
    assert ticket_for(sms()["MessageSid"]).triage_outcome == "emergency"


def test_a_legal_route_sms_is_given_the_guidance(twilio_app: Flask) -> None:
    body = "我要申请公开我们村拆迁补偿标准的文件"
    response = post_signed(twilio_app.test_client(), PATH, sms(body=body))
    ticket = ticket_for(sms()["MessageSid"])
    assert ticket.triage_outcome == "referral"
    assert "《中华人民共和国政府信息公开条例》" in reply_text(response)


def test_an_sms_without_content_is_not_accepted_and_told_why(twilio_app: Flask) -> None:
    response = post_signed(twilio_app.test_client(), PATH, sms(body="路灯"))
    ticket = ticket_for(sms()["MessageSid"])
    assert ticket.triage_outcome == "not_accepted"
    assert ticket.triage_reason in reply_text(response)
    assert "未能受理" in reply_text(response)


def test_an_opt_out_creates_no_ticket_and_sends_no_reply(twilio_app: Flask) -> None:
    count = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, sms(body="STOP"))
    assert response.status_code == 200
    assert reply_text(response) == ""
    assert tickets_count() == count


def reviewed_ticket(phone: str = SENDER) -> Ticket:
    at = utcnow() - timedelta(days=3)
    ticket = dispatched(at=at, requester_phone_key=phone_key(phone))
    lifecycle.sign(db.session, ticket, LEAD, at=at + timedelta(minutes=30))
    lifecycle.contact(db.session, ticket, LEAD, at=at + timedelta(hours=1))
    lifecycle.reply(db.session, ticket, LEAD, text="已修复。", at=at + timedelta(days=1))
    lifecycle.review(db.session, ticket, DISPATCHER, approve=True, at=at + timedelta(days=2))
    return ticket


def open_survey(ticket: Ticket, phone: str = SENDER) -> Conversation:
    conversation = Conversation(
        phone_key=phone_key(phone),
        kind="survey",
        ticket_id=ticket.id,
        data={},
        open_until=utcnow() + timedelta(days=1),
    )
    db.session.add(conversation)
    db.session.flush()
    return conversation


def test_a_survey_reply_of_1_records_a_satisfied_callback(twilio_app: Flask) -> None:
    ticket = reviewed_ticket()
    conversation = open_survey(ticket)
    count = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, sms(body="1"))
    assert ticket.state == TicketState.RATED
    assert ticket.rating is not None and ticket.rating["satisfaction"] == "satisfied"
    assert conversation.state == "answered"
    assert tickets_count() == count
    assert "满意" in reply_text(response)


def test_an_unsatisfied_survey_reply_leaves_the_ticket_for_an_agent(twilio_app: Flask) -> None:
    ticket = reviewed_ticket()
    open_survey(ticket)
    response = post_signed(twilio_app.test_client(), PATH, sms(body="3"))
    assert ticket.state == TicketState.REVIEWED
    (note,) = notes_on(ticket)
    assert note.payload["survey_answer"] == "unsatisfied"
    assert "不满意" in reply_text(response)


def test_a_worded_survey_reply_about_the_problem_is_kept_for_the_callback_not_merged(
    twilio_app: Flask,
) -> None:
    # The factories' ticket: 小区电梯坏了三天，老人上下楼很不方便，请尽快处理。
    ticket = reviewed_ticket()
    conversation = open_survey(ticket)
    count = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, sms(body="电梯还是坏的，根本没修好"))
    assert tickets_count() == count
    assert ticket.state == TicketState.REVIEWED and ticket.repeat_count == 0
    assert conversation.state == "open"
    (note,) = notes_on(ticket)
    assert "根本没修好" in note.payload["text"]
    assert "回复数字" in reply_text(response)
    # The 1/2/3 the survey asked for still counts.
    post_signed(twilio_app.test_client(), PATH, sms(sid="SM" + "4" * 32, body="3"))
    assert conversation.state == "answered"


@pytest.mark.parametrize(
    "other",
    [
        APPEAL,
        "小区物业乱收停车费，每个月多收两百块",  # the same branch of the tree, another matter
        "我们楼的外墙瓷砖掉下来了，差点砸到人",
        "楼上邻居天天半夜拖椅子",  # no matter at all
    ],
)
def test_another_problem_texted_during_the_survey_is_an_appeal_of_its_own(
    twilio_app: Flask, other: str
) -> None:
    ticket = reviewed_ticket()
    open_survey(ticket)
    count = tickets_count()
    post_signed(twilio_app.test_client(), PATH, sms(body=other))
    assert tickets_count() == count + 1


def test_a_worded_reply_after_the_callback_was_recorded_is_an_appeal_of_its_own(
    twilio_app: Flask,
) -> None:
    ticket = reviewed_ticket()
    open_survey(ticket)
    lifecycle.callback(db.session, ticket, AGENT, reachable=False)
    count = tickets_count()
    post_signed(twilio_app.test_client(), PATH, sms(body="电梯还是坏的，根本没修好"))
    assert tickets_count() == count + 1


def test_a_status_query_from_the_requester_reports_the_state_and_time_limit(
    twilio_app: Flask,
) -> None:
    ticket = dispatched(requester_phone_key=phone_key(SENDER))
    response = post_signed(twilio_app.test_client(), PATH, sms(body=f"查询 {ticket.number}"))
    text = reply_text(response)
    assert ticket.number in text
    assert "已派单" in text
    assert "办理时限" in text
    assert "暂定" not in text


def test_a_status_query_says_when_the_time_limit_is_provisional(twilio_app: Flask) -> None:
    # Dispatched on Mon 2026-12-28: handled in 2027, whose schedule is not yet published.
    december = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    ticket = dispatched(at=december, requester_phone_key=phone_key(SENDER))
    assert ticket.due_provisional is True
    response = post_signed(twilio_app.test_client(), PATH, sms(body=f"查询 {ticket.number}"))
    assert "（暂定）" in reply_text(response)


def test_a_status_query_from_another_number_reveals_nothing(twilio_app: Flask) -> None:
    ticket = dispatched(requester_phone_key=phone_key("+8613900139000"))
    response = post_signed(twilio_app.test_client(), PATH, sms(body=f"查询{ticket.number}"))
    text = reply_text(response)
    assert "未查到" in text
    assert "已派单" not in text


def test_a_requester_whose_appeal_was_merged_hears_of_the_ticket_handling_it(
    twilio_app: Flask,
) -> None:
    parent = dispatched(requester_phone_key=phone_key("+8613900139000"))
    theirs = accepted(requester_phone_key=phone_key(SENDER))
    lifecycle.merge(db.session, theirs, parent, DISPATCHER)
    client = twilio_app.test_client()
    # Their own number: merged, and the state of the ticket it joined, not "closed".
    own = reply_text(post_signed(client, PATH, sms(body=f"查询 {theirs.number}")))
    assert f"已并入工单 {parent.number} 合并办理" in own
    assert "已派单" in own and "办理时限" in own
    # The number the merge reply gave them.
    joined = reply_text(
        post_signed(client, PATH, sms(sid="SM" + "2" * 32, body=f"查询 {parent.number}"))
    )
    assert parent.number in joined and "已派单" in joined
    # Nobody else.
    stranger = reply_text(
        post_signed(
            client,
            PATH,
            sms(sid="SM" + "3" * 32, body=f"查询 {parent.number}", sender="+8613700137000"),
        )
    )
    assert "未查到" in stranger


def test_the_ticket_a_merge_reply_named_stays_answerable_after_it_is_merged_on(
    twilio_app: Flask,
) -> None:
    target = dispatched(requester_phone_key=phone_key("+8613700137000"))
    parent = dispatched(requester_phone_key=phone_key("+8613900139000"))
    theirs = accepted(requester_phone_key=phone_key(SENDER))
    lifecycle.merge(db.session, theirs, parent, DISPATCHER)
    lifecycle.merge(db.session, parent, target, DISPATCHER)
    response = post_signed(twilio_app.test_client(), PATH, sms(body=f"查询 {parent.number}"))
    text = reply_text(response)
    assert f"工单 {parent.number} 已并入工单 {target.number} 合并办理" in text
    assert "已派单" in text


@pytest.mark.parametrize("body", ["查询 abc", "查询", "CX12345", "查询：2026112"])
def test_a_status_query_without_a_valid_number_gets_the_format_and_makes_no_ticket(
    twilio_app: Flask, body: str
) -> None:
    before = tickets_count()
    response = post_signed(twilio_app.test_client(), PATH, sms(body=body))
    assert "查询 工单号" in reply_text(response)
    assert tickets_count() == before


def test_a_message_that_starts_with_a_query_word_is_still_an_appeal(twilio_app: Flask) -> None:
    before = tickets_count()
    post_signed(twilio_app.test_client(), PATH, sms(body="查询一下社保断缴了怎么补缴，急"))
    assert tickets_count() == before + 1


def test_a_request_through_a_proxy_is_checked_against_the_public_url(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = "https://hotline.example.gov.cn"
    monkeypatch.setitem(twilio_app.config, "PUBLIC_URL", public)
    client = twilio_app.test_client()
    assert post_signed(client, PATH, sms()).status_code == 403
    response = post_signed(client, PATH, sms(), signed_url=public + PATH)
    assert response.status_code == 200
    assert ticket_for(sms()["MessageSid"]).channel == "sms"


def test_a_signed_form_without_a_message_sid_is_a_bad_request(twilio_app: Flask) -> None:
    params = {k: v for k, v in sms().items() if k not in ("MessageSid", "SmsSid")}
    response = post_signed(twilio_app.test_client(), PATH, params)
    assert response.status_code == 400
