"""Performing one outbox message exactly once: compose the text, send it, record the result."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select

from hotline.clock import utcnow
from hotline.domain import current_domain
from hotline.extensions import db
from hotline.models import OutboxMessage, PersonalDataAccess, Requester, Ticket, Unit
from hotline.sms import sender_for

log = logging.getLogger(__name__)

TEMPLATES = {
    "notify_unit": "【12345】您单位有新工单 {number}，请登录系统及时签收办理。",
    "urge": "【12345催办】工单 {number} 已临近或超过办理时限，请尽快办理。{note}",
    "supervise": "【12345督办】工单 {number} 办理超期，请单位负责人督促办理。{note}",
    "escalate": "【12345提级督办】工单 {number} 已提级督办：{note}",
    "extension_approved": "【12345】您的诉求（工单号 {number}）承办单位延期申请已获批准，"
    "新的办结时限为 {due}。",
}


def _unit_phone(unit_code: str | None, recipient: str) -> str | None:
    unit = db.session.get(Unit, unit_code) if unit_code else None
    if unit is None:
        return None
    if recipient == "unit_head":
        return unit.head_phone
    if recipient == "district_government" and unit.parent_code:
        parent = db.session.get(Unit, unit.parent_code)
        if parent is not None:
            return parent.head_phone
    return unit.liaison_phone


def _requester_phone(message: OutboxMessage) -> str | None:
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None or ticket.requester_id is None:
        return None
    requester = db.session.get(Requester, ticket.requester_id)
    if requester is None or not requester.phone:
        return None
    db.session.add(
        PersonalDataAccess(
            requester_id=requester.id,
            ticket_id=ticket.id,
            actor="system",
            purpose=f"sms:{message.kind}",
        )
    )
    return requester.phone


def compose(message: OutboxMessage) -> tuple[str | None, str]:
    payload: dict[str, Any] = message.payload
    if message.kind == "sms_requester":
        due = payload.get("due_at", "")
        text = TEMPLATES[payload["template"]].format(number=payload["number"], due=_local(due))
        return _requester_phone(message), text
    if message.kind == "sms":
        return payload["to"], payload["body"]
    text = TEMPLATES[message.kind].format(
        number=payload.get("number", ""), note=payload.get("note", "")
    )
    return _unit_phone(payload.get("unit_code"), payload.get("recipient", "unit_liaison")), text


def _local(iso: str) -> str:
    from datetime import datetime

    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(current_domain().tz).strftime("%Y-%m-%d %H:%M")


def deliver(message_id: int) -> str:
    """Send one message unless it is already done; commit its new state. Returns the state."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    message = db.session.scalars(query).first()
    if message is None or message.state != "pending":
        db.session.rollback()
        return message.state if message is not None else "missing"
    message.attempts += 1
    to, body = compose(message)
    if not to:
        message.state = "skipped"
        message.last_error = "no recipient number"
        message.done_at = utcnow()
        db.session.commit()
        return message.state
    sent = sender_for(current_app._get_current_object()).send(to, body)  # type: ignore[attr-defined]
    message.state = "sent"
    message.provider_id = sent.provider_id
    message.delivery_status = sent.status
    message.done_at = utcnow()
    db.session.commit()
    log.info("outbox %s (%s) sent as %s", message.id, message.kind, sent.provider_id)
    return message.state
