"""The API's marshmallow schemas: request bodies and query strings it loads, and the response
shapes it documents in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from hotline.models.login_failures import USERNAME_LENGTH
from hotline.phones import InvalidPhone, caller_number
from hotline.service_area import outside_service_area
from routing.glossary import AppealType, Channel, ClockName, TriageOutcome, Urgency
from routing.workflow import TicketState

NOTE_MAX = 4000
SATISFACTION = ("satisfied", "basically_satisfied", "unsatisfied")


def _values(enum: Any) -> list[str]:
    return [str(member) for member in enum]


def text_length(value: str) -> None:
    """诉求内容: not blank, and no longer than the configured MAX_TEXT_LENGTH."""
    limit = int(current_app.config["MAX_TEXT_LENGTH"])
    if not value.strip():
        raise ValidationError("诉求内容不能为空")
    if len(value) > limit:
        raise ValidationError(f"诉求内容不能超过 {limit} 个字符")


def phone_number(value: str) -> None:
    try:
        caller_number(value)
    except InvalidPhone as error:
        raise ValidationError(str(error)) from None


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("不能为空")


class TicketRef(fields.Field):  # type: ignore[type-arg]
    """A ticket named by its id (integer or digits) or its number (YYYYMMDD-NNNNNN)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
            raise ValidationError("必须是工单 id 或工单编号")
        return str(value).strip()


class Moment(fields.Field):  # type: ignore[type-arg]
    """An ISO 8601 date or date-time; dates and naive times are read in the centre's time zone.

    `end_of_day` makes a bare date mean the end of that day (for an inclusive upper bound).
    """

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ValidationError("必须是 ISO 8601 日期或时间")
        tz = ZoneInfo(current_app.config["TIMEZONE"])
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                start = datetime.combine(day, time.min, tzinfo=tz)
                moment = start + timedelta(days=1, microseconds=-1) if self.end_of_day else start
            else:
                moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("必须是 ISO 8601 日期或时间") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        try:
            # The database stores UTC: a moment that has none (year 1 at +14:00) is refused here.
            moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("日期超出可表示的范围") from None
        return moment


class JsonBoolean(fields.Boolean):
    """A JSON true or false, nothing else: marshmallow's Boolean also takes "yes", "on", 1."""

    default_error_messages = {"invalid": "必须是 true 或 false"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class JsonNumber(fields.Float):
    """A JSON number, nothing else: marshmallow's Float also takes the string "28.1"."""

    default_error_messages = {"invalid": "必须是数字"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


# ---- requests -----------------------------------------------------------------------------


class LocationSchema(StrictSchema):
    lat = JsonNumber(required=True, validate=validate.Range(-90, 90))
    long = JsonNumber(required=True, validate=validate.Range(-180, 180))

    @validates_schema
    def _in_service_area(self, data: dict[str, Any], **_kwargs: Any) -> None:
        problem = outside_service_area(data.get("lat"), data.get("long"))
        if problem is not None:
            raise ValidationError(problem, "lat")


class RequesterSchema(StrictSchema):
    name = fields.String(validate=validate.Length(max=120), allow_none=True)
    phone = fields.String(validate=[validate.Length(max=32), phone_number], allow_none=True)
    email = fields.Email(validate=validate.Length(max=255), allow_none=True)
    id_number = fields.String(validate=validate.Length(max=32), allow_none=True)
    anonymous = JsonBoolean(load_default=False)
    confidential = JsonBoolean(load_default=False)


class TicketCreateSchema(StrictSchema):
    channel = fields.String(load_default="web", validate=validate.OneOf(_values(Channel)))
    source_line = fields.String(
        # ASCII digits only, and no trailing newline (which `$` would let through).
        validate=validate.Regexp(r"\A[0-9]{3,16}\Z", error="热线号码应为 3 至 16 位数字"),
        allow_none=True,
    )
    appeal_type = fields.String(load_default="other", validate=validate.OneOf(_values(AppealType)))
    urgency = fields.String(load_default="normal", validate=validate.OneOf(_values(Urgency)))
    requester = fields.Nested(RequesterSchema, allow_none=True)
    title = fields.String(validate=validate.Length(max=200), allow_none=True)
    text = fields.String(required=True, validate=text_length)
    area_code = fields.String(validate=validate.Length(min=1, max=32), allow_none=True)
    address = fields.String(validate=validate.Length(max=500), allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    matter_code = fields.String(validate=validate.Length(min=1, max=32), allow_none=True)
    external_id = fields.String(validate=validate.Length(min=1, max=128), allow_none=True)
    answer = fields.String(validate=[validate.Length(max=NOTE_MAX), not_blank], allow_none=True)


def _units() -> fields.Field:  # type: ignore[type-arg]
    return fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list)


def _note(required: bool = False) -> fields.String:
    if required:
        return fields.String(required=True, validate=[validate.Length(max=NOTE_MAX), not_blank])
    return fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))


class DispatchSchema(StrictSchema):
    lead = fields.String(required=True, validate=validate.Length(min=1, max=32))
    assists = _units()


class TextSchema(StrictSchema):
    text = _note(required=True)


class RelaySchema(StrictSchema):
    text = fields.String(
        required=True,
        validate=[validate.Length(max=300), not_blank],
        metadata={
            "description": "转达给诉求人的内容（中心以热线号码短信发出，单位看不到诉求人号码）"
        },
    )


class EmptySchema(StrictSchema):
    pass


class NoteSchema(StrictSchema):
    note = _note()


class RequiredNoteSchema(StrictSchema):
    note = _note(required=True)


class ReturnSchema(StrictSchema):
    reason = _note(required=True)
    legal_basis = _note(required=True)
    suggested_unit = fields.String(required=True, validate=validate.Length(min=1, max=32))


class ArbitrateSchema(StrictSchema):
    approve = JsonBoolean(required=True)
    note = _note()
    lead = fields.String(validate=validate.Length(min=1, max=32), allow_none=True)
    assists = _units()


class RedispatchSchema(StrictSchema):
    lead = fields.String(required=True, validate=validate.Length(min=1, max=32))
    assists = _units()
    reason = _note(required=True)


class ExtensionSchema(StrictSchema):
    working_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    reason = _note(required=True)


class DecisionSchema(StrictSchema):
    approve = JsonBoolean(required=True)
    note = _note()


class CallbackSchema(StrictSchema):
    reachable = JsonBoolean(required=True)
    contacted = JsonBoolean(allow_none=True, load_default=None)
    solved = JsonBoolean(allow_none=True, load_default=None)
    satisfaction = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(SATISFACTION)
    )
    unit_fault = JsonBoolean(allow_none=True, load_default=None)
    note = _note()


class ReasonSchema(StrictSchema):
    reason = _note(required=True)


class MergeSchema(StrictSchema):
    into = TicketRef(required=True, metadata={"type": "string"})
    # Merge tickets that share neither requester nor place and matter; needs a reason.
    override = JsonBoolean(load_default=False)
    reason = _note()


class TicketListQuery(StrictSchema):
    state = fields.String(metadata={"description": "状态，可用逗号分隔多个"})
    unit = fields.String(metadata={"description": "主办单位编码"})
    area = fields.String(metadata={"description": "区域编码（含下级区域）"})
    matter = fields.String(metadata={"description": "事项编码（含下级事项）"})
    channel = fields.String(validate=validate.OneOf(_values(Channel)))
    source_line = fields.String(
        validate=validate.Regexp(r"\A[0-9]{3,16}\Z", error="热线号码应为 3 至 16 位数字"),
        metadata={"description": "并入 12345 的原热线号码，如 12315"},
    )
    overdue = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=200))
    accepted_from = Moment(metadata={"type": "string", "format": "date-time"})
    accepted_to = Moment(end_of_day=True, metadata={"type": "string", "format": "date-time"})
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))

    @validates_schema
    def _states(self, data: dict[str, Any], **kwargs: Any) -> None:
        allowed = set(_values(TicketState))
        for state in (data.get("state") or "").split(","):
            if state and state not in allowed:
                raise ValidationError(f"未知的工单状态 {state}", "state")

    @validates_schema
    def _ordered_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("accepted_from"), data.get("accepted_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("accepted_from 不能晚于 accepted_to", "accepted_from")


class LookupQuery(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))


REVEAL_PURPOSES = ("callback", "relay", "verification")


class RevealSchema(StrictSchema):
    purpose = fields.String(required=True, validate=validate.OneOf(REVEAL_PURPOSES))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))


class RevealResultSchema(Schema):
    ticket = fields.String()
    requester = fields.Dict()


class LoginSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=USERNAME_LENGTH))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


# ---- responses (documented in the OpenAPI document) --------------------------------------


class ClockSchema(Schema):
    due_at = fields.DateTime(allow_none=True)
    met_at = fields.DateTime(allow_none=True)
    breached_at = fields.DateTime(allow_none=True)


class ClocksSchema(Schema):
    sign = fields.Nested(ClockSchema)
    contact = fields.Nested(ClockSchema)
    handle = fields.Nested(ClockSchema)
    callback = fields.Nested(ClockSchema)


class TriageSchema(Schema):
    outcome = fields.String(validate=validate.OneOf(_values(TriageOutcome)))
    reason = fields.String()
    service = fields.String(allow_none=True)
    route = fields.String(allow_none=True)
    guidance = fields.String(allow_none=True)
    # Set when the emergency model's reading, not a rule, made the transfer (0.8 to 1).
    model_probability = fields.Float(allow_none=True)
    # What the agent told the caller at intake when triage then transferred, referred or
    # merged the appeal instead of closing it as a direct answer.
    agent_answer = fields.String(allow_none=True)


class DispatchDecisionSchema(Schema):
    lead_unit = fields.String(allow_none=True)
    assist_units = fields.List(fields.String())
    entry_id = fields.String(allow_none=True)
    catalogue_version = fields.Integer(allow_none=True)
    fallback = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class RequesterViewSchema(Schema):
    masked = fields.Boolean(metadata={"description": "true: 个人信息已按角色脱敏"})
    anonymous = fields.Boolean()
    confidential = fields.Boolean()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    phone_masked = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class EventSchema(Schema):
    seq = fields.Integer()
    action = fields.String()
    actor_name = fields.String()
    actor_role = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    payload = fields.Dict()
    at = fields.DateTime()


class NextDueSchema(Schema):
    clock = fields.String(validate=validate.OneOf(("sign", "contact", "handle", "callback")))
    due_at = fields.DateTime()


_NAMES = "名称（按现行路由规则；编码已停用时为 null）"


class TicketSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    channel = fields.String()
    source_line = fields.String(allow_none=True)
    external_id = fields.String(allow_none=True)
    appeal_type = fields.String()
    urgency = fields.String()
    # None where the content is withheld (an API key reading a 举报 or a confidential appeal).
    title = fields.String(allow_none=True)
    text = fields.String()
    state = fields.String(validate=validate.OneOf(_values(TicketState)))
    matter_code = fields.String(allow_none=True)
    area_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    triage = fields.Nested(TriageSchema)
    classification = fields.Dict(allow_none=True)
    dispatch = fields.Nested(DispatchDecisionSchema, allow_none=True)
    lead_unit = fields.String(allow_none=True)
    matter_name = fields.String(allow_none=True, metadata={"description": "事项" + _NAMES})
    area_name = fields.String(allow_none=True, metadata={"description": "区域" + _NAMES})
    lead_unit_name = fields.String(allow_none=True, metadata={"description": "主办单位" + _NAMES})
    assist_units = fields.List(fields.String())
    clocks = fields.Nested(ClocksSchema)
    next_due = fields.Nested(
        NextDueSchema,
        allow_none=True,
        metadata={"description": "最先到期的未完成时限（已办结或无时限为 null）"},
    )
    due_provisional = fields.Boolean()
    duplicate_of = fields.String(allow_none=True)
    parent = fields.String(allow_none=True)
    extension = fields.Dict()
    reopen_count = fields.Integer()
    hop_count = fields.Integer()
    repeat_count = fields.Integer()
    escalated = fields.Boolean()
    reply_text = fields.String(allow_none=True)
    rating = fields.Dict(allow_none=True, metadata={"description": "回访评价，仅中心角色可见"})
    accepted_at = fields.DateTime()
    dispatched_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    requester = fields.Nested(RequesterViewSchema)


class TicketDetailSchema(TicketSchema):
    events = fields.List(fields.Nested(EventSchema))


class TicketSummarySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    channel = fields.String()
    source_line = fields.String(allow_none=True)
    appeal_type = fields.String()
    urgency = fields.String()
    title = fields.String(allow_none=True)
    state = fields.String()
    matter_code = fields.String(allow_none=True)
    area_code = fields.String(allow_none=True)
    lead_unit = fields.String(allow_none=True)
    matter_name = fields.String(allow_none=True, metadata={"description": "事项" + _NAMES})
    area_name = fields.String(allow_none=True, metadata={"description": "区域" + _NAMES})
    lead_unit_name = fields.String(allow_none=True, metadata={"description": "主办单位" + _NAMES})
    accepted_at = fields.DateTime()
    overdue = fields.Boolean()
    next_due = fields.Nested(
        NextDueSchema,
        allow_none=True,
        metadata={"description": "最先到期的未完成时限（已办结或无时限为 null）"},
    )


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSummarySchema))
    next_cursor = fields.String(allow_none=True)


class LookupResultSchema(Schema):
    phone_masked = fields.String()
    tickets = fields.List(
        fields.Nested(TicketSchema), metadata={"description": "最近的工单，至多 50 件，新的在前"}
    )
    total = fields.Integer(metadata={"description": "该号码的全部工单数"})
    open = fields.Integer(metadata={"description": "其中未办结的工单数"})
    truncated = fields.Boolean(metadata={"description": "工单多于列出的件数"})


class UserSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "API key 调用方为 null"})
    username = fields.String(allow_none=True, metadata={"description": "API key 调用方为 null"})
    display_name = fields.String()
    role = fields.String()
    unit_code = fields.String(allow_none=True)


class CurrentUserSchema(Schema):
    """What POST /auth/login and GET /auth/me answer: the signed-in user or the API key's
    integration, wrapped."""

    user = fields.Nested(UserSchema, required=True)


class ErrorBodySchema(Schema):
    code = fields.String()
    message = fields.String()
    details = fields.Dict()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema)


CLOCK_NAMES = _values(ClockName)
