"""POST/GET /api/v1/tickets and GET /api/v1/tickets/<id>: intake, search and the timeline."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hotline.api import blueprint, idempotency
from hotline.api.parsing import (
    json_body,
    load_query,
    rollback_on_error,
    validation_error,
)
from hotline.api.representation import detail_view, summary_view, ticket_view
from hotline.api.schemas import TicketCreateSchema, TicketListQuery
from hotline.api.search import check_unit, page, ticket_query, visible_to
from hotline.auth import ANY_ROLE, INTAKE_ROLES, authenticate, require_roles
from hotline.clock import utcnow
from hotline.control_characters import unstorable
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.intake import Submission, submit
from hotline.lifecycle import Actor, NotFound
from hotline.models import MAX_ROW_ID, Ticket
from hotline.routing_context import routing_context
from hotline.transaction import commit

CREATED = 201
MAX_NUMBER_LENGTH = 32  # tickets.number is String(32)


def find_ticket(ident: str) -> Ticket:
    """A ticket by id (digits) or number (YYYYMMDD-NNNNNN), or 404."""
    ticket: Ticket | None
    if unstorable(ident) is not None or len(ident) > MAX_NUMBER_LENGTH:
        # No ticket has such a number; asking the database would only fail (NUL) or waste work.
        raise NotFound("工单", ident[:MAX_NUMBER_LENGTH].replace("\x00", ""))
    if ident.isascii() and ident.isdigit() and len(ident) < 12:
        ticket_id = int(ident)
        # tickets.id is a 32-bit integer: PostgreSQL refuses a larger one rather than finding none.
        ticket = db.session.get(Ticket, ticket_id) if ticket_id <= MAX_ROW_ID else None
    else:
        ticket = db.session.scalars(select(Ticket).where(Ticket.number == ident)).first()
    if ticket is None:
        raise NotFound("工单", ident)
    return ticket


def visible_ticket(ident: str, actor: Actor) -> Ticket:
    """The ticket if `actor` may see it; others' tickets look absent to unit staff."""
    ticket = find_ticket(ident)
    visibility = visible_to(actor)
    if visibility is not None and not db.session.scalar(
        select(Ticket.id).where(Ticket.id == ticket.id, visibility)
    ):
        raise NotFound("工单", ident)
    return ticket


def submission(data: dict[str, Any]) -> Submission:
    requester = data.get("requester") or {}
    location = data.get("location") or {}
    return Submission(
        channel=data["channel"],
        text=data["text"],
        appeal_type=data["appeal_type"],
        urgency=data["urgency"],
        title=data.get("title") or "",
        source_line=data.get("source_line"),
        external_id=data.get("external_id"),
        matter_code=data.get("matter_code"),
        area_code=data.get("area_code"),
        address=data.get("address"),
        latitude=location.get("lat"),
        longitude=location.get("long"),
        requester_name=requester.get("name"),
        requester_phone=requester.get("phone"),
        requester_email=requester.get("email"),
        requester_id_number=requester.get("id_number"),
        anonymous=bool(requester.get("anonymous")),
        confidential=bool(requester.get("confidential")),
        answer=data.get("answer"),
    )


def _refuse_duplicate_external_id(data: dict[str, Any]) -> None:
    if not data.get("external_id"):
        return
    existing = db.session.scalar(
        select(Ticket.number).where(
            Ticket.channel == data["channel"], Ticket.external_id == data["external_id"]
        )
    )
    if existing is not None:
        raise ApiError(
            409,
            "duplicate_external_id",
            "该渠道的外部编号已登记过工单",
            {"field": "external_id", "ticket": existing},
        )


INTAKE_ATTEMPTS = 3
# Built once: a marshmallow schema deep-copies its fields on every construction.
TICKET_CREATE = TicketCreateSchema()


@blueprint.post("/tickets")
@rollback_on_error
@require_roles(INTAKE_ROLES)
def create_ticket() -> tuple[Response, int]:
    caller = authenticate()
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", "请求体必须是 JSON 对象", {"field": None})
    idem = idempotency.from_request(caller.scope, body)
    if idem is not None:
        record = idempotency.find(db.session, idem)
        if record is not None:
            return idempotency.replay(record, idem)
    try:
        data = TICKET_CREATE.load(body)
    except ValidationError as error:
        raise validation_error(error) from None
    _refuse_duplicate_external_id(data)
    for _attempt in range(INTAKE_ATTEMPTS):
        try:
            result = submit(db.session, caller.actor, submission(data))
            view = ticket_view(
                db.session, result.ticket, caller.actor, purpose=None, accept=result.accept_payload
            )
            if idem is not None:
                idempotency.remember(db.session, idem, CREATED, view)
            commit()
        except StaleDataError:
            # A concurrent intake changed the ticket this one merges into: redo the intake,
            # so an accepted appeal is never turned away by a race.
            db.session.rollback()
            continue
        except IntegrityError:
            # A concurrent request won a race: the same idempotency key (answer as it did) or
            # the same channel and external id (the 409 it would have got a moment later).
            db.session.rollback()
            record = idempotency.find(db.session, idem) if idem is not None else None
            if record is not None and idem is not None:
                return idempotency.replay(record, idem)
            _refuse_duplicate_external_id(data)
            raise ApiError(409, "conflict", "并发请求冲突，请重试") from None
        return jsonify(view), CREATED
    raise ApiError(409, "concurrent_change", "工单并发修改冲突，请重试")


@blueprint.get("/tickets")
@require_roles(ANY_ROLE)
def list_tickets() -> Response:
    actor = authenticate().actor
    filters = load_query(TicketListQuery())
    if filters.get("unit"):
        check_unit(filters["unit"])
    now = utcnow()
    rows = db.session.scalars(ticket_query(filters, actor, routing_context(), now))
    items, next_cursor = page(rows, int(filters["limit"]))
    items_view = [summary_view(t, actor, now) for t in items]
    return jsonify({"items": items_view, "next_cursor": next_cursor})


@blueprint.get("/tickets/<ident>")
@rollback_on_error
@require_roles(ANY_ROLE)
def show_ticket(ident: str) -> Response:
    actor = authenticate().actor
    ticket = visible_ticket(ident, actor)
    view = detail_view(db.session, ticket, actor, "ticket_view")
    commit()  # the personal-data audit rows
    return jsonify(view)
