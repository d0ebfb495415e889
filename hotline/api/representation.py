"""Tickets as the API shows them: the full representation, the list summary, the timeline."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hotline.api.privacy import address_visible, hidden_from_everyone, requester_view
from hotline.auth import CENTRE_ROLES
from hotline.clock import utcnow
from hotline.domain import local_iso
from hotline.extensions import DbSession
from hotline.lifecycle import Actor
from hotline.models import CLOCKS, Requester, Ticket, TicketEvent
from hotline.personal_data import scrub
from hotline.routing_context import routing_context
from routing.tree import CodeTree
from routing.workflow import Action, Role, TicketState

# What an integration (an API key: another system) reads instead of a 举报's or a confidential
# appeal's content. The public Open311 feed withholds it the same way; staff and units read it.
WITHHELD_TEXT = "（举报或诉求人要求保密的诉求，内容不向外部系统提供）"

DECISION_KEYS = ("lead_unit", "assist_units", "entry_id", "catalogue_version", "fallback", "reason")
# Ratings are confidential: units see that a callback happened, not what the requester said.
CONFIDENTIAL_PAYLOADS = frozenset({Action.CALLBACK.value})
# Payload keys that carry a rating or the requester's identity on other channels (an Open311
# account id, a photo link), hidden outside the centre wherever they appear.
CENTRE_ONLY_KEYS = frozenset({"extra", "survey_answer", "write_off", "recording_url"})
# Payload keys holding free text that may quote the requester (a note, a reply, an answer).
FREE_TEXT_KEYS = frozenset({"text", "note", "answer", "agent_answer", "reason", "reply"})
# A caller's recorded voice identifies them as surely as their number.
_RECORDING_URL = re.compile(r"https?://api\.twilio\.com/\S*?/Recordings/\S+")
RECORDING_WITHHELD = "（录音仅限热线中心听取）"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in the centre's local time with its offset (e.g. +08:00)."""
    return local_iso(moment)


# An instant with its offset as event payloads store it ("2026-11-23T02:00:00+00:00").
_AWARE_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)")


def local_times(value: Any) -> Any:
    """The payload with every instant in local time: the event log is immutable, and older
    events stored some instants in UTC."""
    if isinstance(value, str) and _AWARE_INSTANT.fullmatch(value):
        try:
            return iso(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {key: local_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [local_times(item) for item in value]
    return value


def clocks(ticket: Ticket) -> dict[str, dict[str, str | None]]:
    return {
        name: {
            "due_at": iso(getattr(ticket, f"{name}_due_at")),
            "met_at": iso(getattr(ticket, f"{name}_met_at")),
            "breached_at": iso(getattr(ticket, f"{name}_breached_at")),
        }
        for name in CLOCKS
    }


def next_due(ticket: Ticket) -> dict[str, str | None] | None:
    """The running clock that falls due first (clock and due time), or None: what a unit's
    list sorts its work by."""
    running = sorted(
        (due, name)
        for name in CLOCKS
        if (due := getattr(ticket, f"{name}_due_at")) is not None
        and getattr(ticket, f"{name}_met_at") is None
        and ticket.state != TicketState.CLOSED
    )
    if not running:
        return None
    due, name = running[0]
    return {"clock": name, "due_at": iso(due)}


def names(ticket: Ticket) -> dict[str, str | None]:
    """The names beside the ticket's codes (matter, area, lead unit), from the routing rules in
    force; None for a code they no longer hold (a unit since deactivated)."""
    context = routing_context()  # cached per process, checked at most every few seconds
    unit = context.units.get(ticket.lead_unit_code) if ticket.lead_unit_code else None
    return {
        "matter_name": _name(context.matters, ticket.matter_code),
        "area_name": _name(context.areas, ticket.area_code),
        "lead_unit_name": unit.name if unit is not None else None,
    }


def _name(tree: CodeTree, code: str | None) -> str | None:
    return tree.name(code) if code is not None and code in tree else None


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """As search.overdue_condition: a breach, or an open ticket's clock past due and unmet."""
    still_open = ticket.state != TicketState.CLOSED
    for name in CLOCKS:
        due = getattr(ticket, f"{name}_due_at")
        if getattr(ticket, f"{name}_breached_at") is not None:
            return True
        late = due is not None and getattr(ticket, f"{name}_met_at") is None and due < now
        if still_open and late:
            return True
    return False


def triage_view(ticket: Ticket, accept_payload: dict[str, Any], actor: Actor) -> dict[str, Any]:
    details = accept_payload.get("triage") or {}
    return {
        "outcome": ticket.triage_outcome,
        "reason": ticket.triage_reason,
        "service": details.get("service"),
        "route": details.get("route"),
        "guidance": details.get("guidance"),
        "model_probability": details.get("model_probability"),
        # Free text an agent wrote to the caller: read like the appeal itself.
        "agent_answer": None
        if content_withheld(ticket, actor)
        else readable(accept_payload.get("agent_answer"), actor),
    }


def decision_view(ticket: Ticket) -> dict[str, Any] | None:
    if ticket.dispatch_decision is None:
        return None
    return {key: ticket.dispatch_decision.get(key) for key in DECISION_KEYS}


def _number(session: DbSession, ticket_id: int | None) -> str | None:
    if ticket_id is None:
        return None
    # A ticket this request already holds (the one merged into) needs no query.
    known = session.identity_map.get(session.identity_key(Ticket, ticket_id))
    if known is not None and "number" in known.__dict__:
        return str(known.number)
    return session.scalar(select(Ticket.number).where(Ticket.id == ticket_id))


def accept_payload(session: DbSession, ticket: Ticket) -> dict[str, Any]:
    payload = session.scalar(
        select(TicketEvent.payload).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == Action.ACCEPT.value
        )
    )
    return payload or {}


def readable(text: str | None, actor: Actor) -> str | None:
    """Free text as `actor` may read it. Units and other systems act on what the appeal says,
    not on who said it (DOMAIN.md: they see no name, phone, ID or exact address): the numbers,
    addresses and names a requester typed or said are masked for them, as on Open311, and a
    voicemail's recording is the centre's to hear."""
    if text is None or actor.role in CENTRE_ROLES:
        return text
    return scrub(_RECORDING_URL.sub(RECORDING_WITHHELD, text))


def content_withheld(ticket: Ticket, actor: Actor) -> bool:
    """Whether `actor` is another system reading a 举报 or confidential appeal."""
    return actor.role == Role.INTEGRATION and hidden_from_everyone(ticket)


def ticket_view(
    session: DbSession,
    ticket: Ticket,
    actor: Actor,
    *,
    purpose: str | None,
    accept: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The full ticket for `actor`. `purpose` None leaves personal data out entirely (the
    answer to a creation, which is stored for idempotent replay)."""
    centre = actor.role in CENTRE_ROLES
    withheld = content_withheld(ticket, actor)
    linked = _number(session, ticket.linked_ticket_id)
    view: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "channel": ticket.channel,
        "source_line": ticket.source_line,
        "external_id": ticket.external_id,
        "appeal_type": ticket.appeal_type,
        "urgency": ticket.urgency,
        "title": None if withheld else readable(ticket.title, actor),
        "text": WITHHELD_TEXT if withheld else readable(ticket.text, actor),
        "state": ticket.state,
        "matter_code": ticket.matter_code,
        "area_code": ticket.area_code,
        "address": ticket.address if purpose and address_visible(ticket, actor) else None,
        "location": None,
        "triage": triage_view(
            ticket, accept if accept is not None else accept_payload(session, ticket), actor
        ),
        "classification": ticket.classification,
        "dispatch": decision_view(ticket),
        "lead_unit": ticket.lead_unit_code,
        **names(ticket),
        "assist_units": ticket.assist_unit_codes,
        "clocks": clocks(ticket),
        "next_due": next_due(ticket),
        "due_provisional": ticket.due_provisional,
        "duplicate_of": linked,
        "parent": _number(session, ticket.parent_id),
        "extension": {
            "state": ticket.extension_state,
            "working_days": ticket.extension_days,
            "reason": ticket.extension_reason,
        },
        "reopen_count": ticket.reopen_count,
        "hop_count": ticket.hop_count,
        "repeat_count": ticket.repeat_count,
        "escalated": ticket.escalated,
        "reply_text": None if withheld else readable(ticket.reply_text, actor),
        "rating": ticket.rating if centre else None,
        "accepted_at": iso(ticket.accepted_at),
        "dispatched_at": iso(ticket.dispatched_at),
        "closed_at": iso(ticket.closed_at),
    }
    if (
        ticket.latitude is not None
        and ticket.longitude is not None
        and address_visible(ticket, actor)
    ):
        view["location"] = {"lat": ticket.latitude, "long": ticket.longitude}
    requester = (
        session.get(Requester, ticket.requester_id) if ticket.requester_id is not None else None
    )
    if purpose is None:
        view["requester"] = requester_view(session, ticket, None, actor, "none")
    else:
        view["requester"] = requester_view(session, ticket, requester, actor, purpose)
    return view


def event_payload(event: TicketEvent, actor: Actor) -> dict[str, Any]:
    """The event's payload as `actor` may read it."""
    payload = event.payload or {}
    if actor.role in CENTRE_ROLES:
        return payload
    if event.action in CONFIDENTIAL_PAYLOADS:
        return {}
    if "survey_answer" in payload:
        # An SMS survey answer the centre has not yet turned into a callback: its text
        # quotes the rating, so nothing of it is shown.
        return {"channel": payload.get("channel")}
    return {
        key: readable(value, actor) if key in FREE_TEXT_KEYS and isinstance(value, str) else value
        for key, value in payload.items()
        if key not in CENTRE_ONLY_KEYS
    }


def event_view(event: TicketEvent, actor: Actor) -> dict[str, Any]:
    payload = local_times(event_payload(event, actor))
    return {
        "seq": event.seq,
        "action": event.action,
        "actor_name": event.actor_name,
        "actor_role": event.actor_role,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "payload": payload,
        "at": iso(event.at),
    }


def detail_view(session: DbSession, ticket: Ticket, actor: Actor, purpose: str) -> dict[str, Any]:
    events = list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
        )
    )
    accept = next((e.payload for e in events if e.action == Action.ACCEPT.value), {})
    view = ticket_view(session, ticket, actor, purpose=purpose, accept=accept)
    view["events"] = [event_view(event, actor) for event in events]
    if content_withheld(ticket, actor):
        # Payloads quote the appeal, the reply and notes: the timeline keeps its steps only.
        for event in view["events"]:
            event["payload"] = {}
    return view


def summary_view(ticket: Ticket, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "channel": ticket.channel,
        "source_line": ticket.source_line,
        "appeal_type": ticket.appeal_type,
        "urgency": ticket.urgency,
        "title": None if content_withheld(ticket, actor) else readable(ticket.title, actor),
        "state": ticket.state,
        "matter_code": ticket.matter_code,
        "area_code": ticket.area_code,
        "lead_unit": ticket.lead_unit_code,
        **names(ticket),
        "accepted_at": iso(ticket.accepted_at),
        "overdue": is_overdue(ticket, now or utcnow()),
        "next_due": next_due(ticket),
    }
