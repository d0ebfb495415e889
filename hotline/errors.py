"""One JSON error shape for the API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from hotline.lifecycle.errors import DomainError, NotFound, PermissionDenied, TransitionError

# Werkzeug describes its errors in English; the API's messages are Chinese. The code stays
# Werkzeug's name (request_entity_too_large...), which clients match on.
HTTP_MESSAGES = {
    400: "请求有误",
    401: "未登录或凭据无效",
    403: "无权访问",
    404: "资源不存在",
    405: "不支持该请求方法",
    408: "请求超时",
    413: "请求体过大（上限 {limit} 字节）",
    415: "不支持的请求内容类型",
    429: "请求过于频繁，请稍后重试",
    500: "服务器内部错误",
    503: "服务暂时不可用，请稍后重试",
}


def http_message(status: int, fallback: str) -> str:
    message = HTTP_MESSAGES.get(status)
    if message is None:
        return fallback
    return message.format(limit=current_app.config.get("MAX_CONTENT_LENGTH"))


class ApiError(Exception):
    """An error raised by a view, rendered as the API's JSON error."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return error_response(error.status, error.code, error.message, error.details)

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound) -> tuple[Response, int]:
        return error_response(404, error.code, error.message, error.details)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> tuple[Response, int]:
        return error_response(422, error.code, error.message, error.details)

    @app.errorhandler(TransitionError)
    def _transition(error: TransitionError) -> tuple[Response, int]:
        return error_response(409, TransitionError.code, str(error))

    @app.errorhandler(PermissionDenied)
    def _forbidden(error: PermissionDenied) -> tuple[Response, int]:
        return error_response(403, PermissionDenied.code, str(error))

    @app.errorhandler(StaleDataError)
    def _stale(error: StaleDataError) -> tuple[Response, int]:
        # The optimistic lock on tickets, for every blueprint: someone changed it meanwhile.
        _rollback()
        return error_response(409, "concurrent_change", "工单已被他人修改，请刷新后重试")

    @app.errorhandler(DataError)
    def _data(error: DataError) -> tuple[Response, int]:
        # A backstop: the schemas should refuse what the columns cannot hold; if one slips
        # through (a value out of a column's range or size), it is the caller's input, not a 500.
        _rollback()
        return error_response(400, "invalid_value", "请求中的某个值超出允许的范围或长度")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int] | HTTPException:
        code = (error.name or "error").lower().replace(" ", "_")
        status = error.code or 500
        return error_response(status, code, http_message(status, error.description or error.name))


def _rollback() -> None:
    from hotline.extensions import db

    db.session.rollback()
