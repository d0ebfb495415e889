"""Configuration read from the environment, failing fast on what production must set."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The demo catalogue's matters that a person raises for themselves: 消费维权, 劳动保障, 社会保障,
# 医疗服务, 户政出入境, 社会救助, 婚姻殡葬, 残疾人与儿童, 办事服务, 住房公积金, 保障性住房.
DEMO_PERSONAL_MATTER_ROOTS = (
    "04.02", "05", "06", "09.01", "10.02", "11.01", "11.03", "11.04", "14.01", "14.03", "17.01",
)  # fmt: skip

# Every environment variable the service reads, with its meaning; the README's table mirrors it.
ENVIRONMENT: Mapping[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL; unset means the embedded SQLite file instance/hotline.sqlite3",
    "REDIS_URL": "Redis for RQ jobs; unset means jobs run in-process after commit",
    "HOTLINE_SECRET_KEY": "session signing key; required unless running the embedded default,"
    " which generates one in instance/secret_key",
    "PORT": "port for `make run` (default 5000)",
    "HOTLINE_TIMEZONE": "the centre's time zone (default Asia/Shanghai)",
    "HOTLINE_DEMO_PASSWORD": "password given to every demo user by `demo load`",
    "HOTLINE_DEMO_API_KEY": "integration API key created by `demo load`",
    "TWILIO_ACCOUNT_SID": "Twilio account SID for outbound SMS",
    "TWILIO_AUTH_TOKEN": "Twilio auth token: signs webhooks and authenticates the client",
    "TWILIO_FROM_NUMBER": "the E.164 number SMS are sent from",
    "HOTLINE_PUBLIC_URL": "external base URL used to check webhook signatures behind proxies"
    " (https: also marks the session cookie Secure)",
    "HOTLINE_TRUSTED_PROXIES": "proxies in front of the app whose X-Forwarded-* headers the"
    " Twilio signature check believes when HOTLINE_PUBLIC_URL is unset, and whose"
    " X-Forwarded-For names the client the login throttle counts (default 0: none)",
    "TWILIO_WEBHOOK_SHARED_KEY": "secret of the Twilio webhook SharedKey, for webhooks that a"
    " Webhook Rule signs with it instead of the auth token",
    "HOTLINE_SESSION_HOURS": "hours a console login stays valid (12)",
    "HOTLINE_CLASSIFIER_MODEL": "trained classifier model file (default instance/classifier.json)",
    "HOTLINE_CLASSIFIER_THRESHOLD": "model confidence below which keyword rules decide (0.6)",
    "HOTLINE_MATTER_EXAMPLES": "labelled example appeals that help the keyword rules, JSON lines"
    " of text and matter_code (default instance/matter_examples.jsonl, written by `demo load`)",
    "HOTLINE_BUSINESS_HOURS": "business hours of a working day (default 09:00-12:00,13:30-17:30)",
    "HOTLINE_END_OF_DAY": "when a working-day limit ends on its last day (default 23:59:59)",
    "HOTLINE_POLICY_FILE": "JSON file of time-limit tiers and rules (default: the demo policy)",
    "HOTLINE_LADDER_FILE": "JSON file of the escalation ladder (default: the demo ladder)",
    "HOTLINE_RETURN_WINDOW_WORKING_DAYS": "working days after dispatch a unit may return (2)",
    "HOTLINE_MAX_EXTENSION_WORKING_DAYS": "longest extension a unit may ask for (10)",
    "HOTLINE_DUPLICATE_WINDOW_DAYS": "days within which a repeat appeal is a duplicate (7)",
    "HOTLINE_PERSONAL_MATTER_ROOTS": "comma-separated matter codes whose appeals are each a"
    " person's own claim (wages, pensions, allowances): a neighbour's is never merged into"
    f" another's (default {','.join(DEMO_PERSONAL_MATTER_ROOTS)}; `none` for none)",
    "HOTLINE_SMS_CONVERSATION_MINUTES": "minutes an SMS reply joins the caller's new ticket (30)",
    "HOTLINE_AGENT_NUMBER": "number the voice menu dials for an agent (unset: Twilio queue)",
    "HOTLINE_QUEUE_MAX_WAIT_SECONDS": "seconds a caller holds for an agent before a message (120)",
    "HOTLINE_OPEN311_JURISDICTION": "Open311 jurisdiction_id (default yunjiang.gov.cn)",
    "HOTLINE_OPEN311_CONTACT": "Open311 discovery's contact text (default: the demo city's)",
    "HOTLINE_OPEN311_KEY_SERVICE": "Open311 discovery's key_service text (default: the demo's)",
    "HOTLINE_SERVICE_AREA_BOUNDS": "south,west,north,east: coordinates outside are refused (unset)",
    "HOTLINE_LOG_LEVEL": "the app's log level under gunicorn.conf.py (default INFO)",
    "GUNICORN_BIND": "address gunicorn.conf.py binds (default 0.0.0.0:8000)",
    "GUNICORN_WORKERS": "gunicorn worker processes (default 4)",
    "GUNICORN_WORKER_CLASS": "gunicorn worker class (default sync; gthread with GUNICORN_THREADS)",
    "GUNICORN_THREADS": "threads per gunicorn worker, for the gthread class (default 1)",
    "GUNICORN_LOG_LEVEL": "gunicorn's own log level (default info)",
}

# The embedded default's session key, generated on its first start: a constant would be public,
# and anyone could sign a session cookie naming any user.
EMBEDDED_SECRET_FILE = "secret_key"
# Upper bounds of the numeric settings: past them a setting is a typo, not a policy.
MAX_WORKING_DAYS = 366  # a year: the calendar covers about a year ahead
MAX_DUPLICATE_WINDOW_DAYS = 366
MAX_CONVERSATION_MINUTES = 24 * 60
MAX_QUEUE_WAIT_SECONDS = 3600
MAX_SESSION_HOURS = 24 * 30


class ConfigError(RuntimeError):
    """Raised at start-up when the environment is incomplete or contradictory."""


def _int(
    env: Mapping[str, str], name: str, default: int, low: int = 0, high: int | None = None
) -> int:
    """A whole number from `low` to `high`: a value that would quietly switch a rule off (an
    extension limit of 0 refuses every extension) or overflow a date stops start-up instead."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low:
        raise ConfigError(
            f"{name} must not be negative" if low == 0 else f"{name} must be at least {low}"
        )
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}, not {value}")
    return value


def _public_url(env: Mapping[str, str]) -> str | None:
    """HOTLINE_PUBLIC_URL as an absolute http(s) base: anything else would fail every Twilio
    signature check and give Twilio callback URLs it cannot call."""
    name = "HOTLINE_PUBLIC_URL"
    raw = env.get(name)
    if not raw:
        return None
    refused = ConfigError(
        f"{name} must be an absolute http:// or https:// URL such as"
        f" https://12345.example.gov.cn, not {raw!r}"
    )
    try:
        parts = urlsplit(raw)
        port = parts.port  # a port that is not a number from 0 to 65535 raises ValueError
    except ValueError:
        raise refused from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or port == 0
        or parts.query
        or parts.fragment
        or raw != raw.strip()
    ):
        raise refused
    return raw


def _fraction(env: Mapping[str, str], name: str, default: float) -> float:
    """A number from 0 to 1, such as a confidence threshold."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number from 0 to 1, not {raw!r}") from None
    if not 0 <= value <= 1:  # NaN fails this too
        raise ConfigError(f"{name} must be a number from 0 to 1, not {raw!r}")
    return value


def _timezone(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name}: {raw!r} is not an IANA time zone such as Asia/Shanghai"
        ) from None
    return raw


def _time_of_day(name: str, raw: str) -> time:
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a time of day such as 17:30") from None


def _code_list(raw: str | None, default: tuple[str, ...]) -> list[str]:
    """Comma-separated codes; unset or empty means the default, `none` means none."""
    if (raw or "").strip().lower() == "none":
        return []
    codes = [part.strip() for part in (raw or "").split(",") if part.strip()]
    return codes or list(default)


def _bounds(raw: str) -> tuple[float, float, float, float] | None:
    """'27.9,112.6,28.6,113.3' (south, west, north, east in degrees) → the box, or None."""
    if not raw.strip():
        return None
    name = "HOTLINE_SERVICE_AREA_BOUNDS"
    try:
        south, west, north, east = (float(part) for part in raw.split(","))
    except ValueError:
        raise ConfigError(
            f"{name} must be four numbers: south,west,north,east, not {raw!r}"
        ) from None
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise ConfigError(f"{name}: need -90 <= south < north <= 90 and -180 <= west < east <= 180")
    return south, west, north, east


def _business_hours(raw: str) -> tuple[tuple[time, time], ...]:
    """'09:00-12:00,13:30-17:30' → ((09:00, 12:00), (13:30, 17:30)), in order, not overlapping."""
    windows: list[tuple[time, time]] = []
    for part in raw.split(","):
        start, sep, end = part.partition("-")
        if not sep:
            raise ConfigError(f"HOTLINE_BUSINESS_HOURS: {part!r} is not a window like 09:00-12:00")
        window = (
            _time_of_day("HOTLINE_BUSINESS_HOURS", start),
            _time_of_day("HOTLINE_BUSINESS_HOURS", end),
        )
        if window[0] >= window[1] or (windows and windows[-1][1] > window[0]):
            raise ConfigError(f"HOTLINE_BUSINESS_HOURS: windows must be ordered: {raw!r}")
        windows.append(window)
    return tuple(windows)


def _json_file(env: Mapping[str, str], name: str) -> Any:
    path = env.get(name)
    if not path:
        return None
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{name}: cannot read {path}: {error}") from None
    if not document:  # `null`, `{}`, `[]`: a file that says nothing is a mistake, not the demo
        raise ConfigError(
            f"{name}: {path} is empty ({json.dumps(document)}); unset {name} to use the demo rules"
        )
    return document


def _rules(config: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Build the time-limit policy and the escalation ladder once, so that a file of the wrong
    shape stops start-up with the variable's name instead of failing every request."""
    from hotline.domain import RulesError, ladder_from, policy_from

    for key, name, build in (
        ("POLICY", "HOTLINE_POLICY_FILE", policy_from),
        ("LADDER", "HOTLINE_LADDER_FILE", ladder_from),
    ):
        if config.get(key) is None:
            continue
        where = env.get(name) or "the app's config"
        try:
            build(config[key])
        except RulesError as error:
            raise ConfigError(f"{name}: {where}: {error}") from None


_REDIS_SCHEMES = ("redis", "rediss", "unix")


def _redis_url(env: Mapping[str, str]) -> str | None:
    """REDIS_URL as redis-py reads it (redis://, rediss:// or unix://): anything else would only
    fail at the first job, or be taken for a host name."""
    name = "REDIS_URL"
    raw = env.get(name)
    if not raw:
        return None
    refused = ConfigError(
        f"{name} must be a redis://, rediss:// or unix:// URL such as"
        f" redis://127.0.0.1:6379/0, not {raw!r}"
    )
    from redis.connection import parse_url

    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (a port that is not a number from 0 to 65535 raises ValueError)
        parse_url(raw)  # type: ignore[no-untyped-call]  # what Redis.from_url reads
    except ValueError:
        raise refused from None
    scheme = parts.scheme.lower()
    if scheme not in _REDIS_SCHEMES or raw != raw.strip():
        raise refused
    if scheme == "unix" and not parts.path:
        raise refused
    return raw


# What hotline.sms.sender_for needs to send an SMS through Twilio; with any one missing, SMS
# are written to the log (and their outbox rows marked sent).
TWILIO_OUTBOUND = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")


def sends_sms(config: Mapping[str, Any]) -> bool:
    """Whether outbound SMS go through Twilio: exactly sender_for's condition."""
    return all(config.get(key) for key in TWILIO_OUTBOUND)


def _twilio(config: Mapping[str, Any]) -> None:
    """An account SID or a from-number says outbound SMS are meant to be sent: then every
    setting sending needs must be there, or the texts would silently go to the log. An auth
    token alone is an inbound-only setup (webhooks checked, SMS to the log)."""
    if not (config.get("TWILIO_ACCOUNT_SID") or config.get("TWILIO_FROM_NUMBER")):
        return
    missing = [key for key in TWILIO_OUTBOUND if not config.get(key)]
    if missing:
        given = [key for key in TWILIO_OUTBOUND if config.get(key)]
        raise ConfigError(
            f"{' and '.join(missing)} must be set too: with {' and '.join(given)} set, outbound"
            " SMS are meant to go through Twilio, and without it they would only be written to"
            " the log (unset TWILIO_ACCOUNT_SID and TWILIO_FROM_NUMBER for an inbound-only setup)"
        )


# E.164: a plus, a country code not starting with 0, at most 15 digits in all, no separators;
# at least 8, as hotline.phones.normalise asks of an international number. The numbering plan
# is not checked: Twilio numbers and SMS sender codes need not be ones a citizen could have.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def _phone(name: str, raw: str | None) -> str | None:
    """An E.164 number (+8610012345) as Twilio takes it, or None when unset."""
    from hotline.phones import InvalidPhone, normalise

    if raw is None or _E164.fullmatch(raw):
        return raw
    try:
        suggestion = normalise(raw)
    except InvalidPhone:
        suggestion = None
    hint = f" (did you mean {suggestion}?)" if suggestion and _E164.fullmatch(suggestion) else ""
    raise ConfigError(
        f"{name} must be an E.164 phone number such as +8610012345 (a plus, the country code,"
        f" the number, no spaces), not {raw!r}{hint}"
    )


# What Twilio sends from besides a phone number: a short code (3-8 digits, e.g. 106 numbers) or
# an alphanumeric sender ID (1-11 letters, digits and spaces, at least one letter).
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
_ALPHANUMERIC_ID = re.compile(r"(?=[A-Za-z0-9 ]{1,11}$)[0-9 ]*[A-Za-z][A-Za-z0-9 ]*")


def _sender(raw: str | None) -> str | None:
    """TWILIO_FROM_NUMBER: an E.164 number, a short code or an alphanumeric sender ID."""
    if raw is None or _SHORT_CODE.fullmatch(raw) or _ALPHANUMERIC_ID.fullmatch(raw):
        return raw
    return _phone("TWILIO_FROM_NUMBER", raw)


def _instance_sqlite_url(instance_path: str) -> str:
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder
    return f"sqlite:///{folder / 'hotline.sqlite3'}"


def _embedded_secret(instance_path: str) -> str:
    """The instance folder's own random session key, written once (mode 0600) and reused.

    Written whole under a temporary name and linked into place, so that two processes starting
    at once agree on one key and neither reads a half-written file.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / EMBEDDED_SECRET_FILE
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{EMBEDDED_SECRET_FILE}.")
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):  # another process was first: use theirs
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_text(encoding="ascii").strip()
    if not secret:
        raise ConfigError(f"{path} is empty: delete it to generate a new session key")
    return secret


def build_config(
    instance_path: str,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the Flask config mapping from the environment plus explicit overrides."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get("DATABASE_URL") or ""
    embedded = not database_url
    if embedded:
        database_url = _instance_sqlite_url(instance_path)
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    secret = overrides.get("SECRET_KEY") or env.get("HOTLINE_SECRET_KEY")
    if not secret:
        if not embedded:
            raise ConfigError(
                "HOTLINE_SECRET_KEY must be set when DATABASE_URL points at a real database"
            )
        secret = _embedded_secret(instance_path)

    config: dict[str, Any] = {
        "SECRET_KEY": secret,
        "EMBEDDED": embedded,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Connections the server closed are caught at checkout without a ping
        # (postgres.check_on_checkout); TCP keepalives make one that a firewall dropped in
        # silence show as closed too, and connections are renewed every half hour. A server
        # that accepts a connection and never answers is given up after 10 s.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_recycle": 1800,
            "connect_args": {
                "connect_timeout": 10,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            },
        },
        "REDIS_URL": _redis_url(env),
        "TIMEZONE": _timezone(env, "HOTLINE_TIMEZONE", "Asia/Shanghai"),
        "DEMO_PASSWORD": env.get("HOTLINE_DEMO_PASSWORD") or None,
        "DEMO_API_KEY": env.get("HOTLINE_DEMO_API_KEY") or None,
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER") or None,
        "TWILIO_WEBHOOK_SHARED_KEY": env.get("TWILIO_WEBHOOK_SHARED_KEY") or None,
        "PUBLIC_URL": _public_url(env),
        "TRUSTED_PROXIES": _int(env, "HOTLINE_TRUSTED_PROXIES", 0),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "MAX_TEXT_LENGTH": 4000,
        "JSON_AS_ASCII": False,
        "RETURN_WINDOW_WORKING_DAYS": _int(
            env, "HOTLINE_RETURN_WINDOW_WORKING_DAYS", 2, low=1, high=MAX_WORKING_DAYS
        ),
        "MAX_EXTENSION_WORKING_DAYS": _int(
            env, "HOTLINE_MAX_EXTENSION_WORKING_DAYS", 10, low=1, high=MAX_WORKING_DAYS
        ),
        "DUPLICATE_WINDOW_DAYS": _int(
            env, "HOTLINE_DUPLICATE_WINDOW_DAYS", 7, low=1, high=MAX_DUPLICATE_WINDOW_DAYS
        ),
        "SMS_CONVERSATION_MINUTES": _int(
            env, "HOTLINE_SMS_CONVERSATION_MINUTES", 30, low=1, high=MAX_CONVERSATION_MINUTES
        ),
        "AGENT_NUMBER": env.get("HOTLINE_AGENT_NUMBER") or None,
        "QUEUE_MAX_WAIT_SECONDS": _int(
            env, "HOTLINE_QUEUE_MAX_WAIT_SECONDS", 120, low=1, high=MAX_QUEUE_WAIT_SECONDS
        ),
        # Empty (or blank) means unset, as for every other variable.
        "OPEN311_JURISDICTION": (env.get("HOTLINE_OPEN311_JURISDICTION") or "").strip()
        or "yunjiang.gov.cn",
        # Unset: hotline/open311/jurisdiction.py's defaults, the demo city's texts.
        "OPEN311_CONTACT": (env.get("HOTLINE_OPEN311_CONTACT") or "").strip() or None,
        "OPEN311_KEY_SERVICE": (env.get("HOTLINE_OPEN311_KEY_SERVICE") or "").strip() or None,
        "SERVICE_AREA_BOUNDS": _bounds(env.get("HOTLINE_SERVICE_AREA_BOUNDS") or ""),
        "BUSINESS_HOURS": _business_hours(
            env.get("HOTLINE_BUSINESS_HOURS") or "09:00-12:00,13:30-17:30"
        ),
        "END_OF_DAY": _time_of_day(
            "HOTLINE_END_OF_DAY", env.get("HOTLINE_END_OF_DAY") or "23:59:59"
        ),
        "POLICY": _json_file(env, "HOTLINE_POLICY_FILE"),
        "LADDER": _json_file(env, "HOTLINE_LADDER_FILE"),
        "CLASSIFIER_THRESHOLD": _fraction(env, "HOTLINE_CLASSIFIER_THRESHOLD", 0.6),
        "CLASSIFIER_MODEL_PATH": env.get("HOTLINE_CLASSIFIER_MODEL")
        or str(Path(instance_path) / "classifier.json"),
        "MATTER_EXAMPLES_PATH": env.get("HOTLINE_MATTER_EXAMPLES")
        or str(Path(instance_path) / "matter_examples.jsonl"),
        # Matters under these roots are legal-route referrals (诉讼, 仲裁, 信访, 依申请公开...).
        "LEGAL_ROUTE_MATTER_ROOTS": ["19"],
        "PERSONAL_MATTER_ROOTS": _code_list(
            env.get("HOTLINE_PERSONAL_MATTER_ROOTS"), DEMO_PERSONAL_MATTER_ROOTS
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS (behind a proxy that terminates TLS): never send the cookie in clear.
        "SESSION_COOKIE_SECURE": (env.get("HOTLINE_PUBLIC_URL") or "").lower().startswith("https:"),
        # A console sign-in lasts about one shift (signing out ends it at once, on the server).
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=_int(env, "HOTLINE_SESSION_HOURS", 12, low=1, high=MAX_SESSION_HOURS)
        ),
        # Password guessing: after this many failed logins within the window, a username (or,
        # across usernames, a client address) is refused with 429 until the window has passed.
        "LOGIN_FAILURE_WINDOW": timedelta(minutes=15),
        "LOGIN_FAILURES_PER_USERNAME": 5,
        "LOGIN_FAILURES_PER_ADDRESS": 20,
    }
    if database_url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    config.update(overrides)
    # Checked on what the app will run with, overrides included.
    _twilio(config)
    config["TWILIO_FROM_NUMBER"] = _sender(config.get("TWILIO_FROM_NUMBER"))
    config["AGENT_NUMBER"] = _phone("HOTLINE_AGENT_NUMBER", config.get("AGENT_NUMBER"))
    _rules(config, env)
    return config
