"""RQ job entry points: they take ids, build the app context, and commit once."""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Flask
from rq import get_current_job

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _app() -> Flask:
    from hotline.app import create_app

    return create_app()


def _job_id() -> str:
    job = get_current_job()
    return job.id if job is not None else "-"


def deliver_message(message_id: int) -> str:
    from workers.delivery import deliver

    with _app().app_context():
        state = deliver(message_id)
        log.info("[job %s] outbox %s -> %s", _job_id(), message_id, state)
        return state


def relay_outbox() -> int:
    from workers.relay import relay_after_commit

    app = _app()
    with app.app_context():
        count = relay_after_commit(app)
        log.info("[job %s] relayed %d outbox rows", _job_id(), count)
        return count
