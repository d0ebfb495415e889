"""POST /api/v1/auth/login, /logout and GET /api/v1/auth/me."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import API_KEY, PASSWORD


def test_a_console_user_logs_in_and_is_known(app: Any) -> None:
    client = app.test_client()
    response = client.post(
        "/api/v1/auth/login", json={"username": "dispatcher1", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.get_json()["user"]["role"] == "dispatcher"
    me = client.get("/api/v1/auth/me").get_json()["user"]
    assert me["username"] == "dispatcher1"
    assert me["unit_code"] == "CENTRE"


def test_a_wrong_password_is_401(app: Any) -> None:
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"username": "agent1", "password": "nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_an_unknown_user_is_401_like_a_wrong_password(app: Any) -> None:
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"username": "ghost", "password": PASSWORD})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_a_login_without_a_password_is_400(app: Any) -> None:
    response = app.test_client().post("/api/v1/auth/login", json={"username": "agent1"})
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["field"] == "password"


def test_logout_ends_the_session(agent: Any) -> None:
    assert agent.post("/api/v1/auth/logout", json={}).status_code == 204
    assert agent.get("/api/v1/auth/me").status_code == 401


def test_an_api_key_is_an_integration(client: Any) -> None:
    me = client.get("/api/v1/auth/me", headers=API_KEY).get_json()["user"]
    assert me["role"] == "integration"
    assert me["display_name"].startswith("api:")


def test_a_cookie_without_the_credentials_fingerprint_is_no_session(app: Any) -> None:
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import User

    admin = db.session.scalars(select(User).where(User.username == "admin")).one()
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = admin.id
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/tickets").status_code == 401
