"""Personal data and ratings stay with the centre: not in units' event payloads, not in logs,
and every unmasked view of a requester leaves an audit row."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from hotline import lifecycle
from hotline.extensions import db
from hotline.intake import Submission, submit
from hotline.lifecycle import SYSTEM
from hotline.models import PersonalDataAccess, Ticket
from hotline.sms import LogSender
from tests.api.conftest import create
from tests.factories import DISPATCHER, LEAD, MONDAY, rated

SECRET_ACCOUNT = "wx-openid-7781"


def _events(client: Any, ticket_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/tickets/{ticket_id}")
    assert response.status_code == 200, response.get_json()
    events: list[dict[str, Any]] = response.get_json()["events"]
    return events


def test_a_unit_never_sees_a_channels_account_id_in_the_accept_event(
    district: Any, agent: Any, no_catalogue: None
) -> None:
    result = submit(
        db.session,
        SYSTEM,
        Submission(
            channel="open311",
            text="小区门口路灯不亮",
            area_code="990102001001",
            requester_phone="13800138000",
            extra={"open311": {"account_id": SECRET_ACCOUNT}},
        ),
    )
    ticket_id = result.ticket.id
    assert result.ticket.lead_unit_code is not None
    unit_view = str(_events(district, ticket_id))
    assert SECRET_ACCOUNT not in unit_view
    assert "+8613800138000" not in unit_view and "13800138000" not in unit_view
    assert SECRET_ACCOUNT in str(_events(agent, ticket_id))  # the centre still has it


def test_a_unit_never_reads_an_sms_survey_answer(app: Flask) -> None:
    from tests.api.conftest import login

    ticket = rated()
    lifecycle.close(db.session, ticket, DISPATCHER, at=MONDAY)
    lifecycle.add_note(
        db.session,
        ticket,
        SYSTEM,
        "短信回访答复：不满意，待坐席核实。",
        payload={"channel": "sms", "survey_answer": "unsatisfied"},
    )
    unit = login(app.test_client(), LEAD.name)
    shown = str(_events(unit, ticket.id))
    assert "unsatisfied" not in shown
    assert "不满意" not in shown
    assert "write_off" not in shown
    centre = login(app.test_client(), "dispatcher1")
    assert "unsatisfied" in str(_events(centre, ticket.id))


def test_the_callback_rating_is_hidden_from_the_lead_unit(app: Flask) -> None:
    from tests.api.conftest import login

    ticket = rated("basically_satisfied")
    unit = login(app.test_client(), LEAD.name)
    body = unit.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert body["rating"] is None
    assert "basically_satisfied" not in str(body)


def test_a_unit_sees_no_requester_field_in_the_detail_the_list_or_an_action(
    client: Any, district: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    detail = district.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    listed = district.get("/api/v1/tickets").get_json()
    signed = district.post(f"/api/v1/tickets/{ticket['id']}/sign", json={}).get_json()
    for shown in (str(detail), str(listed), str(signed)):
        for secret in ("张三", "13800138000", "110101199001011234", "3 栋"):
            assert secret not in shown
        # Not even the last four digits (138****8000); a time's microseconds (.680001) may
        # hold the same digits inside a longer number.
        assert not re.search(r"(?<!\d)8000(?!\d)", shown)


def test_an_error_message_never_quotes_the_requesters_phone(client: Any) -> None:
    from tests.api.conftest import API_KEY, ELEVATOR

    body = ELEVATOR | {"requester": {"name": "张三", "phone": "1380013800"}, "text": "\x00"}
    response = client.post("/api/v1/tickets", json=body, headers=API_KEY)
    assert response.status_code == 400
    assert "1380013800" not in response.get_data(as_text=True)


def test_every_unmasked_view_of_the_requester_is_audited(
    client: Any, agent: Any, dispatcher: Any, no_catalogue: None
) -> None:
    ticket = create(client)

    def audits() -> int:
        return (
            db.session.scalar(
                select(func.count())
                .select_from(PersonalDataAccess)
                .where(PersonalDataAccess.ticket_id == ticket["id"])
            )
            or 0
        )

    before = audits()
    agent.get(f"/api/v1/tickets/{ticket['id']}")
    urged = dispatcher.post(f"/api/v1/tickets/{ticket['id']}/urge", json={"note": "请尽快"})
    assert urged.status_code == 200
    agent.get("/api/v1/requesters/lookup?phone=13800138000")
    assert audits() == before + 3


def test_a_report_keeps_the_requester_hidden_from_everyone(
    client: Any, agent: Any, no_catalogue: None
) -> None:
    ticket = create(client, appeal_type="report")
    stored = db.session.get(Ticket, ticket["id"])
    assert stored is not None and stored.confidential
    body = agent.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert body["requester"]["masked"] is True
    assert "张三" not in str(body) and "13800138000" not in str(body)


def test_the_embedded_sms_log_masks_the_number(monkeypatch: Any) -> None:
    import hotline.sms

    lines: list[str] = []

    class Recorder(logging.Logger):
        def info(self, msg: object, *args: object, **kwargs: Any) -> None:
            lines.append(str(msg) % args)

    # Alembic's logging setup disables existing loggers, so caplog would see nothing here.
    monkeypatch.setattr(hotline.sms, "log", Recorder("hotline.sms"))
    LogSender().send("+8613800138000", "【12345】您的诉求已受理")
    assert lines and "13800138000" not in lines[0]
    assert "138****8000" in lines[0]
