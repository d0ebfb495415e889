"""What real Open311 clients send besides the spec's own examples: W3C dates in every shape the
note allows, Chinese landlines, plain text with angle brackets, PHP's indexed arrays, multipart
bodies, and bodies of a type the API cannot read."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Requester, Ticket
from tests.open311.helpers import error_descriptions, post_body, xml

URL = "/open311/v2/requests.xml"


def _ticket(response: Any) -> Ticket:
    assert response.status_code == 200, response.get_data(as_text=True)
    number = response.json[0]["service_request_id"]
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-28T00:00:00.0000000Z",  # .NET's round-trip format, seven digits of fraction
        "2026-11-28T00:00:00.5Z",
        "2026-11",
        "2026",
    ],
)
def test_every_w3c_date_shape_is_understood(client: Any, start: str) -> None:
    response = client.get(f"/open311/v2/requests.json?start_date={start}")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_impossible_month_is_a_400_naming_what_was_sent(client: Any) -> None:
    response = client.get("/open311/v2/requests.xml?start_date=2026-13")
    assert response.status_code == 400
    assert error_descriptions(response) == ["start_date：日期时间无效：2026-13"]


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("010-12345678", "+861012345678"),
        ("+86 10 6512 3456", "+861065123456"),
        ("0731-8456 7890", "+8673184567890"),
    ],
)
def test_a_chinese_landline_is_accepted_and_stored_in_e164(
    client: Any, phone: str, stored: str
) -> None:
    ticket = _ticket(client.post("/open311/v2/requests.json", data=post_body(phone=phone)))
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None
    assert requester.phone == stored


def test_a_number_outside_chinas_numbering_plan_is_a_400_naming_the_phone(client: Any) -> None:
    response = client.post(URL, data=post_body(phone="010-1234567"))
    assert response.status_code == 400
    assert error_descriptions(response) == ["phone：不是有效的中国大陆电话号码：010-1234567"]


def test_a_service_number_as_the_phone_is_a_400_naming_the_phone(client: Any) -> None:
    response = client.post(URL, data=post_body(phone="12345"))
    assert response.status_code == 400
    assert error_descriptions(response) == ["phone：服务号码不能作为诉求人电话：12345"]


def test_angle_brackets_in_plain_text_are_no_html(client: Any) -> None:
    text = "路口信号灯绿灯时间 < 10 秒，行人过不去 > 这是第三次反映了"
    ticket = _ticket(client.post("/open311/v2/requests.json", data=post_body(description=text)))
    assert ticket.text == text


def test_a_tag_in_the_description_is_still_refused(client: Any) -> None:
    response = client.post(URL, data=post_body(description="路灯坏了<script>alert(1)</script>"))
    assert response.status_code == 400
    assert error_descriptions(response)[0].startswith("description：不能包含 HTML")


def test_an_indexed_attribute_array_counts_as_the_attribute(client: Any) -> None:
    body = post_body(**{"attribute[urgency][0]": "bogus"})
    response = client.post(URL, data=body)
    assert response.status_code == 400
    assert error_descriptions(response)[0].startswith("attribute[urgency]：取值 bogus 无效")
    ticket = _ticket(
        client.post(
            "/open311/v2/requests.json", data=post_body(**{"attribute[urgency][0]": "urgent"})
        )
    )
    assert ticket.urgency == "urgent"


def test_a_multipart_body_is_read_like_a_form(client: Any) -> None:
    body: dict[str, Any] = dict(post_body())
    body["media"] = (io.BytesIO(b"\x89PNG\r\n"), "photo.png")
    response = client.post(
        "/open311/v2/requests.json", data=body, content_type="multipart/form-data"
    )
    assert _ticket(response).matter_code == "01.01.01"


def test_a_multipart_value_that_is_not_utf8_is_a_400_and_stores_nothing(client: Any) -> None:
    before = db.session.scalar(select(db.func.count()).select_from(Ticket))
    body: dict[str, Any] = dict(post_body())
    del body["description"]
    boundary = "xYzBoundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in body.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'.encode()
        + "路灯坏了".encode("gbk")
        + b"\xff\r\n"
    )
    payload = b"".join(parts) + f"--{boundary}--\r\n".encode()
    response = client.post(
        URL, data=payload, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert error_descriptions(response) == ["description：参数值不是有效的 UTF-8 编码"]
    assert db.session.scalar(select(db.func.count()).select_from(Ticket)) == before


def test_a_body_of_another_type_is_a_400_saying_which_types_are_read(client: Any) -> None:
    response = client.post(URL, data="service_code=01.01.01", content_type="text/plain")
    assert response.status_code == 400
    assert "text/plain" in error_descriptions(response)[0]
    assert "application/x-www-form-urlencoded" in error_descriptions(response)[0]


def test_parameters_in_the_query_string_of_an_empty_post_are_still_read(client: Any) -> None:
    from urllib.parse import urlencode

    response = client.post("/open311/v2/requests.json?" + urlencode(post_body()))
    assert _ticket(response).matter_code == "01.01.01"


def test_a_request_posted_without_a_description_is_published_without_one(client: Any) -> None:
    ticket = _ticket(client.post("/open311/v2/requests.json", data=post_body(description=None)))
    assert ticket.text  # triage and dispatch read the kind of problem and the place
    item = client.get(f"/open311/v2/requests/{ticket.number}.json").json[0]
    assert item["description"] is None
    described = _ticket(client.post("/open311/v2/requests.json", data=post_body()))
    item = client.get(f"/open311/v2/requests/{described.number}.json").json[0]
    assert item["description"] == described.text


def test_coordinates_outside_the_configured_service_area_are_another_citys_matter(
    client: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SERVICE_AREA_BOUNDS", (27.9, 112.6, 28.6, 113.3))
    outside = client.post(URL, data=post_body(lat="37.76524078", long="-122.4212043"))
    assert outside.status_code == 400
    assert "不在本市服务范围内" in error_descriptions(outside)[0]
    inside = client.post(URL, data=post_body(lat="28.2", long="112.9"))
    assert inside.status_code == 200


def test_a_small_coordinate_is_published_as_a_decimal_not_in_exponent_form(client: Any) -> None:
    ticket = _ticket(
        client.post("/open311/v2/requests.json", data=post_body(lat="0.00001", long="-0.00005"))
    )
    request = xml(client.get(f"/open311/v2/requests/{ticket.number}.xml")).find("request")
    assert request is not None
    assert (request.findtext("lat"), request.findtext("long")) == ("0.00001", "-0.00005")


def test_a_request_placed_by_address_id_alone_publishes_that_areas_name(client: Any) -> None:
    body = post_body(address_string=None, address_id="990102001002")
    ticket = _ticket(client.post("/open311/v2/requests.json", data=body))
    request = xml(client.get(f"/open311/v2/requests/{ticket.number}.xml")).find("request")
    assert request is not None
    assert request.findtext("address_id") == "990102001002"
    assert request.findtext("address")
