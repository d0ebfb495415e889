"""The GeoReport v2 text, point by point, and a FixMyStreet-style client end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from hotline import lifecycle
from hotline.extensions import db
from hotline.models import Requester, Ticket
from hotline.open311.errors import _transition
from hotline.open311.service_requests import requester_name, token_for
from routing.glossary import TriageOutcome
from routing.workflow import TransitionError
from tests.factories import AGENT, accepted, intake
from tests.open311.helpers import API_KEY, error_descriptions, post_body, xml

MONDAY_TEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WEEK = "start_date=2026-11-22T00:00:00%2B08:00&end_date=2026-11-29T00:00:00%2B08:00"


def _ticket(number: str) -> Ticket:
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


def _numbers(response: Any) -> list[str]:
    return [item["service_request_id"] for item in response.json]


@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/services.xml",
        "/open311/v2/services/01.01.01.xml",
        "/open311/v2/requests.xml",
        "/open311/v2/requests/20261123-000001.xml",
        "/open311/v2/tokens/1.xml",
    ],
)
def test_every_get_method_answers_an_unknown_jurisdiction_with_a_404(
    client: Any, path: str
) -> None:
    response = client.get(f"{path}?jurisdiction_id=elsewhere.gov")
    assert response.status_code == 404
    assert "elsewhere.gov" in error_descriptions(response)[0]


def test_a_foreign_jurisdiction_is_refused_before_the_body_is_checked(client: Any) -> None:
    body = post_body(jurisdiction_id="elsewhere.gov", service_code=None)
    response = client.post("/open311/v2/requests.json", data=body)
    assert response.status_code == 404
    assert response.json[0]["code"] == 404


def test_a_refused_transition_is_a_400_not_a_409(app: Flask) -> None:
    with app.test_request_context("/open311/v2/requests.json"):
        response = _transition(TransitionError("已办结的工单不能再派单"))
    assert response.status_code == 400
    assert response.get_json() == [{"code": 400, "description": "已办结的工单不能再派单"}]


def test_a_created_request_answers_200_with_the_spec_body(client: Any) -> None:
    response = client.post("/open311/v2/requests.json", data=post_body())
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    [item] = response.json
    assert list(item) == ["service_request_id", "service_notice", "account_id"]
    assert item["account_id"] is None
    assert "token" not in item


def test_an_absent_account_id_is_an_empty_element_in_xml(client: Any) -> None:
    root = xml(client.post("/open311/v2/requests.xml", data=post_body()))
    account = root.find("request/account_id")
    assert account is not None
    assert account.text is None


def test_a_multivaluelist_style_attribute_is_read_from_attribute_code_brackets(
    client: Any,
) -> None:
    body = post_body(**{"attribute[appeal_type]": None, "attribute[appeal_type][]": "suggestion"})
    response = client.post("/open311/v2/requests.json", data=body)
    assert response.status_code == 200
    assert _ticket(response.json[0]["service_request_id"]).appeal_type == "suggestion"


def test_several_values_for_a_singlevaluelist_attribute_are_a_400(client: Any) -> None:
    form = MultiDict(post_body(**{"attribute[appeal_type]": None}))
    form.add("attribute[appeal_type][]", "consult")
    form.add("attribute[appeal_type][]", "report")
    response = client.post("/open311/v2/requests.xml", data=form)
    assert response.status_code == 400
    descriptions = error_descriptions(response)
    assert "attribute[appeal_type]" in descriptions[0]
    assert "只能选择一项" in descriptions[0]


def test_the_same_value_sent_twice_or_as_its_name_counts_once(client: Any) -> None:
    form = MultiDict(post_body(**{"attribute[appeal_type]": None}))
    form.add("attribute[appeal_type][]", "help")
    form.add("attribute[appeal_type][]", "求助")
    response = client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 200
    assert _ticket(response.json[0]["service_request_id"]).appeal_type == "help"


def test_a_json_attribute_may_carry_a_list_of_values(client: Any) -> None:
    payload: dict[str, Any] = post_body(**{"attribute[appeal_type]": None})
    payload["attribute"] = {"urgency": ["urgent"], "confidential": "true"}
    response = client.post("/open311/v2/requests.json", json=payload)
    assert response.status_code == 200
    ticket = _ticket(response.json[0]["service_request_id"])
    assert ticket.urgency == "urgent"
    assert ticket.confidential is True


def test_parameters_in_the_query_string_of_a_post_are_read_too(client: Any) -> None:
    body = post_body(service_code=None)
    response = client.post("/open311/v2/requests.json?service_code=01.01.03", data=body)
    assert response.status_code == 200
    assert _ticket(response.json[0]["service_request_id"]).matter_code == "01.01.03"


def test_western_names_keep_their_order_and_chinese_names_run_family_name_first() -> None:
    assert requester_name("John", "Smith") == "John Smith"
    assert requester_name("John", "") == "John"
    assert requester_name("小明", "王") == "王小明"
    assert requester_name("", None) is None


def test_list_parameters_declared_several_times_read_as_one_list(client: Any) -> None:
    lift = accepted(at=MONDAY_TEN).number
    fees = accepted(at=MONDAY_TEN, matter_code="01.01.03").number
    other = accepted(at=MONDAY_TEN, matter_code="01.02.02").number
    response = client.get(
        f"/open311/v2/requests.json?{WEEK}&service_code=01.01.01&service_code=01.01.03"
        "&status=open&status=closed"
    )
    assert response.status_code == 200
    found = _numbers(response)
    assert lift in found and fees in found
    assert other not in found


def test_a_closed_request_reports_its_closing_time_as_updated_datetime(client: Any) -> None:
    ticket = lifecycle.accept(
        db.session, AGENT, intake(appeal_type="consult"), TriageOutcome.ANSWER, at=MONDAY_TEN
    )
    # A later touch (a callback, a rating) must not move the date the request was closed.
    ticket.updated_at = MONDAY_TEN + timedelta(days=3)
    db.session.flush()
    item = client.get(f"/open311/v2/requests/{ticket.number}.json").json[0]
    assert item["status"] == "closed"
    assert item["updated_datetime"] == "2026-11-23T10:00:00+08:00"


def test_a_fixmystreet_style_client_reports_and_follows_a_request_end_to_end(
    client: Any,
) -> None:
    # What FixMyStreet's Open311 client posts: lat/long only, a multi-line description, the
    # name split in two, its own attributes (unknown here), and one media_url per photo.
    form = MultiDict(
        {
            "jurisdiction_id": "yunjiang.gov.cn",
            "api_key": API_KEY,
            "service_code": "01.01.01",
            "lat": "28.194",
            "long": "112.976",
            "email": "john.smith@example.org",
            "first_name": "John",
            "last_name": "Smith",
            "phone": "+86 138 0013 8000",
            "description": "title: 电梯停运\n\ndetail: 5 号楼电梯停运三天\n\nurl: "
            "https://fms.example.org/report/42\n\nSubmitted via FixMyStreet\n",
            "attribute[fixmystreet_id]": "42",
            "attribute[title]": "电梯停运",
            "attribute[report_url]": "https://fms.example.org/report/42",
            "attribute[urgency]": "urgent",
            "address_string": "",
        }
    )
    form.add("media_url", "https://fms.example.org/photo/42.0.full.jpeg")
    form.add("media_url", "https://fms.example.org/photo/42.1.full.jpeg")
    posted = client.post("/open311/v2/requests.xml", data=form)
    assert posted.status_code == 200
    root = xml(posted)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id") or ""
    assert number

    ticket = _ticket(number)
    assert ticket.channel == "open311"
    assert ticket.urgency == "urgent"
    assert ticket.latitude == pytest.approx(28.194)
    assert "5 号楼电梯停运三天" in ticket.text
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None
    assert requester.name == "John Smith"
    assert requester.phone == "+8613800138000"

    followed = xml(
        client.get(f"/open311/v2/requests.xml?service_request_id={number}&jurisdiction_id=")
    )
    [request] = followed.findall("request")
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "open"
    assert request.findtext("lat") == "28.194"
    assert request.findtext("long") == "112.976"
    assert request.findtext("media_url") == "https://fms.example.org/photo/42.0.full.jpeg"
    assert (request.findtext("requested_datetime") or "").endswith("+08:00")
    token = xml(client.get(f"/open311/v2/tokens/{token_for(ticket)}.xml"))
    assert token.findtext("request/service_request_id") == number
