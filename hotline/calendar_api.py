"""GET /api/v1/calendar/due and /api/v1/calendar/days: the working calendar, explained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hotline.api.parsing import load_query
from hotline.domain import current_domain
from hotline.errors import ApiError
from routing.calendar import CalendarNotCovered, DayInfo
from routing.sla import Limit, LimitUnit, PolicyError

blueprint = Blueprint("calendar_api", __name__, url_prefix="/api/v1/calendar")

MAX_DAYS = 366
_AMOUNTS = {
    "working_days": LimitUnit.WORKING_DAYS,
    "working_hours": LimitUnit.WORKING_HOURS,
    "hours": LimitUnit.NATURAL_HOURS,
}


class DueQuery(Schema):
    start = fields.String(required=True)
    working_days = fields.Integer(validate=validate.Range(min=1, max=MAX_DAYS))
    # A year of business days (8 hours each) or of natural hours.
    working_hours = fields.Float(
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_DAYS * 8)
    )
    hours = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=MAX_DAYS * 24))

    @validates_schema
    def _exactly_one_amount(self, data: dict[str, Any], **_kwargs: Any) -> None:
        given = [name for name in _AMOUNTS if data.get(name) is not None]
        if len(given) != 1:
            raise ValidationError(
                "working_days、working_hours、hours 必须且只能给出一个", field_name="_schema"
            )


class DaysQuery(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)

    @validates_schema
    def _bounded_range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError("to 不能早于 from", field_name="to")
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError(f"一次最多查询 {MAX_DAYS} 天", field_name="to")


def _parse_start(text: str) -> tuple[datetime, bool]:
    """An ISO 8601 instant; a '+' decoded to a space by the query string is put back."""
    cleaned = text.strip()
    if "T" in cleaned and " " in cleaned:
        cleaned = cleaned.replace(" ", "+")
    try:
        start = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ApiError(
            400,
            "validation_error",
            f"起算时间 {text!r} 不是 ISO 8601 格式，例如 2026-09-30T10:00:00+08:00",
            {"field": "start"},
        ) from None
    naive = start.tzinfo is None or start.utcoffset() is None
    return start, naive


def _not_covered(error: CalendarNotCovered, **details: Any) -> ApiError:
    domain = current_domain()
    return ApiError(
        400,
        "calendar_not_covered",
        str(error),
        {
            **details,
            "first_year": domain.calendar.first_year,
            "last_official_year": domain.calendar.last_official_year,
            "provisional_year": domain.calendar.provisional_year,
        },
    )


def _covered_start(start: datetime) -> datetime:
    """`start` in the centre's time zone, refused like any day the calendar does not cover,
    whatever the limit: natural hours need no calendar, but a start years away is a mistake, and
    at the ends of the datetime range not even the time zone can be applied."""
    domain = current_domain()
    try:
        local = start.astimezone(domain.tz)
    except OverflowError:
        local = start  # year 1 or 9999: far outside any calendar, refused just below
    try:
        domain.calendar.day(local.date())
    except CalendarNotCovered as error:
        raise _not_covered(error, start=start.isoformat()) from None
    return local


@blueprint.get("/due")
def due() -> ResponseReturnValue:
    """The due time of a limit counted from `start`, with the lines a clerk would write."""
    query = load_query(DueQuery())
    domain = current_domain()
    start, naive = _parse_start(query["start"])
    if naive:
        start = start.replace(tzinfo=domain.tz)
    start = _covered_start(start)
    name = next(name for name in _AMOUNTS if query.get(name) is not None)
    try:
        limit = Limit(float(query[name]), _AMOUNTS[name])
        result = limit.due(domain.calendar, start)
    except CalendarNotCovered as error:
        raise _not_covered(error, start=start.isoformat()) from None
    except (PolicyError, ValueError) as error:
        raise ApiError(400, "validation_error", str(error), {"field": name}) from None
    explanation = list(result.explanation)
    if naive:
        explanation.insert(0, f"起算时间未带时区，按本地时间（{domain.tz.key}）理解")
    return jsonify(
        {
            "start": start.isoformat(),
            "limit": str(limit),
            "due_at": result.due_at.astimezone(domain.tz).isoformat(),
            "provisional": result.provisional,
            "explanation": explanation,
        }
    )


def _day(info: DayInfo) -> dict[str, Any]:
    return {
        "date": info.date.isoformat(),
        "working": info.working,
        "reason": info.reason,
        "holiday_name": info.holiday_name,
        "provisional": info.provisional,
    }


@blueprint.get("/days")
def days() -> ResponseReturnValue:
    """Every day in [from, to] (at most 366): working or not, and why."""
    query = load_query(DaysQuery())
    calendar = current_domain().calendar
    start, end = query["from_"], query["to"]
    try:
        infos = calendar.days(start, end)
    except CalendarNotCovered as error:
        raise _not_covered(error, **{"from": start.isoformat(), "to": end.isoformat()}) from None
    return jsonify(
        {
            "days": [_day(info) for info in infos],
            "working_days": sum(1 for info in infos if info.working),
            "last_official_year": calendar.last_official_year,
            "provisional_year": calendar.provisional_year,
        }
    )
