"""Every error on an Open311 path in the spec's shape: <errors><error><code/><description/>.

The spec allows three HTTP statuses: "404 for resources that don't exist, 403 for errors
because of wrong or missing api_key and basically 400 for any other error", a failure while
processing ("General service error", e.g. the CRM is down) included. The one exception is a
body over the size limit: 413, as on every endpoint of this service, still in the spec's shape.
"""

from __future__ import annotations

from flask import Response, current_app, request
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import MapAdapter

from hotline.extensions import db
from hotline.lifecycle.errors import DomainError, NotFound, PermissionDenied, TransitionError
from hotline.open311 import blueprint
from hotline.open311.formats import FORMATS, Open311Error, render_errors, requested_format

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SPEC_STATUSES = (400, 403, 404, 413)

HTTP_DESCRIPTIONS = {
    400: "请求有误",
    403: "无权访问",
    404: "资源不存在",
    405: "不支持该请求方法",
    413: "请求内容过大",
    415: "不支持的请求内容类型",
}
GENERAL_SERVICE_ERROR = "服务暂时无法处理该请求，请稍后重试；如持续出现，请联系 12345 热线中心"


def spec_status(status: int) -> int:
    return status if status in SPEC_STATUSES else 400


def _answer(status: int, *descriptions: str) -> Response:
    fallback = (HTTP_DESCRIPTIONS.get(status, GENERAL_SERVICE_ERROR),)
    return render_errors(requested_format(), spec_status(status), descriptions or fallback)


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
    return _answer(400, str(error))


@blueprint.errorhandler(DataError)
@blueprint.errorhandler(StaleDataError)
def _database(error: DataError | StaleDataError) -> Response:
    # The application's handlers answer these in the console API's shape; an Open311 client
    # reads only the spec's. A value a column cannot hold or a concurrent change: a 400.
    db.session.rollback()
    current_app.logger.warning("open311 request refused by the database: %s", error)
    return _answer(400, "请求中的某个值超出允许的范围或长度，或工单已被他人修改，请重试")


@blueprint.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response:
    status = error.code or 500
    response = _answer(status, HTTP_DESCRIPTIONS.get(status, GENERAL_SERVICE_ERROR))
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@blueprint.route("/", methods=ALL_METHODS, defaults={"rest": ""})
@blueprint.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str) -> Response:
    """Paths under /open311/v2 that no method serves.

    A resource asked for in a format it is not served in (/services.csv, /services) is an
    invalid URL, a 400; a path no format would make a resource is a 404.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    if any(_served(adapter, path) for path in _in_xml(request.path)):
        supported = " 或 ".join(f".{fmt}" for fmt in FORMATS)
        raise Open311Error(400, f"不支持的格式：{request.path}（请在路径末尾使用 {supported}）")
    allowed = [method for method in ("GET", "POST") if _served(adapter, request.path, method)]
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise RouteNotFound()


def _in_xml(path: str) -> list[str]:
    """The path with `.xml` in place of an unserved format extension, or after the path."""
    head, _, last = path.rpartition("/")
    stem, dot, extension = last.rpartition(".")
    if not dot:
        return [path + ".xml"]
    if extension in FORMATS:
        return []  # a format we serve: the path or the method is what is wrong
    return [path + ".xml", f"{head}/{stem}.xml"]


def _served(adapter: MapAdapter, path: str, method: str | None = None) -> bool:
    """Whether a view other than this catch-all answers `path` (for `method`, or GET/POST)."""
    for verb in (method,) if method else ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(path_info=path, method=verb)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            return True
    return False
