"""POST requests, GET requests, GET a request and GET tokens/<token>.

Every service is `realtime`: POST answers with the service_request_id (the ticket number) at
once. A token is nevertheless resolvable: the token of a request is its internal ticket id
(`token_for`), and GET tokens/<token> returns the service_request_id it stands for.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import Select, case, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import CombinedMultiDict

from hotline import json_documents
from hotline.apikeys import find_key
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.intake import Submission, submit
from hotline.lifecycle import Actor
from hotline.models import MAX_ROW_ID, Ticket
from hotline.open311 import blueprint
from hotline.open311.encoding import FORM_TYPE, MULTIPART_TYPE
from hotline.open311.formats import Open311Error, render
from hotline.open311.jurisdiction import check_jurisdiction, setting, submitted
from hotline.open311.publication import (
    accept_facts,
    answerable,
    answered_by_id,
    notice,
    parents,
    posted_by_reader,
    public_request,
    service_requests,
    unit_names,
)
from hotline.open311.schemas import (
    PostRequestSchema,
    RequestsQuerySchema,
    form_parameters,
    load,
    query_parameters,
)
from hotline.open311.services import ATTRIBUTES, ATTRIBUTES_BY_CODE, is_service
from hotline.phones import InvalidPhone, caller_number
from hotline.routing_context import routing_context
from hotline.service_area import outside_service_area
from hotline.transaction import commit
from routing.glossary import Channel
from routing.locating import area_in_address
from routing.workflow import Role, TicketState

# The length of requesters.name: first_name and last_name (60 each) joined by a space can exceed it.
NAME_LIMIT = 120
# Han characters: a name written in them is family name first, with no space.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def token_for(ticket: Ticket) -> str:
    return str(ticket.id)


# What a POST body may be: the spec's form, a multipart form (clients attaching a photo), JSON.
BODY_TYPES = (FORM_TYPE, MULTIPART_TYPE)


def check_body_type() -> None:
    """A body of another type (text/plain, XML) holds no parameter this API can read: a 400
    that says so, rather than the 403 for a missing api_key it would otherwise get."""
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if has_body and not request.is_json and request.mimetype not in BODY_TYPES:
        raise Open311Error(
            400,
            f"请求体类型 {request.mimetype or '（未声明）'} 不受支持："
            "应为 application/x-www-form-urlencoded、multipart/form-data 或 application/json",
        )
    if (
        has_body
        and request.mimetype == MULTIPART_TYPE
        and not request.mimetype_params.get("boundary")
    ):
        # Werkzeug reads such a body as no parameters at all: a 400, not a missing api_key.
        raise Open311Error(400, "multipart/form-data 请求体缺少 boundary 参数，无法读取")
    if has_body and request.is_json:
        # A broken JSON body would otherwise read as one without an api_key (403).
        try:
            body = json_documents.request_document()
        except json_documents.UnreadableJson as error:
            raise Open311Error(400, error.message) from None
        if not isinstance(body, dict):
            raise Open311Error(400, "JSON 请求体必须是对象")


def _posted() -> dict[str, Any]:
    """The form body; parameters a client put in the query string count too (the form wins)."""
    if request.is_json:
        body = json_documents.request_object()
        if body is None:
            raise Open311Error(400, "JSON 请求体必须是对象")
        return body
    return form_parameters(CombinedMultiDict([request.form, request.args]))


def _poster() -> str | None:
    """The name of the system whose valid api_key a read carries (None: the public): the
    system that posted a request may track one the public list leaves out."""
    key = find_key(db.session, submitted("api_key"))
    return key.name if key is not None else None


def _authenticate() -> Actor:
    key = find_key(db.session, submitted("api_key"))
    if key is None:
        raise Open311Error(403, "api_key 缺失或无效")
    return Actor(role=Role.INTEGRATION, name=key.name)


def _attributes(given: dict[str, list[str]]) -> dict[str, str]:
    """Known attributes resolved to their keys (defaults filled); unknown codes are ignored."""
    chosen: dict[str, str] = {}
    problems = []
    for attribute in ATTRIBUTES:
        sent = given.get(attribute.code)
        if not sent:
            if attribute.required:
                problems.append(f"attribute[{attribute.code}]：必须填写")
            chosen[attribute.code] = attribute.default
            continue
        keys = []
        for raw in sent:
            key = ATTRIBUTES_BY_CODE[attribute.code].key_for(raw)
            if key is None:
                allowed = "、".join(f"{k}（{n}）" for k, n in attribute.values)
                problems.append(f"attribute[{attribute.code}]：取值 {raw} 无效，可选 {allowed}")
            elif key not in keys:
                keys.append(key)
        if len(keys) > 1:
            problems.append(f"attribute[{attribute.code}]：只能选择一项，收到 {'、'.join(sent)}")
        elif keys:
            chosen[attribute.code] = keys[0]
    if problems:
        raise Open311Error(400, *problems)
    return chosen


def submission_from(params: dict[str, Any]) -> Submission:
    """Check an Open311 request against the matter and area trees and turn it into an appeal."""
    context = routing_context()
    service_code = params["service_code"]
    if not is_service(context.matters, service_code):
        # The spec: a service_code that was not found is a 404, as in GET a service definition.
        raise Open311Error(404, f"service_code：服务编码 {service_code} 不存在或不是末级事项")
    problems: list[str] = []
    lat, long = params.get("lat"), params.get("long")
    if (lat is None) != (long is None):
        problems.append("lat 与 long 必须同时提供")
    elif (outside := outside_service_area(lat, long)) is not None:
        problems.append(f"lat、long：{outside}")
    address = params.get("address_string")
    address_id = params.get("address_id")
    if lat is None and long is None and not address and not address_id:
        problems.append("必须提供位置：lat 和 long、address_string 或 address_id 至少一项")
    if address_id and address_id not in context.areas:
        problems.append(f"address_id：行政区划编码 {address_id} 不存在")
    phone = params.get("phone")
    if phone:
        try:
            phone = caller_number(phone)
        except InvalidPhone as error:
            problems.append(f"phone：{error}")
    description = params.get("description") or ""
    limit = int(current_app.config["MAX_TEXT_LENGTH"])
    if len(description) > limit:
        problems.append(f"description：不能超过 {limit} 个字符（当前 {len(description)} 个）")
    name = requester_name(params.get("first_name"), params.get("last_name"))
    if name and len(name) > NAME_LIMIT:
        problems.append(f"first_name、last_name：姓名合计不能超过 {NAME_LIMIT} 个字符")
    if problems:
        raise Open311Error(400, *problems)
    attributes = _attributes(params["attribute"])
    area_code = address_id or area_in_address(context.areas, address)
    extra: dict[str, Any] = {
        key: params[key] for key in ("media_url", "account_id") if params.get(key)
    }
    if not description:
        # A bare "this kind of problem, here" report: say so in words triage can read (and
        # publish no description the poster did not write).
        where = address or (context.areas.name(area_code) if area_code else f"坐标 {lat},{long}")
        description = f"{context.matters.name(service_code)}：{where}"
        extra["no_description"] = True
    return Submission(
        channel=Channel.OPEN311,
        text=description,
        appeal_type=attributes["appeal_type"],
        urgency=attributes["urgency"],
        confidential=attributes["confidential"] == "true",
        matter_code=service_code,
        area_code=area_code,
        address=address,
        latitude=lat,
        longitude=long,
        requester_name=name or None,
        requester_phone=phone,
        requester_email=params.get("email"),
        extra={"open311": extra} if extra else {},
    )


def requester_name(first: str | None, last: str | None) -> str | None:
    """王 + 小明 → 王小明, but John + Smith → John Smith (FixMyStreet sends Western names)."""
    first, last = (first or "").strip(), (last or "").strip()
    if _HAN.search(first + last):
        return (last + first) or None
    return " ".join(part for part in (first, last) if part) or None


# Built once: a marshmallow schema deep-copies its fields on every construction.
POST_REQUEST = PostRequestSchema()


@blueprint.post("/requests.<any(xml, json):fmt>")
def create_request(fmt: str) -> Response:
    check_body_type()
    actor = _authenticate()
    check_jurisdiction()
    params = load(POST_REQUEST, _posted())
    result = submit(db.session, actor, submission_from(params))
    ticket = result.ticket
    parent = parents(db.session, [ticket]).get(ticket.id)
    handling = parent if parent is not None else ticket
    body = [
        {
            "service_request_id": ticket.number,
            "service_notice": notice(
                ticket,
                unit_names(db.session, [handling]).get(handling.lead_unit_code or ""),
                parent,
                result.triage.service,
            ),
            "account_id": params.get("account_id"),
        }
    ]
    commit()
    # 200, not 201: the spec defines no other success code, and deployed servers answer 200.
    return render(fmt, "service_requests", body)


def _render_tickets(fmt: str, tickets: list[Ticket]) -> Response:
    context = routing_context()
    joined = parents(db.session, tickets)
    units = unit_names(db.session, [*tickets, *joined.values()])
    facts = accept_facts(db.session, tickets)
    posted = posted_by_reader(db.session, tickets, _poster())
    body = [
        public_request(
            t, context.matters, context.areas, units, facts, joined.get(t.id), t.id in posted
        )
        for t in tickets
    ]
    return render(fmt, "service_requests", body)


# Built once, like POST_REQUEST.
REQUEST_IDS = RequestsQuerySchema(only=("service_request_id",))
REQUESTS_QUERY = RequestsQuerySchema()


@blueprint.get("/requests.<any(xml, json):fmt>")
def list_requests(fmt: str) -> Response:
    check_jurisdiction()
    params = query_parameters(request.args)
    limit = int(setting("OPEN311_MAX_REQUESTS"))
    statement = select(Ticket)
    # The spec: a list of ids "overrides all other arguments", so those are not even read.
    numbers = load(REQUEST_IDS, params).get("service_request_id")
    if numbers:
        # As GET requests/<id> answers: what it would 404 is left out, as an unknown id is.
        statement = statement.where(Ticket.number.in_(numbers[:limit]), answerable())
    else:
        statement = _filtered(statement, load(REQUESTS_QUERY, params))
    statement = statement.order_by(Ticket.accepted_at.desc(), Ticket.id.desc()).limit(limit)
    return _render_tickets(fmt, list(db.session.scalars(statement)))


def _filtered(statement: Select[Ticket], query: dict[str, Any]) -> Select[Ticket]:
    """The date window (the most recent 90 days by default), service codes and statuses."""
    window = timedelta(days=int(setting("OPEN311_WINDOW_DAYS")))
    start: datetime | None = query.get("start_date")
    end: datetime | None = query.get("end_date")
    try:
        if start is None:
            end = end or utcnow()
            start = end - window
        elif end is None:
            end = start + window
    except OverflowError:
        named = "end_date" if start is None else "start_date"
        raise Open311Error(
            400, f"{named}：日期超出可表示的范围（未给出的另一端按 {window.days} 天推算）"
        ) from None
    if end < start:
        raise Open311Error(400, "end_date 不能早于 start_date")
    if end - start > window:
        raise Open311Error(400, f"start_date 与 end_date 相差不能超过 {window.days} 天")
    # Times are published to the second: an end_date equal to a request's requested_datetime
    # as shown includes that request, though it was accepted a fraction of a second later.
    if end.microsecond == 0:
        end += timedelta(microseconds=999_999)
    statement = statement.where(Ticket.accepted_at >= start, Ticket.accepted_at <= end)
    # The public list holds service requests: an emergency transfer, a legal-route referral or
    # a contact not accepted (abuse, a joke, a misdial) is none, and one no matter was given yet
    # has no service_code the spec could show (publication.is_service_request). Asked for by
    # its id, one posted through Open311 is answered, withheld; any other is a 404.
    statement = statement.where(service_requests())
    if query.get("service_code"):
        statement = statement.where(Ticket.matter_code.in_(query["service_code"]))
    statuses = set(query.get("status") or ())
    if statuses in ({"open"}, {"closed"}):
        # A merged request is as open as the ticket it joined (publication.public_request).
        parent = aliased(Ticket)
        handling_state = case((Ticket.parent_id.is_not(None), parent.state), else_=Ticket.state)
        statement = statement.outerjoin(parent, parent.id == Ticket.parent_id)
        closed = handling_state == TicketState.CLOSED
        statement = statement.where(closed if statuses == {"closed"} else ~closed)
    return statement


@blueprint.get("/requests/<service_request_id>.<any(xml, json):fmt>")
def get_request(service_request_id: str, fmt: str) -> Response:
    check_jurisdiction()
    ticket = db.session.scalars(
        select(Ticket).where(Ticket.number == service_request_id, answerable())
    ).first()
    if ticket is None:
        raise Open311Error(404, f"服务请求 {service_request_id} 不存在")
    return _render_tickets(fmt, [ticket])


@blueprint.get("/tokens/<token>.<any(xml, json):fmt>")
def get_token(token: str, fmt: str) -> Response:
    check_jurisdiction()
    # ASCII digits only: str.isdigit() also accepts "³" and "٣", which int() refuses or reads.
    is_id = token.isascii() and token.isdigit() and len(token) < 12
    ticket_id = int(token) if is_id else None
    # tickets.id is a 32-bit integer: PostgreSQL refuses a larger one rather than finding none.
    ticket = db.session.get(Ticket, ticket_id) if ticket_id and ticket_id <= MAX_ROW_ID else None
    if ticket is None or not answered_by_id(ticket):
        raise Open311Error(404, f"令牌 {token} 不存在")
    body = [{"service_request_id": ticket.number, "token": token_for(ticket)}]
    return render(fmt, "service_requests", body)
