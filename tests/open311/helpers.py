"""Shared helpers for the Open311 tests: XML parsing and a valid POST body."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

API_KEY = "test-api-key"
ADDRESS = "云江市江城区南湖街道翠苑社区 5 号楼"


def xml(response: Any) -> ElementTree.Element:
    assert response.content_type.startswith("text/xml")
    body = response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.get_data())


def error_descriptions(response: Any) -> list[str]:
    root = xml(response)
    assert root.tag == "errors"
    errors = root.findall("error")
    assert errors
    for error in errors:
        assert [child.tag for child in error] == ["code", "description"]
        assert error.findtext("code") == str(response.status_code)
    return [error.findtext("description") or "" for error in errors]


def post_body(**overrides: str | None) -> dict[str, str]:
    body: dict[str, str | None] = {
        "api_key": API_KEY,
        "service_code": "01.01.01",
        "address_string": ADDRESS,
        "description": "小区 5 号楼电梯坏了三天，老人上下楼很不方便，请尽快维修。",
        "first_name": "小明",
        "last_name": "王",
        "phone": "138 0013 8000",
        "email": "wang@example.com",
        "attribute[appeal_type]": "complaint",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}
