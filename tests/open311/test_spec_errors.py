"""The spec's error statuses: 404 for what does not exist, 403 for the api_key, 400 for the rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError

from hotline.open311 import service_requests, services
from hotline.open311.errors import GENERAL_SERVICE_ERROR
from tests.open311.helpers import error_descriptions, post_body


@pytest.fixture
def unpropagated(app: Flask) -> Iterator[Flask]:
    """The app as it runs in production: an unexpected exception becomes an error response."""
    before = app.config["PROPAGATE_EXCEPTIONS"]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        yield app
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = before


@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/services.csv",
        "/open311/v2/services",
        "/open311/v2/services/01.01.01.html",
        "/open311/v2/services/01.01.01",
        "/open311/v2/requests.yaml",
        "/open311/v2/requests/20261123-000001.txt",
        "/open311/v2/tokens/1.rss",
        "/open311/v2/discovery.html",
    ],
)
def test_a_resource_asked_for_in_a_format_it_is_not_served_in_is_a_400_in_xml(
    client: Any, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 400
    [description] = error_descriptions(response)
    assert ".xml" in description and ".json" in description


def test_posting_a_request_in_an_unserved_format_is_a_400(client: Any) -> None:
    response = client.post("/open311/v2/requests.csv", data=post_body())
    assert response.status_code == 400
    assert ".xml" in error_descriptions(response)[0]


@pytest.mark.parametrize(
    "path", ["/open311/v2/nothing.csv", "/open311/v2/nothing", "/open311/v2/services/a/b.xml"]
)
def test_a_path_no_format_makes_a_resource_stays_a_404(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert error_descriptions(response) == ["资源不存在"]


def test_a_failure_while_processing_is_the_specs_general_service_error_400(
    unpropagated: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> dict[str, str]:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_keywords", down)
    response = unpropagated.test_client().get("/open311/v2/services.json")
    assert response.status_code == 400
    assert response.json == [{"code": 400, "description": GENERAL_SERVICE_ERROR}]


@pytest.mark.parametrize(
    "refusal",
    [
        DataError("INSERT …", {}, ValueError("value too long for type character varying(120)")),
        StaleDataError("tickets: 0 rows matched"),
    ],
)
def test_a_database_refusal_is_a_400_in_the_spec_shape_not_the_console_apis(
    client: Any, monkeypatch: pytest.MonkeyPatch, refusal: Exception
) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise refusal

    monkeypatch.setattr(service_requests, "submit", refused)
    response = client.post("/open311/v2/requests.json", data=post_body())
    assert response.status_code == 400
    [error] = response.json
    assert set(error) == {"code", "description"}
    assert error["code"] == 400
