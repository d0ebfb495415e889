"""Control characters, NUL and bytes that are not UTF-8: refused with the parameter named, or
removed from free text, and never in a document, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Requester, Ticket
from hotline.open311.formats import xml_text
from tests.factories import accepted
from tests.open311.helpers import error_descriptions, post_body, xml

URL = "/open311/v2/requests.xml"
FORM = "application/x-www-form-urlencoded"


def _ticket(number: str) -> Ticket:
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    return ticket


def _posted_number(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return xml(response).findtext("request/service_request_id") or ""


def test_control_characters_in_a_posted_description_are_removed_before_it_is_stored(
    client: Any,
) -> None:
    response = client.post(
        URL, data=post_body(description="电梯\x01坏了\x1b[31m三天\x7f，\t请修\x85")
    )
    ticket = _ticket(_posted_number(response))
    assert ticket.text == "电梯坏了[31m三天，\t请修"
    published = xml(client.get(f"/open311/v2/requests/{ticket.number}.xml"))
    assert published.findtext("request/description") == "电梯坏了[31m三天，\t请修"
    xml(client.get("/open311/v2/requests.xml"))  # the whole feed still parses


def test_control_characters_in_the_posted_address_and_name_are_removed(client: Any) -> None:
    body = post_body(address_string="云江市江城区南湖街道\x02翠苑社区", first_name="小\x1f明")
    ticket = _ticket(_posted_number(client.post(URL, data=body)))
    assert ticket.address == "云江市江城区南湖街道翠苑社区"
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None and requester.name == "王小明"


@pytest.mark.parametrize("parameter", ["address_string", "first_name", "description"])
def test_nul_in_a_posted_parameter_is_a_400_naming_it(client: Any, parameter: str) -> None:
    response = client.post(URL, data=post_body(**{parameter: "x\x00y"}))
    assert response.status_code == 400
    assert error_descriptions(response) == [f"{parameter}：不能包含 NUL (\\u0000) 字符"]
    assert db.session.scalars(select(Ticket)).first() is None


def test_nul_in_a_json_attribute_is_a_400_naming_it(client: Any) -> None:
    body = post_body() | {"attribute": {"urgency": "\x00"}}
    response = client.post("/open311/v2/requests.json", json=body)
    assert response.status_code == 400
    assert response.json == [
        {"code": 400, "description": "attribute.urgency：不能包含 NUL (\\u0000) 字符"}
    ]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("service_code=01.01.01%00", "service_code"),
        ("service_request_id=%00", "service_request_id"),
        ("status=open%00", "status"),
        ("start_date=2026-11-01%00", "start_date"),
        ("jurisdiction_id=%00", "jurisdiction_id"),
    ],
)
def test_nul_in_a_get_requests_parameter_is_a_400_naming_it(
    client: Any, query: str, parameter: str
) -> None:
    response = client.get(f"/open311/v2/requests.xml?{query}")
    assert response.status_code == 400
    assert error_descriptions(response) == [f"{parameter}：不能包含 NUL (\\u0000) 字符"]


def test_nul_in_a_requested_id_is_a_400_naming_it(client: Any) -> None:
    response = client.get("/open311/v2/requests/%00.xml")
    assert response.status_code == 400
    assert error_descriptions(response) == ["service_request_id：不能包含 NUL (\\u0000) 字符"]


def test_nul_in_a_token_is_a_400_naming_it(client: Any) -> None:
    response = client.get("/open311/v2/tokens/1%00.json")
    assert response.status_code == 400
    assert response.json == [{"code": 400, "description": "token：不能包含 NUL (\\u0000) 字符"}]


def test_an_error_echoing_a_control_character_is_still_well_formed_xml(client: Any) -> None:
    response = client.get("/open311/v2/requests/%01%1b.xml")
    assert response.status_code == 404
    assert error_descriptions(response) == ["服务请求  不存在"]


def test_a_stored_text_with_control_characters_is_published_as_well_formed_xml(
    client: Any,
) -> None:
    # Stored straight through the lifecycle, as rows written before intake removed them were.
    old = accepted(text="电梯坏了\x01\x1b\x0b\x0c\ufffe三天")
    published = xml(client.get(f"/open311/v2/requests/{old.number}.xml"))
    assert published.findtext("request/description") == "电梯坏了三天"


def test_the_xml_renderer_drops_only_what_xml_1_0_cannot_hold() -> None:
    kept = "电梯\t坏了\n三天\r😀\x85\x7f"
    assert xml_text("\x00\x01\x08\x0b\x0c\x1f\ud800\udfff\ufffe\uffff" + kept) == kept


@pytest.mark.parametrize("raw", [b"%FF%FE", b"\xff\xfe", b"ok%C3"])
def test_a_form_value_that_is_not_utf_8_is_a_400_naming_the_parameter(
    client: Any, raw: bytes
) -> None:
    body = b"api_key=test-api-key&service_code=01.01.01&address_string=abc&description=" + raw
    response = client.post(URL, data=body, content_type=FORM)
    assert response.status_code == 400
    assert error_descriptions(response) == ["description：参数值不是有效的 UTF-8 编码"]
    assert db.session.scalars(select(Ticket)).first() is None


def test_a_query_value_that_is_not_utf_8_is_a_400_naming_the_parameter(client: Any) -> None:
    response = client.get("/open311/v2/requests.json?service_code=%FF")
    assert response.status_code == 400
    assert response.json == [
        {"code": 400, "description": "service_code：参数值不是有效的 UTF-8 编码"}
    ]


def test_percent_signs_written_as_text_are_kept(client: Any) -> None:
    body = post_body(description="物业费上涨了 50%FF，太离谱")
    ticket = _ticket(_posted_number(client.post(URL, data=body)))
    assert ticket.text == "物业费上涨了 50%FF，太离谱"
