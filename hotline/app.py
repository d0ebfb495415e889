"""The application factory: it only wires things up (no queries, no network, no migration)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from hotline.config import build_config
from hotline.extensions import db, migrate
from hotline.postgres import check_on_checkout
from hotline.sqlite import harden


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(build_config(app.instance_path, overrides=config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    register_logging(app)
    register_extensions(app)
    register_body_limit(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    register_periodic(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_directory())
    with app.app_context():
        # Wiring only: creating an engine opens no connection.
        harden(db.engine)
        check_on_checkout(db.engine)


def _migrations_directory() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def register_body_limit(app: Flask) -> None:
    from hotline.body_limit import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from hotline import (
        api,
        calendar_api,
        catalogue_api,
        health,
        open311,
        reference_api,
        webhooks,
    )

    for module in (health, api, calendar_api, catalogue_api, reference_api, open311, webhooks):
        app.register_blueprint(module.blueprint)


def register_errorhandlers(app: Flask) -> None:
    from hotline.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    from hotline.cli import register

    register(app)


def register_periodic(app: Flask) -> None:
    from workers.schedule import register

    register(app)  # a hook only: the embedded sweeper thread starts on the first request
