"""What the public feed withholds: the unit's reply to a 举报 or a confidential appeal (and to
a request merged into one), and everything a ticket that is no service request says. An
emergency transfer or a legal-route referral phoned in is not found by its number at all; one
posted through Open311 is, for its poster to track, with its content withheld."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hotline import lifecycle
from hotline.apikeys import create_key
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import Ticket
from hotline.open311.publication import NOT_PUBLISHED, WITHHELD
from hotline.open311.service_requests import token_for
from routing.glossary import TriageOutcome
from routing.workflow import TicketState
from tests.factories import AGENT, MONDAY, accepted, intake
from tests.open311.helpers import API_KEY, error_descriptions, post_body, xml

REPLY = "经查，李娜（翠苑小区6栋101）举报的违规经营属实，已责令整改。"
WEEK = "start_date=2026-11-22T00:00:00%2B08:00&end_date=2026-11-29T00:00:00%2B08:00"
VIOLENCE = "我丈夫正在打我，我叫李娜，住翠苑小区6栋101，电话13912345678，快来人"


def _closed(ticket: Ticket, reply: str = REPLY) -> Ticket:
    ticket.state = TicketState.CLOSED
    ticket.closed_at = utcnow()
    ticket.reply_text = reply
    db.session.flush()
    return ticket


def _json(client: Any, number: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"/open311/v2/requests/{number}.json{query}")
    assert response.status_code == 200
    item: dict[str, Any] = response.json[0]
    return item


def _xml_notes(client: Any, number: str) -> str:
    request = xml(client.get(f"/open311/v2/requests/{number}.xml")).find("request")
    assert request is not None
    return request.findtext("status_notes") or ""


def _assert_tracked_unlisted_and_silent(
    client: Any, ticket: Ticket, query: str, secrets: tuple[str, ...]
) -> None:
    """Found by its number and its token with `query` (an api_key, or none), never listed, and
    its XML holds none of `secrets`."""
    number = ticket.number
    body = client.get(f"/open311/v2/requests/{number}.xml{query}").get_data(as_text=True)
    for secret in secrets:
        assert secret not in body
    assert client.get(f"/open311/v2/tokens/{token_for(ticket)}.json{query}").json[0] == {
        "service_request_id": number,
        "token": token_for(ticket),
    }
    assert number not in _numbers(client.get("/open311/v2/requests.json"))


def _numbers(response: Any) -> list[str]:
    return [item["service_request_id"] for item in response.json]


@pytest.mark.parametrize(
    "withheld",
    [{"appeal_type": "report"}, {"appeal_type": "complaint", "confidential": True}],
    ids=["report", "confidential"],
)
def test_a_closed_report_or_confidential_ticket_shows_its_state_never_the_reply(
    client: Any, withheld: dict[str, Any]
) -> None:
    ticket = _closed(accepted(at=MONDAY, **withheld))
    item = _json(client, ticket.number)
    assert item["status"] == "closed"
    assert item["status_notes"] == "已办结。"
    assert item["description"] == WITHHELD
    assert _xml_notes(client, ticket.number) == "已办结。"
    for path in (f"/open311/v2/requests.json?{WEEK}", f"/open311/v2/requests.xml?{WEEK}"):
        body = client.get(path).get_data(as_text=True)
        assert ticket.number in body
        assert "李娜" not in body and "经查" not in body


def test_a_request_merged_into_a_report_shows_the_state_of_that_ticket_not_its_reply(
    client: Any,
) -> None:
    report = accepted(at=MONDAY, appeal_type="report")
    merged = lifecycle.accept(
        db.session, AGENT, intake(), TriageOutcome.MERGE, parent=report, at=MONDAY
    )
    _closed(report)
    item = _json(client, merged.number)
    assert item["status"] == "closed"
    assert item["status_notes"] == f"已并入工单 {report.number} 合并办理；该工单：已办结。"
    assert "李娜" not in _xml_notes(client, merged.number)


def test_a_report_merged_into_an_ordinary_ticket_does_not_show_that_tickets_reply(
    client: Any,
) -> None:
    ordinary = accepted(at=MONDAY)
    report = lifecycle.accept(
        db.session,
        AGENT,
        intake(appeal_type="report"),
        TriageOutcome.MERGE,
        parent=ordinary,
        at=MONDAY,
    )
    _closed(ordinary)
    assert _json(client, report.number)["status_notes"].endswith("该工单：已办结。")
    assert "经查" in _json(client, ordinary.number)["status_notes"]


def test_an_ordinary_reply_is_scrubbed_as_a_description_is(client: Any) -> None:
    ticket = _closed(
        accepted(at=MONDAY),
        "<p>经查，我是陈静，已联系物业 139 1111 2222，5栋302室漏水已修复，"
        "记录见 https://oa.example.gov.cn/doc/1</p>",
    )
    notes = _json(client, ticket.number)["status_notes"]
    assert notes == (
        "已办结。答复：经查，我是***，已联系物业 139****2222，5栋***室漏水已修复，"
        "记录见 （链接不公开）"
    )
    assert _xml_notes(client, ticket.number) == notes


def _phoned(outcome: TriageOutcome, text: str) -> Ticket:
    return lifecycle.accept(
        db.session, AGENT, intake(channel="phone", text=text), outcome, at=MONDAY
    )


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        (TriageOutcome.EMERGENCY, VIOLENCE),
        (TriageOutcome.REFERRAL, "我和前夫争孩子抚养权，我叫李娜，住翠苑小区6栋101"),
    ],
    ids=["emergency", "referral"],
)
def test_an_emergency_or_a_referral_phoned_in_is_not_found_by_its_number(
    client: Any, outcome: TriageOutcome, text: str
) -> None:
    ticket = _phoned(outcome, text)
    unknown = f"服务请求 {ticket.number} 不存在"
    as_json = client.get(f"/open311/v2/requests/{ticket.number}.json")
    assert as_json.status_code == 404
    assert as_json.json == [{"code": 404, "description": unknown}]
    as_xml = client.get(f"/open311/v2/requests/{ticket.number}.xml")
    assert as_xml.status_code == 404
    assert error_descriptions(as_xml) == [unknown]
    by_id = client.get(f"/open311/v2/requests.xml?service_request_id={ticket.number}")
    assert by_id.status_code == 200
    assert xml(by_id).findall("request") == []
    assert ticket.number not in _numbers(client.get(f"/open311/v2/requests.json?{WEEK}"))
    assert client.get(f"/open311/v2/tokens/{token_for(ticket)}.json").status_code == 404


def test_an_emergency_posted_through_open311_is_tracked_by_its_poster_with_nothing_published(
    client: Any,
) -> None:
    response = client.post(
        "/open311/v2/requests.json",
        data=post_body(
            description=VIOLENCE,
            lat="28.1",
            long="112.9",
            media_url="https://img.example.com/bruise.jpg",
        ),
    )
    assert response.status_code == 200
    number = response.json[0]["service_request_id"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert ticket.triage_outcome == TriageOutcome.EMERGENCY
    # The system that posted it, with its key, is told what became of it.
    keyed = f"?api_key={API_KEY}"
    item = _json(client, number, keyed)
    assert item["description"] == NOT_PUBLISHED
    assert item["service_notice"] == response.json[0]["service_notice"]
    assert "110" in item["service_notice"]
    assert (item["lat"], item["long"], item["media_url"]) == (None, None, None)
    assert item["address"] == "云江市江城区南湖街道翠苑社区"
    _assert_tracked_unlisted_and_silent(
        client, ticket, keyed, ("李娜", "6栋101", "13912345678", "bruise")
    )


def test_a_request_posted_through_open311_that_became_no_service_request_is_found_closed(
    client: Any,
) -> None:
    # Open311 clients read without a key (FixMyStreet, georeport, node-open311): a 404 would
    # leave the report open in them for ever.
    response = client.post(
        "/open311/v2/requests.json",
        data=post_body(description=VIOLENCE, lat="28.1", long="112.9"),
    )
    number = response.json[0]["service_request_id"]
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    item = _json(client, number)
    assert item["status"] == "closed"
    assert item["description"] == NOT_PUBLISHED
    assert item["status_notes"].endswith("详情仅告知提交它的系统。")
    # Nothing says what it was, where, or where it went.
    assert item["service_notice"] is None
    assert (item["address"], item["address_id"], item["lat"], item["long"]) == (None,) * 4
    listed = client.get(f"/open311/v2/requests.json?service_request_id={number}")
    assert _numbers(listed) == [number]
    assert (item["service_code"], item["service_name"]) == (None, None)
    # Ticket numbers hold the date (…1110…): the emergency service is looked for as words.
    secrets = ("李娜", "6栋101", "翠苑", "拨打110", "紧急")
    _assert_tracked_unlisted_and_silent(client, ticket, "", secrets)


def test_another_systems_key_reads_a_request_it_did_not_post_as_the_public_does(
    client: Any,
) -> None:
    response = client.post("/open311/v2/requests.json", data=post_body(description=VIOLENCE))
    number = response.json[0]["service_request_id"]
    _, other_key = create_key(db.session, "另一个接入系统")
    db.session.commit()
    other = client.get(f"/open311/v2/requests/{number}.json?api_key={other_key}")
    assert other.status_code == 200
    assert other.json[0]["service_notice"] is None
    poster = client.get(f"/open311/v2/requests/{number}.json?api_key={API_KEY}")
    assert "110" in poster.json[0]["service_notice"]
