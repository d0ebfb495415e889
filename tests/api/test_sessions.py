"""POST /api/v1/auth/login, /logout and GET /api/v1/auth/me."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import API_KEY, PASSWORD, login


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


def test_a_copy_of_the_cookie_taken_before_logout_no_longer_works(app: Any) -> None:
    browser = login(app.test_client(), "agent1")
    cookie = browser.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/api/v1/auth/me").status_code == 200
    assert browser.post("/api/v1/auth/logout", json={}).status_code == 204
    assert thief.get("/api/v1/auth/me").status_code == 401
    assert thief.get("/api/v1/tickets").status_code == 401


def test_signing_out_in_one_browser_leaves_the_users_other_browsers_signed_in(app: Any) -> None:
    desk = login(app.test_client(), "agent1")
    laptop = login(app.test_client(), "agent1")
    assert desk.post("/api/v1/auth/logout", json={}).status_code == 204
    assert laptop.get("/api/v1/auth/me").get_json()["user"]["username"] == "agent1"


def test_a_sign_in_past_its_lifetime_is_refused_and_pruned_at_the_next_login(app: Any) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import ConsoleSession, User

    client = login(app.test_client(), "agent1")
    user = db.session.scalars(select(User).where(User.username == "agent1")).one()
    held = db.session.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user.id)).one()
    held.expires_at = held.created_at - timedelta(seconds=1)
    db.session.flush()
    assert client.get("/api/v1/auth/me").status_code == 401
    login(app.test_client(), "agent1")
    remaining = db.session.scalars(
        select(ConsoleSession).where(ConsoleSession.user_id == user.id)
    ).all()
    assert len(remaining) == 1 and remaining[0].expires_at > remaining[0].created_at


def test_signing_in_again_ends_the_browsers_earlier_sign_in(app: Any) -> None:
    browser = login(app.test_client(), "agent1")
    earlier = browser.get_cookie("session")
    assert earlier is not None
    login(browser, "agent1")
    copy = app.test_client()
    copy.set_cookie("session", earlier.value)
    assert copy.get("/api/v1/auth/me").status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 200
