"""GET /api/v1/requesters/lookup: a caller's earlier tickets, found by the digest of the phone."""

from __future__ import annotations

from flask import Response, jsonify
from sqlalchemy import select

from hotline.api import blueprint
from hotline.api.parsing import load_query, rollback_on_error
from hotline.api.privacy import audit
from hotline.api.representation import ticket_view
from hotline.api.schemas import LookupQuery
from hotline.auth import CENTRE_ROLES, authenticate, require_roles
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.models import Requester, Ticket
from hotline.phones import InvalidPhone, mask, normalise, phone_key
from hotline.transaction import commit

LOOKUP_LIMIT = 50


@blueprint.get("/requesters/lookup")
@rollback_on_error
@require_roles(CENTRE_ROLES)
def lookup_requester() -> Response:
    actor = authenticate().actor
    query = load_query(LookupQuery())
    try:
        phone = normalise(query["phone"])
    except InvalidPhone as error:
        raise ApiError(400, "invalid_phone", str(error), {"field": "phone"}) from None
    tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.requester_phone_key == phone_key(phone))
            .order_by(Ticket.accepted_at.desc(), Ticket.id.desc())
            .limit(LOOKUP_LIMIT)
        )
    )
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
    return jsonify({"phone_masked": mask(phone), "tickets": views})
