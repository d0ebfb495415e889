"""Flask CLI commands: `flask --app wsgi demo|worker|apikey|calendar|catalogue|classifier ...`."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from hotline.cli.apikeys import apikey
    from hotline.cli.demo import demo
    from hotline.cli.worker import worker

    app.cli.add_command(demo)
    app.cli.add_command(worker)
    app.cli.add_command(apikey)
