"""Control characters in an appeal created through the console API: removed from its free text
at intake (NUL still a 400 naming the field), so the public feed stays well-formed XML."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from hotline.extensions import db
from hotline.models import Requester, Ticket
from tests.api.conftest import API_KEY, ELEVATOR, create


def test_an_escape_sequence_in_the_text_is_removed_before_the_ticket_is_stored(
    client: Any,
) -> None:
    created = create(client, text="\u001b[31m小区电梯\u001b[0m坏了三天\u0007没人修\u0085")
    ticket = db.session.get(Ticket, created["id"])
    assert ticket is not None
    assert ticket.text == "[31m小区电梯[0m坏了三天没人修"
    for path in (f"/open311/v2/requests/{ticket.number}.xml", "/open311/v2/requests.xml"):
        response = client.get(path)
        assert response.status_code == 200
        ElementTree.fromstring(response.get_data())  # well-formed


def test_control_characters_are_removed_from_every_free_text_field(client: Any) -> None:
    created = create(
        client,
        title="电梯\x1b故障",
        address="江城区\x01南湖街道翠苑社区 3 栋",
        requester={"name": "张\x1f三", "phone": "138 0013 8000"},
    )
    ticket = db.session.get(Ticket, created["id"])
    assert ticket is not None
    assert (ticket.title, ticket.address) == ("电梯故障", "江城区南湖街道翠苑社区 3 栋")
    requester = db.session.get(Requester, ticket.requester_id)
    assert requester is not None and requester.name == "张三"


def test_tabs_and_line_breaks_are_kept(client: Any) -> None:
    created = create(client, text="电梯坏了\r\n第二行\t缩进")
    ticket = db.session.get(Ticket, created["id"])
    assert ticket is not None and ticket.text == "电梯坏了\r\n第二行\t缩进"


def test_nul_in_the_text_is_still_a_400_naming_the_field(client: Any) -> None:
    response = client.post(
        "/api/v1/tickets", json=ELEVATOR | {"text": "电梯\x00坏了"}, headers=API_KEY
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["field"] == "text"
