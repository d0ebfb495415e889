"""Marshmallow schemas for the parameters of POST requests and GET requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import MultiDict

from hotline.open311.formats import Open311Error, parse_datetime

STATUSES = ("open", "closed")
# attribute[code], the spec's attribute[code][] for a multivaluelist, and the indexed
# attribute[code][0] that PHP's http_build_query and jQuery write for an array.
_ATTRIBUTE_KEY = re.compile(r"attribute\[(?P<code>[^\[\]]+)\](?:\[\d*\])?")
# An HTML tag, comment or declaration: the spec's description "may contain line breaks, but not
# html or code". A tag's name follows "<" at once, so "a < b and c > d" is plain text.
MARKUP = re.compile(
    r"<(?:/?[A-Za-z][A-Za-z0-9:-]*(?:[\s/][^<>]*)?|!--.*?--|![A-Za-z][^<>]*)>", re.S
)
# A decimal degree as a form writes it: ASCII digits, an optional sign, point and exponent (not
# Python's float() grammar, which also reads 1_0, full-width digits, "nan" and "infinity").
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# GET requests parameters the spec lets a client declare several times, comma delimited.
LIST_PARAMETERS = ("service_request_id", "service_code", "status")


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(max=max_length, error=f"不能超过 {max_length} 个字符"),
        error_messages={"invalid": "必须是文本", "required": "必须填写"},
        **kwargs,
    )


def _plain_text(value: str) -> None:
    if MARKUP.search(value):
        raise ValidationError("不能包含 HTML 标记或代码（可以换行）")


class CommaList(fields.Field[list[str]]):
    """'a,b,c' (the spec's comma-delimited lists) → ['a', 'b', 'c'], empty items dropped."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, str):
            raise ValidationError("必须是以逗号分隔的文本")
        return [item.strip() for item in value.split(",") if item.strip()]


class Degrees(fields.Float):
    """A latitude or longitude: a JSON number, or text written as a plain decimal number."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or (
            isinstance(value, str) and not DECIMAL.fullmatch(value.strip())
        ):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class W3CDateTime(fields.Field[datetime]):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            moment = parse_datetime(str(value))
        except ValueError as error:
            raise ValidationError(str(error)) from error
        try:
            # The database stores UTC: a moment that has none (year 1 at +14:00) is refused.
            moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("日期超出可表示的范围") from None
        return moment


class Open311Schema(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _empty_is_absent(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        # The spec's clients send "?status=&service_code=" for "no filter".
        return {
            key: value.strip() if isinstance(value, str) else value
            for key, value in data.items()
            if value is not None and not (isinstance(value, str) and not value.strip())
        }


class PostRequestSchema(Open311Schema):
    api_key = _text(200)
    jurisdiction_id = _text(200)
    service_code = _text(32, required=True)
    lat = Degrees(
        validate=validate.Range(-90, 90, error="纬度必须在 -90 到 90 之间"),
        error_messages={"invalid": "纬度必须是数字", "special": "纬度必须是有限数字"},
    )
    long = Degrees(
        validate=validate.Range(-180, 180, error="经度必须在 -180 到 180 之间"),
        error_messages={"invalid": "经度必须是数字", "special": "经度必须是有限数字"},
    )
    address_string = _text(500)
    address_id = _text(32)
    email = fields.Email(
        validate=validate.Length(max=254, error="不能超过 254 个字符"),
        error_messages={"invalid": "邮箱地址格式不正确"},
    )
    device_id = _text(128)
    account_id = _text(128)
    first_name = _text(60)
    last_name = _text(60)
    phone = _text(40)
    description = fields.String(validate=_plain_text, error_messages={"invalid": "必须是文本"})
    media_url = fields.Url(
        schemes={"http", "https"}, error_messages={"invalid": "必须是 http 或 https 网址"}
    )
    # code → the values sent for it: one for a singlevaluelist, several for a multivaluelist.
    attribute = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), load_default=dict
    )

    @pre_load
    def _collect_attributes(self, data: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """attribute[code]=v, attribute[code][]=v1&attribute[code][]=v2 (the spec's form for a
        multivaluelist), or a JSON "attribute" object whose values are strings or lists."""
        values = dict(data)
        nested = values.pop("attribute", None)
        collected: dict[str, list[str]] = {}
        if isinstance(nested, Mapping):
            for code, given in nested.items():
                collected.setdefault(str(code), []).extend(_as_list(given))
        for key in list(values):
            match = _ATTRIBUTE_KEY.fullmatch(key)
            if match:
                collected.setdefault(match["code"], []).extend(_as_list(values.pop(key)))
        values["attribute"] = {code: given for code, given in collected.items() if given}
        return values


def _as_list(given: Any) -> list[str]:
    """The non-empty values of a parameter sent once, several times, or as a JSON list."""
    items = given if isinstance(given, list | tuple) else [given]
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


class RequestsQuerySchema(Open311Schema):
    jurisdiction_id = _text(200)
    service_request_id = CommaList()
    service_code = CommaList()
    start_date = W3CDateTime()
    end_date = W3CDateTime()
    status = CommaList(
        validate=validate.ContainsOnly(STATUSES, error="status 只能是 open 或 closed")
    )


def form_parameters(given: MultiDict[str, str]) -> dict[str, Any]:
    """A posted form as the schema reads it: every value of an attribute, the first of the rest.

    Clients repeat attribute[code][] for a multivaluelist; FixMyStreet repeats media_url when it
    has several photos, and the spec has room for one.
    """
    return {
        key: given.getlist(key) if _ATTRIBUTE_KEY.fullmatch(key) else given.get(key)
        for key in given
    }


def query_parameters(given: MultiDict[str, str]) -> dict[str, Any]:
    """A query string where a list parameter declared several times reads as one comma list."""
    return {
        key: ",".join(given.getlist(key)) if key in LIST_PARAMETERS else given.get(key)
        for key in given
    }


FIELD_LABELS = {"lat": "lat（纬度）", "long": "long（经度）", "_schema": "请求"}


def load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate, turning every problem into a 400 with one description per field."""
    try:
        result: dict[str, Any] = schema.load(data)
    except ValidationError as error:
        raise Open311Error(400, *_descriptions(error.messages)) from error
    return result


def _descriptions(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, Mapping):
        lines: list[str] = []
        for key, value in messages.items():
            label = FIELD_LABELS.get(str(key), str(key))
            lines.extend(_descriptions(value, f"{prefix}{label}"))
        return lines
    if isinstance(messages, list | tuple):
        return [f"{prefix}：{text}" if prefix else str(text) for text in messages]
    return [f"{prefix}：{messages}" if prefix else str(messages)]
