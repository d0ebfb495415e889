"""Hostile input is a 400 naming the field, never a 500: NUL bytes, lone surrogates, NaN,
deep nesting, invalid UTF-8, oversized or negative numbers and overlong strings."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import API_KEY, ELEVATOR, create


def _create(client: Any, body: Any = None, data: bytes | None = None) -> Any:
    if data is not None:
        return client.post(
            "/api/v1/tickets", data=data, content_type="application/json", headers=API_KEY
        )
    return client.post("/api/v1/tickets", json=body, headers=API_KEY)


def _field(response: Any) -> Any:
    return response.get_json()["error"]["details"].get("field")


def test_a_nul_byte_in_the_text_is_a_400_naming_the_field(client: Any) -> None:
    response = _create(client, ELEVATOR | {"text": "电梯\x00坏了"})
    assert response.status_code == 400
    assert _field(response) == "text"


def test_a_nul_byte_in_a_nested_field_or_a_key_is_a_400(client: Any) -> None:
    nested = _create(client, ELEVATOR | {"requester": {"name": "张\x00三"}})
    assert nested.status_code == 400 and _field(nested) == "requester.name"
    key = _create(client, ELEVATOR | {"bad\x00key": 1})
    assert key.status_code == 400


def test_a_lone_surrogate_is_a_400(client: Any) -> None:
    raw = b'{"text": "\\ud800 broken", "channel": "web"}'
    response = _create(client, data=raw)
    assert response.status_code == 400
    assert _field(response) == "text"


def test_invalid_utf8_is_invalid_json(client: Any) -> None:
    response = _create(client, data=b'{"text": "\xff\xfe"}')
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_nan_and_infinity_are_not_json(client: Any) -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        raw = b'{"text": "x", "location": {"lat": ' + literal + b', "long": 120}}'
        response = _create(client, data=raw)
        assert response.status_code == 400, literal
        assert response.get_json()["error"]["code"] == "invalid_json"
    overflow = _create(client, data=b'{"text": "x", "location": {"lat": 1e400, "long": 1}}')
    assert overflow.status_code == 400


def test_deeply_nested_json_is_a_400(client: Any) -> None:
    depth = 100_000
    response = _create(client, data=b"[" * depth + b"]" * depth)
    assert response.status_code in (400, 413)
    moderate = _create(client, data=b'{"text": ' + b"[" * 500 + b"]" * 500 + b"}")
    assert moderate.status_code == 400


def test_overlong_requester_fields_are_400_naming_the_field(client: Any) -> None:
    for field, value in (
        ("name", "张" * 121),
        ("phone", "1" * 33),
        ("id_number", "1" * 33),
        ("email", "a" * 250 + "@example.com"),
    ):
        response = _create(client, ELEVATOR | {"requester": {field: value}})
        assert response.status_code == 400, field
        assert _field(response) == f"requester.{field}"


def test_a_source_line_with_a_trailing_newline_or_foreign_digits_is_refused(client: Any) -> None:
    for line in ("1234567890123456\n", "١٢٣٤٥"):
        response = _create(client, ELEVATOR | {"source_line": line})
        assert response.status_code == 400
        assert _field(response) == "source_line"


def test_pagination_limits_are_bounded(client: Any) -> None:
    for query in ("limit=100000", "limit=-1", "limit=0", "limit=1e9", "limit=abc"):
        response = client.get(f"/api/v1/tickets?{query}", headers=API_KEY)
        assert response.status_code == 400, query
        assert _field(response) == "limit"


def test_hostile_query_strings_are_400_not_500(client: Any) -> None:
    for query in (
        "q=%00",
        "unit=%00",
        "state=dispatched%00",
        "cursor=%00%00",
        "cursor=" + "A" * 150,
        "accepted_from=0001-01-01T00:00:00%2B14:00",
        "accepted_to=9999-12-31",
        "accepted_from=0001-01-01",
        "accepted_to=9999-12-31T23:59:59-14:00",
    ):
        response = client.get(f"/api/v1/tickets?{query}", headers=API_KEY)
        assert response.status_code in (200, 400), (query, response.get_data(as_text=True))
    assert client.get("/api/v1/tickets?q=%00", headers=API_KEY).status_code == 400


def test_hostile_ticket_references_in_the_path_are_404(client: Any) -> None:
    for ident in ("%00", "1%00", "²", "x" * 5000, "99999999999", "-1"):
        response = client.get(f"/api/v1/tickets/{ident}", headers=API_KEY)
        assert response.status_code == 404, ident


def test_a_huge_or_negative_extension_is_refused_not_a_crash(
    client: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    url = f"/api/v1/tickets/{ticket['id']}/extension"
    for days in (10**30, -5, 0, 2.5, "3", True):
        response = district.post(url, json={"working_days": days, "reason": "需协调"})
        assert response.status_code in (400, 409, 422), days


def test_a_nul_byte_in_a_login_is_a_400(app: Any) -> None:
    response = app.test_client().post(
        "/api/v1/auth/login", json={"username": "agent\x00", "password": "x"}
    )
    assert response.status_code == 400


def test_a_nul_byte_in_an_idempotency_key_is_refused(client: Any) -> None:
    headers = API_KEY | {"Idempotency-Key": "key\x00"}
    try:
        response = client.post("/api/v1/tickets", json=ELEVATOR, headers=headers)
    except ValueError:
        return  # the HTTP layer itself refuses a NUL in a header
    assert response.status_code in (201, 400)
