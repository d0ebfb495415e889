"""Every time the API gives is in the centre's local offset (+08:00), never in UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hotline.extensions import db
from hotline.lifecycle.record import begin, record
from hotline.models import Ticket
from routing.workflow import Action
from tests.api.conftest import API_KEY, create
from tests.api.test_lifecycle_actions import SURVEY, act, ok, pending
from tests.factories import DISPATCHER, MONDAY

INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


def instants(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) of every string in a JSON document that is a date and time."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from instants(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from instants(item, f"{path}[{index}]")
    elif isinstance(value, str) and INSTANT.fullmatch(value):
        yield path, value


def not_local(documents: dict[str, Any]) -> list[str]:
    return [
        f"{name}{where} = {text}"
        for name, document in documents.items()
        for where, text in instants(document)
        if not text.endswith("+08:00")
    ]


def test_every_time_the_api_gives_is_in_local_offset_never_utc(
    client: Any, dispatcher: Any, district: Any, agent: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    waiting = pending(client)
    documents: dict[str, Any] = {"created": ticket}
    documents["sign"] = ok(act(district, ticket, "sign"))
    documents["contact"] = ok(act(district, ticket, "contact", {"note": "已电话联系"}))
    documents["extension"] = ok(
        act(district, ticket, "extension", {"working_days": 3, "reason": "需协调维保"})
    )
    documents["approve"] = ok(act(dispatcher, ticket, "extension/decision", {"approve": True}))
    documents["reply"] = ok(act(district, ticket, "reply", {"text": "电梯已修复"}))
    documents["review"] = ok(act(dispatcher, ticket, "review", {"approve": True}))
    documents["callback"] = ok(act(agent, ticket, "callback", SURVEY))
    documents["close"] = ok(act(dispatcher, ticket, "close", {"note": "归档"}))
    versions = dispatcher.get("/api/v1/catalogue/versions").get_json()
    reads = {
        "detail": f"/api/v1/tickets/{ticket['id']}",
        "waiting": f"/api/v1/tickets/{waiting['id']}",
        "list": "/api/v1/tickets",
        "manual_queue": "/api/v1/queue/manual",
        "versions": "/api/v1/catalogue/versions",
        "version": f"/api/v1/catalogue/versions/{versions['versions'][0]['id']}",
        "due": "/api/v1/calendar/due?start=2026-11-23T02:00:00%2B00:00&working_days=2",
        "requester": "/api/v1/requesters/lookup?phone=13800138000",
    }
    for name, url in reads.items():
        response = dispatcher.get(url)
        assert response.status_code == 200, (url, response.get_json())
        documents[name] = response.get_json()
    documents["open311"] = client.get("/open311/v2/requests.json", headers=API_KEY).get_json()

    assert documents["manual_queue"]["tickets"], "the walk must see a manual-queue ticket"
    approve = next(e for e in documents["detail"]["events"] if e["action"] == "approve_extension")
    assert approve["payload"]["previous_due_at"].endswith("+08:00")
    assert sum(len(list(instants(d))) for d in documents.values()) > 30
    assert not_local(documents) == []


def test_an_event_stored_with_a_utc_time_is_shown_in_local_time(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    created = create(client)
    ticket = db.session.get(Ticket, created["id"])
    assert ticket is not None
    # The event log is append-only: an event written before the fix keeps its UTC time.
    from_state = begin(ticket, Action.NOTE, DISPATCHER)
    payload = {"note": "旧事件", "previous_due_at": "2026-11-30T15:59:59+00:00"}
    record(db.session, ticket, Action.NOTE, DISPATCHER, MONDAY, from_state, payload)
    db.session.flush()

    events = dispatcher.get(f"/api/v1/tickets/{ticket.id}").get_json()["events"]
    note = next(e for e in events if e["action"] == "note")
    assert note["payload"]["previous_due_at"] == "2026-11-30T23:59:59+08:00"
