"""A small seeded fuzzer: every JSON POST endpoint of the API, fed valid bodies with fields
swapped for values of random types, answers with something other than a 500."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from hotline.routing_context import invalidate
from tests.api.conftest import API_KEY, ELEVATOR, create, login

SEED = int(os.environ.get("HOTLINE_FUZZ_SEED", "12345"))  # another seed explores further
ROUNDS = 12  # per endpoint and caller

TEMPLATES: dict[str, dict[str, Any]] = {
    "/api/v1/tickets": ELEVATOR,
    "/api/v1/auth/login": {"username": "agent1", "password": "x"},
    "/api/v1/routing/explain": {"text": "电梯坏了", "area_code": "990102001001"},
    "/api/v1/catalogue/entries": {"matter_code": "01.01.01", "lead": "C-ZJJ", "keywords": ["电梯"]},
    "dispatch": {"lead": "C-ZJJ", "assists": ["C-CGJ"]},
    "answer": {"text": "已答复"},
    "sign": {},
    "contact": {"note": "已联系"},
    "return": {"reason": "非本单位", "legal_basis": "三定", "suggested_unit": "C-CGJ"},
    "arbitrate": {"approve": True, "lead": "C-CGJ", "assists": [], "note": ""},
    "redispatch": {"lead": "C-CGJ", "assists": [], "reason": "改派"},
    "extension": {"working_days": 3, "reason": "协调"},
    "extension/decision": {"approve": True, "note": ""},
    "reply-part": {"text": "配合"},
    "reply": {"text": "已办"},
    "review": {"approve": False, "note": "重写"},
    "callback": {"reachable": True, "contacted": True, "solved": True, "satisfaction": "satisfied"},
    "reopen": {"reason": "未解决"},
    "close": {"note": ""},
    "merge": {"into": "1"},
    "urge": {"note": ""},
    "supervise": {"note": "督办"},
    "escalate": {"reason": "多次来电"},
}


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(12 if depth < 2 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, -(2**63), 10**40, 7])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e308, 3.14, -0.0])
    if kind == 4:
        return ""
    if kind == 5:
        return rng.choice(["C-ZJJ", "990102001001", "01.01.01", "satisfied", "web", "report"])
    if kind == 6:
        return "".join(
            rng.choice("电梯a1 \n\t\x00\ud800\u200b😀ﬀ'\"<>%") for _ in range(rng.randrange(1, 40))
        )
    if kind == 7:
        return "长" * rng.choice([33, 121, 201, 4001, 20000])
    if kind in (8, 9):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        str(random_value(rng, 2)): random_value(rng, depth + 1) for _ in range(rng.randrange(3))
    }


def mutate(rng: random.Random, template: dict[str, Any]) -> Any:
    if rng.random() < 0.1:
        return random_value(rng)  # not even an object
    body = dict(template)
    for _ in range(rng.randrange(1, 4)):
        choice = rng.random()
        if body and choice < 0.6:
            body[rng.choice(sorted(body))] = random_value(rng)
        elif body and choice < 0.8:
            body.pop(rng.choice(sorted(body)))
        else:
            body[rng.choice(["extra", "lead", "text", "into", "note"])] = random_value(rng)
    return body


@pytest.fixture
def fresh_routing(app: Flask) -> Iterator[None]:
    yield
    invalidate(app)  # a fuzzed catalogue entry is rolled back: so must the routing cache be


def _send(client: Any, url: str, body: Any, headers: dict[str, str] | None) -> int:
    try:
        # ASCII escapes: a lone surrogate reaches the server as \\ud800, as a client would send it.
        raw = json.dumps(body, ensure_ascii=True)
        response = client.post(
            url, data=raw, content_type="application/json", headers=headers or {}
        )
    except Exception as error:  # TESTING propagates what would be a 500
        pytest.fail(f"POST {url} with {body!r} raised {error!r}")
    assert response.status_code < 500, (url, body, response.get_data(as_text=True))
    return int(response.status_code)


def test_no_fuzzed_post_ever_gets_a_500(
    app: Flask, client: Any, no_catalogue: None, fresh_routing: None
) -> None:
    rng = random.Random(SEED)
    callers: list[tuple[Any, dict[str, str] | None]] = [
        (client, API_KEY),
        (login(app.test_client(), "dispatcher1"), None),
        (login(app.test_client(), "u-d990102"), None),
    ]
    for path, template in TEMPLATES.items():
        url = path
        if not path.startswith("/"):
            # Dispatching and answering need a waiting ticket; the rest a dispatched one.
            waiting = path in ("dispatch", "answer")
            ticket = create(client, area_code=None, address=None) if waiting else create(client)
            url = f"/api/v1/tickets/{ticket['id']}/{path}"
        for caller, headers in callers:
            for _ in range(ROUNDS):
                _send(caller, url, mutate(rng, template), headers)
