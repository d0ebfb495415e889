"""Whether a queued message still says something true when its time to go comes.

Alerts to people wait for working hours and surveys for the next business day: by then the
ticket may have been called back, reopened, redispatched or handled. Delivery asks here first
and cancels, with the reason, what is no longer wanted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from hotline.clock import utcnow
from hotline.extensions import DbSession
from hotline.models import OutboxMessage, Ticket, TicketEvent
from routing.glossary import ClockName
from routing.workflow import RULES, WORK_STATES, Action, TicketState

LADDER_KINDS = frozenset({"warning", "overdue", "urge", "supervise", "escalate"})
_PRESSURE_LABELS = {"urge": "催办", "supervise": "督办", "escalate": "提级督办"}
_ALERT_LABELS = {"warning": "预警", "overdue": "超期"} | _PRESSURE_LABELS
_CLOCK_LABELS = {
    ClockName.SIGN: "签收",
    ClockName.CONTACT: "响应",
    ClockName.HANDLE: "办结",
    ClockName.CALLBACK: "回访",
}
# A ticket whose reply the centre approved, and which no reopen has sent back since.
_ANSWERED_STATES = frozenset({TicketState.REVIEWED, TicketState.RATED, TicketState.CLOSED})
# Where a unit still has the ticket in hand: a notice of it is still news.
_UNIT_STATES = WORK_STATES | {TicketState.RETURNED}


def _seq(key: str) -> int | None:
    """The event seq a message key ends with (`callback_survey:<ticket>:<seq>`)."""
    last = key.rsplit(":", 1)[-1]
    return int(last) if last.isascii() and last.isdigit() else None


def _instant(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _survey(session: DbSession, ticket: Ticket, message: OutboxMessage) -> str | None:
    state = TicketState(ticket.state)
    if state is TicketState.RATED:
        return "回访已记录，不再发送回访短信"
    if state is TicketState.CLOSED:
        return "工单已办结，不再发送回访短信"
    if state is not TicketState.REVIEWED:
        return "工单已重办，回到承办单位，不再发送回访短信"
    latest = _latest_review(session, ticket)
    seq = _seq(message.idempotency_key)
    if seq is not None and latest is not None and seq < latest:
        return "已有更新一轮的回访短信，本条作废"
    return None


def _latest_review(session: DbSession, ticket: Ticket) -> int | None:
    return session.scalar(
        select(func.max(TicketEvent.seq)).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == Action.REVIEW.value
        )
    )


def _joined(session: DbSession, ticket: Ticket, payload: dict[str, Any]) -> Ticket | str:
    """The ticket a merged appeal's text speaks of, or why it no longer speaks of it."""
    parent = session.get(Ticket, ticket.parent_id) if ticket.parent_id else None
    if parent is None:
        return "诉求已拆出单独办理，本条作废"
    if parent.number != payload.get("parent"):
        return f"诉求已改并入工单 {parent.number}，本条作废"
    return parent


def _merged_extension(session: DbSession, ticket: Ticket, payload: dict[str, Any]) -> str | None:
    parent = _joined(session, ticket, payload)
    return parent if isinstance(parent, str) else _extension(parent, payload)


def _merged_result(session: DbSession, ticket: Ticket, message: OutboxMessage) -> str | None:
    parent = _joined(session, ticket, message.payload or {})
    if isinstance(parent, str):
        return parent
    if TicketState(parent.state) not in _ANSWERED_STATES:
        return "合并办理的工单已重办或退回，答复尚未定论"
    # The key ends with the seq of the parent's review that wrote it.
    seq, latest = _seq(message.idempotency_key), _latest_review(session, parent)
    if seq is not None and latest is not None and seq < latest:
        return "已有更新一轮的办理结果告知，本条作废"
    return None


def _extension(ticket: Ticket, payload: dict[str, Any]) -> str | None:
    if ticket.state == TicketState.CLOSED:
        return "工单已办结，不再告知延期"
    due = _instant(payload.get("due_at"))
    if ticket.extension_state != "approved" or due is None or ticket.handle_due_at != due:
        return "办结时限已变更（如已重办），延期告知作废"
    return None


def _notice(ticket: Ticket, payload: dict[str, Any]) -> str | None:
    unit = payload.get("unit_code")
    if unit not in {a.unit_code for a in ticket.assignments if a.active}:
        return f"工单已改派，{unit} 不再承办"
    if TicketState(ticket.state) not in _UNIT_STATES:
        return f"工单已不在承办阶段（{ticket.state}），不再通知单位"
    return None


def _ladder_alert(
    ticket: Ticket, kind: str, payload: dict[str, Any], key: str, now: datetime
) -> str | None:
    label = _ALERT_LABELS[kind]
    state = TicketState(ticket.state)
    if state is TicketState.CLOSED:
        return f"工单已办结，{label}作废"
    if kind in _PRESSURE_LABELS and state not in RULES[Action(kind)][0]:
        return f"工单当前为 {state}，无需再{label}"
    unit = payload.get("unit_code")
    if unit and unit != ticket.lead_unit_code:
        return f"工单已改派给 {ticket.lead_unit_code or '（待派单）'}，{label}作废"
    clock = payload.get("clock_name")
    if clock is None and kind in ("warning", "overdue"):
        # Rows written before `clock_name` joined the payload: `<level>:<ticket>:<clock>:<seq>`.
        parts = key.split(":")
        clock = parts[2] if len(parts) == 4 else None
    if clock not in set(ClockName):
        return None  # a 催办 or 督办 taken by hand: no clock behind it
    clock_label = _CLOCK_LABELS[ClockName(clock)]
    if getattr(ticket, f"{clock}_met_at") is not None:
        return f"{clock_label}时限已完成，{label}作废"
    due = _instant(payload.get("due_at"))
    if due is not None and getattr(ticket, f"{clock}_due_at") != due:
        return f"{clock_label}时限已变更（重办、延期或重算），{label}作废"
    if kind == "warning" and due is not None and now >= due:
        # Held for working hours past the deadline itself: "将于…到期" is no longer true, and
        # the overdue step says what is.
        return f"{clock_label}时限已过，预警作废"
    return None


def _relay(ticket: Ticket, payload: dict[str, Any]) -> str | None:
    """A unit's message waiting for the morning is moot once the ticket is closed, or once the
    unit no longer holds it."""
    from hotline.lifecycle.relay import holds

    if TicketState(ticket.state) is TicketState.CLOSED:
        return "工单已办结，不再转达单位的消息"
    if not holds(ticket, payload.get("unit_code")):
        return f"工单已改派，{payload.get('unit_code')} 不再承办，不再转达其消息"
    return None


def stale_reason(
    session: DbSession, message: OutboxMessage, now: datetime | None = None
) -> str | None:
    """Why the message should no longer go out at `now` (Chinese), or None when it should."""
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None:
        return None
    payload: dict[str, Any] = message.payload or {}
    if message.kind == "sms_requester":
        if payload.get("template") == "callback_survey":
            return _survey(session, ticket, message)
        if payload.get("template") == "extension_approved":
            return _extension(ticket, payload)
        if payload.get("template") == "merged_result":
            return _merged_result(session, ticket, message)
        if payload.get("template") == "merged_extension":
            return _merged_extension(session, ticket, payload)
        if payload.get("template") == "unit_relay":
            return _relay(ticket, payload)
        return None
    if message.kind == "notify_unit":
        return _notice(ticket, payload)
    if message.kind in LADDER_KINDS:
        return _ladder_alert(
            ticket, message.kind, payload, message.idempotency_key, now or utcnow()
        )
    return None
