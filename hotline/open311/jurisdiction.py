"""The jurisdiction this endpoint serves and its Open311 settings (config keys with defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request

from hotline.open311.formats import Open311Error

DEFAULTS: Mapping[str, Any] = {
    "OPEN311_JURISDICTION": "yunjiang.gov.cn",
    "OPEN311_CONTACT": "云江市 12345 政务服务便民热线，电话 12345",
    "OPEN311_KEY_SERVICE": "接入 API 密钥请向云江市 12345 热线中心申请（电话 12345）",
    # GET requests answers at most this many, from this many days back by default (the spec's).
    "OPEN311_MAX_REQUESTS": 1000,
    "OPEN311_WINDOW_DAYS": 90,
}


def setting(name: str) -> Any:
    value = current_app.config.get(name)
    return DEFAULTS[name] if value is None else value


def submitted(name: str) -> str:
    """A parameter from the query, the form or a JSON body; empty means absent."""
    value = request.values.get(name)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            value = body.get(name)
    return "" if value is None else str(value).strip()


def check_jurisdiction() -> None:
    """jurisdiction_id is optional (one jurisdiction here) but, when given, must be ours.

    The spec answers an unknown jurisdiction_id with 404 on every method.
    """
    given = submitted("jurisdiction_id")
    if given and given != setting("OPEN311_JURISDICTION"):
        raise Open311Error(
            404,
            f"jurisdiction_id 不正确：{given}（本接口服务于 {setting('OPEN311_JURISDICTION')}）",
        )
