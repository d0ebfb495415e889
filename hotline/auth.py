"""Who is calling: integration API keys (bearer tokens) and console users (signed session,
after a login throttled per username and client address)."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import current_app, request, session
from sqlalchemy import ColumnElement, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from hotline import clock
from hotline.apikeys import find_key, known_keys
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.lifecycle import Actor
from hotline.models import ConsoleSession, LoginFailure, User
from hotline.models.login_failures import ADDRESS_LENGTH
from hotline.proxies import forwarded, trusted_hops
from routing.workflow import Role

CENTRE_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
INTAKE_ROLES = CENTRE_ROLES | {Role.INTEGRATION}
ANY_ROLE = CENTRE_ROLES | {Role.UNIT, Role.INTEGRATION}

F = TypeVar("F", bound=Callable[..., Any])
CALLER_KEY = "hotline.caller"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTOR_NAME_MAX = 120  # ticket_events.actor_name is String(120)
# The first key of the login throttle's PostgreSQL advisory locks: one class per thing counted.
USERNAME_LOCK = 12345_001
ADDRESS_LOCK = 12345_002


@dataclass(frozen=True)
class Caller:
    """The authenticated actor and the scope its idempotency keys live in."""

    actor: Actor
    scope: str


def _from_bearer(header: str) -> Caller:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "Authorization 头格式应为 Bearer <API key>")
    engine = db.engine
    cached: Caller | None = known_keys.get(engine, token.strip())
    if cached is not None:
        return cached
    key = find_key(db.session, token.strip())
    if key is None:
        raise ApiError(401, "unauthenticated", "API key 无效或已吊销")
    actor = Actor(role=Role.INTEGRATION, name=f"api:{key.name}"[:ACTOR_NAME_MAX])
    caller = Caller(actor=actor, scope=f"key:{key.id}")
    known_keys.put(engine, token.strip(), caller)
    return caller


def user_actor(user: User) -> Actor:
    return Actor(
        role=Role(user.role),
        name=user.display_name[:ACTOR_NAME_MAX],
        user_id=user.id,
        unit_code=user.unit_code,
    )


def credential_fingerprint(user: User) -> str:
    """Changes with the password: a session signed before a password change stops working."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:32]


def session_user() -> User | None:
    """The signed-in user, or None. A cookie without the credentials fingerprint is no session:
    every login writes one, and without it a password change would not sign the user out."""
    user_id = session.get("user_id")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    fingerprint = session.get("credentials")
    if not isinstance(fingerprint, str) or not hmac.compare_digest(
        fingerprint.encode(), credential_fingerprint(user).encode()
    ):
        return None
    held = _console_session()
    if held is None or held.user_id != user.id or held.expires_at <= clock.utcnow():
        return None
    return user


def token_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _console_session() -> ConsoleSession | None:
    """The server's record of the cookie's sign-in: gone once signed out."""
    nonce = session.get("nonce")
    if not isinstance(nonce, str):
        return None
    return cast(ConsoleSession | None, db.session.get(ConsoleSession, token_digest(nonce)))


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.netloc.lower() or None


def check_same_origin() -> None:
    """403 for a cookie-authenticated state change sent from another site (CSRF).

    SameSite=Lax and JSON-only bodies are the first defences; this one also covers the
    multipart and empty-body POSTs (catalogue import, activation, logout). Browsers send
    Origin (or at least Referer) with every cross-site POST; clients without either are not
    browsers and hold no victim's cookie.
    """
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if sent is None:
        return
    allowed = {request.host.lower()}
    public_url = current_app.config.get("PUBLIC_URL")
    if public_url:
        public = _origin_of(public_url)
        if public:
            allowed.add(public)
    if sent == "null" or _origin_of(sent) not in allowed:
        raise ApiError(403, "cross_site_request", "拒绝来自其他站点的请求")


def authenticate() -> Caller:
    """The caller of this request, or 401; cached in the request's WSGI environ (not on `g`,
    which lives as long as the app context and may outlive one request)."""
    cached: Caller | None = request.environ.get(CALLER_KEY)
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    if header:
        caller = _from_bearer(header)
    else:
        user = session_user()
        if user is None:
            raise ApiError(401, "unauthenticated", "请先登录或提供 API key")
        check_same_origin()
        caller = Caller(actor=user_actor(user), scope=f"user:{user.id}")
    request.environ[CALLER_KEY] = caller
    return caller


def current_actor() -> Actor:
    return authenticate().actor


def require_roles(roles: Iterable[Role]) -> Callable[[F], F]:
    """Decorate a view: authenticate (401), then check the actor's role (403)."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor.role not in allowed:
                raise ApiError(403, "forbidden", f"角色 {actor.role} 无权访问此接口")
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


@cache
def _decoy_hash() -> str:
    # Checked against when the user is unknown, so both failures cost one hash (no timing oracle).
    return generate_password_hash(secrets.token_urlsafe(16))


class LoginThrottled(ApiError):
    """429: too many failed logins for this username or from this address; retry after
    `retry_after` seconds (sent as the Retry-After header)."""

    def __init__(self, retry_after: int) -> None:
        minutes = math.ceil(retry_after / 60)
        super().__init__(
            429,
            "too_many_attempts",
            f"登录失败次数过多，请 {minutes} 分钟后再试",
            {"retry_after": retry_after},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    address: str
    at: datetime


def client_address() -> str:
    """The address the request came from: the one our outermost trusted proxy put in
    X-Forwarded-For when HOTLINE_TRUSTED_PROXIES names any (read as the webhook signature check
    reads X-Forwarded-*), else the connection's peer; anyone can send the header."""
    hops = trusted_hops()
    client = forwarded("X-Forwarded-For", hops) if hops else None
    return (client or request.remote_addr or "")[:ADDRESS_LENGTH]


def _retry_after(
    condition: ColumnElement[bool], limit: int, since: datetime, window: timedelta, now: datetime
) -> int | None:
    """Seconds until fewer than `limit` failures matching `condition` remain in the window, or
    None when fewer already do."""
    times = list(
        db.session.scalars(
            select(LoginFailure.failed_at)
            .where(condition, LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at.desc())
            .limit(limit)
        )
    )
    if len(times) < limit:
        return None
    # The oldest of the latest `limit` failures: once it leaves the window, one more try is due.
    return max(1, math.ceil((times[-1] + window - now).total_seconds()))


def check_throttle(attempt: LoginAttempt) -> None:
    """LoginThrottled (429) when the username or the address has failed too often lately.

    Counted in the database, so every gunicorn worker sees the same failures; a refused attempt
    is not counted, so the refusal ends when the window has passed.
    """
    config = current_app.config
    window: timedelta = config["LOGIN_FAILURE_WINDOW"]
    since = attempt.at - window
    waits = [
        _retry_after(
            LoginFailure.username == attempt.username,
            int(config["LOGIN_FAILURES_PER_USERNAME"]),
            since,
            window,
            attempt.at,
        ),
        _retry_after(
            LoginFailure.address == attempt.address,
            int(config["LOGIN_FAILURES_PER_ADDRESS"]),
            since,
            window,
            attempt.at,
        ),
    ]
    refused = [wait for wait in waits if wait is not None]
    if refused:
        raise LoginThrottled(max(refused))


def take_turn(attempt: LoginAttempt) -> None:
    """Wait until no other attempt on the same username or from the same address is between
    its count and its commit, so that two racing attempts cannot both count the same failures.

    On PostgreSQL, transaction-level advisory locks, released when the caller commits: always
    the username's before the address's, so that two attempts never wait for each other. SQLite
    needs none: a request's transaction begins IMMEDIATE, so writers already take turns.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for lock_class, key in ((USERNAME_LOCK, attempt.username), (ADDRESS_LOCK, attempt.address)):
        db.session.execute(select(func.pg_advisory_xact_lock(lock_class, func.hashtext(key))))


def _prune(now: datetime) -> None:
    window: timedelta = current_app.config["LOGIN_FAILURE_WINDOW"]
    db.session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - window))


def record_failure(attempt: LoginAttempt) -> None:
    _prune(attempt.at)
    db.session.add(
        LoginFailure(username=attempt.username, address=attempt.address, failed_at=attempt.at)
    )
    db.session.flush()


def forget_failures(attempt: LoginAttempt) -> None:
    """A successful login clears its username's failures (not its address's: one right
    password must not reopen an address that guesses at other usernames)."""
    _prune(attempt.at)
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == attempt.username))


def login(attempt: LoginAttempt, password: str) -> User | None:
    """The active user the credentials name, or None after recording the failure; 429 when the
    username or address is throttled, whether or not the password is right. The caller commits
    in both cases (a failure must count for the next attempt, in whichever worker serves it)
    and then starts the session.

    The failures are counted twice: once before the slow password check, so that a throttled
    attempt costs no hash, and again after it, in turn with any other attempt on the username or
    from the address (`take_turn`), just before this one is recorded. Attempts whose password
    checks overlap therefore see each other's failures, and the limit holds however many race.

    An unknown user, a disabled one and a wrong password get the same answer in the same time.
    """
    check_throttle(attempt)
    user = db.session.query(User).filter_by(username=attempt.username).one_or_none()
    stored = user.password_hash if user is not None else _decoy_hash()
    matches = check_password_hash(stored, password)
    take_turn(attempt)
    check_throttle(attempt)
    if user is None or not user.active or not matches:
        record_failure(attempt)
        return None
    forget_failures(attempt)
    return user


def start_session(user: User) -> None:
    """A fresh session for the user (no fixation), recorded on the server for the cookie's
    lifetime; the user's expired sign-ins are pruned. The caller commits."""
    now = clock.utcnow()
    db.session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.user_id == user.id, ConsoleSession.expires_at <= now
        )
    )
    logout()  # the browser's earlier sign-in, if any, ends: a copy of its cookie stops working
    session["user_id"] = user.id
    session["credentials"] = credential_fingerprint(user)
    # A fresh random value: every login issues a cookie no earlier session ever held.
    nonce = secrets.token_urlsafe(16)
    session["nonce"] = nonce
    lifetime = current_app.permanent_session_lifetime
    db.session.add(
        ConsoleSession(
            token_digest=token_digest(nonce),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )


def logout() -> None:
    """Ends this browser's sign-in on the server too: a copy of its cookie no longer works.
    The caller commits."""
    nonce = session.get("nonce")
    if isinstance(nonce, str):
        db.session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_digest == token_digest(nonce))
        )
    session.clear()
