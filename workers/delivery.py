"""Performing one outbox message exactly once: compose the text, send it, record the result."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from requests import RequestException
from rq import Retry
from sqlalchemy import select
from twilio.base.exceptions import TwilioException, TwilioRestException

from hotline import opt_outs
from hotline.clock import utcnow
from hotline.conversations import open_conversation
from hotline.domain import current_domain
from hotline.extensions import db
from hotline.models import OutboxMessage, PersonalDataAccess, Requester, Ticket
from hotline.outbox import CANCELLED
from hotline.recipients import Contact, contact_for
from hotline.sms import Sent, SmsSender, TwilioSender, advances, sender_for
from hotline.stale_messages import stale_reason

log = logging.getLogger(__name__)

TEMPLATES = {
    "notify_unit": "【12345】您单位有新工单 {number}，请登录系统及时签收办理。",
    "notify_unit_reopened": "【12345】工单 {number} 回访不满意，已重办，请重新签收办理"
    "（协办单位请重新提交协办意见）。",
    "notify_unit_reply_returned": "【12345】工单 {number} 的答复未通过审核，已退回，"
    "请补充办理后重新答复。",
    "notify_unit_return_refused": "【12345】工单 {number} 的退单申请未获批准，请继续办理。",
    "notify_unit_urgency_raised": "【12345】工单 {number} 的诉求人再次反映，已升级为{note}，"
    "时限提前至 {due}，请优先办理。",
    # A supervisor urges or supervises at any time, not only past a deadline: the texts claim no
    # lateness; the sweeper's own note names the clock and its due time.
    "urge": "【12345催办】请尽快办理工单 {number}。{note}",
    "supervise": "【12345督办】工单 {number} 已列入督办，请单位负责人督促办理。{note}",
    "escalate": "【12345提级督办】工单 {number} 已提级督办：{note}",
    "warning": "【12345预警】工单 {number} 的{clock}时限将于 {due} 到期，请抓紧办理。",
    "overdue": "【12345超期】工单 {number} 的{clock}时限已于 {due} 到期，请立即办理。",
    "extension_approved": "【12345】您的诉求（工单号 {number}）承办单位延期申请已获批准，"
    "新的办结时限为 {due}。",
    "callback_survey": "【12345回访】您反映的问题（工单号 {number}）已办理答复。请回复数字评价："
    "1 满意，2 基本满意，3 不满意。",
    "merged_result": "【12345】您反映的问题（工单号 {number}）已并入工单 {parent} 合并办理，"
    "现已办理答复。如仍未解决，请致电12345反映。",
    "unit_relay": "【12345】{unit}就您反映的问题（工单号 {number}）向您转达：{text}"
    "（如需回复，请直接回复本短信）",
    "notify_unit_requester_replied": "【12345】工单 {number} 的诉求人已回复您单位经中心转达的消息，"
    "请登录系统查看。",
    "merged_extension": "【12345】您反映的问题（工单号 {number}）已并入工单 {parent} 合并办理，"
    "承办单位延期申请已获批准，新的办结时限为 {due}。",
}
# Texts to citizens, which an unsubscribe stops. Duty texts to units, their heads and the centre
# (notices, reminders, supervision and escalation orders) are no subscription: a reflexive
# "TD" to a 【12345督办】 text must not silence the next order.
OPT_OUT_KINDS = frozenset({"sms_requester", "sms"})
# How long a callback survey waits for the requester's reply before an agent calls instead.
SURVEY_OPEN = timedelta(days=2)


def _requester_phone(message: OutboxMessage) -> Contact:
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None or ticket.requester_id is None:
        return Contact(None, "工单没有诉求人")
    requester = db.session.get(Requester, ticket.requester_id)
    if requester is None or not requester.phone:
        return Contact(None, "诉求人没有留电话")
    db.session.add(
        PersonalDataAccess(
            requester_id=requester.id,
            ticket_id=ticket.id,
            actor="system",
            purpose=f"sms:{message.kind}",
        )
    )
    return Contact(requester.phone)


def _ladder_contact(message: OutboxMessage) -> Contact:
    """The phone of the payload's `recipient`, a ladder target, for the message's ticket."""
    payload: dict[str, Any] = message.payload
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    return contact_for(
        db.session,
        payload.get("recipient", "unit_liaison"),
        payload.get("unit_code"),
        ticket.area_code if ticket is not None else None,
    )


def compose(message: OutboxMessage) -> tuple[Contact, str]:
    """Whom the message goes to (or why nobody) and its text."""
    payload: dict[str, Any] = message.payload
    if message.kind == "sms_requester":
        text = TEMPLATES[payload["template"]].format(
            number=payload["number"],
            due=_due(payload),
            parent=payload.get("parent", ""),
            unit=payload.get("unit", ""),
            text=payload.get("text", ""),
        )
        return _requester_phone(message), text
    if message.kind == "sms":
        return Contact(payload["to"] or None, "没有号码"), payload["body"]
    text = TEMPLATES[payload.get("template") or message.kind].format(
        number=payload.get("number", ""),
        note=payload.get("note", ""),
        clock=payload.get("clock", ""),
        due=_due(payload),
    )
    return _ladder_contact(message), text


def _local(iso: str) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(current_domain().tz).strftime("%Y-%m-%d %H:%M")


def _due(payload: dict[str, Any]) -> str:
    """The payload's due time in local time, marked when it rests on a provisional year."""
    due = _local(payload.get("due_at", ""))
    return f"{due}（暂定）" if due and payload.get("due_provisional") else due


class DeliveryDeferred(RuntimeError):
    """A send (or the look-up before it) failed in a way worth retrying; RQ retries the job
    with backoff, and after the last retry the row is `failed` with this error (`give_up`)."""


def expected_failure(error: BaseException) -> bool:
    """A failure that comes with talking to a provider over a network (it is unreachable,
    slow, or answers with an error): logged as one line, without a traceback. A deferral
    caused by anything else (a bug) is not."""
    if isinstance(error, DeliveryDeferred):
        return error.__cause__ is None or expected_failure(error.__cause__)
    return isinstance(error, (RequestException, TwilioException))


def describe(error: BaseException) -> str:
    """`Type: message` on one line, for `last_error` and the log (a deferral's own message
    already says what failed)."""
    text = str(error) if isinstance(error, DeliveryDeferred) else f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:2000]


# RQ retries a failed delivery after 10 s, 30 s, 1 min, 5 min and 15 min, then gives up.
RETRY_INTERVALS = (10, 30, 60, 300, 900)
# How far before the recorded attempt a reconciliation looks for the provider's message.
RECONCILE_MARGIN = timedelta(minutes=5)
# How many of the newest texts from our number to this one the reconciliation reads.
RECONCILE_LIMIT = 100
DONE_STATES = frozenset({"sent", "skipped", "failed", CANCELLED})
# A `sending` row younger than this whose attempt never reported back may still be in flight.
IN_FLIGHT = timedelta(seconds=90)


def delivery_retry() -> Retry:
    return Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))


def _lock(message_id: int) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.id == message_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalars(query.execution_options(populate_existing=True)).first()


def _attempt(message: OutboxMessage) -> dict[str, Any]:
    attempt: dict[str, Any] = (message.payload or {}).get("delivery") or {}
    return attempt


def _attempted_at(message: OutboxMessage) -> datetime | None:
    raw = _attempt(message).get("attempted_at")
    return datetime.fromisoformat(raw) if raw else None


def _mark_ended(message: OutboxMessage, at: datetime) -> None:
    payload = dict(message.payload or {})
    payload["delivery"] = {**_attempt(message), "ended_at": at.isoformat()}
    message.payload = payload


def _mark_sending(message: OutboxMessage, at: datetime) -> None:
    # The payload carries the attempt time: it is what a reconciliation searches from.
    payload = dict(message.payload or {})
    payload["delivery"] = {"attempted_at": at.isoformat(), "attempt": message.attempts}
    message.payload = payload
    message.state = "sending"


def _find_sent(sender: SmsSender, to: str, body: str, since: datetime) -> Sent | None:
    """The provider's record of this very text to this number since `since`, if any."""
    if not isinstance(sender, TwilioSender):
        return None  # the log sender sends nothing anyone could receive twice
    # Not filtered by DateSent: a text Twilio accepted but still holds in its queue has no
    # date_sent yet, and would not be found. The newest first; older than the attempt is another.
    earliest = since - RECONCILE_MARGIN
    records = sender.client.messages.list(to=to, from_=sender.from_number, limit=RECONCILE_LIMIT)
    for record in records:
        created = record.date_created
        if created is not None and created < earliest:
            continue
        if (record.body or "").strip() == body.strip():
            return Sent(provider_id=str(record.sid), status=str(record.status))
    return None


def _retryable(error: Exception) -> bool:
    if isinstance(error, TwilioRestException):
        # The provider refused the request: nothing was sent. Only throttling and outages pass.
        status = int(error.status)
        return status == 429 or status >= 500
    return True


def _open_survey(message: OutboxMessage) -> None:
    """A sent callback survey opens the conversation its 1/2/3 reply will answer."""
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None or ticket.requester_phone_key is None:
        return
    open_conversation(
        db.session, ticket.requester_phone_key, "survey", ticket, until=utcnow() + SURVEY_OPEN
    )


def _finish(message: OutboxMessage, sent: Sent) -> str:
    # Locked and read again: a status callback may have written the row since `sending` was
    # committed, and must not be overwritten by what was read before.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(message, with_for_update=True)
    else:
        db.session.refresh(message)
    if message.payload.get("template") == "callback_survey":
        _open_survey(message)
    message.state = "sent"
    message.provider_id = sent.provider_id
    # A status callback may have come first (it finds the row by its id): keep what it said.
    if advances(message.delivery_status, sent.status):
        message.delivery_status = sent.status
    message.last_error = None
    message.done_at = utcnow()
    db.session.commit()
    log.info("outbox %s (%s) sent as %s", message.id, message.kind, sent.provider_id)
    return message.state


def _cancel(message: OutboxMessage, reason: str) -> str:
    message.state = CANCELLED
    message.last_error = reason
    message.done_at = utcnow()
    db.session.commit()
    log.info("outbox %s (%s) cancelled: %s", message.id, message.kind, reason)
    return message.state


def deliver(message_id: int) -> str:
    """Send one message at most once; commit its new state and return it. A message the
    ticket no longer wants (`stale_reason`) is `cancelled` with the reason instead.

    `sending` is committed before the provider is called, so a worker killed mid-send leaves a
    trace: the next attempt asks the provider whether the text went out and adopts it if so.
    Raises DeliveryDeferred for a failure worth retrying (the row is then `pending` again, or
    still `sending` when it is unknown whether the provider got the request). A look-up that
    fails is such a failure too: the row stays `sending`, and the next attempt looks up again
    before it sends. Logs nothing for a deferral: the job logs one line per failed attempt.
    """
    message = _lock(message_id)
    if message is None or message.state in DONE_STATES:
        db.session.rollback()
        return message.state if message is not None else "missing"
    now = utcnow()
    if message.state == "pending" and (reason := stale_reason(db.session, message, now)):
        return _cancel(message, reason)
    contact, body = compose(message)
    to = contact.phone
    if not to:
        # Nobody to send to is an outcome to see, not a silent drop: the row says why.
        message.state = "skipped"
        message.last_error = f"无接收号码：{contact.missing}"
        message.done_at = utcnow()
        db.session.commit()
        log.warning(
            "outbox %s (%s, ticket %s) not sent: %s",
            message.id,
            message.kind,
            message.ticket_id,
            message.last_error,
        )
        return message.state
    if (
        message.state == "pending"
        and message.kind in OPT_OUT_KINDS
        and (refused := opt_outs.refusal(db.session, to))
    ):
        # The requester texted 退订 / TD / STOP: the row says so, and the requester is reached
        # another way (the callback clock goes on to an agent's call).
        message.state = "skipped"
        message.last_error = refused
        message.done_at = utcnow()
        db.session.commit()
        log.info("outbox %s (%s) not sent: %s", message.id, message.kind, refused)
        return message.state
    sender = sender_for(current_app._get_current_object())  # type: ignore[attr-defined]
    previous = _attempted_at(message) if message.state == "sending" else None
    if previous is not None:
        if not _attempt(message).get("ended_at") and utcnow() - previous < IN_FLIGHT:
            db.session.rollback()
            raise DeliveryDeferred("上一次发送可能仍在进行中，稍后核对")
        try:
            found = _find_sent(sender, to, body, previous)
        except Exception as error:
            # Not knowing whether the text went out is a failed attempt like a failed send: the
            # row stays `sending` (the next attempt looks up again before it sends), RQ retries,
            # and after the last retry `give_up` makes it `failed` with this error.
            message.last_error = f"核对是否已发出失败：{describe(error)}"[:2000]
            db.session.commit()
            raise DeliveryDeferred(message.last_error) from error
        if found is not None:
            log.info("outbox %s: adopting %s from an interrupted attempt", message.id, found)
            return _finish(message, found)
        if reason := stale_reason(db.session, message, now):
            return _cancel(message, reason)  # it never went out, and is no longer wanted
    message.attempts += 1
    _mark_sending(message, utcnow())
    db.session.commit()
    try:
        sent = sender.send(to, body, message.id)
    except Exception as error:
        message.last_error = describe(error)
        if not _retryable(error):
            message.state = "failed"
            message.done_at = utcnow()
            db.session.commit()
            log.warning("outbox %s failed for good: %s", message.id, message.last_error)
            return message.state
        if isinstance(error, TwilioRestException):
            message.state = "pending"  # an answered refusal: certainly not sent
        else:
            _mark_ended(message, utcnow())  # unknown whether it went out: reconcile next time
        db.session.commit()
        raise DeliveryDeferred(message.last_error) from error
    return _finish(message, sent)


def out_of_retries(message_id: int, now: datetime | None = None) -> bool:
    """Whether a row that just failed in the embedded mode (no RQ to count retries) has had as
    many chances as RQ gives, over as long: 1 + len(RETRY_INTERVALS) sends since it became due
    at least RQ's retry span ago (the embedded relay retries every minute, so an outage shorter
    than RQ would wait out fails nothing), or a send whose outcome could not be looked up for
    that long."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.state in DONE_STATES:
        return False
    now = now or utcnow()
    span = timedelta(seconds=sum(RETRY_INTERVALS))
    if message.attempts >= 1 + len(RETRY_INTERVALS) and now - message.available_at >= span:
        return True
    attempted = _attempted_at(message)
    return message.state == "sending" and attempted is not None and now - attempted > span


def give_up(message_id: int, error: str) -> None:
    """After the last retry: the row is `failed`, with the reason, and nobody tries again."""
    message = _lock(message_id)
    if message is None or message.state in DONE_STATES:
        db.session.rollback()
        return
    message.state = "failed"
    message.last_error = error[:2000]
    message.done_at = utcnow()
    db.session.commit()
