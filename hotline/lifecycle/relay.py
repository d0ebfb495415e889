"""经中心联系诉求人: a unit reaches the requester through the hotline without ever learning who
they are. Units do not see a requester's name or phone (DOMAIN: the centre relays contact), yet
the contact clock times them; so a unit holding the ticket sends its message here, the hotline
texts it from its own number, and the requester's SMS reply joins the ticket as a note, which
the unit is told of (hotline.conversations picks which relay a reply answers). For the lead unit
of a signed ticket the first relay sent at once is its contact (响应); one held for business
hours is not.
A 举报 or confidential requester is never texted on a unit's behalf: the centre calls them."""

from __future__ import annotations

from datetime import datetime, timedelta

from hotline import opt_outs
from hotline.clock import utcnow
from hotline.domain import current_domain
from hotline.extensions import DbSession
from hotline.lifecycle.actor import Actor
from hotline.lifecycle.clocks import meet, refresh_next_due
from hotline.lifecycle.errors import DomainError, PermissionDenied
from hotline.lifecycle.record import begin, record
from hotline.models import Conversation, Requester, Ticket, Unit
from hotline.outbox import add_message
from hotline.phones import phone_key
from routing.workflow import Action, TicketState

# How long the requester's replies by SMS go to the ticket (from when the text is sent).
REPLY_DAYS = 3
TEXT_MAX = 300


def holds(ticket: Ticket, unit_code: str | None) -> bool:
    """The unit leads the ticket or assists on it now."""
    return unit_code is not None and (
        unit_code == ticket.lead_unit_code
        or any(a.active and a.unit_code == unit_code for a in ticket.assignments)
    )


def relay(
    session: DbSession, ticket: Ticket, actor: Actor, *, text: str, at: datetime | None = None
) -> Ticket:
    from_state = begin(ticket, Action.RELAY, actor)
    if not holds(ticket, actor.unit_code):
        raise PermissionDenied(f"单位 {actor.unit_code} 不承办本工单，不能联系诉求人")
    text = text.strip()
    if not text:
        raise DomainError("text_required", "请填写要转达给诉求人的内容")
    if len(text) > TEXT_MAX:
        raise DomainError("text_too_long", f"转达内容不能超过 {TEXT_MAX} 个字符")
    if ticket.hidden_from_everyone:
        raise DomainError(
            "relay_not_allowed", "举报或要求保密的诉求由中心联系诉求人，单位不能经短信联系"
        )
    requester = session.get(Requester, ticket.requester_id) if ticket.requester_id else None
    if ticket.anonymous or requester is None or not requester.phone:
        raise DomainError("no_requester_phone", "诉求人没有留电话，无法转达；请联系中心")
    refused = opt_outs.refusal(session, requester.phone)
    if refused is not None:
        raise DomainError("requester_opted_out", f"{refused}，无法短信转达；请联系中心电话转达")
    at = at or utcnow()
    domain = current_domain()
    unit = session.get(Unit, actor.unit_code)
    unit_name = unit.name if unit is not None else str(actor.unit_code)
    send_at = domain.calendar.message_time(at)
    # The lead unit's first word to the requester is its contact (响应), as `contact` records,
    # when it goes out now: a text held for business hours has reached nobody yet.
    contact = (
        ticket.state == TicketState.SIGNED
        and actor.unit_code == ticket.lead_unit_code
        and send_at <= at
    )
    if contact:
        ticket.state = TicketState.HANDLING
        meet(ticket, "contact", at)
        refresh_next_due(session, domain, ticket)
    event = record(
        session,
        ticket,
        Action.RELAY,
        actor,
        at,
        from_state,
        {"text": text, "unit": actor.unit_code, "contact": contact}
        | ({} if send_at <= at else {"send_at": send_at.isoformat()}),
    )
    add_message(
        session,
        "sms_requester",
        f"unit_relay:{ticket.id}:{event.seq}",
        {
            "ticket_id": ticket.id,
            "template": "unit_relay",
            "number": ticket.number,
            "unit": unit_name,
            "unit_code": actor.unit_code,
            "text": text,
        },
        ticket_id=ticket.id,
        available_at=send_at,
    )
    from hotline.conversations import RELAY

    session.add(
        Conversation(
            phone_key=ticket.requester_phone_key or phone_key(requester.phone),
            kind=RELAY,
            ticket_id=ticket.id,
            state="open",
            data={"number": ticket.number, "relay_unit": actor.unit_code, "question": text},
            open_until=send_at + timedelta(days=REPLY_DAYS),
        )
    )
    session.flush()
    return ticket
