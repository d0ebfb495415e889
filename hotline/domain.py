"""The app's domain rules (calendar, time-limit policy, escalation ladder), built once per app."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from routing.calendar import WorkCalendar, YearSchedule, load_schedules
from routing.escalation import DEMO_LADDER_MAPPING, Ladder
from routing.sla import DEMO_POLICY_MAPPING, Policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Domain:
    tz: ZoneInfo
    calendar: WorkCalendar
    policy: Policy
    ladder: Ladder


def build_domain(
    config: dict[str, Any], schedules: Mapping[int, YearSchedule] | None = None
) -> Domain:
    """The rules from config; `schedules` (loaded by an administrator) replace packaged years."""
    tz = ZoneInfo(config["TIMEZONE"])
    return Domain(
        tz=tz,
        calendar=WorkCalendar(
            tz=tz,
            business_hours=config["BUSINESS_HOURS"],
            end_of_day=config["END_OF_DAY"],
            schedules=load_schedules(extra=schedules or None),
        ),
        policy=Policy.from_mapping(config.get("POLICY") or DEMO_POLICY_MAPPING),
        ladder=Ladder.from_mapping(config.get("LADDER") or DEMO_LADDER_MAPPING),
    )


# How often a running process checks whether an administrator loaded a new schedule.
SCHEDULES_CHECK_SECONDS = 60.0


@dataclass(frozen=True)
class _Cached:
    domain: Domain
    fingerprint: tuple[Any, ...]
    checked_at: float


def _read_stored() -> tuple[dict[int, YearSchedule], tuple[Any, ...]] | None:
    """Schedules from the database and their fingerprint, or None when unreadable."""
    from hotline.extensions import db
    from hotline.schedules import schedules_fingerprint, stored_schedules

    try:
        # A savepoint, so that a failed read never spoils the caller's unit of work.
        with db.session.begin_nested():
            return stored_schedules(db.session), schedules_fingerprint(db.session)
    except Exception as error:
        log.warning("official schedules not read from the database: %s", error)
        return None


def _fingerprint() -> tuple[Any, ...] | None:
    from hotline.extensions import db
    from hotline.schedules import schedules_fingerprint

    try:
        with db.session.begin_nested():
            return schedules_fingerprint(db.session)
    except Exception:
        return None


def _in_context(app: Flask) -> bool:
    return has_app_context() and current_app._get_current_object() is app  # type: ignore[attr-defined]


def domain_of(app: Flask) -> Domain:
    """The app's Domain, built on first use (not in the factory: it reads data and the DB).

    Schedules an administrator loaded in another process are noticed within a minute.
    """
    real = getattr(app, "_get_current_object", None)
    if real is not None:
        app = real()  # current_app is a proxy: the cache lives on the app itself
    if not _in_context(app):
        with app.app_context():
            return domain_of(app)
    cached: _Cached | None = app.extensions.get("hotline.domain")
    now = time.monotonic()
    if cached is not None:
        if now - cached.checked_at < SCHEDULES_CHECK_SECONDS:
            return cached.domain
        fingerprint = _fingerprint()
        if fingerprint is None or fingerprint == cached.fingerprint:
            app.extensions["hotline.domain"] = _Cached(cached.domain, cached.fingerprint, now)
            return cached.domain
    stored = _read_stored()
    if stored is None:
        return build_domain(dict(app.config))  # without the database: try again next time
    schedules, fingerprint = stored
    domain = build_domain(dict(app.config), schedules)
    app.extensions["hotline.domain"] = _Cached(domain, fingerprint, now)
    return domain


def current_domain() -> Domain:
    return domain_of(current_app)


def local_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in the centre's local time with its offset (e.g. +08:00): how every time the
    service shows anyone is written, whatever zone it was stored or computed in."""
    return moment.astimezone(current_domain().tz).isoformat() if moment is not None else None


def reset_domain(app: Flask) -> None:
    """Forget the cached rules, e.g. after an official holiday schedule was loaded."""
    app.extensions.pop("hotline.domain", None)
