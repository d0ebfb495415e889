"""Flask CLI commands: `flask --app wsgi demo|worker|scheduler|relay|apikey|calendar|triage|...`."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from hotline.cli.apikeys import apikey
    from hotline.cli.calendar import calendar
    from hotline.cli.catalogue import catalogue, classifier
    from hotline.cli.city import city, user
    from hotline.cli.demo import demo
    from hotline.cli.triage import triage_group
    from hotline.cli.worker import relay, scheduler, worker

    for command in (
        demo,
        worker,
        scheduler,
        relay,
        apikey,
        calendar,
        catalogue,
        classifier,
        city,
        user,
    ):
        app.cli.add_command(command)
    app.cli.add_command(triage_group, name="triage")
