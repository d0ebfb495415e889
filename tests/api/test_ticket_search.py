"""GET /api/v1/tickets: filters, unit visibility and cursor pagination."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import Ticket
from tests.api.conftest import API_KEY, create

# Distinct matters and places, so the duplicate check links none of them.
APPEALS = (
    ("小区保洁很差，楼道垃圾没人扫", "01.01.02", "990102001001", "web"),
    ("楼顶漏雨，家里墙面一直渗水", "01.02.02", "990102001002", "app"),
    ("工地夜间施工噪音很大，无法入睡", "01.03.01", "990102002001", "web"),
    ("路口有人摆摊占道经营，影响通行", "02.01.01", "990103001001", "wechat"),
    ("新房交付后墙面开裂空鼓严重", "01.04.03", "990103001002", "web"),
)


def _seed(client: Any) -> list[dict[str, Any]]:
    return [
        create(
            client,
            text=text,
            matter_code=matter,
            area_code=area,
            channel=channel,
            requester=None,
            title=text[:8],
        )
        for text, matter, area, channel in APPEALS
    ]


def _numbers(client: Any, query: str, headers: dict[str, str] | None = None) -> list[str]:
    response = client.get(f"/api/v1/tickets?{query}", headers=headers or API_KEY)
    assert response.status_code == 200, response.get_json()
    return [item["number"] for item in response.get_json()["items"]]


def test_tickets_are_listed_newest_first(client: Any, no_catalogue: None) -> None:
    seeded = _seed(client)
    assert _numbers(client, "") == [t["number"] for t in reversed(seeded)]


def test_the_cursor_walks_every_ticket_exactly_once(client: Any, no_catalogue: None) -> None:
    seeded = _seed(client)
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        body = client.get(f"/api/v1/tickets?limit=2{cursor}", headers=API_KEY).get_json()
        seen += [item["number"] for item in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert pages == 3
    assert seen == [t["number"] for t in reversed(seeded)]


def test_an_area_filter_includes_the_areas_below_it(client: Any, no_catalogue: None) -> None:
    seeded = _seed(client)
    in_jiangcheng = {t["number"] for t in seeded if t["area_code"].startswith("990102")}
    assert set(_numbers(client, "area=990102")) == in_jiangcheng
    assert len(_numbers(client, "area=990102001")) == 2


def test_a_matter_filter_includes_the_matters_below_it(client: Any, no_catalogue: None) -> None:
    _seed(client)
    assert len(_numbers(client, "matter=01")) == 4
    assert len(_numbers(client, "matter=01.02.02")) == 1


def test_state_channel_unit_and_text_filters(client: Any, no_catalogue: None) -> None:
    seeded = _seed(client)
    assert len(_numbers(client, "channel=web")) == 3
    assert len(_numbers(client, "state=dispatched,closed")) == 5
    assert _numbers(client, "state=replied") == []
    assert len(_numbers(client, "unit=D990102")) == 3
    assert _numbers(client, "q=漏雨") == [seeded[1]["number"]]
    assert _numbers(client, "q=%25") == []  # LIKE wildcards are literal


def test_acceptance_dates_bound_the_list(client: Any, no_catalogue: None) -> None:
    _seed(client)
    today = utcnow().date()
    tomorrow = (today + timedelta(days=2)).isoformat()
    yesterday = (today - timedelta(days=2)).isoformat()
    assert len(_numbers(client, f"accepted_from={yesterday}&accepted_to={tomorrow}")) == 5
    assert _numbers(client, f"accepted_from={tomorrow}") == []
    assert _numbers(client, f"accepted_to={yesterday}") == []


def test_the_overdue_filter_finds_breached_and_late_tickets(
    client: Any, no_catalogue: None
) -> None:
    seeded = _seed(client)
    late = db.session.get(Ticket, seeded[0]["id"])
    late.sign_due_at = utcnow() - timedelta(hours=1)
    breached = db.session.get(Ticket, seeded[1]["id"])
    breached.handle_breached_at = utcnow()
    db.session.flush()
    overdue = set(_numbers(client, "overdue=true"))
    assert overdue == {seeded[0]["number"], seeded[1]["number"]}
    assert len(_numbers(client, "overdue=false")) == 3
    listed = client.get("/api/v1/tickets?overdue=true", headers=API_KEY).get_json()["items"]
    assert all(item["overdue"] for item in listed)


def test_unit_staff_see_only_their_units_tickets(
    client: Any, district: Any, other_unit: Any, no_catalogue: None
) -> None:
    _seed(client)
    mine = district.get("/api/v1/tickets").get_json()["items"]
    assert {item["lead_unit"] for item in mine} == {"D990102"}
    assert len(mine) == 3
    assert other_unit.get("/api/v1/tickets").get_json()["items"] == []


def test_bad_list_parameters_are_refused(client: Any) -> None:
    for query, status in (
        ("limit=0", 400),
        ("limit=201", 400),
        ("state=lost", 400),
        ("channel=pigeon", 400),
        ("cursor=not-a-cursor", 400),
        ("accepted_from=yesterday", 400),
        ("area=000000", 422),
        ("matter=99", 422),
        ("unit=NOPE", 422),
        ("colour=red", 400),
    ):
        response = client.get(f"/api/v1/tickets?{query}", headers=API_KEY)
        assert response.status_code == status, query


def test_an_unknown_unit_is_the_same_unknown_code_as_an_unknown_area(client: Any) -> None:
    response = client.get("/api/v1/tickets?unit=NOPE", headers=API_KEY)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unknown_code" and "unit" in error["details"]


def test_a_deactivated_unit_still_filters_its_past_tickets(client: Any) -> None:
    from hotline.extensions import db
    from hotline.models import Unit

    unit = db.session.get(Unit, "C-SCJGJ")
    assert unit is not None
    unit.active = False
    db.session.flush()
    assert client.get("/api/v1/tickets?unit=C-SCJGJ", headers=API_KEY).status_code == 200


def test_listing_needs_credentials(client: Any) -> None:
    assert client.get("/api/v1/tickets").status_code == 401


def test_the_list_filters_by_the_merged_legacy_line_an_appeal_came_in_on(
    client: Any, no_catalogue: None
) -> None:
    consumer = create(client, source_line="12315", text="超市卖过期牛奶，要求退款")
    create(client, text="小区门口路灯坏了一个星期")
    items = client.get("/api/v1/tickets?source_line=12315", headers=API_KEY).get_json()["items"]
    assert [(item["id"], item["source_line"]) for item in items] == [(consumer["id"], "12315")]
    bad = client.get("/api/v1/tickets?source_line=abc", headers=API_KEY)
    assert bad.status_code == 400


def test_a_closed_ticket_whose_clocks_were_never_met_is_not_overdue(
    client: Any, no_catalogue: None
) -> None:
    # A ticket merged into another is closed without meeting its clocks; closing stops them.
    seeded = _seed(client)
    merged = db.session.get(Ticket, seeded[0]["id"])
    merged.state = "closed"
    merged.closed_at = utcnow()
    merged.sign_due_at = utcnow() - timedelta(hours=1)
    breached = db.session.get(Ticket, seeded[1]["id"])
    breached.state = "closed"
    breached.handle_breached_at = utcnow() - timedelta(days=1)
    db.session.flush()
    overdue = set(_numbers(client, "overdue=true"))
    assert seeded[0]["number"] not in overdue
    assert seeded[1]["number"] in overdue  # a breach in its life stays on the record
    listed = client.get("/api/v1/tickets?state=closed", headers=API_KEY).get_json()["items"]
    flags = {item["number"]: item["overdue"] for item in listed}
    assert flags[seeded[0]["number"]] is False
    assert flags[seeded[1]["number"]] is True


def _cursor(value: Any) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [
        ["2026-11-28T16:10:49+00:00", True],
        ["9999-12-31T23:59:59-23:59", 16],
        ["2026-11-28T16:10:49+00:00", 10**20],
        ["2026-11-28T16:10:49+00:00", -1],
        ["2026-11-28T16:10:49", 3],
        "not a pair",
    ],
)
def test_a_forged_cursor_is_a_400_invalid_cursor_on_every_database(client: Any, value: Any) -> None:
    response = client.get(f"/api/v1/tickets?cursor={_cursor(value)}", headers=API_KEY)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_a_query_parameter_given_twice_is_a_400_not_its_first_value(client: Any) -> None:
    response = client.get("/api/v1/tickets?state=dispatched&state=closed", headers=API_KEY)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["field"] == "state"
    listed = client.get("/api/v1/tickets?state=dispatched,closed", headers=API_KEY)
    assert listed.status_code == 200


def test_a_date_range_that_ends_before_it_starts_is_a_400(client: Any) -> None:
    query = "accepted_from=2026-11-28&accepted_to=2026-11-01"
    response = client.get(f"/api/v1/tickets?{query}", headers=API_KEY)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["field"] == "accepted_from"


@pytest.mark.parametrize(
    ("q", "typed"),
    [
        ("13811112222", "13811112222"),
        ("138 1111 2222", "138 1111 2222"),
        ("3811112222", "13811112222"),  # a part finds the whole number
        ("11112222", "13811112222"),
        ("幺三八一一一一", "幺三八一一一一二二二二"),
        ("一三八一一一一二二二二", "一三八一一一一二二二二"),
        ("33010219900101123X", "33010219900101123X"),
    ],
)
def test_only_the_centre_may_find_tickets_by_a_phone_or_id_number(
    client: Any, agent: Any, district: Any, no_catalogue: None, q: str, typed: str
) -> None:
    create(client, text=f"路灯坏了，我的电话{typed}")
    by_unit = district.get("/api/v1/tickets", query_string={"q": q})
    by_system = client.get("/api/v1/tickets", query_string={"q": q}, headers=API_KEY)
    for response in (by_unit, by_system):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "personal_data_search"
    found = agent.get("/api/v1/tickets", query_string={"q": q}).get_json()
    assert len(found["items"]) == 1


def test_outsiders_still_find_tickets_by_number_and_by_words(
    client: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client, text="路灯坏了")
    for q in (ticket["number"], "路灯"):
        by_system = client.get("/api/v1/tickets", query_string={"q": q}, headers=API_KEY)
        by_unit = district.get("/api/v1/tickets", query_string={"q": q})
        for response in (by_system, by_unit):
            assert response.status_code == 200
            assert ticket["id"] in [item["id"] for item in response.get_json()["items"]]
