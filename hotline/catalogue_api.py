"""The catalogue (派单目录) API under /api/v1/catalogue and POST /api/v1/routing/explain."""

from flask import Blueprint

blueprint = Blueprint("catalogue_api", __name__, url_prefix="/api/v1")
