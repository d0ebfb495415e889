"""Who is calling: integration API keys (bearer tokens) and console users (signed session)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import request, session
from werkzeug.security import check_password_hash

from hotline.apikeys import find_key
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


@dataclass(frozen=True)
class Caller:
    """The authenticated actor and the scope its idempotency keys live in."""

    actor: Actor
    scope: str


def _from_bearer(header: str) -> Caller:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "Authorization 头格式应为 Bearer <API key>")
    key = find_key(db.session, token.strip())
    if key is None:
        raise ApiError(401, "unauthenticated", "API key 无效或已吊销")
    actor = Actor(role=Role.INTEGRATION, name=f"api:{key.name}")
    return Caller(actor=actor, scope=f"key:{key.id}")


def user_actor(user: User) -> Actor:
    return Actor(
        role=Role(user.role), name=user.display_name, user_id=user.id, unit_code=user.unit_code
    )


def session_user() -> User | None:
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


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


def login(username: str, password: str) -> User:
    """Check the credentials and start a fresh session (no fixation), or 401."""
    user = db.session.query(User).filter_by(username=username).one_or_none()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise ApiError(401, "invalid_credentials", "用户名或密码错误")
    session.clear()
    session["user_id"] = user.id
    return user


def logout() -> None:
    session.clear()
