"""REST API v1 under /api/v1: tickets, lifecycle actions, requesters, routing explain."""

from flask import Blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
