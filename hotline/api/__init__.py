"""REST API v1 under /api/v1: tickets, lifecycle actions, requesters, routing explain."""

from flask import Blueprint, Response
from sqlalchemy.orm.exc import StaleDataError

from hotline.errors import error_response

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.errorhandler(StaleDataError)
def _concurrent_change(error: StaleDataError) -> tuple[Response, int]:
    # The optimistic lock on tickets: someone else changed it between our read and write.
    return error_response(409, "concurrent_change", "工单已被他人修改，请刷新后重试")


# The views register themselves on the blueprint when imported.
from hotline.api import actions, openapi, requesters, sessions, tickets  # noqa: E402, F401
