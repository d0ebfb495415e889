"""The catalogue (派单目录) API under /api/v1/catalogue, routing explain and the manual queue."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, current_app, request, send_file
from marshmallow import Schema, fields, validate
from sqlalchemy import case, func, select

from hotline import catalogue_store
from hotline.api.parsing import load_body, load_query, rollback_on_error
from hotline.auth import CENTRE_ROLES, current_actor, require_roles
from hotline.domain import local_iso
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.intake import assess, route
from hotline.lifecycle.errors import NotFound
from hotline.models import MAX_ROW_ID, Ticket
from hotline.routing_context import RoutingContext, routing_context
from hotline.transaction import commit
from routing.catalogue import Problem
from routing.classify import Classification
from routing.glossary import AppealType, Urgency
from routing.workflow import Role, TicketState

blueprint = Blueprint("catalogue_api", __name__, url_prefix="/api/v1")

# Who may change the catalogue, and who may ask where an appeal would go.
EDITORS = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
READERS = CENTRE_ROLES
EXPLAINERS = CENTRE_ROLES | {Role.INTEGRATION}
SHEET_MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",  # send_file adds "; charset=utf-8" to every text/ type
}
_APPEAL_TYPES = [kind.value for kind in AppealType]
_VERSION_STATES = [
    catalogue_store.DRAFT,
    catalogue_store.SCHEDULED,
    catalogue_store.ACTIVE,
    catalogue_store.RETIRED,
]


# ---- what the endpoints answer (documented in the OpenAPI document) ------------------------


class CatalogueEntrySchema(Schema):
    """catalogue_store.entry_mapping."""

    entry_id = fields.String()
    matter_code = fields.String()
    area_code = fields.String(allow_none=True, metadata={"description": "null：全市"})
    appeal_types = fields.List(
        fields.String(validate=validate.OneOf(_APPEAL_TYPES)),
        metadata={"description": "空：任何诉求类型"},
    )
    appeal_types_label = fields.String()
    lead = fields.String()
    assists = fields.List(fields.String())
    dispatch_level = fields.String()
    legal_basis = fields.String()
    tier = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    no_push_down = fields.Boolean()


class CatalogueVersionSchema(Schema):
    """catalogue_store.version_mapping."""

    id = fields.Integer()
    state = fields.String(validate=validate.OneOf(_VERSION_STATES))
    source_name = fields.String()
    note = fields.String()
    entry_count = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    effective_at = fields.DateTime(allow_none=True)
    retired_at = fields.DateTime(allow_none=True)


class CatalogueVersionListSchema(Schema):
    versions = fields.List(fields.Nested(CatalogueVersionSchema))


class CatalogueVersionEntriesSchema(CatalogueVersionSchema):
    entries = fields.List(fields.Nested(CatalogueEntrySchema))


class CatalogueNewEntrySchema(CatalogueVersionSchema):
    """The new draft version and the entry added to it."""

    entry = fields.Nested(CatalogueEntrySchema)


class CatalogueChangeSchema(Schema):
    entry_id = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields")
    before = fields.Dict()
    after = fields.Dict()


class CatalogueDiffSchema(Schema):
    from_id = fields.Integer(data_key="from")
    to_id = fields.Integer(data_key="to")
    added = fields.List(fields.Nested(CatalogueEntrySchema))
    removed = fields.List(fields.Nested(CatalogueEntrySchema))
    changed = fields.List(fields.Nested(CatalogueChangeSchema))


def _version_id(version_id: int) -> int:
    """A version id as a row may have it; beyond the integer column's range (which PostgreSQL
    refuses to compare with, a database error) it is a version that does not exist: 404."""
    if not 0 < version_id <= MAX_ROW_ID:
        raise NotFound("派单目录版本", version_id)
    return version_id


def _problems_error(problems: list[Problem], message: str) -> ApiError:
    return ApiError(
        422,
        "catalogue_invalid",
        message,
        {"problems": [catalogue_store.problem_mapping(p) for p in problems]},
    )


@blueprint.get("/catalogue/versions")
@require_roles(READERS)
def list_versions() -> Any:
    versions = catalogue_store.list_versions(db.session)
    return {"versions": [catalogue_store.version_mapping(v) for v in versions]}


@blueprint.post("/catalogue/versions")
@require_roles(EDITORS)
@rollback_on_error
def import_version() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(
            400, "file_required", "请以 multipart/form-data 上传字段 file（.xlsx 或 .csv）"
        )
    actor = current_actor()
    version, problems = catalogue_store.import_catalogue(
        db.session,
        io.BytesIO(upload.read()),
        upload.filename,
        actor.name,
        request.form.get("note", ""),
    )
    if version is None:
        raise _problems_error(problems, f"派单目录表有 {len(problems)} 处问题，未导入任何内容")
    commit()
    return catalogue_store.version_mapping(version), 201


class FormatQuery(Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(["xlsx", "csv", "json"]))


@blueprint.get("/catalogue/versions/<int:version_id>")
@require_roles(READERS)
def show_version(version_id: int) -> Any:
    fmt = load_query(FormatQuery())["format"]
    version = catalogue_store.get_version(db.session, _version_id(version_id))
    if fmt in SHEET_MIMETYPES:
        data = catalogue_store.export(db.session, version, fmt)
        return send_file(
            io.BytesIO(data),
            mimetype=SHEET_MIMETYPES[fmt],
            as_attachment=True,
            download_name=f"catalogue-v{version.id}.{fmt}",
        )
    entries = catalogue_store.entries_of(db.session, version.id)
    return {
        **catalogue_store.version_mapping(version),
        "entries": [catalogue_store.entry_mapping(e) for e in entries],
    }


class ActivateBody(Schema):
    effective_at = fields.AwareDateTime(
        load_default=None,
        metadata={
            "description": "生效时间（带时区）；省略或不晚于当前时间即刻生效，"
            "晚于当前时间则预定生效：此前仍按原启用版本派单，届时原版本停用"
        },
    )


@blueprint.post("/catalogue/versions/<int:version_id>/activate")
@require_roles(EDITORS)
@rollback_on_error
def activate_version(version_id: int) -> Any:
    _version_id(version_id)
    body = load_body(ActivateBody()) if request.get_data(cache=True).strip() else {}
    try:
        version = catalogue_store.activate(
            db.session,
            version_id,
            actor=current_actor().name,
            effective_at=body.get("effective_at"),
        )
    except catalogue_store.ActivationConflict as error:
        raise ApiError(409, error.code, error.message, error.details) from None
    commit()
    return catalogue_store.version_mapping(version)


class DiffQuery(Schema):
    from_id = fields.Integer(required=True, data_key="from")
    to_id = fields.Integer(required=True, data_key="to")


@blueprint.get("/catalogue/diff")
@require_roles(READERS)
def diff_versions() -> Any:
    query = load_query(DiffQuery())
    result = catalogue_store.diff_versions(
        db.session, _version_id(query["from_id"]), _version_id(query["to_id"])
    )
    return {"from": query["from_id"], "to": query["to_id"], **catalogue_store.diff_mapping(result)}


class EntryBody(Schema):
    matter_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    area_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    appeal_types = fields.List(
        fields.String(validate=validate.OneOf(_APPEAL_TYPES)), load_default=list
    )
    lead = fields.String(required=True, validate=validate.Length(min=1, max=32))
    assists = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)
    legal_basis = fields.String(load_default="", validate=validate.Length(max=2000))
    tier = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    dispatch_level = fields.String(load_default="", validate=validate.Length(max=16))
    keywords = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    no_push_down = fields.Boolean(load_default=False)
    from_ticket = fields.String(load_default=None, allow_none=True)


@blueprint.post("/catalogue/entries")
@require_roles(EDITORS)
@rollback_on_error
def add_entry() -> Any:
    body = load_body(EntryBody())
    from_ticket = body["from_ticket"]
    if from_ticket and _ticket_by_number(from_ticket) is None:
        raise ApiError(
            422, "unknown_ticket", f"工单 {from_ticket} 不存在", {"field": "from_ticket"}
        )
    new = catalogue_store.NewEntry(
        matter_code=body["matter_code"],
        area_code=body["area_code"] or None,
        appeal_types=frozenset(AppealType(t) for t in body["appeal_types"]),
        lead=body["lead"],
        assists=tuple(body["assists"]),
        legal_basis=body["legal_basis"],
        tier=body["tier"] or None,
        dispatch_level=body["dispatch_level"],
        keywords=tuple(body["keywords"]),
        no_push_down=body["no_push_down"],
        from_ticket=from_ticket,
    )
    version, problems = catalogue_store.add_entry(db.session, new, current_actor().name)
    if version is None:
        raise _problems_error(problems, "新条目与派单目录冲突，未生成新版本")
    entries = catalogue_store.entries_of(db.session, version.id)
    commit()
    return {
        **catalogue_store.version_mapping(version),
        "entry": catalogue_store.entry_mapping(entries[-1]),
    }, 201


def _ticket_by_number(number: str) -> Ticket | None:
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).first()


class ExplainBody(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1))
    area_code = fields.String(load_default=None, allow_none=True)
    appeal_type = fields.String(
        load_default=AppealType.OTHER.value, validate=validate.OneOf(_APPEAL_TYPES)
    )
    matter_code = fields.String(load_default=None, allow_none=True)


def _unknown_codes(context: RoutingContext, body: dict[str, Any]) -> dict[str, str]:
    problems = {}
    if body["matter_code"] and body["matter_code"] not in context.matters:
        problems["matter_code"] = f"未知的事项编码 {body['matter_code']}"
    if body["area_code"] and body["area_code"] not in context.areas:
        problems["area_code"] = f"未知的区域编码 {body['area_code']}"
    return problems


def _classification_mapping(
    classification: Classification, context: RoutingContext
) -> dict[str, Any]:
    def name(code: str | None) -> str | None:
        return context.matters.name(code) if code and code in context.matters else None

    return {
        "matter_code": classification.matter_code,
        "matter_name": name(classification.matter_code),
        "confidence": round(classification.confidence, 4),
        "method": classification.method,
        "candidates": [
            {"matter_code": code, "matter_name": name(code), "score": round(score, 4)}
            for code, score in classification.candidates
        ],
    }


@blueprint.post("/routing/explain")
@require_roles(EXPLAINERS)
def explain() -> Any:
    """Where an appeal would go and why, during the call, without creating a ticket."""
    body = load_body(ExplainBody())
    if len(body["text"]) > int(current_app.config["MAX_TEXT_LENGTH"]):
        raise ApiError(400, "validation_error", "诉求内容过长", {"field": "text"})
    context = routing_context()
    unknown = _unknown_codes(context, body)
    if unknown:
        raise ApiError(422, "unknown_code", "编码不存在", unknown)
    assessment = assess(context, body["text"], body["matter_code"])
    triaged, classification = assessment.triage, assessment.classification
    decision = route(context, assessment.matter_code, body["area_code"], body["appeal_type"])
    entry = context.catalogue.get(decision.entry_id) if decision.entry_id else None
    units = context.units

    def unit(code: str) -> dict[str, str | None]:
        ref = units.get(code)
        return {"code": code, "name": ref.name if ref is not None else None}

    return {
        "triage": {
            "outcome": triaged.outcome.value if triaged.outcome else None,
            "reason": triaged.reason_zh,
            "service": triaged.service,
            "route": triaged.route,
            "guidance": triaged.guidance_zh,
        },
        "classification": _classification_mapping(classification, context),
        "decision": {
            **decision.to_mapping(),
            "manual": decision.is_manual,
            "lead": unit(decision.lead_unit) if decision.lead_unit else None,
            "assists": [unit(code) for code in decision.assist_units],
        },
        "entry": catalogue_store.entry_mapping(entry) if entry is not None else None,
        "catalogue_version": context.catalogue.version or None,
    }


class QueueQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


@blueprint.get("/queue/manual")
# Agents may dispatch or answer what waits here (workflow.DISPATCHERS), so they may read it too.
@require_roles(READERS)
def manual_queue() -> Any:
    """Tickets waiting for a dispatcher (待派单), the most urgent first (特急, 紧急, 一般),
    then oldest first, with what routing suggested."""
    query = load_query(QueueQuery())
    base = select(Ticket).where(Ticket.state == TicketState.PENDING_DISPATCH.value)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    most_urgent_first = case(
        (Ticket.urgency == Urgency.CRITICAL.value, 0),
        (Ticket.urgency == Urgency.URGENT.value, 1),
        else_=2,
    )
    tickets = db.session.scalars(
        base.order_by(most_urgent_first, Ticket.accepted_at, Ticket.id)
        .limit(query["limit"])
        .offset(query["offset"])
    )
    return {
        "total": total,
        "tickets": [
            {
                "id": t.id,
                "number": t.number,
                "channel": t.channel,
                "appeal_type": t.appeal_type,
                "urgency": t.urgency,
                "title": t.title,
                "text": t.text,
                "matter_code": t.matter_code,
                "area_code": t.area_code,
                "accepted_at": local_iso(t.accepted_at),
                "triage_reason": t.triage_reason,
                "decision": t.dispatch_decision,
                "classification": t.classification,
            }
            for t in tickets
        ],
    }
