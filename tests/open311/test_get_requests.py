"""GET requests, GET a request and GET tokens: filters, the public shape, no personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from hotline import lifecycle
from hotline.extensions import db
from hotline.models import Ticket
from hotline.open311.formats import format_datetime
from hotline.open311.publication import NOT_PUBLISHED
from hotline.open311.service_requests import token_for
from routing.glossary import TriageOutcome
from tests.factories import AGENT, accepted, intake
from tests.open311.helpers import API_KEY, error_descriptions, post_body, xml

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
# 2026-11-23 10:00 and 2026-11-25 10:00 in Shanghai.
MONDAY_TEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WEDNESDAY_TEN = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
WEEK = "start_date=2026-11-22T00:00:00%2B08:00&end_date=2026-11-29T00:00:00%2B08:00"


def _numbers(response: Any) -> list[str]:
    return [item["service_request_id"] for item in response.json]


def _answered(at: datetime) -> Ticket:
    """A ticket closed at intake (answered from the knowledge base)."""
    ticket = lifecycle.accept(
        db.session, AGENT, intake(appeal_type="consult"), TriageOutcome.ANSWER, at=at
    )
    ticket.reply_text = "电梯维保可联系物业，电话 13912345678。"
    db.session.flush()
    return ticket


def _one_item(client: Any, number: str) -> dict[str, Any]:
    item: dict[str, Any] = client.get(f"/open311/v2/requests/{number}.json").json[0]
    return item


def _posted(client: Any, **overrides: str | None) -> Ticket:
    response = client.post("/open311/v2/requests.json", data=post_body(**overrides))
    assert response.status_code == 200
    number = response.json[0]["service_request_id"]
    return db.session.scalars(select(Ticket).where(Ticket.number == number)).one()


def test_requests_in_xml_have_the_spec_elements_in_order(client: Any) -> None:
    ticket = accepted(at=MONDAY_TEN)
    root = xml(client.get(f"/open311/v2/requests.xml?{WEEK}"))
    assert root.tag == "service_requests"
    request = next(
        r for r in root.findall("request") if r.findtext("service_request_id") == ticket.number
    )
    assert [child.tag for child in request] == REQUEST_FIELDS
    assert request.findtext("status") == "open"
    assert request.findtext("service_code") == "01.01.01"
    assert request.findtext("service_name") == "电梯故障"
    assert request.findtext("requested_datetime") == "2026-11-23T10:00:00+08:00"
    assert request.findtext("address_id") == "990102001001"


def test_the_date_window_accepts_offsets_utc_and_local_times(client: Any) -> None:
    monday = accepted(at=MONDAY_TEN).number
    wednesday = accepted(at=WEDNESDAY_TEN).number
    with_offset = client.get(
        "/open311/v2/requests.json"
        "?start_date=2026-11-23T09:00:00%2B08:00&end_date=2026-11-23T11:00:00%2B08:00"
    )
    assert _numbers(with_offset) == [monday]
    in_utc = client.get(
        "/open311/v2/requests.json?start_date=2026-11-25T01:00:00Z&end_date=2026-11-25T03:00:00Z"
    )
    assert _numbers(in_utc) == [wednesday]
    local = client.get("/open311/v2/requests.json?start_date=2026-11-23T09:30&end_date=2026-11-24")
    assert _numbers(local) == [monday]


def test_an_end_date_equal_to_a_shown_requested_datetime_includes_that_request(
    client: Any,
) -> None:
    # Accepted a fraction of a second after the second it is shown at.
    ticket = accepted(at=MONDAY_TEN.replace(microsecond=400_000))
    shown = _one_item(client, ticket.number)["requested_datetime"]
    assert shown == "2026-11-23T10:00:00+08:00"
    exact = client.get(f"/open311/v2/requests.json?start_date={shown}&end_date={shown}")
    assert _numbers(exact) == [ticket.number]


def test_an_unescaped_plus_in_the_offset_is_still_understood(client: Any) -> None:
    monday = accepted(at=MONDAY_TEN).number
    response = client.get(
        "/open311/v2/requests.json"
        "?start_date=2026-11-23T09:00:00+08:00&end_date=2026-11-23T11:00:00+08:00"
    )
    assert _numbers(response) == [monday]


def test_an_invalid_date_or_a_too_wide_window_is_a_400(client: Any) -> None:
    invalid = client.get("/open311/v2/requests.xml?start_date=yesterday")
    assert invalid.status_code == 400
    assert "start_date" in error_descriptions(invalid)[0]
    wide = client.get(
        "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z"
    )
    assert wide.status_code == 400
    backwards = client.get(
        "/open311/v2/requests.json?start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z"
    )
    assert backwards.status_code == 400


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("start_date=9999-12-31", "start_date"),
        ("end_date=0001-01-01", "end_date"),
        ("start_date=0001-01-01T00:00:00%2B14:00", "start_date"),
        ("end_date=9999-12-31T23:59:59-12:00", "end_date"),
    ],
)
def test_a_date_at_the_end_of_the_calendar_is_a_400_naming_it(
    client: Any, query: str, named: str
) -> None:
    response = client.get(f"/open311/v2/requests.xml?{query}")
    assert response.status_code == 400
    (description,) = error_descriptions(response)
    assert description.startswith(named)
    assert "日期超出可表示的范围" in description


def test_the_status_filter_separates_open_and_closed_tickets(client: Any) -> None:
    still_open = accepted(at=MONDAY_TEN).number
    closed = _answered(MONDAY_TEN).number
    assert _numbers(client.get(f"/open311/v2/requests.json?{WEEK}&status=open")) == [still_open]
    assert _numbers(client.get(f"/open311/v2/requests.json?{WEEK}&status=closed")) == [closed]
    both = _numbers(client.get(f"/open311/v2/requests.json?{WEEK}&status=open,closed"))
    assert sorted(both) == sorted([still_open, closed])
    wrong = client.get(f"/open311/v2/requests.json?{WEEK}&status=pending")
    assert wrong.status_code == 400


def test_a_closed_ticket_shows_its_state_and_a_scrubbed_reply(client: Any) -> None:
    closed = _answered(MONDAY_TEN)
    item = client.get(f"/open311/v2/requests/{closed.number}.json").json[0]
    assert item["status"] == "closed"
    assert item["status_notes"].startswith("已办结")
    assert "电梯维保可联系物业" in item["status_notes"]
    assert "13912345678" not in item["status_notes"]


def test_the_service_code_filter_takes_a_comma_list(client: Any) -> None:
    lift = accepted(at=MONDAY_TEN).number
    fees = accepted(at=MONDAY_TEN, matter_code="01.01.03").number
    other = accepted(at=MONDAY_TEN, matter_code="01.02.02").number
    found = _numbers(client.get(f"/open311/v2/requests.json?{WEEK}&service_code=01.01.01,01.01.03"))
    assert sorted(found) == sorted([lift, fees])
    assert other not in found


def test_empty_optional_parameters_behave_as_absent(client: Any) -> None:
    ticket = _posted(client)
    response = client.get(
        "/open311/v2/requests.json?status=&service_code=&start_date=&end_date="
        "&service_request_id=&jurisdiction_id="
    )
    assert response.status_code == 200
    assert ticket.number in _numbers(response)


def test_service_request_ids_override_every_other_parameter(client: Any) -> None:
    first = accepted(at=MONDAY_TEN).number
    second = _answered(WEDNESDAY_TEN).number
    response = client.get(
        f"/open311/v2/requests.json?service_request_id={first},{second},nope"
        "&status=closed&service_code=99.99&start_date=2020-01-01T00:00:00Z"
    )
    assert sorted(_numbers(response)) == sorted([first, second])


def test_the_default_window_is_the_last_90_days(client: Any) -> None:
    recent = _posted(client).number
    old = accepted(at=datetime(2020, 1, 6, 2, 0, tzinfo=UTC)).number
    found = _numbers(client.get("/open311/v2/requests.json"))
    assert recent in found
    assert old not in found


def test_a_dispatched_request_names_the_agency_and_the_expected_time(
    client: Any, no_catalogue: None
) -> None:
    ticket = _posted(client)
    item = client.get(f"/open311/v2/requests/{ticket.number}.json").json[0]
    assert list(item) == REQUEST_FIELDS
    assert item["agency_responsible"] == "江城区人民政府"
    assert ticket.handle_due_at is not None
    expected = datetime.fromisoformat(item["expected_datetime"])
    assert expected == ticket.handle_due_at
    assert item["expected_datetime"].endswith("+08:00")
    assert item["updated_datetime"] >= item["requested_datetime"]
    assert item["status"] == "open"
    assert item["status_notes"].startswith("已派单")
    assert "江城区人民政府" in item["service_notice"]


@pytest.mark.parametrize(("provisional", "flag"), [(True, "（暂定）"), (False, "")])
def test_the_expected_time_in_the_notice_says_when_it_is_provisional(
    client: Any, no_catalogue: None, provisional: bool, flag: str
) -> None:
    ticket = _posted(client)
    if provisional:
        # As for an appeal dispatched in late December: handled in the provisional year.
        ticket.handle_due_at = datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC)
        ticket.due_provisional = True
    db.session.flush()
    item = client.get(f"/open311/v2/requests/{ticket.number}.json").json[0]
    # expected_datetime stays the ISO 8601 time the spec defines; the notice carries the flag.
    assert item["expected_datetime"] == format_datetime(ticket.handle_due_at)
    assert f"，预计 {item['expected_datetime']}{flag} 前办结。" in item["service_notice"]


def test_requests_never_show_the_requesters_personal_data(client: Any) -> None:
    _posted(
        client,
        description="电梯坏了，请回电 13800138000 或发邮件 wang@example.com，"
        "身份证 110101199003070012",
        media_url="https://img.example.com/lift.jpg",
    )
    body = client.get("/open311/v2/requests.json").get_data(as_text=True)
    for secret in (
        "13800138000",
        "+8613800138000",
        "wang@example.com",
        "王小明",
        "110101199003070012",
    ):
        assert secret not in body
    assert "138****8000" in body
    assert "https://img.example.com/lift.jpg" in body


def test_a_report_of_wrongdoing_is_published_without_its_content_or_exact_place(
    client: Any,
) -> None:
    ticket = _posted(
        client,
        **{"attribute[appeal_type]": "report", "lat": "28.1", "long": "112.9"},
    )
    item = client.get(f"/open311/v2/requests/{ticket.number}.json").json[0]
    assert "不予公开" in item["description"]
    assert item["lat"] is None and item["long"] is None
    assert item["address"] == "云江市江城区南湖街道翠苑社区"


def test_an_unknown_request_is_a_404(client: Any) -> None:
    response = client.get("/open311/v2/requests/20000101-000001.xml")
    assert response.status_code == 404
    assert "20000101-000001" in error_descriptions(response)[0]


def test_a_token_resolves_to_its_service_request_id(client: Any) -> None:
    ticket = _posted(client)
    root = xml(client.get(f"/open311/v2/tokens/{token_for(ticket)}.xml"))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert [child.tag for child in request] == ["service_request_id", "token"]
    assert request.findtext("service_request_id") == ticket.number
    assert client.get("/open311/v2/tokens/999999999.json").status_code == 404
    assert client.get("/open311/v2/tokens/abc.json").json[0]["code"] == 404


def test_a_phone_appeal_is_published_with_its_area_only_never_the_callers_address(
    client: Any,
) -> None:
    ticket = accepted(
        at=MONDAY_TEN,
        channel="phone",
        address="翠苑社区 5 幢 302 室",
        latitude=28.1,
        longitude=112.9,
    )
    [item] = client.get(f"/open311/v2/requests/{ticket.number}.json").json
    assert "302" not in (item["address"] or "")
    assert item["address"] == "云江市江城区南湖街道翠苑社区"
    assert item["lat"] is None and item["long"] is None


def test_an_open311_request_keeps_the_place_its_poster_published(client: Any) -> None:
    ticket = _posted(client, lat="28.1", long="112.9")
    [item] = client.get(f"/open311/v2/requests/{ticket.number}.json").json
    assert item["lat"] == 28.1 and item["long"] == 112.9


def test_service_request_ids_make_the_other_arguments_unread_even_invalid_ones(
    client: Any,
) -> None:
    ticket = accepted(at=MONDAY_TEN).number
    response = client.get(
        f"/open311/v2/requests.json?service_request_id={ticket}"
        "&start_date=yesterday&end_date=2020-01-01T00:00:00Z&status=pending"
    )
    assert response.status_code == 200
    assert _numbers(response) == [ticket]


def test_a_foreign_jurisdiction_is_a_404_before_the_other_arguments_are_checked(
    client: Any,
) -> None:
    response = client.get("/open311/v2/requests.json?jurisdiction_id=elsewhere.gov&status=pending")
    assert response.status_code == 404
    assert "jurisdiction_id" in response.json[0]["description"]


def test_published_descriptions_carry_no_html_but_keep_their_line_breaks(client: Any) -> None:
    ticket = accepted(at=MONDAY_TEN, text="<p>电梯坏了三天</p>\n<b>请尽快维修</b><br/>谢谢")
    [item] = client.get(f"/open311/v2/requests/{ticket.number}.json").json
    assert item["description"] == "电梯坏了三天\n请尽快维修谢谢"


def test_the_list_leaves_out_what_is_no_service_request_and_its_id_finds_nothing(
    client: Any,
) -> None:
    listed = accepted(at=MONDAY_TEN).number
    unclassified = accepted(at=MONDAY_TEN, matter_code=None).number
    refused = lifecycle.accept(
        db.session,
        AGENT,
        intake(text="你们这些吃干饭的废物", matter_code=None),
        TriageOutcome.NOT_ACCEPTED,
        at=MONDAY_TEN,
    ).number
    transferred, referred = (
        lifecycle.accept(db.session, AGENT, intake(), outcome, at=MONDAY_TEN).number
        for outcome in (TriageOutcome.EMERGENCY, TriageOutcome.REFERRAL)
    )
    assert _numbers(client.get(f"/open311/v2/requests.json?{WEEK}")) == [listed]
    for number in (unclassified, refused, transferred, referred):
        assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404
        assert _numbers(client.get(f"/open311/v2/requests.json?service_request_id={number}")) == []


def test_a_contact_posted_through_open311_but_not_accepted_is_found_closed_and_withheld(
    client: Any,
) -> None:
    posted = client.post("/open311/v2/requests.json", data=post_body(description="喂喂 你好"))
    refused = posted.json[0]["service_request_id"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == refused)).one()
    assert ticket.triage_outcome == TriageOutcome.NOT_ACCEPTED
    [public] = client.get(f"/open311/v2/requests/{refused}.json").json
    assert (public["status"], public["service_notice"]) == ("closed", None)
    keyed = f"api_key={API_KEY}"
    [item] = client.get(f"/open311/v2/requests/{refused}.json?{keyed}").json
    assert item["description"] == NOT_PUBLISHED
    assert item["service_notice"].startswith(f"工单 {refused} 已登记（不予受理）")
    by_id = client.get(f"/open311/v2/requests.json?service_request_id={refused}&{keyed}")
    assert _numbers(by_id) == [refused]
    assert refused not in _numbers(client.get("/open311/v2/requests.json"))


def test_a_read_with_a_broken_json_body_is_answered_as_if_it_had_none(client: Any) -> None:
    for path in ("/open311/v2/services.json", "/open311/v2/requests.json"):
        response = client.get(path, data="{broken", content_type="application/json")
        assert response.status_code == 200
