"""Failed logins are counted in the database, per username and per client address, and a
username or address that failed too often is refused with 429 until the window has passed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline import auth
from hotline.extensions import db
from hotline.models import LoginFailure
from tests.api.conftest import PASSWORD

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


class Clock:
    """The instant the login view reads, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    at = Clock(START)
    monkeypatch.setattr("hotline.clock.utcnow", at)
    return at


def attempt(client: Any, username: str, password: str, **headers: str) -> Any:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers=headers
    )


def fail(client: Any, username: str, times: int, **headers: str) -> None:
    for _ in range(times):
        assert attempt(client, username, "wrong-password", **headers).status_code == 401


def failures_of(username: str) -> int:
    query = select(func.count()).where(LoginFailure.username == username)
    return int(db.session.scalar(query) or 0)


def test_five_failures_refuse_the_username_even_with_the_right_password(
    app: Flask, clock: Clock
) -> None:
    client = app.test_client()
    fail(client, "agent2", 5)
    response = attempt(client, "agent2", PASSWORD)
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "too_many_attempts"
    assert error["message"] == "登录失败次数过多，请 15 分钟后再试"
    assert error["details"] == {"retry_after": 900}
    assert response.headers["Retry-After"] == "900"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_retry_after_counts_down_to_when_the_oldest_failure_leaves_the_window(
    app: Flask, clock: Clock
) -> None:
    client = app.test_client()
    fail(client, "agent2", 5)
    clock.now = START + timedelta(minutes=10)
    response = attempt(client, "agent2", PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "300"


def test_the_username_is_let_in_again_once_the_window_has_passed(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    fail(client, "agent2", 5)
    clock.now = START + WINDOW
    assert attempt(client, "agent2", PASSWORD).status_code == 200


def test_refused_attempts_do_not_extend_the_refusal(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    fail(client, "agent2", 5)
    clock.now = START + timedelta(minutes=14)
    assert attempt(client, "agent2", "wrong-password").status_code == 429
    clock.now = START + WINDOW
    assert attempt(client, "agent2", PASSWORD).status_code == 200


def test_a_successful_login_clears_the_usernames_failures(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    fail(client, "agent2", 4)
    assert attempt(client, "agent2", PASSWORD).status_code == 200
    fail(client, "agent2", 4)
    assert attempt(client, "agent2", PASSWORD).status_code == 200


def test_one_usernames_failures_do_not_refuse_another_username(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    fail(client, "agent2", 5)
    assert attempt(client, "agent3", PASSWORD).status_code == 200


def test_twenty_failures_across_usernames_refuse_the_address(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    for username in ("agent1", "agent2", "agent3", "agent4", "ghost"):
        fail(client, username, 4)
    response = attempt(client, "dispatcher1", PASSWORD)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    assert response.headers["Retry-After"] == "900"
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert attempt(elsewhere, "dispatcher1", PASSWORD).status_code == 200


def test_a_forwarded_for_header_is_ignored_without_trusted_proxies(
    app: Flask, clock: Clock
) -> None:
    client = app.test_client()
    for number, username in enumerate(("agent1", "agent2", "agent3", "agent4", "ghost")):
        fail(client, username, 4, **{"X-Forwarded-For": f"203.0.113.{number}"})
    forged = {"X-Forwarded-For": "203.0.113.99"}
    assert attempt(client, "dispatcher1", PASSWORD, **forged).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_address(
    app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", 1)
    client = app.test_client()
    guesser = {"X-Forwarded-For": "203.0.113.5, 192.0.2.1"}  # the client forged the first value
    for username in ("agent1", "agent2", "agent3", "agent4", "ghost"):
        fail(client, username, 4, **guesser)
    assert attempt(client, "dispatcher1", PASSWORD, **guesser).status_code == 429
    colleague = {"X-Forwarded-For": "192.0.2.2"}
    assert attempt(client, "dispatcher1", PASSWORD, **colleague).status_code == 200


def test_failures_are_kept_in_the_database_and_old_ones_pruned(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    fail(client, "agent2", 3)
    fail(client, "agent3", 2)

    def kept() -> int:
        return int(db.session.scalar(select(func.count()).select_from(LoginFailure)) or 0)

    assert kept() == 5
    clock.now = START + WINDOW
    fail(client, "ghost", 1)
    assert kept() == 1


def test_the_limit_holds_when_each_attempt_arrives_during_anothers_password_check(
    app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seven workers, one wrong password each; every attempt is answered while the one before
    # it is still checking its password, the interleaving that let them all count no failure.
    workers = [app.test_client() for _ in range(7)]
    arriving = workers[1:]
    answers: Counter[int] = Counter()
    check_password_hash = auth.check_password_hash

    def check_while_the_next_attempt_is_answered(stored: str, password: str) -> bool:
        if arriving:
            answers[attempt(arriving.pop(0), "agent2", "wrong-password").status_code] += 1
        return check_password_hash(stored, password)

    monkeypatch.setattr(
        "hotline.auth.check_password_hash", check_while_the_next_attempt_is_answered
    )
    answers[attempt(workers[0], "agent2", "wrong-password").status_code] += 1
    assert answers == {401: 5, 429: 2}
    assert failures_of("agent2") == 5


def test_an_attempt_for_the_same_username_or_address_waits_until_this_one_commits(
    pg_app: Flask, clock: Clock
) -> None:
    # The test's transaction stays open after the request, as a worker's does until it commits.
    assert attempt(pg_app.test_client(), "agent2", "wrong-password").status_code == 401
    with db.engine.connect() as other_worker:

        def free(lock_class: int, key: str) -> bool:
            lock = func.pg_try_advisory_xact_lock(lock_class, func.hashtext(key))
            return bool(other_worker.scalar(select(lock)))

        assert not free(auth.USERNAME_LOCK, "agent2")
        assert not free(auth.ADDRESS_LOCK, "127.0.0.1")
        assert free(auth.USERNAME_LOCK, "agent3")
        assert free(auth.ADDRESS_LOCK, "198.51.100.7")
