"""Requester personal data as each role may see it, and the audit row every view of it writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_

from hotline.auth import CENTRE_ROLES
from hotline.extensions import DbSession
from hotline.lifecycle import Actor
from hotline.models import PersonalDataAccess, Requester, Ticket
from hotline.phones import mask
from routing.glossary import AppealType


def hidden_from_everyone(ticket: Ticket) -> bool:
    """举报 and tickets the requester asked to keep confidential: the centre relays contact."""
    return ticket.hidden_from_everyone


def not_hidden() -> ColumnElement[bool]:
    """`not hidden_from_everyone(ticket)` as a query condition."""
    return and_(Ticket.confidential.is_(False), Ticket.appeal_type != AppealType.REPORT.value)


def requester_view(
    session: DbSession,
    ticket: Ticket,
    requester: Requester | None,
    actor: Actor,
    purpose: str,
) -> dict[str, Any]:
    """What `actor` may see of the requester; an unmasked view is written to the audit log."""
    view: dict[str, Any] = {
        "masked": True,
        "anonymous": ticket.anonymous,
        "confidential": hidden_from_everyone(ticket),
        "name": None,
        "phone": None,
        "phone_masked": None,
        "email": None,
        "id_number": None,
        "address": None,
    }
    if requester is None or actor.role not in CENTRE_ROLES:
        return view
    if hidden_from_everyone(ticket):
        view["phone_masked"] = mask(requester.phone)
        return view
    audit(session, requester, ticket, actor, purpose)
    return view | _unmasked(requester)


def _unmasked(requester: Requester) -> dict[str, Any]:
    return {
        "masked": False,
        "name": requester.name,
        "phone": requester.phone,
        "phone_masked": mask(requester.phone),
        "email": requester.email,
        "id_number": requester.id_number,
        "address": requester.address,
    }


def address_visible(ticket: Ticket, actor: Actor) -> bool:
    """The exact place is personal data: centre roles only, and never for hidden requesters;
    except where the citizen published it (an Open311 request, which the public feed shows),
    which no one needs to be kept from."""
    if hidden_from_everyone(ticket):
        return False
    return actor.role in CENTRE_ROLES or published_place(ticket)


def published_place(ticket: Ticket) -> bool:
    """The place the public Open311 feed shows (hotline/open311/publication.py): the citizen
    posted it to the public API, and the ticket is not confidential."""
    return ticket.channel == "open311" and not ticket.confidential


def audit(
    session: DbSession,
    requester: Requester,
    ticket: Ticket | None,
    actor: Actor,
    purpose: str,
    reason: str | None = None,
) -> None:
    session.add(
        PersonalDataAccess(
            requester_id=requester.id,
            ticket_id=ticket.id if ticket is not None else None,
            user_id=actor.user_id,
            actor=actor.name[:120],
            purpose=purpose,
            reason=reason,
        )
    )


def revealed_view(
    session: DbSession,
    ticket: Ticket,
    requester: Requester,
    actor: Actor,
    purpose: str,
    reason: str,
) -> dict[str, Any]:
    """The requester in full, for a centre user who must reach a hidden requester (a callback,
    relaying a unit's question): the exception to masking, each time audited with its reason."""
    audit(session, requester, ticket, actor, f"reveal:{purpose}", reason)
    return {
        "anonymous": ticket.anonymous,
        "confidential": hidden_from_everyone(ticket),
    } | _unmasked(requester)
