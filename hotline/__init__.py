"""The 12345 hotline Flask application: app factory, models, services and blueprints."""

from hotline.app import create_app

__all__ = ["create_app"]
