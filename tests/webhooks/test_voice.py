"""The Mandarin phone menu and voice messages: TwiML, status by phone, tickets from recordings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import InboundMessage, Requester, Ticket, TicketEvent
from hotline.phones import phone_key
from routing.workflow import TicketState
from tests.factories import dispatched
from tests.twilio_support import ACCOUNT_SID, post_signed

CALLER = "+8613800138000"
CALL_SID = "CA" + "1" * 32
RECORDING_SID = "RE" + "1" * 32
RECORDING_URL = (
    f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING_SID}"
)


def call(**extra: str) -> dict[str, str]:
    return {
        "CallSid": CALL_SID,
        "AccountSid": ACCOUNT_SID,
        "From": CALLER,
        "To": "+8610012345",
        "CallStatus": "in-progress",
    } | extra


def twiml(response: Any) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data(as_text=True))
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> str:
    return "".join(say.text or "" for say in root.iter("Say"))


def test_a_call_hears_the_mandarin_menu_and_is_recorded_once(twilio_app: Flask) -> None:
    client = twilio_app.test_client()
    root = twiml(post_signed(client, "/webhooks/twilio/voice", call()))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert (gather.get("action") or "").endswith("/webhooks/twilio/voice/menu")
    say = gather.find("Say")
    assert say is not None
    assert say.get("language") == "cmn-CN"
    assert say.get("voice") == "Polly.Zhiyu"
    assert "请按1" in (say.text or "")
    post_signed(client, "/webhooks/twilio/voice", call())
    calls = db.session.scalars(select(InboundMessage).where(InboundMessage.kind == "call")).all()
    assert [c.sid for c in calls] == [CALL_SID]


def test_an_unsigned_call_is_refused(twilio_app: Flask) -> None:
    response = twilio_app.test_client().post("/webhooks/twilio/voice", data=call())
    assert response.status_code == 403


def test_pressing_1_records_a_message_with_transcription(twilio_app: Flask) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call(Digits="1"))
    )
    record = root.find("Record")
    assert record is not None
    assert record.get("maxLength") == "120"
    assert record.get("playBeep") == "true"
    assert record.get("transcribe") == "true"
    assert (record.get("action") or "").endswith("/webhooks/twilio/voice/recorded")
    assert (record.get("transcribeCallback") or "").endswith("/webhooks/twilio/voice/transcription")
    assert "留言" in spoken(root)


def test_pressing_2_asks_for_the_fourteen_digit_ticket_number(twilio_app: Flask) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call(Digits="2"))
    )
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "14"
    assert (gather.get("action") or "").endswith("/webhooks/twilio/voice/status")


def test_pressing_3_waits_in_the_agents_queue(twilio_app: Flask) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call(Digits="3"))
    )
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "agents"
    assert (enqueue.get("waitUrl") or "").endswith("/webhooks/twilio/voice/queue/wait")
    assert (enqueue.get("action") or "").endswith("/webhooks/twilio/voice/agent/done")


def test_a_caller_in_the_queue_hears_their_place_until_the_wait_is_too_long(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "QUEUE_MAX_WAIT_SECONDS", 120)
    client = twilio_app.test_client()
    path = "/webhooks/twilio/voice/queue/wait"
    waiting = twiml(post_signed(client, path, call(QueueTime="30", QueuePosition="3")))
    assert "前面还有2位" in spoken(waiting)
    assert waiting.find("Pause") is not None and waiting.find("Leave") is None
    too_long = twiml(post_signed(client, path, call(QueueTime="121", QueuePosition="1")))
    assert too_long.find("Leave") is not None


@pytest.mark.parametrize(
    "outcome",
    [{"QueueResult": "leave"}, {"QueueResult": "queue-full"}, {"DialCallStatus": "no-answer"}],
)
def test_a_caller_no_agent_answered_may_leave_a_message(
    twilio_app: Flask, outcome: dict[str, str]
) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/agent/done", call(**outcome))
    )
    record = root.find("Record")
    assert record is not None
    assert (record.get("action") or "").endswith("/webhooks/twilio/voice/recorded")
    assert "留言" in spoken(root)


@pytest.mark.parametrize(
    "outcome", [{"QueueResult": "bridged"}, {"DialCallStatus": "completed"}, {}]
)
def test_a_caller_who_talked_to_an_agent_is_not_asked_to_leave_a_message(
    twilio_app: Flask, outcome: dict[str, str]
) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/agent/done", call(**outcome))
    )
    assert root.find("Record") is None
    assert root.find("Hangup") is not None


def test_the_menu_says_the_hotline_number_digit_by_digit(twilio_app: Flask) -> None:
    root = twiml(post_signed(twilio_app.test_client(), "/webhooks/twilio/voice", call()))
    assert "幺二三四五" in spoken(root)
    assert "12345" not in spoken(root)


def test_pressing_3_dials_the_agent_number_when_one_is_configured(
    twilio_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(twilio_app.config, "AGENT_NUMBER", "+861012345000")
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call(Digits="3"))
    )
    dial = root.find("Dial")
    assert dial is not None and (dial.text or "").strip() == "+861012345000"
    assert (dial.get("action") or "").endswith("/webhooks/twilio/voice/agent/done")


def test_an_invalid_key_repeats_the_menu(twilio_app: Flask) -> None:
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", call(Digits="9"))
    )
    assert "输入有误" in spoken(root)
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"


def test_the_requester_hears_the_state_of_a_ticket_entered_by_number(twilio_app: Flask) -> None:
    ticket = dispatched(requester_phone_key=phone_key(CALLER))
    digits = ticket.number.replace("-", "")
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/status", call(Digits=digits))
    )
    assert "已派单" in spoken(root)
    assert "办理时限 2026-" in spoken(root)
    assert "暂定" not in spoken(root)
    assert root.find("Hangup") is not None


def test_the_requester_hears_that_a_time_limit_in_the_provisional_year_is_provisional(
    twilio_app: Flask,
) -> None:
    # Dispatched Monday 2026-12-28 10:00: handling is due in January 2027, not yet official.
    december = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    ticket = dispatched(at=december, requester_phone_key=phone_key(CALLER))
    assert ticket.due_provisional
    digits = ticket.number.replace("-", "")
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/status", call(Digits=digits))
    )
    assert "办理时限 2027-01-05 23:59（暂定）。" in spoken(root)


def test_another_caller_hears_nothing_about_the_ticket(twilio_app: Flask) -> None:
    ticket = dispatched(requester_phone_key=phone_key("+8613900139000"))
    digits = ticket.number.replace("-", "")
    root = twiml(
        post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/status", call(Digits=digits))
    )
    assert "未查到" in spoken(root)
    assert "已派单" not in spoken(root)


def recording(**extra: str) -> dict[str, str]:
    return (
        call(
            RecordingSid=RECORDING_SID,
            RecordingUrl=RECORDING_URL,
            RecordingDuration="42",
            CallStatus="completed",
        )
        | extra
    )


def phone_tickets() -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).where(Ticket.external_id == RECORDING_SID)))


def test_the_end_of_a_recording_thanks_the_caller_and_keeps_the_recording_on_the_call(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    post_signed(client, "/webhooks/twilio/voice", call())
    root = twiml(post_signed(client, "/webhooks/twilio/voice/recorded", recording()))
    assert "留言已收到" in spoken(root)
    assert root.find("Hangup") is not None
    row = db.session.scalars(select(InboundMessage).where(InboundMessage.sid == CALL_SID)).one()
    assert row.payload["recording_url"] == RECORDING_URL


def test_a_transcription_creates_one_phone_ticket_however_often_it_is_posted(
    twilio_app: Flask,
) -> None:
    text = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
    form = recording(TranscriptionText=text, TranscriptionStatus="completed")
    client = twilio_app.test_client()
    assert post_signed(client, "/webhooks/twilio/voice/transcription", form).status_code == 200
    assert post_signed(client, "/webhooks/twilio/voice/transcription", form).status_code == 200
    [ticket] = phone_tickets()
    assert ticket.channel == "phone"
    assert ticket.text.startswith(text)
    assert RECORDING_URL in ticket.text
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None and requester.phone == CALLER


def test_a_failed_transcription_still_creates_a_ticket_for_an_agent(twilio_app: Flask) -> None:
    form = recording(TranscriptionText="", TranscriptionStatus="failed", From="13800138000")
    response = post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/transcription", form)
    assert response.status_code == 200
    [ticket] = phone_tickets()
    assert ticket.channel == "phone"
    assert ticket.state == TicketState.PENDING_DISPATCH
    assert "待转写" in ticket.text
    assert RECORDING_URL in ticket.text
    assert ticket.requester_phone_key == phone_key(CALLER)


def test_an_english_transcript_of_a_mandarin_message_waits_for_an_agent_and_is_kept(
    twilio_app: Flask,
) -> None:
    noise = "Well, I'm gonna show you how come the ocean is shown in the way."
    form = recording(TranscriptionText=noise, TranscriptionStatus="completed")
    response = post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/transcription", form)
    assert response.status_code == 200
    [ticket] = phone_tickets()
    assert ticket.state == TicketState.PENDING_DISPATCH
    assert "待转写" in ticket.text
    assert noise not in ticket.text
    accepted = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "accept"
        )
    ).one()
    assert accepted.payload["machine_transcript"] == noise


def test_a_transcription_without_a_recording_sid_is_kept_apart_from_the_call(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    post_signed(client, "/webhooks/twilio/voice", call())
    form = call(RecordingUrl=RECORDING_URL, TranscriptionText="", TranscriptionStatus="failed")
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    post_signed(client, "/webhooks/twilio/voice/transcription", form)
    post_signed(client, "/webhooks/twilio/voice/transcription", form)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == (before or 0) + 1


def test_a_transcription_without_a_recording_link_leaves_no_empty_placeholder(
    twilio_app: Flask,
) -> None:
    text = "我家小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快修复。"
    form = recording(TranscriptionText=text, TranscriptionStatus="completed", RecordingUrl="")
    post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/transcription", form)
    [ticket] = phone_tickets()
    assert ticket.text.endswith("（电话留言自动转写）")


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", ""])
def test_a_caller_with_a_withheld_number_is_told_how_to_ask_instead_of_typing_a_number(
    twilio_app: Flask, withheld: str
) -> None:
    form = call(Digits="2", From=withheld, Caller=withheld)
    root = twiml(post_signed(twilio_app.test_client(), "/webhooks/twilio/voice/menu", form))
    assert "无法识别您的来电号码" in spoken(root)
    assert all(g.get("numDigits") != "14" for g in root.iter("Gather"))


def test_two_different_voicemails_of_one_caller_are_two_tickets_whatever_their_notes_share(
    twilio_app: Flask,
) -> None:
    client = twilio_app.test_client()
    messages = {
        "RE0000000000000000000000000000001": "菜市场门口的路灯坏了，晚上很黑",
        "RE0000000000000000000000000000002": "学校后门的路灯也不亮了，好几天了",
    }
    for sid, text in messages.items():
        form = recording(RecordingSid=sid, TranscriptionText=text, TranscriptionStatus="completed")
        form["RecordingUrl"] = (
            f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
        )
        post_signed(client, "/webhooks/twilio/voice/transcription", form)
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.external_id.in_(messages))))
    assert len(tickets) == 2
    assert {t.triage_outcome for t in tickets} == {"dispatch"}
    assert all(t.parent_id is None and "电话留言自动转写" in t.text for t in tickets)
