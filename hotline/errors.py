"""One JSON error shape for the API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from hotline.lifecycle.errors import DomainError, NotFound, PermissionDenied, TransitionError


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
        return error_response(error.code or 500, code, error.description or error.name)


def _rollback() -> None:
    from hotline.extensions import db

    db.session.rollback()
