"""SMS conversation routing: a text becomes a new ticket, a follow-up to a recent one, a survey
answer, a status query or an opt-out; each gets the reply the requester should read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select

from hotline import lifecycle, opt_outs
from hotline.channel_notes import citizens_words
from hotline.clock import utcnow
from hotline.control_characters import without_controls
from hotline.extensions import DbSession
from hotline.intake import IntakeResult, Submission, submit
from hotline.lifecycle import Actor
from hotline.lifecycle.clocks import provisional_mark
from hotline.lifecycle.dispatching import unit_notices
from hotline.models import Conversation, OutboxMessage, Ticket
from hotline.phones import phone_key, sender_number
from hotline.postgres import run
from hotline.routing_context import routing_context
from hotline.sms_keywords import WORDS, Keyword
from hotline.ticket_status import callers_ticket, local_time, status_text
from routing.glossary import AppealType, TriageOutcome
from routing.triage import SAME_CALLER_SIMILARITY, similarity, text_features, triage
from routing.workflow import Role, TicketState

SMS_ACTOR = Actor(role=Role.SYSTEM, name="twilio-sms")
DEFAULT_WINDOW_MINUTES = 30
FOLLOW_UP = "followup"
RELAY = "relay"  # a unit's message relayed by the centre (hotline.lifecycle.relay)
SURVEY = "survey"
EMERGENCY_NUMBERS = "110/119/120/122"

# Twilio's own opt-out words plus the Chinese carriers' 退订/TD: such a text is never an appeal.
# The same words the webhook answers before any conversation is looked at (hotline.sms_keywords).
OPT_OUT_WORDS = frozenset(word for word, kind in WORDS.items() if kind is Keyword.STOP)
OPTED_OUT = (
    "【12345】您已退订本热线的短信通知，将不再收到回访和办理进度短信。"
    "回复“订阅”可恢复；反映诉求请直接发送内容或拨打12345。"
)
OPTED_IN = "【12345】您已恢复接收本热线的短信通知。回复“TD”可退订。"
START_NEEDED = (
    "【12345】您此前回复了 STOP，短信平台仍在拦截发往本号码的短信。请回复 START 恢复接收。"
)
QUERY = re.compile(r"^(?:查询|查|CX)[:：]?(\d{8})-?(\d{6})$", re.IGNORECASE)
# 查询/CX followed by no ticket number, or a malformed one ("查询 abc", "CX12"): the command
# was meant, so it gets the format, not a ticket. "查询一下社保..." is an appeal.
QUERY_MISFORMED = re.compile(r"^(?:查询|CX)[:：]?[0-9A-Za-z\-]{0,20}$", re.IGNORECASE)
QUERY_HELP = "【12345】查询工单请发送：查询 工单号（如 查询 20261128-000001）。"
SURVEY_ANSWERS = {
    "1": "satisfied",
    "2": "basically_satisfied",
    "3": "unsatisfied",
    # Longest first so that 不满意 and 基本满意 are not read as 满意.
    "基本满意": "basically_satisfied",
    "不满意": "unsatisfied",
    "满意": "satisfied",
}
SATISFACTION_LABELS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
}
# Obvious words only; anything else stays "other" for an agent to correct.
APPEAL_TYPE_WORDS: tuple[tuple[AppealType, tuple[str, ...]], ...] = (
    (AppealType.REPORT, ("举报",)),
    (AppealType.COMPLAINT, ("投诉",)),
    (AppealType.PRAISE, ("表扬", "感谢", "谢谢")),
    (AppealType.SUGGESTION, ("建议",)),
    (AppealType.HELP, ("求助", "帮帮", "帮忙")),
    (AppealType.CONSULT, ("咨询", "请问", "怎么办理", "如何办理")),
)


@dataclass(frozen=True)
class InboundSms:
    sid: str
    sender: str
    body: str
    media_urls: tuple[str, ...] = ()


@dataclass
class SmsReply:
    """The text to send back ("" for none), what happened, and the ticket it concerns."""

    text: str
    outcome: str
    ticket: Ticket | None = None
    extra: dict[str, str] = field(default_factory=dict)


def guess_appeal_type(text: str) -> AppealType:
    for appeal_type, words in APPEAL_TYPE_WORDS:
        if any(word in text for word in words):
            return appeal_type
    return AppealType.OTHER


def window() -> timedelta:
    return timedelta(
        minutes=int(current_app.config.get("SMS_CONVERSATION_MINUTES", DEFAULT_WINDOW_MINUTES))
    )


_CONVERSATION_COLUMNS = ("phone_key", "kind", "ticket_id", "state", "data", "open_until")


@cache
def _open_conversation_statement() -> Any:
    """Built once per process: every SMS that becomes a ticket opens one."""
    table = Conversation.__table__
    return insert(Conversation).values(
        {name: bindparam(name, type_=table.c[name].type) for name in _CONVERSATION_COLUMNS}
    )


def open_conversation(
    session: DbSession,
    key: str,
    kind: str,
    ticket: Ticket,
    *,
    until: datetime,
    data: dict[str, object] | None = None,
) -> None:
    """Replies from this number until `until` belong to `ticket` (one INSERT, no ORM object)."""
    run(
        session,
        _open_conversation_statement(),
        {
            "phone_key": key,
            "kind": kind,
            "ticket_id": ticket.id,
            "state": "open",
            "data": data or {},
            "open_until": until,
        },
    )


@cache
def _current_conversation_query() -> Any:
    """Built once per process: every inbound SMS asks it (most find nothing)."""
    return (
        select(Conversation.id)
        .where(
            Conversation.phone_key == bindparam("key"),
            Conversation.state == "open",
            Conversation.open_until > bindparam("at"),
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def current_conversation(session: DbSession, key: str, at: datetime) -> Conversation | None:
    """The newest open conversation with this number; a survey and a follow-up can overlap."""
    rows = run(session, _current_conversation_query(), {"key": key, "at": at})
    return session.get(Conversation, rows[0][0]) if rows else None


def receive(session: DbSession, sms: InboundSms, *, at: datetime | None = None) -> SmsReply:
    """Route one inbound SMS; flushes, never commits."""
    at = at or utcnow()
    phone = sender_number(sms.sender)
    key = phone_key(phone)
    text = unicodedata.normalize("NFKC", sms.body).strip()
    compact = re.sub(r"\s+", "", text)
    if compact.upper() in OPT_OUT_WORDS:
        return opt_out(session, key, compact.upper(), sms.sid)
    query = QUERY.match(compact)
    if query:
        return status_reply(session, f"{query.group(1)}-{query.group(2)}", key)
    if QUERY_MISFORMED.match(compact):
        return SmsReply(QUERY_HELP, "query")
    if key is not None:
        conversation = current_conversation(session, key, at)
        if conversation is not None:
            # Any open conversation: a unit's relayed message may be what the text answers.
            answered = _relay_answered(session, key, at, text)
            if answered is not None:
                return follow_up(session, answered, sms, at)
        if conversation is not None and conversation.kind == SURVEY:
            answer = SURVEY_ANSWERS.get(compact.rstrip("。.!！"))
            if answer is not None:
                return answer_survey(session, conversation, answer, sms, at)
            if _comments_on_the_survey(session, conversation, text):
                return survey_comment(session, conversation, text, at)
            # Anything else is a message in its own right: a follow-up or a new appeal.
            conversation = _follow_up_behind(session, key, at, conversation)
        elif conversation is not None and conversation.kind == RELAY:
            # Not an answer to any relay: perhaps a follow-up of the number's own appeal.
            conversation = _follow_up_behind(session, key, at, conversation)
        if conversation is not None and conversation.kind == FOLLOW_UP:
            ticket = session.get(Ticket, conversation.ticket_id)
            if ticket is None or ticket.state == TicketState.CLOSED:
                # Closed since: nobody would read a note, so the text is an appeal of its own.
                conversation.state = "closed"
            elif (
                not _emergency(text)
                and not _a_report_joining(ticket, text)
                and _about(ticket, text)
            ):
                return follow_up(session, conversation, sms, at)
    return new_ticket(session, sms, phone, key, at)


def _relay_answered(session: DbSession, key: str, at: datetime, text: str) -> Conversation | None:
    """The unit's relayed message this text answers, among those still open for the number:
    the one whose ticket number it names, else the one whose question or ticket it shares most
    words with (the newest on a tie), of those whose ticket it speaks of. A danger, or a 举报 on
    a ticket that is none (it may be about that very unit), is never filed as an answer."""
    from hotline.lifecycle.relay import holds

    relays = list(
        session.scalars(
            select(Conversation)
            .where(
                Conversation.phone_key == key,
                Conversation.kind == RELAY,
                Conversation.state == "open",
                Conversation.open_until > at,
            )
            .order_by(Conversation.id.desc())
        )
    )
    if not relays or _emergency(text):
        return None
    live: list[tuple[Conversation, Ticket]] = []
    for conversation in relays:
        ticket = session.get(Ticket, conversation.ticket_id)
        unit = (conversation.data or {}).get("relay_unit")
        if ticket is None or ticket.state == TicketState.CLOSED or not holds(ticket, unit):
            conversation.state = "closed"  # nobody left to answer: the window ends
            continue
        if not _a_report_joining(ticket, text):
            live.append((conversation, ticket))
    # A number named: the whole number first, then its last six digits (newest first).
    for whole in (True, False):
        for conversation, ticket in live:
            if (ticket.number if whole else ticket.number.split("-")[-1]) in text:
                return conversation
    scored: list[tuple[float, int, Conversation]] = []
    words = text_features(text)
    for conversation, ticket in live:
        if not _about(ticket, text):
            continue
        question = str((conversation.data or {}).get("question", ""))
        score = max(
            similarity(words, text_features(question)),
            similarity(words, text_features(citizens_words(ticket.text))),
        )
        scored.append((score, conversation.id, conversation))
    return max(scored, key=lambda entry: entry[:2])[2] if scored else None


def _a_report_joining(ticket: Ticket, text: str) -> bool:
    """A 举报 never joins a ticket that is not one: it may be about the very unit or people
    handling that ticket, and is an appeal of its own, hidden from them."""
    return guess_appeal_type(text) is AppealType.REPORT and ticket.appeal_type != AppealType.REPORT


def _emergency(text: str) -> bool:
    """A danger reported inside the follow-up window is transferred, not filed as a note."""
    return triage(text, routing_context().triage_rules).outcome is TriageOutcome.EMERGENCY


def _follow_up_behind(
    session: DbSession, key: str, at: datetime, survey: Conversation
) -> Conversation | None:
    return session.scalars(
        select(Conversation)
        .where(
            Conversation.phone_key == key,
            Conversation.kind == FOLLOW_UP,
            Conversation.state == "open",
            Conversation.open_until > at,
            Conversation.id != survey.id,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    ).first()


def message_text(sms: InboundSms) -> str:
    """The appeal as received, with MMS attachments listed so that nothing sent is lost."""
    text = sms.body.strip()
    if sms.media_urls:
        text += "\n附件：" + "\n".join(sms.media_urls)
    return text.strip()


def new_ticket(
    session: DbSession, sms: InboundSms, phone: str | None, key: str | None, at: datetime
) -> SmsReply:
    body = message_text(sms)
    result = submit(
        session,
        SMS_ACTOR,
        Submission(
            channel="sms",
            text=body,
            appeal_type=guess_appeal_type(body),
            requester_phone=phone,
            external_id=sms.sid,
        ),
        at=at,
    )
    ticket = result.ticket
    # What a reply would add to: the new ticket, or the open one a repeat was merged into,
    # unless the repeat is a 举报 or confidential: its requester's notes would be read on
    # another's ticket by everyone who works on it.
    joins = ticket if ticket.triage_outcome == TriageOutcome.DISPATCH else None
    merged = ticket.triage_outcome == TriageOutcome.MERGE and result.parent is not None
    if merged and not ticket.hidden_from_everyone:
        joins = result.parent
    follow_up_open = key is not None and joins is not None
    reply = SmsReply(
        intake_reply(session, result, follow_up_open), f"ticket_{ticket.triage_outcome}", ticket
    )
    if key is not None and joins is not None:
        open_conversation(
            session, key, FOLLOW_UP, joins, until=at + window(), data={"number": joins.number}
        )
    return reply


def intake_reply(session: DbSession, result: IntakeResult, follow_up_open: bool = False) -> str:
    """The answer to a new appeal; it invites a follow-up only when a reply would join it."""
    ticket = result.ticket
    outcome = TriageOutcome(ticket.triage_outcome)
    minutes = int(window().total_seconds() // 60)
    invitation = f"{minutes}分钟内回复本号码可补充说明。" if follow_up_open else ""
    if outcome is TriageOutcome.EMERGENCY:
        service = result.triage.service or EMERGENCY_NUMBERS
        return (
            f"【12345】您反映的情况紧急，请立即拨打{service}"
            f"（报警110、火警119、急救120、交通事故122）。记录编号 {ticket.number}。"
        )
    if outcome is TriageOutcome.REFERRAL:
        guidance = result.triage.guidance_zh or ticket.triage_reason
        return f"【12345】您的来信已登记，工单号 {ticket.number}。{guidance}"
    if outcome is TriageOutcome.NOT_ACCEPTED:
        return f"【12345】很抱歉，您的信息未能受理：{ticket.triage_reason}"
    if outcome is TriageOutcome.MERGE:
        parent = session.get(Ticket, ticket.parent_id) if ticket.parent_id else None
        number = parent.number if parent is not None else ticket.number
        return f"【12345】您反映的问题已并入工单 {number}，我们将一并办理。{invitation}"
    if outcome is TriageOutcome.ANSWER:
        return f"【12345】工单号 {ticket.number}。{ticket.reply_text or ''}".rstrip()
    if ticket.handle_due_at is not None:
        mark = provisional_mark(ticket, ticket.handle_due_at)
        promise = f"我们将在{local_time(ticket.handle_due_at)}{mark}前答复。"
    else:
        promise = "我们将尽快转交承办单位办理。"
    return f"【12345】您的诉求已受理，工单号 {ticket.number}。{promise}{invitation}"


def follow_up(
    session: DbSession, conversation: Conversation, sms: InboundSms, at: datetime
) -> SmsReply:
    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None  # a foreign key guarantees it
    text = without_controls(message_text(sms)).strip()
    if not text:
        # An empty text (or one of control characters only) adds nothing to the ticket; the
        # exchange stays as it was.
        return SmsReply(
            f"【12345】未收到补充内容。如需补充工单 {ticket.number}，请直接回复文字说明。",
            "empty_note",
            ticket,
        )
    unit = (conversation.data or {}).get("relay_unit")
    payload: dict[str, Any] = {"channel": "sms"} | ({"reply_to": unit} if unit else {})
    event = lifecycle.add_note(session, ticket, SMS_ACTOR, text, at=at, payload=payload)
    if unit:
        # The unit that asked learns that the answer is on its ticket; the window it opened
        # stays as long as it was.
        notices = unit_notices(ticket, [unit], event.seq, "notify_unit_requester_replied")
        session.add_all(OutboxMessage(**row) for row in notices)
        return SmsReply(
            f"【12345】您的回复已转达承办单位（工单 {ticket.number}）。", "relay_reply", ticket
        )
    # Each further message keeps the exchange open for another window.
    conversation.open_until = at + window()
    return SmsReply(f"【12345】您的补充说明已记入工单 {ticket.number}。", "note", ticket)


def answer_survey(
    session: DbSession, conversation: Conversation, satisfaction: str, sms: InboundSms, at: datetime
) -> SmsReply:
    ticket = session.get(Ticket, conversation.ticket_id)
    assert ticket is not None
    label = SATISFACTION_LABELS[satisfaction]
    conversation.state = "answered"
    conversation.data = dict(conversation.data or {}) | {"answer": satisfaction, "sid": sms.sid}
    recorded = False
    if ticket.state == TicketState.REVIEWED and satisfaction != "unsatisfied":
        # The SMS survey asks one question; a satisfied answer implies contact and a solution.
        lifecycle.callback(
            session,
            ticket,
            SMS_ACTOR,
            reachable=True,
            contacted=True,
            solved=True,
            satisfaction=satisfaction,
            note="短信回访",
            at=at,
        )
        recorded = True
    else:
        # Whether an unsatisfied result is the unit's fault needs an agent's judgement.
        _survey_note(session, ticket, f"短信回访答复：{label}，待坐席核实。", satisfaction, at)
    if satisfaction == "unsatisfied":
        text = (
            f"【12345】已收到您对工单 {ticket.number} 的评价：{label}。工作人员将尽快与您联系核实。"
        )
    else:
        text = f"【12345】感谢您对工单 {ticket.number} 的评价：{label}。"
    return SmsReply(text, "survey" if recorded else "survey_note", ticket, {"answer": satisfaction})


def _shares_its_words(ticket: Ticket, text: str) -> bool:
    """The words a repeat of the ticket would share with it."""
    shared = similarity(text_features(text), text_features(citizens_words(ticket.text)))
    return shared >= SAME_CALLER_SIMILARITY


def _matter_of(text: str) -> str | None:
    return routing_context().classifier.classify(text).matter_code


def _about(ticket: Ticket, text: str) -> bool:
    """Whether a text sent inside the follow-up window of the ticket speaks of the ticket's
    problem: its words, or no matter of its own, or one in the same branch of the matter tree
    ("物业电话一直打不通" after a lift complaint). "楼下烧烤店油烟很大" after a lift complaint is
    an appeal of its own."""
    if ticket.matter_code is None or _shares_its_words(ticket, text):
        return True
    matter = _matter_of(text)
    if matter is None or matter == ticket.matter_code:
        return True
    tree = routing_context().matters
    if matter not in tree or ticket.matter_code not in tree:
        return False
    return tree.ancestors(matter)[-1] == tree.ancestors(ticket.matter_code)[-1]


def _comments_on_the_survey(session: DbSession, survey: Conversation, text: str) -> bool:
    """Whether a worded reply to the survey is the requester's view of the surveyed result
    ("电梯还是坏的，根本没修好"): only while the survey is still waiting for its answer (the ticket
    under review), only about that very problem (its words, or its own leaf matter), and never
    an emergency. Anything else is an appeal of its own: a comment is read by the agent who
    calls back, and nobody else."""
    ticket = session.get(Ticket, survey.ticket_id)
    if ticket is None or ticket.state != TicketState.REVIEWED or _emergency(text):
        return False
    if _shares_its_words(ticket, text):
        return True
    matter = _matter_of(text)
    return matter is not None and matter == ticket.matter_code


def _survey_note(
    session: DbSession, ticket: Ticket, text: str, answer: str | None, at: datetime
) -> None:
    """A survey answer for an agent to act on, as confidential as a rating (`survey_answer`
    hides the payload from units; None for a worded answer)."""
    payload = {"channel": "sms", "survey_answer": answer}
    lifecycle.add_note(session, ticket, SMS_ACTOR, text, at=at, payload=payload)


def survey_comment(session: DbSession, survey: Conversation, text: str, at: datetime) -> SmsReply:
    """A worded answer about the surveyed problem is the requester's view of the result: kept
    on the ticket for the agent who calls back (as confidential as a rating), and the survey
    stays open for the 1/2/3 it asked for. Not a new appeal merged into the ticket under survey,
    where nobody reading the survey would see it."""
    ticket = session.get(Ticket, survey.ticket_id)
    assert ticket is not None
    _survey_note(session, ticket, f"短信回访期间来信，待坐席核实：{text}", None, at)
    return SmsReply(
        f"【12345】您对工单 {ticket.number} 的意见已记录，工作人员将与您联系核实。"
        "如需评价，请回复数字：1 满意，2 基本满意，3 不满意。",
        "survey_comment",
        ticket,
    )


def status_reply(session: DbSession, number: str, key: str | None) -> SmsReply:
    ticket = callers_ticket(session, number, key)
    # Only the requester's own number may learn anything, even whether the ticket exists.
    if ticket is None:
        return SmsReply(f"【12345】未查到本机号码提交的工单 {number}，请核对工单号。", "query")
    return SmsReply(f"【12345】{status_text(session, ticket, str)}", "query", ticket)


def opt_out(
    session: DbSession, key: str | None, keyword: str = "STOP", sid: str | None = None
) -> SmsReply:
    """The number unsubscribed: nothing more is sent to it (hotline.opt_outs), and every open
    exchange with it ends."""
    if key is not None:
        opt_outs.record(session, key, keyword, sid)
        for conversation in session.scalars(
            select(Conversation).where(Conversation.phone_key == key, Conversation.state == "open")
        ):
            conversation.state = "closed"
    return SmsReply(OPTED_OUT, "opt_out")
