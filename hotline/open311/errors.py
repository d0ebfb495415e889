"""Every error on an Open311 path in the spec's shape: <errors><error><code/><description/>."""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound

from hotline.lifecycle.errors import DomainError, NotFound, PermissionDenied, TransitionError
from hotline.open311 import blueprint
from hotline.open311.formats import Open311Error, render_errors, requested_format

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

HTTP_DESCRIPTIONS = {
    400: "请求有误",
    403: "无权访问",
    404: "资源不存在",
    405: "不支持该请求方法",
    413: "请求内容过大",
    415: "不支持的请求内容类型",
    500: "服务器内部错误",
}


def _answer(status: int, *descriptions: str) -> Response:
    fallback = (HTTP_DESCRIPTIONS.get(status, "请求失败"),)
    return render_errors(requested_format(), status, descriptions or fallback)


@blueprint.errorhandler(Open311Error)
def _open311(error: Open311Error) -> Response:
    return _answer(error.status, *error.descriptions)


@blueprint.errorhandler(NotFound)
def _not_found(error: NotFound) -> Response:
    return _answer(404, error.message)


@blueprint.errorhandler(DomainError)
def _domain(error: DomainError) -> Response:
    details = [f"{key}：{value}" for key, value in error.details.items()]
    return _answer(400, error.message, *details)


@blueprint.errorhandler(PermissionDenied)
def _forbidden(error: PermissionDenied) -> Response:
    return _answer(403, str(error))


@blueprint.errorhandler(TransitionError)
def _transition(error: TransitionError) -> Response:
    # The spec: 404 for what does not exist, 403 for the api_key, 400 for every other refusal.
    return _answer(400, str(error))


@blueprint.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response:
    status = error.code or 500
    response = _answer(status, HTTP_DESCRIPTIONS.get(status, error.name))
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@blueprint.route("/", methods=ALL_METHODS, defaults={"rest": ""})
@blueprint.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str) -> Response:
    """Paths under /open311/v2 that no method serves: 404, or 405 when another verb would."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise RouteNotFound()
