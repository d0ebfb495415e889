"""Who is calling: integration API keys (bearer tokens) and console users (signed session)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import current_app, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.apikeys import find_key, known_keys
from hotline.errors import ApiError
from hotline.extensions import db
from hotline.lifecycle import Actor
from hotline.models import User
from routing.workflow import Role

CENTRE_ROLES = frozenset({Role.AGENT, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
INTAKE_ROLES = CENTRE_ROLES | {Role.INTEGRATION}
ANY_ROLE = CENTRE_ROLES | {Role.UNIT, Role.INTEGRATION}

F = TypeVar("F", bound=Callable[..., Any])
CALLER_KEY = "hotline.caller"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTOR_NAME_MAX = 120  # ticket_events.actor_name is String(120)


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
    user_id = session.get("user_id")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    fingerprint = session.get("credentials")
    if fingerprint is not None and not hmac.compare_digest(
        str(fingerprint), credential_fingerprint(user)
    ):
        return None
    return user


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


def login(username: str, password: str) -> User:
    """Check the credentials and start a fresh session (no fixation), or 401.

    An unknown user, a disabled one and a wrong password get the same answer in the same time.
    """
    user = db.session.query(User).filter_by(username=username).one_or_none()
    stored = user.password_hash if user is not None else _decoy_hash()
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        raise ApiError(401, "invalid_credentials", "用户名或密码错误")
    session.clear()
    session["user_id"] = user.id
    session["credentials"] = credential_fingerprint(user)
    # A fresh random value: every login issues a cookie no earlier session ever held.
    session["nonce"] = secrets.token_urlsafe(16)
    return user


def logout() -> None:
    session.clear()
