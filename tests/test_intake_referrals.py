"""A legal-route matter chosen by an agent gets its route's guidance; one the keyword classifier
reads from a single word is no referral on its own."""

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


@pytest.mark.parametrize(
    "text",
    [
        "我离婚两年了，前夫一直不给孩子抚养费，我不想打官司，想请街道调解一下，能帮我联系吗？",
        "已向信访办寄过信，还没收到回复，这里先反映一个问题：小区北门的减速带被车压碎了，请更换。",
    ],
)
def test_a_legal_route_word_the_rules_set_aside_refers_nothing_through_the_classifier(
    app: Flask, text: str
) -> None:
    result = submit(db.session, AGENT, Submission(channel="phone", text=text))
    assert result.ticket.triage_outcome != "referral"
    legal = routing_context().legal_route_matters
    assert result.ticket.matter_code not in legal
