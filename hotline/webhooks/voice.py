"""`/webhooks/twilio/voice...`: the Mandarin phone menu (leave a message, hear a ticket's
status, reach an agent) and the recording and transcription callbacks."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app
from marshmallow import EXCLUDE, Schema, fields
from twilio.twiml.voice_response import VoiceResponse

from hotline.extensions import db
from hotline.models import InboundMessage
from hotline.phones import phone_key, sender_number
from hotline.ticket_status import callers_ticket, status_text
from hotline.transaction import commit
from hotline.webhooks import blueprint
from hotline.webhooks.adoption import (
    add_late_transcription,
    find_voicemail,
    locked_call,
    mark_voicemail,
    recording_sid_in,
    voicemail_sid,
)
from hotline.webhooks.inbound import claim, find
from hotline.webhooks.twilio_request import (
    METHODS,
    callback_url,
    parse,
    plain,
    raw_params,
    sid_field,
    twilio_webhook,
    twiml,
)
from hotline.webhooks.voicemail import Voicemail, record_voicemail, usable_transcript

LANGUAGE = "cmn-CN"
VOICE = "Polly.Zhiyu"
QUEUE = "agents"
MAX_MESSAGE_SECONDS = 120
TICKET_DIGITS = 14

# The hotline's number is said as people say it, digit by digit (幺二三四五), not as an amount.
MENU = (
    "您好，这里是幺二三四五政务服务便民热线。"
    "留言反映诉求请按1；查询工单办理进度请按2；转人工服务请按3。"
)
# How long a caller holds in the agents' queue before being offered to leave a message instead.
HOLD_SAY_EVERY_SECONDS = 20
# An agent's <Dial> or the queue ended without a conversation: the caller may leave a message.
NO_AGENT_DIAL_STATUSES = frozenset({"busy", "no-answer", "failed", "canceled"})
NO_AGENT_QUEUE_RESULTS = frozenset({"leave", "queue-full", "error", "system-error"})


class CallForm(Schema):
    class Meta:
        unknown = EXCLUDE

    call_sid = sid_field("CallSid")
    caller = fields.String(data_key="From", load_default="")
    to = fields.String(data_key="To", load_default="")
    status = fields.String(data_key="CallStatus", load_default="")
    digits = fields.String(data_key="Digits", load_default="")


class AgentForm(CallForm):
    queue_time = fields.Integer(data_key="QueueTime", load_default=0)
    queue_position = fields.Integer(data_key="QueuePosition", load_default=0)
    queue_result = fields.String(data_key="QueueResult", load_default="")
    dial_status = fields.String(data_key="DialCallStatus", load_default="")


class RecordingForm(CallForm):
    recording_sid = fields.String(data_key="RecordingSid", load_default="")
    recording_url = fields.String(data_key="RecordingUrl", load_default="")
    recording_duration = fields.String(data_key="RecordingDuration", load_default="")
    transcription_text = fields.String(data_key="TranscriptionText", load_default="")
    transcription_status = fields.String(data_key="TranscriptionStatus", load_default="")
    recording_status = fields.String(data_key="RecordingStatus", load_default="")


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


CALL_FORM = CallForm()  # built once: a schema deep-copies its fields on every construction
RECORDING_FORM = RecordingForm()


@blueprint.route("/twilio/voice", methods=METHODS)
@twilio_webhook
def twilio_voice() -> Response:
    form = parse(CALL_FORM)
    claim(
        db.session,
        form["call_sid"],
        "call",
        from_number=form["caller"],
        to_number=form["to"],
        body="",
        payload=raw_params(),
    )
    commit()
    return twiml(menu(VoiceResponse()))


@blueprint.route("/twilio/voice/menu", methods=METHODS)
@twilio_webhook
def voice_menu() -> Response:
    form = parse(CALL_FORM)
    choice = form["digits"].strip().rstrip("#")
    response = VoiceResponse()
    if choice == "1":
        leave_message(response, "请在提示音后留言，说明您的诉求和具体地址，说完请按井号键。")
    elif choice == "2" and sender_number(form["caller"]) is None:
        # Only the requester's own number hears a ticket's status: with none, no lookup can say
        # anything, so the caller is told how to ask instead of typing 14 digits for nothing.
        say(
            response,
            "无法识别您的来电号码。请使用提交诉求时的手机号码来电查询，"
            "或发送短信“查询 工单号”到本热线。",
        )
        menu(response)
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
        # Either way the caller who reaches no agent is offered to leave a message, and one
        # who talked to an agent is not asked again when the agent hangs up.
        agent_number = current_app.config.get("AGENT_NUMBER")
        if agent_number:
            response.dial(agent_number, action=callback_url("webhooks.voice_agent_done"))
        else:
            response.enqueue(
                QUEUE,
                wait_url=callback_url("webhooks.voice_queue_wait"),
                action=callback_url("webhooks.voice_agent_done"),
            )
    else:
        # An action without Digits is a Gather that timed out (actionOnEmptyResult).
        say(response, "您的输入有误。" if choice else "未收到您的选择。")
        menu(response)
    return twiml(response)


def leave_message(response: VoiceResponse, prompt: str) -> VoiceResponse:
    """The prompt, then <Record> with its action, recording and transcription callbacks."""
    say(response, prompt)
    response.record(
        max_length=MAX_MESSAGE_SECONDS,
        play_beep=True,
        finish_on_key="#",
        action=callback_url("webhooks.voice_recorded"),
        method="POST",
        recording_status_callback=callback_url("webhooks.voice_recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
        transcribe=True,
        transcribe_callback=callback_url("webhooks.voice_transcription"),
    )
    say(response, "未收到您的留言，感谢来电，再见。")
    response.hangup()
    return response


AGENT_FORM = AgentForm()


@blueprint.route("/twilio/voice/queue/wait", methods=METHODS)
@twilio_webhook
def voice_queue_wait() -> Response:
    """<Enqueue>'s waitUrl, fetched again each time its document ends: where the caller is in
    the queue, and after HOTLINE_QUEUE_MAX_WAIT_SECONDS, <Leave> (the action offers a message)."""
    form = parse(AGENT_FORM)
    response = VoiceResponse()
    if form["queue_time"] >= int(current_app.config["QUEUE_MAX_WAIT_SECONDS"]):
        response.leave()
        return twiml(response)
    ahead = max(form["queue_position"] - 1, 0)
    say(response, f"坐席正忙，您前面还有{ahead}位来电，请稍候。" if ahead else "坐席正忙，请稍候。")
    response.pause(length=HOLD_SAY_EVERY_SECONDS)
    return twiml(response)


@blueprint.route("/twilio/voice/agent/done", methods=METHODS)
@twilio_webhook
def voice_agent_done() -> Response:
    """The action of the agent's <Dial> or of <Enqueue>: a caller no agent answered may leave
    a message; one who talked to an agent hears goodbye."""
    form = parse(AGENT_FORM)
    response = VoiceResponse()
    if form["dial_status"] in NO_AGENT_DIAL_STATUSES or form["queue_result"] in (
        NO_AGENT_QUEUE_RESULTS
    ):
        return twiml(
            leave_message(
                response,
                "很抱歉，坐席暂时无法接听。请在提示音后留言，说明您的诉求和具体地址，说完请按井号键。",
            )
        )
    response.hangup()
    return twiml(response)


def spoken_number(number: str) -> str:
    # Digit by digit, so the voice does not read a fourteen-digit amount.
    return " ".join(number.replace("-", ""))


@blueprint.route("/twilio/voice/status", methods=METHODS)
@twilio_webhook
def voice_ticket_status() -> Response:
    form = parse(CALL_FORM)
    digits = re.sub(r"\D", "", form["digits"])
    response = VoiceResponse()
    ticket = None
    key = phone_key(sender_number(form["caller"]))
    if len(digits) == TICKET_DIGITS:
        ticket = callers_ticket(db.session, f"{digits[:8]}-{digits[8:]}", key)
    # Only the requester's own phone hears anything about a ticket, even whether it exists.
    if ticket is None:
        say(response, "未查到本机号码提交的该工单，请核对工单号码。")
    else:
        say(response, status_text(db.session, ticket, spoken_number))
    say(response, "感谢来电，再见。")
    response.hangup()
    return twiml(response)


def recording_sid_of(form: dict[str, Any]) -> str | None:
    """The RecordingSid, or, from <Record>'s action (which carries none), the one its
    RecordingUrl ends with."""
    return form["recording_sid"] or recording_sid_in(form["recording_url"])


def keep_recording(form: dict[str, Any]) -> None:
    """Keep the recording on its call, so a message whose transcription never arrives (too
    short, too long, or failed) can still be found and listened to."""
    if not form["recording_url"]:
        return
    call = locked_call(db.session, form["call_sid"])
    if call is None:
        return
    # <Record>'s action may come after the status callback: a value never overwrites one
    # already kept with nothing.
    kept = {
        key: value
        for key, value in (
            ("recording_sid", recording_sid_of(form)),
            ("recording_url", form["recording_url"]),
            ("recording_duration", form["recording_duration"]),
        )
        if value
    }
    call.payload = dict(call.payload or {}) | kept
    commit()


@blueprint.route("/twilio/voice/recorded", methods=METHODS)
@twilio_webhook
def voice_recorded() -> Response:
    """<Record>'s action: the caller finished speaking (or hung up)."""
    keep_recording(parse(RECORDING_FORM))
    response = VoiceResponse()
    say(response, "您的留言已收到，我们将尽快处理。感谢来电，再见。")
    response.hangup()
    return twiml(response)


@blueprint.route("/twilio/voice/recording", methods=METHODS)
@twilio_webhook
def voice_recording() -> Response:
    """<Record>'s recordingStatusCallback: the file is ready. It carries no From or To."""
    form = parse(RECORDING_FORM)
    if form["recording_status"] in ("", "completed"):
        keep_recording(form)
    return plain(200, "")


def caller_of(form: dict[str, Any], call: InboundMessage | None) -> str | None:
    """The caller in E.164, from the callback or else from the call it belongs to."""
    raw = form["caller"] or (call.from_number if call is not None else None)
    return sender_number(raw)


@blueprint.route("/twilio/voice/transcription", methods=METHODS)
@twilio_webhook
def voice_transcription() -> Response:
    form = parse(RECORDING_FORM)
    # Taken first, as the adoption job takes it, so the two never make two tickets of one message.
    call = locked_call(db.session, form["call_sid"])
    caller = caller_of(form, call)
    voicemail = Voicemail(
        call_sid=form["call_sid"],
        recording_sid=recording_sid_of(form),
        caller=caller,
        transcription=form["transcription_text"],
        transcribed=usable_transcript(form["transcription_status"], form["transcription_text"]),
        recording_url=form["recording_url"],
    )
    # The call row already holds the CallSid, so a message without a RecordingSid needs its own key.
    sid = voicemail_sid(voicemail.call_sid, voicemail.recording_sid)
    earlier = find_voicemail(db.session, voicemail.call_sid, voicemail.recording_sid, call)
    row = None
    if earlier is None:
        row = claim(
            db.session,
            sid,
            "voicemail",
            from_number=caller or form["caller"],
            to_number=form["to"],
            body=form["transcription_text"],
            payload=raw_params(),
        )
        # None: a retry of a transcription whose call is not on record.
        earlier = find(db.session, sid) if row is None else None
    if row is None:
        # A retry, or a transcription later than the job that adopted the recording.
        if earlier is not None and voicemail.transcribed:
            add_late_transcription(db.session, earlier, voicemail.transcription)
        return plain(200, "")
    ticket = record_voicemail(db.session, voicemail)
    row.ticket_id = ticket.id
    row.outcome = f"ticket_{ticket.triage_outcome}"
    mark_voicemail(call, sid)
    commit()
    return plain(200, "")
