"""`POST /webhooks/twilio/voice...`: the Mandarin phone menu (leave a message, hear a ticket's
status, reach an agent) and the recording and transcription callbacks."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, request
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from hotline.conversations import local_time, requester_phone
from hotline.extensions import db
from hotline.models import Ticket
from hotline.phones import phone_key
from hotline.transaction import commit
from hotline.webhooks import blueprint
from hotline.webhooks.inbound import claim, find
from hotline.webhooks.twilio_request import callback_url, parse, plain, twilio_webhook, twiml
from hotline.webhooks.voicemail import Voicemail, record_voicemail
from routing.workflow import STATE_LABELS, TicketState

LANGUAGE = "cmn-CN"
VOICE = "Polly.Zhiyu"
QUEUE = "agents"
MAX_MESSAGE_SECONDS = 120
TICKET_DIGITS = 14

MENU = (
    "您好，这里是12345政务服务便民热线。留言反映诉求请按1；查询工单办理进度请按2；转人工服务请按3。"
)


class CallForm(Schema):
    class Meta:
        unknown = EXCLUDE

    call_sid = fields.String(data_key="CallSid", required=True)
    caller = fields.String(data_key="From", load_default="")
    to = fields.String(data_key="To", load_default="")
    status = fields.String(data_key="CallStatus", load_default="")
    digits = fields.String(data_key="Digits", load_default="")


class RecordingForm(CallForm):
    recording_sid = fields.String(data_key="RecordingSid", load_default="")
    recording_url = fields.String(data_key="RecordingUrl", load_default="")
    recording_duration = fields.String(data_key="RecordingDuration", load_default="")
    transcription_text = fields.String(data_key="TranscriptionText", load_default="")
    transcription_status = fields.String(data_key="TranscriptionStatus", load_default="")


def say(target: Any, text: str) -> None:
    target.say(text, language=LANGUAGE, voice=VOICE)


def menu(response: VoiceResponse) -> VoiceResponse:
    gather = response.gather(
        num_digits=1, action=callback_url("webhooks.voice_menu"), method="POST", timeout=8
    )
    say(gather, MENU)
    # Gather falls through here only when the caller pressed nothing.
    say(response, "未收到您的选择，感谢来电，再见。")
    response.hangup()
    return response


@blueprint.post("/twilio/voice")
@twilio_webhook
def twilio_voice() -> Response:
    form = parse(CallForm())
    claim(
        db.session,
        form["call_sid"],
        "call",
        from_number=form["caller"],
        to_number=form["to"],
        body="",
        payload=request.form.to_dict(),
    )
    commit()
    return twiml(menu(VoiceResponse()))


@blueprint.post("/twilio/voice/menu")
@twilio_webhook
def voice_menu() -> Response:
    choice = parse(CallForm())["digits"]
    response = VoiceResponse()
    if choice == "1":
        say(response, "请在提示音后留言，说明您的诉求和具体地址，说完请按井号键。")
        response.record(
            max_length=MAX_MESSAGE_SECONDS,
            play_beep=True,
            finish_on_key="#",
            action=callback_url("webhooks.voice_recorded"),
            method="POST",
            transcribe=True,
            transcribe_callback=callback_url("webhooks.voice_transcription"),
        )
        say(response, "未收到您的留言，感谢来电，再见。")
        response.hangup()
    elif choice == "2":
        gather = response.gather(
            num_digits=TICKET_DIGITS,
            action=callback_url("webhooks.voice_ticket_status"),
            method="POST",
            finish_on_key="#",
            timeout=15,
        )
        say(gather, "请输入14位工单号码，不含横线，输入完毕请按井号键。")
        say(response, "未收到工单号码，感谢来电，再见。")
        response.hangup()
    elif choice == "3":
        say(response, "正在为您转接人工服务，请稍候。")
        agent_number = current_app.config.get("AGENT_NUMBER")
        if agent_number:
            response.dial(agent_number)
        else:
            response.enqueue(QUEUE)
    else:
        say(response, "您的输入有误。")
        menu(response)
    return twiml(response)


def spoken_number(number: str) -> str:
    # Digit by digit, so the voice does not read a fourteen-digit amount.
    return " ".join(number.replace("-", ""))


@blueprint.post("/twilio/voice/status")
@twilio_webhook
def voice_ticket_status() -> Response:
    form = parse(CallForm())
    digits = re.sub(r"\D", "", form["digits"])
    response = VoiceResponse()
    ticket = None
    key = phone_key(requester_phone(form["caller"]))
    if len(digits) == TICKET_DIGITS:
        number = f"{digits[:8]}-{digits[8:]}"
        ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).first()
    # Only the requester's own phone hears anything about a ticket, even whether it exists.
    if ticket is None or key is None or ticket.requester_phone_key != key:
        say(response, "未查到本机号码提交的该工单，请核对工单号码。")
    else:
        state = TicketState(ticket.state)
        text = f"工单 {spoken_number(ticket.number)}，当前状态：{STATE_LABELS[state]}。"
        if state is not TicketState.CLOSED and ticket.handle_due_at is not None:
            text += f"办理时限：{local_time(ticket.handle_due_at)}。"
        say(response, text)
    say(response, "感谢来电，再见。")
    response.hangup()
    return twiml(response)


@blueprint.post("/twilio/voice/recorded")
@twilio_webhook
def voice_recorded() -> Response:
    form = parse(RecordingForm())
    call = find(db.session, form["call_sid"])
    if call is not None and form["recording_url"]:
        # Kept on the call so a message whose transcription never arrives can still be found.
        call.payload = dict(call.payload or {}) | {
            "recording_sid": form["recording_sid"],
            "recording_url": form["recording_url"],
            "recording_duration": form["recording_duration"],
        }
        commit()
    response = VoiceResponse()
    say(response, "您的留言已收到，我们将尽快处理。感谢来电，再见。")
    response.hangup()
    return twiml(response)


@blueprint.post("/twilio/voice/transcription")
@twilio_webhook
def voice_transcription() -> Response:
    form = parse(RecordingForm())
    voicemail = Voicemail(
        call_sid=form["call_sid"],
        recording_sid=form["recording_sid"] or None,
        caller=form["caller"] or None,
        transcription=form["transcription_text"],
        transcribed=form["transcription_status"] == "completed"
        and bool(form["transcription_text"].strip()),
        recording_url=form["recording_url"],
    )
    # The call row already holds the CallSid, so a message without a RecordingSid needs its own key.
    sid = voicemail.recording_sid or f"{voicemail.call_sid}:voicemail"
    row = claim(
        db.session,
        sid,
        "voicemail",
        from_number=form["caller"],
        to_number=form["to"],
        body=form["transcription_text"],
        payload=request.form.to_dict(),
    )
    if row is None:
        return plain(200, "")
    ticket = record_voicemail(db.session, voicemail)
    row.ticket_id = ticket.id
    row.outcome = f"ticket_{ticket.triage_outcome}"
    commit()
    return plain(200, "")
