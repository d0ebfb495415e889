"""gunicorn.conf.py: log levels in any case, and a clear stop on an unknown one."""

from __future__ import annotations

import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
LEVEL_NAMES = ("HOTLINE_LOG_LEVEL", "GUNICORN_LOG_LEVEL")


def _settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict[str, Any]:
    for name in LEVEL_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_lower_case_log_levels_are_upper_cased_for_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, HOTLINE_LOG_LEVEL="info", GUNICORN_LOG_LEVEL="Warning")
    assert settings["logconfig_dict"]["root"]["level"] == "INFO"
    assert settings["logconfig_dict"]["loggers"]["gunicorn.error"]["level"] == "WARNING"
    assert settings["loglevel"] == "warning"


def test_the_defaults_are_info(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    assert settings["logconfig_dict"]["root"]["level"] == "INFO"
    assert settings["loglevel"] == "info"


@pytest.mark.parametrize("name", LEVEL_NAMES)
@pytest.mark.parametrize("value", ["verbose", "10", "warn ing"])
def test_an_unknown_log_level_stops_gunicorn_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(SystemExit, match=name):
        _settings(monkeypatch, **{name: value})


# gunicorn's own logger set-up (glogging.Logger), in a child process so that its dictConfig
# leaves this one's logging alone: HOTLINE_LOG_LEVEL=info made it fail with "Unable to
# configure root logger".
_GUNICORN_SETUP = """
import json, runpy, sys
from gunicorn.config import Config
from gunicorn.glogging import Logger
settings = runpy.run_path(sys.argv[1])
config = Config()
config.set("logconfig_dict", settings["logconfig_dict"])
config.set("loglevel", settings["loglevel"])
Logger(config)
import logging
print(json.dumps(logging.getLevelName(logging.getLogger().level)))
"""


def test_gunicorn_configures_its_loggers_with_a_lower_case_app_log_level() -> None:
    environ = {**os.environ, "HOTLINE_LOG_LEVEL": "info", "GUNICORN_LOG_LEVEL": "info"}
    result = subprocess.run(
        [sys.executable, "-c", _GUNICORN_SETUP, str(CONF)],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == "INFO"


class _Worker:
    def __init__(self, wsgi: Any) -> None:
        self.wsgi = wsgi


def test_each_worker_builds_the_routing_rules_before_its_first_request(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.routing_context import invalidate

    invalidate(app)
    _settings(monkeypatch)["post_worker_init"](_Worker(app))
    assert "hotline.routing" in app.extensions


def test_a_worker_whose_database_cannot_be_read_still_starts_and_says_why(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline import routing_context

    said: list[str] = []

    class Recorder(logging.Logger):  # Alembic's logging setup disables existing loggers
        def _log(self, level: int, msg: object, args: Any, *rest: Any, **kwargs: Any) -> None:
            said.append(str(msg) % args)

    def unreadable() -> None:
        raise RuntimeError("database unreachable")

    routing_context.invalidate(app)
    monkeypatch.setattr(routing_context, "routing_context", unreadable)
    monkeypatch.setattr(routing_context, "log", Recorder("hotline.routing_context"))
    _settings(monkeypatch)["post_worker_init"](_Worker(app))
    assert "hotline.routing" not in app.extensions
    assert said == ["the routing rules could not be built ahead of requests"]


def test_a_request_that_waited_for_a_warm_up_uses_the_rules_it_built(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from hotline import routing_context as module

    module.invalidate(app)
    with app.app_context():
        key = (module.active_version_key(), module.reference_stamp())
    looked = threading.Event()
    real_key = module.active_version_key

    def looking() -> Any:
        looked.set()  # past the cache check, on its way to the lock
        return real_key()

    def never(*_: Any) -> Any:
        raise AssertionError("built a second time")

    monkeypatch.setattr(module, "active_version_key", looking)
    monkeypatch.setattr(module, "build_context", never)
    got: list[Any] = []

    def request() -> None:
        with app.app_context():
            got.append(module.routing_context())

    built = object()
    with module._lock:  # the warm-up holds the lock while it builds
        thread = threading.Thread(target=request)
        thread.start()
        looked.wait()
        app.extensions["hotline.routing"] = (key, built, 0.0)
    thread.join()
    module.invalidate(app)  # the app is shared with later tests: forget the stand-in
    assert got == [built]


def test_another_app_served_with_the_same_settings_starts_without_a_warm_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flask import Flask

    from hotline import routing_context

    said: list[str] = []

    class Recorder(logging.Logger):
        def _log(self, level: int, msg: object, args: Any, *rest: Any, **kwargs: Any) -> None:
            said.append(str(msg) % args)

    monkeypatch.setattr(routing_context, "log", Recorder("hotline.routing_context"))
    bare = Flask("bare")  # the intake benchmark's baseline endpoints use gunicorn.conf.py too
    _settings(monkeypatch)["post_worker_init"](_Worker(bare))
    assert "hotline.routing" not in bare.extensions
    assert said == []  # nothing to warm, so nothing that "could not be built"


def test_gunicorns_error_page_app_on_a_reload_starts_without_a_warm_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def error_page(environ: Any, start_response: Any) -> list[bytes]:
        return [b"SyntaxError"]  # what gunicorn serves with --reload when the app fails to load

    _settings(monkeypatch)["post_worker_init"](_Worker(error_page))  # raised AttributeError
