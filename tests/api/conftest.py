"""Helpers for the REST API tests: authenticated clients and a ticket created over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

API_KEY = {"Authorization": "Bearer test-api-key"}
PASSWORD = "test-password"
ELEVATOR = {
    "channel": "web",
    "appeal_type": "complaint",
    "title": "电梯故障",
    "text": "小区电梯坏了三天没人修",
    "area_code": "990102001001",
    "matter_code": "01.01.01",
    "requester": {"name": "张三", "phone": "138 0013 8000", "id_number": "110101199001011234"},
    "address": "江城区南湖街道翠苑社区 3 栋",
}


def login(client: FlaskClient, username: str) -> FlaskClient:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return client


def create(client: FlaskClient, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    body = ELEVATOR | fields
    response = client.post("/api/v1/tickets", json=body, headers=headers or API_KEY)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def agent(app: Any) -> FlaskClient:
    return login(app.test_client(), "agent1")


@pytest.fixture
def dispatcher(app: Any) -> FlaskClient:
    return login(app.test_client(), "dispatcher1")


@pytest.fixture
def district(app: Any) -> FlaskClient:
    """Staff of 江城区人民政府, where an unrouted 江城区 ticket falls back to."""
    return login(app.test_client(), "u-d990102")


@pytest.fixture
def other_unit(app: Any) -> FlaskClient:
    return login(app.test_client(), "u-c-cgj")


@pytest.fixture
def no_catalogue(app: Any) -> None:
    """Retire every catalogue version in this test's transaction: routing falls back."""
    from sqlalchemy import update

    from hotline.extensions import db
    from hotline.models import CatalogueVersion

    db.session.execute(
        update(CatalogueVersion).where(CatalogueVersion.state == "active").values(state="retired")
    )
    db.session.flush()


@pytest.fixture
def elevator_catalogue(no_catalogue: None) -> None:
    """One active catalogue with one entry: 电梯故障 anywhere → 市市场监督管理局."""
    from hotline.clock import utcnow
    from hotline.extensions import db
    from hotline.models import CatalogueEntryRecord, CatalogueVersion

    version = CatalogueVersion(
        state="active", source_name="api-test", created_by="test", effective_at=utcnow()
    )
    db.session.add(version)
    db.session.flush()
    db.session.add(
        CatalogueEntryRecord(
            version_id=version.id,
            entry_id="E-API",
            matter_code="01.01.01",
            area_code=None,
            appeal_types=[],
            lead="C-SCJGJ",
            assists=[],
            keywords=[],
        )
    )
    db.session.flush()
