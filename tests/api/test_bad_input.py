"""Every kind of bad request gets the JSON error shape and leaves nothing in the database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.models import Requester, Ticket
from tests.api.conftest import API_KEY, ELEVATOR


def _post(client: Any, body: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("headers", API_KEY)
    if body is not None:
        kwargs["json"] = body
    return client.post("/api/v1/tickets", **kwargs)


def _nothing_written() -> bool:
    tickets = db.session.scalar(select(func.count()).select_from(Ticket))
    requesters = db.session.scalar(select(func.count()).select_from(Requester))
    return tickets == 0 and requesters == 0


def _error(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


def test_a_missing_text_is_a_validation_error_naming_the_field(client: Any) -> None:
    response = _post(client, {k: v for k, v in ELEVATOR.items() if k != "text"})
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert error["details"]["field"] == "text"
    assert _nothing_written()


def test_a_validation_error_says_in_chinese_which_field_is_wrong_and_how(client: Any) -> None:
    missing = _error(_post(client, {k: v for k, v in ELEVATOR.items() if k != "text"}))
    assert missing["message"] == "请求参数不正确（text）：缺少必填字段"
    nested = _error(_post(client, ELEVATOR | {"location": {"lat": "north", "long": 1}}))
    assert nested["message"] == "请求参数不正确（location.lat）：必须是数字"
    unknown = _error(_post(client, ELEVATOR | {"colour": "red"}))
    assert unknown["details"]["fields"] == {"colour": ["未知字段"]}


def test_a_wrong_type_is_a_validation_error(client: Any) -> None:
    response = _post(client, ELEVATOR | {"text": 12345, "location": {"lat": "north", "long": 1}})
    assert response.status_code == 400
    fields = _error(response)["details"]["fields"]
    assert "text" in fields
    assert "lat" in fields["location"]


def test_an_unknown_channel_is_refused(client: Any) -> None:
    response = _post(client, ELEVATOR | {"channel": "pigeon"})
    assert response.status_code == 400
    assert _error(response)["details"]["field"] == "channel"


def test_an_unknown_field_is_refused(client: Any) -> None:
    response = _post(client, ELEVATOR | {"priority": "high"})
    assert response.status_code == 400
    assert _error(response)["details"]["field"] == "priority"


def test_a_location_out_of_range_is_refused(client: Any) -> None:
    response = _post(client, ELEVATOR | {"location": {"lat": 91, "long": 120}})
    assert response.status_code == 400
    assert _error(response)["details"]["field"] == "location.lat"


def test_an_unknown_area_code_is_unprocessable_and_writes_nothing(client: Any) -> None:
    response = _post(client, ELEVATOR | {"area_code": "000000"})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "unknown_code"
    assert "area_code" in error["details"]
    assert _nothing_written()


def test_an_unknown_matter_code_is_unprocessable(client: Any) -> None:
    response = _post(client, ELEVATOR | {"matter_code": "99.99.99"})
    assert response.status_code == 422
    assert _error(response)["code"] == "unknown_code"
    assert _nothing_written()


def test_a_text_over_4000_characters_is_refused(client: Any) -> None:
    response = _post(client, ELEVATOR | {"text": "电" * 4001})
    assert response.status_code == 400
    assert _error(response)["details"]["field"] == "text"
    assert _nothing_written()


def test_a_text_of_exactly_4000_characters_is_accepted(client: Any) -> None:
    response = _post(client, ELEVATOR | {"text": "电梯" * 2000, "requester": None})
    assert response.status_code == 201


def test_a_body_over_the_content_limit_is_413_in_json(client: Any) -> None:
    huge = '{"text": "' + "x" * (300 * 1024) + '"}'
    response = client.post(
        "/api/v1/tickets", data=huge, content_type="application/json", headers=API_KEY
    )
    assert response.status_code == 413
    assert response.is_json
    assert _error(response)["code"] == "request_entity_too_large"
    assert _error(response)["message"].startswith("请求体过大")
    assert _nothing_written()


def test_a_malformed_phone_names_the_field(client: Any) -> None:
    response = _post(client, ELEVATOR | {"requester": {"phone": "12ab"}})
    assert response.status_code == 400
    error = _error(response)
    assert error["details"]["field"] == "requester.phone"
    assert _nothing_written()


def test_the_hotline_s_own_or_an_emergency_number_is_no_caller_s_phone(client: Any) -> None:
    for number in ("12345", "110"):
        response = _post(client, ELEVATOR | {"requester": {"phone": number}})
        assert response.status_code == 400
        error = _error(response)
        assert error["details"]["field"] == "requester.phone"
        assert "服务号码不能作为诉求人电话" in error["message"]
    assert _nothing_written()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("[" * 5000 + "]" * 5000, "请求体不是合法的 JSON：嵌套过深"),
        ('{"text": ' + "9" * 5000 + "}", "请求体不是合法的 JSON：数字位数过多"),
        ('{"text": NaN}', "请求体不是合法的 JSON：不允许 NaN 或 Infinity"),
    ],
)
def test_a_body_python_cannot_read_as_json_says_why(client: Any, raw: str, says: str) -> None:
    response = client.post(
        "/api/v1/tickets", data=raw, content_type="application/json", headers=API_KEY
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"
    assert _error(response)["message"] == says


def test_invalid_json_is_invalid_json(client: Any) -> None:
    response = client.post(
        "/api/v1/tickets", data='{"text": ', content_type="application/json", headers=API_KEY
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_json"
    assert error["message"] == "请求体不是合法的 JSON：第 1 行第 10 列（第 9 个字符）附近有误"
    assert (error["details"]["line"], error["details"]["column"]) == (1, 10)


def test_a_body_that_is_not_utf8_says_which_byte(client: Any) -> None:
    response = client.post(
        "/api/v1/tickets",
        data=b'{"text": "\xff"}',
        content_type="application/json",
        headers=API_KEY,
    )
    assert response.status_code == 400
    assert _error(response)["message"] == "请求体不是有效的 UTF-8 文本：第 10 个字节有误"


def test_a_query_parameter_that_is_not_utf8_is_a_400_naming_it(client: Any) -> None:
    for query in ("q=%FF", "q=%E8%B7"):
        response = client.get(f"/api/v1/tickets?{query}", headers=API_KEY)
        assert response.status_code == 400
        error = _error(response)
        assert error["details"]["field"] == "q"
        assert error["message"] == "请求参数不正确（q）：不是有效的 UTF-8 编码"
    assert client.get("/api/v1/tickets?q=%E8%B7%AF", headers=API_KEY).status_code == 200


def test_a_json_array_is_not_a_ticket(client: Any) -> None:
    response = _post(client, [ELEVATOR])
    assert response.status_code == 400
    assert _error(response)["code"] == "validation_error"


def test_a_form_post_is_an_unsupported_media_type(client: Any) -> None:
    response = client.post("/api/v1/tickets", data={"text": "电梯坏了"}, headers=API_KEY)
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"
    assert _nothing_written()


def test_no_credentials_is_401(client: Any) -> None:
    response = client.post("/api/v1/tickets", json=ELEVATOR)
    assert response.status_code == 401
    assert _error(response)["code"] == "unauthenticated"


def test_a_wrong_api_key_is_401(client: Any) -> None:
    response = _post(client, ELEVATOR, headers={"Authorization": "Bearer not-a-key"})
    assert response.status_code == 401


def test_a_malformed_authorization_header_is_401(client: Any) -> None:
    response = _post(client, ELEVATOR, headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401


def test_unit_staff_may_not_create_tickets(district: Any) -> None:
    response = district.post("/api/v1/tickets", json=ELEVATOR)
    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"
    assert _nothing_written()


def test_an_overlong_idempotency_key_is_refused(client: Any) -> None:
    response = _post(client, ELEVATOR, headers=API_KEY | {"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_idempotency_key"


def test_an_unknown_ticket_is_404(client: Any) -> None:
    assert client.get("/api/v1/tickets/999999", headers=API_KEY).status_code == 404
    response = client.get("/api/v1/tickets/20990101-000001", headers=API_KEY)
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_location_outside_the_configured_service_area_is_refused(
    client: Any, app: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "SERVICE_AREA_BOUNDS", (27.9, 112.6, 28.6, 113.3))
    response = _post(client, ELEVATOR | {"location": {"lat": 39.9, "long": 116.4}})
    assert response.status_code == 400
    error = _error(response)
    assert error["details"]["field"] == "location.lat"
    assert "不在本市服务范围内" in error["message"]
    assert _nothing_written()
    inside = _post(client, ELEVATOR | {"location": {"lat": 28.2, "long": 112.9}})
    assert inside.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requester": {"anonymous": "yes"}}, "requester.anonymous"),
        ({"requester": {"confidential": 1}}, "requester.confidential"),
        ({"location": {"lat": "28.1", "long": 112.9}}, "location.lat"),
        ({"location": {"lat": True, "long": 112.9}}, "location.lat"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_coerced(
    client: Any, body: dict[str, Any], field: str
) -> None:
    response = _post(client, ELEVATOR | body)
    assert response.status_code == 400
    assert _error(response)["details"]["field"] == field
    assert _nothing_written()
