"""GET tokens/<token>: only ASCII digits within the id column's range name a ticket; anything
else is a 404 in the spec's shape, never a crash or a database refusal."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.open311.service_requests import token_for
from tests.factories import accepted


def test_a_token_resolves_to_its_service_request_id(client: Any) -> None:
    ticket = accepted()
    response = client.get(f"/open311/v2/tokens/{token_for(ticket)}.json")
    assert response.status_code == 200
    assert response.json == [{"service_request_id": ticket.number, "token": token_for(ticket)}]


@pytest.mark.parametrize(
    "token",
    [
        "%C2%B3",  # ³: str.isdigit() says yes, int() says no
        "%D9%A3",  # Arabic-Indic ٣: int() would read it as 3
        "%EF%BC%91",  # full-width １
        "99999999999",  # past the 32-bit id column
        "0",
    ],
)
def test_a_token_that_is_not_an_ascii_number_of_a_ticket_is_a_404(client: Any, token: str) -> None:
    accepted()
    response = client.get(f"/open311/v2/tokens/{token}.json")
    assert response.status_code == 404
    [error] = response.json
    assert error["code"] == 404
