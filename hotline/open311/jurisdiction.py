"""The jurisdiction this endpoint serves and its Open311 settings (config keys with defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request

from hotline import json_documents
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
    """A parameter from the body (a form or a JSON object) or else the query string: the body
    wins, as it does for every other parameter of a POST; empty means absent."""
    value: object = None
    if request.method == "POST" and request.is_json:
        body = json_documents.request_object()  # a broken body was refused before any view
        value = body.get(name) if body is not None else None
    elif request.method == "POST":
        value = request.form.get(name)
    if value is None:
        value = request.args.get(name)
    return "" if value is None else str(value).strip()


def check_jurisdiction() -> None:
    """jurisdiction_id is optional (one jurisdiction here) but, when given, must be ours.

    The spec answers an unknown jurisdiction_id with 404 on every method. It is usually the
    city's domain name, which is the same in any letter case (Yunjiang.gov.cn).
    """
    given = submitted("jurisdiction_id")
    if given and given.casefold() != str(setting("OPEN311_JURISDICTION")).casefold():
        raise Open311Error(
            404,
            f"jurisdiction_id 不正确：{given}（本接口服务于 {setting('OPEN311_JURISDICTION')}）",
        )
