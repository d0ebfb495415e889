"""GET /api/v1/requesters/lookup: a caller's earlier tickets, found by the digest of the phone;
POST /api/v1/tickets/<ident>/requester/reveal: a hidden requester's contact, for a reason."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import func, select

from hotline.api import blueprint
from hotline.api.parsing import load_body, load_query, rollback_on_error
from hotline.api.privacy import audit, revealed_view
from hotline.api.representation import ticket_view
from hotline.api.schemas import LookupQuery, RevealSchema
from hotline.api.tickets import visible_ticket
from hotline.auth import CENTRE_ROLES, authenticate, require_roles
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.models import Requester, Ticket
from hotline.phones import InvalidPhone, caller_number, mask, phone_key
from hotline.transaction import commit
from routing.workflow import Role, TicketState

LOOKUP_LIMIT = 50


@blueprint.get("/requesters/lookup")
@rollback_on_error
@require_roles(CENTRE_ROLES)
def lookup_requester() -> Response:
    actor = authenticate().actor
    query = load_query(LookupQuery())
    try:
        phone = caller_number(query["phone"])
    except InvalidPhone as error:
        raise ApiError(400, "invalid_phone", str(error), {"field": "phone"}) from None
    same_phone = Ticket.requester_phone_key == phone_key(phone)
    tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(same_phone)
            .order_by(Ticket.accepted_at.desc(), Ticket.id.desc())
            .limit(LOOKUP_LIMIT)
        )
    )
    total, still_open = db.session.execute(
        select(
            func.count(),
            func.count().filter(Ticket.state != TicketState.CLOSED.value),
        ).where(same_phone)
    ).one()
    views = []
    for ticket in tickets:
        view = ticket_view(db.session, ticket, actor, purpose="requester_lookup")
        if view["requester"]["masked"] and ticket.requester_id is not None:
            # Even a masked match tells the searcher this number called: that is audited too.
            requester = db.session.get(Requester, ticket.requester_id)
            if requester is not None:
                audit(db.session, requester, ticket, actor, "requester_lookup")
        views.append(view)
    commit()
    return jsonify(
        {
            "phone_masked": mask(phone),
            "tickets": views,
            "total": total,
            "open": still_open,
            "truncated": total > len(views),
        }
    )


# Those who call requesters back or relay a unit's question to them, and their supervisors.
REVEAL_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})


@blueprint.post("/tickets/<ident>/requester/reveal")
@rollback_on_error
@require_roles(REVEAL_ROLES)
def reveal_requester(ident: str) -> Response:
    """A 举报 or confidential requester is masked in every view, agents' included; an agent who
    must reach them (the callback, relaying a unit's question) asks for the contact here,
    saying why, and the audit log keeps who, when, for which ticket and why."""
    actor = authenticate().actor
    data = load_body(RevealSchema())
    ticket = visible_ticket(ident, actor)
    requester = (
        db.session.get(Requester, ticket.requester_id) if ticket.requester_id is not None else None
    )
    if requester is None:
        raise ApiError(409, "no_requester", "该工单为匿名诉求，没有诉求人联系方式", {})
    view = revealed_view(db.session, ticket, requester, actor, data["purpose"], data["reason"])
    commit()
    return jsonify({"ticket": ticket.number, "requester": view})
