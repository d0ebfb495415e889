"""gunicorn settings for production and the intake benchmark (`gunicorn -c gunicorn.conf.py`)."""

import os
from typing import Any


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment; anything else stops gunicorn with a message
    naming the variable rather than a bare ValueError traceback."""
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(
            f"gunicorn.conf.py: {name} must be a whole number of at least 1, not {raw!r}"
        )
    return value


# The level names both Python's logging (dictConfig wants them upper-case) and gunicorn accept.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _level(name: str, default: str) -> str:
    """A log level in any case ("info", "INFO"), upper-cased; an unknown one stops gunicorn with
    a message naming the variable rather than "Unable to configure root logger"."""
    raw = os.environ.get(name, "").strip() or default
    if raw.upper() not in LOG_LEVELS:
        raise SystemExit(
            f"gunicorn.conf.py: {name} must be one of {', '.join(LOG_LEVELS)}"
            f" (any case), not {raw!r}"
        )
    return raw.upper()


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Intake is CPU-bound Python plus short PostgreSQL round trips: 4 sync workers (two per core on
# the 2-core benchmark host). gthread with 2 threads per worker measured no better (same ratio to
# the bare endpoint, worse p99; docs/benchmarks/intake.md); GUNICORN_WORKER_CLASS and
# GUNICORN_THREADS override both for such comparisons.
workers = _count("GUNICORN_WORKERS", 4)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _count("GUNICORN_THREADS", 1)
keepalive = 5
# The longest request line gunicorn allows (its default is 4094 bytes): an Open311 GET requests
# may name hundreds of comma-separated ticket numbers in service_request_id (about 500 fit). A
# longer line gets gunicorn's own 414 page before the app sees it.
limit_request_line = 8190
# Give the app's own loggers ("hotline", "workers") a handler and a level: HOTLINE_LOG_LEVEL
# (INFO by default; the benchmark uses WARNING so per-message INFO lines are not measured).
loglevel = _level("GUNICORN_LOG_LEVEL", "info").lower()
logconfig_dict = {
    "root": {"level": _level("HOTLINE_LOG_LEVEL", "INFO"), "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {"level": "INFO", "propagate": False, "qualname": "gunicorn.access"},
    },
}


def post_worker_init(worker: Any) -> None:
    """Build the routing rules before the worker takes its first request (hotline.routing_context
    .warm_up): otherwise each worker's first appeal waits about 2 s for them."""
    app = worker.wsgi
    if "sqlalchemy" not in (getattr(app, "extensions", None) or {}):
        return  # another app served with these settings, or gunicorn's error page on reload
    from hotline.routing_context import warm_up

    warm_up(app)
