"""What a ticket shows to the world through GET requests: the city's queue, never personal data."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from hotline.api.privacy import hidden_from_everyone
from hotline.extensions import DbSession
from hotline.lifecycle.clocks import provisional_mark
from hotline.models import Ticket, TicketEvent, Unit
from hotline.open311.formats import format_datetime
from hotline.open311.schemas import MARKUP
from hotline.personal_data import scrub
from hotline.routing_context import routing_context
from routing.glossary import Channel, TriageOutcome
from routing.tree import AreaTree, CodeTree
from routing.workflow import STATE_LABELS, Action, TicketState

OUTCOME_LABELS = {
    TriageOutcome.EMERGENCY: "紧急转接",
    TriageOutcome.REFERRAL: "告知法定途径",
    TriageOutcome.NOT_ACCEPTED: "不予受理",
    TriageOutcome.MERGE: "并单办理",
    TriageOutcome.ANSWER: "受理时直接答复",
    TriageOutcome.DISPATCH: "派单办理",
}
WITHHELD = "（该诉求为举报或诉求人要求保密，内容不予公开）"
NOT_PUBLISHED = "（该诉求不属于公开的服务请求，内容不予公开）"
# The status_notes of such a request read by anyone but the system that posted it.
PUBLIC_ONLY_NOTE = "{}。该请求未作为服务请求派单办理，详情仅告知提交它的系统。"

# What triage sent elsewhere or turned away is no service request of the city's: an emergency
# transfer (a domestic violence call, with the caller's name and home), a legal-route referral
# (a custody dispute), a contact not accepted. Nor is a ticket no matter was given yet.
NOT_SERVICE_REQUESTS = (
    TriageOutcome.EMERGENCY,
    TriageOutcome.REFERRAL,
    TriageOutcome.NOT_ACCEPTED,
)


def is_service_request(ticket: Ticket) -> bool:
    """Whether the public feed lists the ticket and publishes what it says."""
    return ticket.triage_outcome not in NOT_SERVICE_REQUESTS and ticket.matter_code is not None


def service_requests() -> ColumnElement[bool]:
    """is_service_request in SQL."""
    return and_(Ticket.triage_outcome.not_in(NOT_SERVICE_REQUESTS), Ticket.matter_code.is_not(None))


def answered_by_id(ticket: Ticket) -> bool:
    """Whether GET requests/<id> (and tokens/<token>) answer for the ticket: a service request,
    and anything posted through Open311 itself, which its poster tracks without a key on the read
    (no client sends one; FixMyStreet would keep a report open for ever on a 404). What the
    public then learns of one that is no service request is that it was closed or is open, and
    when it was posted: nothing of what it said, where, or what became of it
    (`public_request`'s `shown_to_poster`). A phoned-in emergency or referral is a 404, as an
    unknown id is: ticket numbers run in sequence, and the public must not walk them to it."""
    return is_service_request(ticket) or ticket.channel == Channel.OPEN311


def answerable() -> ColumnElement[bool]:
    """answered_by_id in SQL."""
    return or_(service_requests(), Ticket.channel == Channel.OPEN311)


def posted_by_reader(session: DbSession, tickets: list[Ticket], poster: str | None) -> set[int]:
    """The ids of the tickets, among those no service request, that the system named `poster`
    posted (their accept event's actor): it is told what became of them."""
    unlisted = [t.id for t in tickets if not is_service_request(t)]
    if poster is None or not unlisted:
        return set()
    return set(
        session.scalars(
            select(TicketEvent.ticket_id).where(
                TicketEvent.ticket_id.in_(unlisted),
                TicketEvent.action == Action.ACCEPT.value,
                TicketEvent.actor_name == poster,
            )
        )
    )


def plain(text: str | None) -> str | None:
    """Tags dropped: appeals typed into other channels may hold them, and the spec's description
    "may contain line breaks, but not html or code"."""
    return MARKUP.sub("", text) if text else text


# A link in a ticket that did not come in through this public API is the system's or the
# caller's: a voicemail recording, an MMS photo. Neither is for the public feed.
_LINK = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
LINK_WITHHELD = "（链接不公开）"


def public_text(ticket: Ticket) -> str | None:
    return _published(ticket.text, links=ticket.channel == Channel.OPEN311)


def _published(text: str | None, links: bool) -> str | None:
    text = scrub(plain(text))
    if text and not links:
        text = _LINK.sub(LINK_WITHHELD, text)
    return text


def notice(
    ticket: Ticket,
    unit_name: str | None,
    parent: Ticket | None = None,
    service: str | None = None,
) -> str:
    """The service_notice: the triage outcome in words a citizen understands. `service` is
    the emergency service triage transferred to (recorded with the accept event)."""
    outcome = TriageOutcome(ticket.triage_outcome)
    # "已受理（不予受理）" would contradict itself: a contact turned away was registered only.
    verb = "已登记" if outcome is TriageOutcome.NOT_ACCEPTED else "已受理"
    head = f"工单 {ticket.number} {verb}（{OUTCOME_LABELS[outcome]}）。"
    if outcome is TriageOutcome.DISPATCH:
        if unit_name is None:
            return head + "正在由热线中心人工确定承办单位。"
        due = format_datetime(ticket.handle_due_at)
        mark = provisional_mark(ticket, ticket.handle_due_at) if ticket.handle_due_at else ""
        tail = f"，预计 {due}{mark} 前办结" if due else ""
        return head + f"已派至{unit_name}办理{tail}。"
    if outcome is TriageOutcome.MERGE:
        into = f"（工单 {parent.number}）" if parent is not None else ""
        return head + f"与正在办理的同一诉求{into}合并办理，结果将一并答复。"
    if outcome is TriageOutcome.EMERGENCY and service:
        # The reason is written for the operator who transfers a call; a citizen who posted
        # must make the call themselves.
        label = routing_context().triage_rules.label_of(service)
        return (
            f"工单 {ticket.number} 已记录。您反映的情况紧急，请立即拨打{service}"
            f"（{label}）；网上提交不能代替紧急电话。"
        )
    return head + (scrub(ticket.triage_reason) or "")


def status_notes(ticket: Ticket, parent: Ticket | None = None) -> str:
    """The 12345 state in words; a closed ticket adds how it ended and the reply, scrubbed as a
    description is. A merged request is handled as the ticket it joined, and says which.

    The reply answers what the appeal said, and often repeats it with the requester's name and
    home ("经查，李娜（翠苑小区6栋101）举报的…"): a withheld ticket (举报, confidential, no
    service request), or one merged into such a ticket or merged while itself withheld, shows
    the state only."""
    if parent is not None:
        reply = not _hides_reply(ticket) and not _hides_reply(parent)
        return f"已并入工单 {parent.number} 合并办理；该工单：{_state(parent, reply)}"
    return _state(ticket, reply=not _hides_reply(ticket))


def _hides_reply(ticket: Ticket) -> bool:
    return hidden_from_everyone(ticket) or not is_service_request(ticket)


def _state_label(ticket: Ticket) -> str:
    return STATE_LABELS.get(TicketState(ticket.state), ticket.state)


def _state(ticket: Ticket, reply: bool) -> str:
    label = _state_label(ticket)
    if ticket.state != TicketState.CLOSED:
        return f"{label}。"
    outcome = TriageOutcome(ticket.triage_outcome)
    if outcome is not TriageOutcome.DISPATCH:
        label += f"（{OUTCOME_LABELS[outcome]}）"
    text = _published(ticket.reply_text, links=False) if reply else None
    if text:
        return f"{label}。答复：{text}"
    return f"{label}。"


def parents(session: DbSession, tickets: Iterable[Ticket]) -> dict[int, Ticket]:
    """The open or closed ticket each merged request joined, by the request's id."""
    wanted = {t.id: t.parent_id for t in tickets if t.parent_id is not None}
    if not wanted:
        return {}
    rows = session.scalars(select(Ticket).where(Ticket.id.in_(set(wanted.values()))))
    by_id = {row.id: row for row in rows}
    return {child: by_id[parent] for child, parent in wanted.items() if parent in by_id}


def unit_names(session: DbSession, tickets: Iterable[Ticket]) -> dict[str, str]:
    codes = {t.lead_unit_code for t in tickets if t.lead_unit_code}
    if not codes:
        return {}
    rows = session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes)))
    return {code: name for code, name in rows}


def accept_facts(session: DbSession, tickets: Iterable[Ticket]) -> dict[int, dict[str, Any]]:
    """What the accept event recorded that the ticket's columns do not: for a request posted
    through Open311 its media_url and whether its description was written for it ("open311"),
    for an emergency transfer the service ("service")."""
    ids = [
        t.id
        for t in tickets
        if t.channel == "open311" or t.triage_outcome == TriageOutcome.EMERGENCY
    ]
    if not ids:
        return {}
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.payload).where(
            TicketEvent.ticket_id.in_(ids), TicketEvent.action == Action.ACCEPT
        )
    )
    found = {}
    for ticket_id, payload in rows:
        payload = payload or {}
        found[ticket_id] = {
            "open311": (payload.get("extra") or {}).get("open311") or {},
            "service": (payload.get("triage") or {}).get("service"),
        }
    return found


def public_request(
    ticket: Ticket,
    matters: CodeTree,
    areas: AreaTree,
    units: Mapping[str, str],
    facts: Mapping[int, Mapping[str, Any]],
    parent: Ticket | None = None,
    shown_to_poster: bool = False,
) -> dict[str, Any]:
    """One <request> of GET requests, in the spec's element order.

    A merged request is handled as part of the ticket it joined (`parent`): it is open while
    that ticket is, and shows that ticket's agency, expected and closing times. One that is no
    service request (answered_by_id) shows the system that posted it (`shown_to_poster`) its
    notice and area, and anyone else its state and times only.
    """
    handling = parent if parent is not None else ticket
    unit_name = units.get(handling.lead_unit_code or "")
    secret = hidden_from_everyone(ticket)
    # Answered by its id only because its poster may track it (answered_by_id): withheld too.
    unlisted = not is_service_request(ticket)
    withheld = WITHHELD if secret else NOT_PUBLISHED if unlisted else None
    public_only = unlisted and not shown_to_poster
    # The exact place is published only where the citizen posted it to this public API; a
    # phone, SMS or counter appeal's address is often the caller's home: its area only.
    exact_place = withheld is None and ticket.channel == Channel.OPEN311
    # The public walking the numbers must not learn what kind of request each was either.
    service_code = None if public_only else ticket.matter_code
    fact = facts.get(ticket.id) or {}
    extra = fact.get("open311") or {}
    # A request posted without a description is published without one: the words triage
    # read ("路灯不亮：解放路") were the system's, not the poster's.
    description = None if extra.get("no_description") else public_text(ticket)
    return {
        "service_request_id": ticket.number,
        "status": "closed" if handling.state == TicketState.CLOSED else "open",
        "status_notes": PUBLIC_ONLY_NOTE.format(_state_label(ticket))
        if public_only
        else status_notes(ticket, parent),
        "service_name": (
            matters.name(service_code) if service_code and service_code in matters else None
        ),
        "service_code": service_code,
        "description": withheld or description,
        "agency_responsible": unit_name,
        "service_notice": (
            None if public_only else notice(ticket, unit_name, parent, fact.get("service"))
        ),
        "requested_datetime": format_datetime(ticket.accepted_at),
        "updated_datetime": format_datetime(max(_updated_at(ticket), _updated_at(handling))),
        "expected_datetime": format_datetime(handling.handle_due_at),
        # Posted with address_id alone: the area it names, as for the other channels.
        "address": (
            None
            if public_only
            else scrub(ticket.address)
            if exact_place and ticket.address
            else _area_label(areas, ticket.area_code)
        ),
        "address_id": None if public_only else ticket.area_code,
        "zipcode": None,
        "lat": ticket.latitude if exact_place else None,
        "long": ticket.longitude if exact_place else None,
        "media_url": None if withheld else extra.get("media_url"),
    }


def _updated_at(ticket: Ticket) -> datetime:
    # The spec: for a closed request updated_datetime is the date it was closed, even when a
    # callback or rating touched the row later.
    if ticket.state == TicketState.CLOSED and ticket.closed_at is not None:
        return ticket.closed_at
    # updated_at is the database's transaction time; never report it before the last action.
    moments = (ticket.updated_at, ticket.accepted_at, ticket.dispatched_at, ticket.closed_at)
    return max(moment for moment in moments if moment is not None)


def _area_label(areas: AreaTree, code: str | None) -> str | None:
    if code is None or code not in areas:
        return None
    return "".join(areas.name(c) for c in reversed(areas.ancestors(code)))
