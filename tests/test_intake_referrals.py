"""A legal-route matter chosen by an agent or the classifier gets its route's guidance."""

from __future__ import annotations

import pytest
from flask import Flask

from hotline.extensions import db
from hotline.intake import Submission, submit
from hotline.routing_context import routing_context
from tests.factories import AGENT


def test_every_legal_route_leaf_of_the_demo_city_names_its_route(app: Flask) -> None:
    routes = routing_context().legal_route_matters
    assert routes["19.01.01"] == "litigation"
    assert routes["19.02.03"] == "petition"
    assert routes["19.03.01"] == "information_disclosure"
    assert None not in routes.values()


@pytest.mark.parametrize(
    ("matter", "route"), [("19.02.03", "petition"), ("19.01.02", "arbitration")]
)
def test_an_agent_choosing_a_legal_route_matter_refers_with_that_routes_guidance(
    app: Flask, matter: str, route: str
) -> None:
    result = submit(
        db.session,
        AGENT,
        Submission(channel="phone", text="想了解一下我这个事情应该怎么办理", matter_code=matter),
    )
    assert result.ticket.triage_outcome == "referral"
    assert result.triage.route == route
    assert result.triage.guidance_zh
    assert result.ticket.lead_unit_code is None
