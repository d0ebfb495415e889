"""POST /api/v1/auth/login and /logout, GET /api/v1/auth/me: console users' sessions."""

from __future__ import annotations

from flask import Response, jsonify

from hotline import auth, clock
from hotline.api import blueprint
from hotline.api.parsing import load_body
from hotline.api.schemas import LoginSchema
from hotline.auth import ANY_ROLE, authenticate, require_roles
from hotline.errors import ApiError, error_response
from hotline.lifecycle import Actor
from hotline.models import User
from hotline.transaction import commit


def user_view(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "unit_code": user.unit_code,
    }


def actor_view(actor: Actor) -> dict[str, object]:
    return {
        "id": actor.user_id,
        "username": None,
        "display_name": actor.name,
        "role": str(actor.role),
        "unit_code": actor.unit_code,
    }


@blueprint.post("/auth/login")
def login() -> Response:
    data = load_body(LoginSchema())
    attempt = auth.LoginAttempt(
        username=data["username"], address=auth.client_address(), at=clock.utcnow()
    )
    user = auth.login(attempt, data["password"])
    if user is not None:
        auth.start_session(user)
    commit()  # a failure too: the next attempt, in whichever worker, counts it
    if user is None:
        raise ApiError(401, "invalid_credentials", "用户名或密码错误")
    return jsonify({"user": user_view(user)})


@blueprint.errorhandler(auth.LoginThrottled)
def _throttled(error: auth.LoginThrottled) -> tuple[Response, int]:
    response, status = error_response(error.status, error.code, error.message, error.details)
    response.headers["Retry-After"] = str(error.retry_after)
    return response, status


@blueprint.post("/auth/logout")
def logout() -> tuple[str, int]:
    auth.check_same_origin()
    auth.logout()
    commit()
    return "", 204


@blueprint.get("/auth/me")
@require_roles(ANY_ROLE)
def me() -> Response:
    user = auth.session_user()
    if user is not None and authenticate().scope == f"user:{user.id}":
        return jsonify({"user": user_view(user)})
    return jsonify({"user": actor_view(authenticate().actor)})
