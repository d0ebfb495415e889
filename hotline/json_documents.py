"""A request's JSON body, read once for every interface (REST, Open311, Twilio webhooks): the
document, or why the bytes are none, as one exception each interface answers in its own format.

`request.get_json(silent=True)` is not enough: it swallows a syntax error but lets a body nested
thousands deep (RecursionError) or an integer of thousands of digits through as a server error.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

# The document of this request, once read (a sentinel when it was not JSON at all).
_READ = "hotline.json_document"
NAN_OR_INFINITY = "is not a JSON number"
NOT_JSON = "请求体不是合法的 JSON："


class UnreadableJson(Exception):
    """The body is no JSON document: `message` says where or why, in Chinese, for the client."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and a NaN slips through every range check.
    raise ValueError(f"{name} {NAN_OR_INFINITY}")


def parse(raw: bytes) -> Any:
    """The JSON document in `raw`; UnreadableJson when there is none."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise UnreadableJson(
            f"{NOT_JSON}第 {error.lineno} 行第 {error.colno} 列（第 {error.pos} 个字符）附近有误",
            {"line": error.lineno, "column": error.colno, "reason": error.msg},
        ) from None
    except UnicodeDecodeError as error:
        raise UnreadableJson(
            f"请求体不是有效的 UTF-8 文本：第 {error.start} 个字节有误",
            {"byte": error.start, "reason": error.reason},
        ) from None
    except RecursionError:
        raise UnreadableJson(f"{NOT_JSON}嵌套过深", {"reason": "too deep"}) from None
    except ValueError as error:
        if NAN_OR_INFINITY in str(error):
            raise UnreadableJson(
                f"{NOT_JSON}不允许 NaN 或 Infinity", {"reason": str(error)}
            ) from None
        # Python refuses to convert an integer of more than 4,300 digits.
        raise UnreadableJson(f"{NOT_JSON}数字位数过多", {"reason": str(error)}) from None


def request_document() -> Any:
    """The current request's JSON body, parsed once (None when it is empty). Kept in the
    request's WSGI environ: `g` belongs to the app context, which outlives a request when one
    was pushed around it (a CLI command, a test)."""
    environ = request.environ
    if _READ not in environ:
        raw = request.get_data(cache=True)
        environ[_READ] = parse(raw) if raw.strip() else None
    return environ[_READ]


def request_object() -> dict[str, Any] | None:
    """The body when it is a JSON object; None when it is empty or another JSON value."""
    document = request_document()
    return document if isinstance(document, dict) else None
