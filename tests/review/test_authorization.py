"""Who may reach what: units stay inside their own tickets, integrations outside the centre's
work, and a disabled user, a revoked key or a cross-site form never get through."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from hotline.apikeys import digest
from hotline.clock import utcnow
from hotline.extensions import db
from hotline.models import ApiKey, User
from tests.api.conftest import API_KEY, PASSWORD, create, login

ACTIONS = (
    "dispatch", "answer", "sign", "contact", "return", "arbitrate", "redispatch", "extension",
    "extension/decision", "reply-part", "reply", "review", "callback", "reopen", "close",
    "merge", "urge", "supervise", "escalate",
)  # fmt: skip


def _post_action(client: Any, ticket: dict[str, Any], action: str, body: Any, **kw: Any) -> Any:
    return client.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, **kw)


def test_another_unit_finds_the_ticket_in_no_list_and_no_detail(
    client: Any, other_unit: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    assert other_unit.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
    assert other_unit.get(f"/api/v1/tickets/{ticket['number']}").status_code == 404
    for query in ("", "?unit=D990102", f"?q={ticket['title']}", "?state=dispatched"):
        items = other_unit.get(f"/api/v1/tickets{query}").get_json()["items"]
        assert ticket["number"] not in [item["number"] for item in items]


def test_another_unit_can_take_no_action_on_the_ticket(
    client: Any, other_unit: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    for action in ACTIONS:
        response = _post_action(other_unit, ticket, action, {})
        # 400 (the body), 403 (the role) or 404 (not its ticket): never a change, never a 2xx.
        assert response.status_code in (400, 403, 404), (action, response.get_json())
    full = {"text": "已处理", "note": "", "reason": "不归我们", "legal_basis": "三定方案",
            "suggested_unit": "C-ZJJ", "working_days": 2}  # fmt: skip
    for action, keys in (
        ("sign", ()),
        ("contact", ("note",)),
        ("return", ("reason", "legal_basis", "suggested_unit")),
        ("extension", ("working_days", "reason")),
        ("reply-part", ("text",)),
        ("reply", ("text",)),
    ):
        response = _post_action(other_unit, ticket, action, {k: full[k] for k in keys})
        assert response.status_code == 404, (action, response.get_json())
        assert response.get_json()["error"]["code"] == "not_found"
        shown = other_unit.get(f"/api/v1/tickets/{ticket['id']}")
        assert shown.status_code == 404  # the same answer as reading it


def test_units_may_not_use_the_centres_lookups_queue_or_catalogue(district: Any) -> None:
    assert district.get("/api/v1/requesters/lookup?phone=13800138000").status_code == 403
    assert district.get("/api/v1/queue/manual").status_code == 403
    assert district.get("/api/v1/catalogue/versions").status_code == 403
    explain = district.post("/api/v1/routing/explain", json={"text": "电梯坏了"})
    assert explain.status_code == 403
    entry = {"matter_code": "01.01.01", "lead": "C-ZJJ"}
    assert district.post("/api/v1/catalogue/entries", json=entry).status_code == 403


def test_the_openapi_document_is_public_but_holds_no_ticket(
    client: Any, no_catalogue: None
) -> None:
    ticket = create(client)
    document = client.get("/api/v1/openapi.json").get_data(as_text=True)
    assert ticket["number"] not in document
    assert "张三" not in document


def test_an_integration_key_may_take_no_centre_action(client: Any, no_catalogue: None) -> None:
    ticket = create(client, area_code=None, address=None, requester=None)
    bodies: dict[str, dict[str, Any]] = {
        "dispatch": {"lead": "C-ZJJ"},
        "answer": {"text": "已答复"},
        "urge": {},
        "escalate": {"reason": "多次来电"},
        "supervise": {"note": "督办"},
    }
    for action, body in bodies.items():
        response = _post_action(client, ticket, action, body, headers=API_KEY)
        assert response.status_code == 403, (action, response.get_json())
    assert client.get("/api/v1/queue/manual", headers=API_KEY).status_code == 403
    entry = {"matter_code": "01.01.01", "lead": "C-ZJJ"}
    assert client.post("/api/v1/catalogue/entries", json=entry, headers=API_KEY).status_code == 403


def test_a_disabled_user_can_neither_log_in_nor_use_an_open_session(app: Flask) -> None:
    client = login(app.test_client(), "agent1")
    user = db.session.scalars(select(User).where(User.username == "agent1")).one()
    user.active = False
    db.session.flush()
    assert client.get("/api/v1/auth/me").status_code == 401
    response = app.test_client().post(
        "/api/v1/auth/login", json={"username": "agent1", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "用户名或密码错误"


def test_a_revoked_api_key_is_refused(client: Any) -> None:
    key = db.session.scalars(
        select(ApiKey).where(ApiKey.key_digest == digest("test-api-key"))
    ).one()
    key.revoked_at = utcnow()
    db.session.flush()
    response = client.get("/api/v1/tickets", headers=API_KEY)
    assert response.status_code == 401


def test_an_unknown_user_a_wrong_password_and_a_disabled_user_get_the_same_answer(
    app: Flask,
) -> None:
    def attempt(username: str, password: str) -> dict[str, Any]:
        response = app.test_client().post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 401
        body: dict[str, Any] = response.get_json()
        return body

    unknown = attempt("nobody-here", PASSWORD)
    wrong = attempt("agent1", "wrong-password")
    assert unknown == wrong


def test_an_unknown_user_is_checked_against_a_password_hash_too(
    app: Flask, monkeypatch: Any
) -> None:
    import hotline.auth

    checked: list[str] = []
    original = hotline.auth.check_password_hash

    def spy(stored: str, password: str) -> bool:
        checked.append(stored)
        return original(stored, password)

    monkeypatch.setattr(hotline.auth, "check_password_hash", spy)
    app.test_client().post("/api/v1/auth/login", json={"username": "ghost", "password": "x"})
    assert len(checked) == 1  # the same work as for a real user: no timing oracle


def test_every_login_issues_a_new_session_cookie(app: Flask) -> None:
    client = app.test_client()
    login(client, "agent1")
    first = client.get_cookie("session")
    assert first is not None
    login(client, "agent1")
    second = client.get_cookie("session")
    assert second is not None and second.value != first.value


def test_a_session_planted_before_login_is_replaced(app: Flask) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "attacker"
    login(client, "agent1")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_password_change_ends_the_sessions_signed_before_it(app: Flask) -> None:
    from werkzeug.security import generate_password_hash

    client = login(app.test_client(), "agent1")
    user = db.session.scalars(select(User).where(User.username == "agent1")).one()
    user.password_hash = generate_password_hash("a-new-password")
    db.session.flush()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_form_or_text_post_cannot_reach_a_state_changing_endpoint(
    client: Any, dispatcher: Any, no_catalogue: None
) -> None:
    ticket = create(client, area_code=None, address=None, requester=None)
    url = f"/api/v1/tickets/{ticket['id']}/dispatch"
    form = dispatcher.post(url, data={"lead": "C-ZJJ"})
    text = dispatcher.post(url, data='{"lead": "C-ZJJ"}', content_type="text/plain")
    assert form.status_code == 415
    assert text.status_code == 415
    create_form = dispatcher.post("/api/v1/tickets", data={"text": "x"})
    assert create_form.status_code == 415
    detail = dispatcher.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert detail["state"] == "pending_dispatch"


def test_a_cross_site_post_with_a_session_cookie_is_refused(dispatcher: Any) -> None:
    evil = {"Origin": "https://evil.example"}
    # Activation takes an empty body: without the origin check a plain form could do it.
    response = dispatcher.post("/api/v1/catalogue/versions/1/activate", headers=evil)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "cross_site_request"
    upload = dispatcher.post(
        "/api/v1/catalogue/versions",
        data={"note": "x"},
        headers={"Referer": "https://evil.example/page"},
    )
    assert upload.status_code == 403
    assert dispatcher.post("/api/v1/auth/logout", headers=evil).status_code == 403
    assert dispatcher.get("/api/v1/auth/me", headers=evil).status_code == 200


def test_a_same_site_post_with_a_session_cookie_is_allowed(dispatcher: Any) -> None:
    same = {"Origin": "http://localhost"}
    response = dispatcher.post("/api/v1/auth/logout", headers=same)
    assert response.status_code == 204


def test_an_api_key_call_is_not_subject_to_the_origin_check(client: Any) -> None:
    headers = API_KEY | {"Origin": "https://partner.example"}
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200


def test_the_session_cookie_is_http_only_same_site_and_secure_behind_https(app: Flask) -> None:
    from hotline.config import build_config

    plain = build_config("/tmp/hotline-review", environ={})
    assert plain["SESSION_COOKIE_HTTPONLY"] is True
    assert plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert plain["SESSION_COOKIE_SECURE"] is False
    secure = build_config(
        "/tmp/hotline-review", environ={"HOTLINE_PUBLIC_URL": "https://12345.example.gov.cn"}
    )
    assert secure["SESSION_COOKIE_SECURE"] is True
    cookie = login(app.test_client(), "agent1").get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
