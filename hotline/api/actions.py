"""POST /api/v1/tickets/<id>/<action>: every lifecycle action, each a thin call to the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema
from sqlalchemy import select

from hotline import lifecycle
from hotline.api import blueprint
from hotline.api.parsing import load_body, rollback_on_error
from hotline.api.representation import detail_view
from hotline.api.schemas import (
    ArbitrateSchema,
    CallbackSchema,
    DecisionSchema,
    DispatchSchema,
    EmptySchema,
    ExtensionSchema,
    MergeSchema,
    NoteSchema,
    ReasonSchema,
    RedispatchSchema,
    RelaySchema,
    RequiredNoteSchema,
    ReturnSchema,
    TextSchema,
)
from hotline.api.search import visible_to
from hotline.api.tickets import find_ticket
from hotline.auth import ANY_ROLE, authenticate, require_roles
from hotline.extensions import db
from hotline.lifecycle import Actor, NotFound
from hotline.models import Ticket
from hotline.transaction import commit

Perform = Callable[[Ticket, Actor, dict[str, Any]], object]


@dataclass(frozen=True)
class ActionEndpoint:
    path: str
    schema: type[Schema]
    perform: Perform
    summary: str


def _merge(ticket: Ticket, actor: Actor, data: dict[str, Any]) -> object:
    return lifecycle.merge(
        db.session,
        ticket,
        find_ticket(data["into"]),
        actor,
        override=data["override"],
        reason=data["reason"],
    )


ACTIONS: tuple[ActionEndpoint, ...] = (
    ActionEndpoint(
        "dispatch",
        DispatchSchema,
        lambda t, a, d: lifecycle.dispatch(db.session, t, a, d["lead"], d["assists"]),
        "派单",
    ),
    ActionEndpoint(
        "answer",
        TextSchema,
        lambda t, a, d: lifecycle.answer(db.session, t, a, d["text"]),
        "直接答复",
    ),
    ActionEndpoint("sign", EmptySchema, lambda t, a, d: lifecycle.sign(db.session, t, a), "签收"),
    ActionEndpoint(
        "contact",
        NoteSchema,
        lambda t, a, d: lifecycle.contact(db.session, t, a, **d),
        "联系诉求人",
    ),
    ActionEndpoint(
        "relay",
        RelaySchema,
        lambda t, a, d: lifecycle.relay(db.session, t, a, **d),
        "经中心短信联系诉求人（主办单位签收后首次联系即为响应）",
    ),
    ActionEndpoint(
        "return",
        ReturnSchema,
        lambda t, a, d: lifecycle.return_ticket(db.session, t, a, **d),
        "退单",
    ),
    ActionEndpoint(
        "arbitrate",
        ArbitrateSchema,
        lambda t, a, d: lifecycle.arbitrate(db.session, t, a, **d),
        "派单异议审核",
    ),
    ActionEndpoint(
        "redispatch",
        RedispatchSchema,
        lambda t, a, d: lifecycle.redispatch(
            db.session, t, a, d["lead"], d["assists"], reason=d["reason"]
        ),
        "改派",
    ),
    ActionEndpoint(
        "extension",
        ExtensionSchema,
        lambda t, a, d: lifecycle.request_extension(db.session, t, a, **d),
        "申请延期",
    ),
    ActionEndpoint(
        "extension/decision",
        DecisionSchema,
        lambda t, a, d: lifecycle.decide_extension(db.session, t, a, **d),
        "延期审批",
    ),
    ActionEndpoint(
        "reply-part",
        TextSchema,
        lambda t, a, d: lifecycle.reply_part(db.session, t, a, **d),
        "协办答复",
    ),
    ActionEndpoint(
        "reply", TextSchema, lambda t, a, d: lifecycle.reply(db.session, t, a, **d), "答复"
    ),
    ActionEndpoint(
        "review", DecisionSchema, lambda t, a, d: lifecycle.review(db.session, t, a, **d), "审核"
    ),
    ActionEndpoint(
        "callback",
        CallbackSchema,
        lambda t, a, d: lifecycle.callback(db.session, t, a, **d),
        "回访",
    ),
    ActionEndpoint(
        "reopen", ReasonSchema, lambda t, a, d: lifecycle.reopen(db.session, t, a, **d), "重办"
    ),
    ActionEndpoint(
        "close", NoteSchema, lambda t, a, d: lifecycle.close(db.session, t, a, **d), "办结"
    ),
    ActionEndpoint("merge", MergeSchema, _merge, "并单"),
    ActionEndpoint(
        "split", ReasonSchema, lambda t, a, d: lifecycle.split(db.session, t, a, **d), "拆单"
    ),
    ActionEndpoint(
        "urge", NoteSchema, lambda t, a, d: lifecycle.urge(db.session, t, a, **d), "催办"
    ),
    ActionEndpoint(
        "supervise",
        RequiredNoteSchema,
        lambda t, a, d: lifecycle.supervise(db.session, t, a, **d),
        "督办",
    ),
    ActionEndpoint(
        "escalate",
        ReasonSchema,
        lambda t, a, d: lifecycle.escalate(db.session, t, a, **d),
        "提级督办",
    ),
)


def _check_unit_reach(ticket: Ticket, actor: Actor, ident: str) -> None:
    """Unit staff may act only on tickets their unit holds (lead or assisting); one it does
    not hold does not exist for it, as on GET (a 403 would tell which ids exist)."""
    visibility = visible_to(actor)
    if visibility is None:
        return
    if not db.session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, visibility)):
        raise NotFound("工单", ident)


def _view_for(endpoint: ActionEndpoint) -> Callable[[str], Response]:
    @rollback_on_error
    @require_roles(ANY_ROLE)
    def view(ident: str) -> Response:
        actor = authenticate().actor
        data = load_body(endpoint.schema())
        ticket = find_ticket(ident)
        _check_unit_reach(ticket, actor, ident)
        endpoint.perform(ticket, actor, data)
        body = detail_view(db.session, ticket, actor, "ticket_action")
        commit()
        return jsonify(body)

    view.__name__ = "action_" + endpoint.path.replace("/", "_").replace("-", "_")
    view.__doc__ = endpoint.summary
    return view


for _endpoint in ACTIONS:
    blueprint.add_url_rule(
        f"/tickets/<ident>/{_endpoint.path}", view_func=_view_for(_endpoint), methods=["POST"]
    )
