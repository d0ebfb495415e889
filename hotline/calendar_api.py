"""GET /api/v1/calendar/due and /api/v1/calendar/days: the working calendar, explained."""

from flask import Blueprint

blueprint = Blueprint("calendar_api", __name__, url_prefix="/api/v1/calendar")
