"""Reading a request: JSON bodies and query strings through marshmallow, with one error shape,
and the rollback that keeps a failed request from leaving anything half-written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from flask import request
from marshmallow import Schema, ValidationError

from hotline import json_documents
from hotline.control_characters import find_unstorable, undecodable_parameters
from hotline.errors import ApiError
from hotline.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def first_field(messages: Any, prefix: str = "") -> str | None:
    """The dotted path of the first invalid field in marshmallow's nested messages."""
    if not isinstance(messages, Mapping):
        return prefix or None
    for name, value in messages.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, Mapping):
            return first_field(value, path)
        return path
    return prefix or None


def first_problem(messages: Any) -> str | None:
    """The first message under the first invalid field."""
    while isinstance(messages, Mapping) and messages:
        messages = next(iter(messages.values()))
    if isinstance(messages, list) and messages:
        return first_problem(messages[0]) if not isinstance(messages[0], str) else messages[0]
    return messages if isinstance(messages, str) else None


def validation_error(error: ValidationError) -> ApiError:
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    field, problem = first_field(messages), first_problem(messages)
    where = f"（{field}）" if field and field != "_schema" else ""
    return ApiError(
        400,
        "validation_error",
        f"请求参数不正确{where}：{problem}" if problem else "请求参数不正确",
        {"field": field, "fields": messages},
    )


def check_storable(value: Any, path: str = "") -> None:
    """400 naming the field when any key or string anywhere in `value` cannot be stored.

    Refused, not cleaned: this guard covers every field of every request (codes, ids, search
    terms), where dropping a character would silently change what the client meant. The other
    control characters pass here; intake removes them from an appeal's free text.
    """
    found = find_unstorable(value, path)
    if found is not None:
        where, problem = found
        raise ApiError(
            400, "validation_error", "请求参数不正确", {"field": where or None, "reason": problem}
        )


def json_body() -> Any:
    """The parsed JSON body; an empty body reads as {}. 415 for other media types."""
    # Past MAX_CONTENT_LENGTH, chunked or not, hotline.body_limit has already answered 413.
    raw = request.get_data(cache=True)
    if not raw and not request.mimetype:
        # `curl -X POST .../sign`: nothing sent, so nothing to type. An empty POST is no
        # cross-site form either; auth.check_same_origin covers those for cookie sessions.
        return {}
    if request.mimetype != "application/json":
        # Requiring JSON also keeps cross-site form posts (CSRF) out of session-authenticated calls.
        raise ApiError(415, "unsupported_media_type", "请求体必须是 application/json")
    if not raw.strip():
        return {}
    try:
        body = json_documents.request_document()
    except json_documents.UnreadableJson as error:
        raise ApiError(400, "invalid_json", error.message, error.details) from None
    check_storable(body)
    return body


def load_body(schema: Schema) -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "validation_error", "请求体必须是 JSON 对象", {"field": None})
    try:
        return cast(dict[str, Any], schema.load(body))
    except ValidationError as error:
        raise validation_error(error) from None


def load_query(schema: Schema) -> dict[str, Any]:
    for name in undecodable_parameters(request.query_string):
        raise ApiError(
            400,
            "validation_error",
            f"请求参数不正确（{name}）：不是有效的 UTF-8 编码",
            {"field": name},
        )
    repeated = sorted({key for key, values in request.args.lists() if len(values) > 1})
    if repeated:
        # state=a&state=b would silently read only a: the list form is one comma-separated value.
        raise ApiError(
            400,
            "validation_error",
            f"请求参数不正确（{repeated[0]}）：只能出现一次，多个值请用逗号分隔",
            {"field": repeated[0]},
        )
    check_storable(request.args.to_dict())
    try:
        return cast(dict[str, Any], schema.load(request.args.to_dict()))
    except ValidationError as error:
        raise validation_error(error) from None


def rollback_on_error(view: F) -> F:
    """Undo every flushed change when the view fails, whatever the error."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return cast(F, wrapped)
