"""The 12345 hotline Flask application: app factory, models, services and blueprints."""

import hotline.validation_messages  # noqa: F401  (before any schema is defined)
from hotline.app import create_app

__all__ = ["create_app"]
