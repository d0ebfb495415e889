"""The app's domain rules (calendar, time-limit policy, escalation ladder), built once per app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from routing.calendar import WorkCalendar, YearSchedule, load_schedules
from routing.escalation import DEMO_LADDER_MAPPING, Ladder, LadderError
from routing.sla import DEMO_POLICY_MAPPING, Policy, PolicyError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Domain:
    tz: ZoneInfo
    calendar: WorkCalendar
    policy: Policy
    ladder: Ladder


class RulesError(ValueError):
    """A policy or ladder document (HOTLINE_POLICY_FILE, HOTLINE_LADDER_FILE) of the wrong shape."""


# The top-level keys each document may have: a misspelt one ("rule") would otherwise be ignored
# in silence. `max_extension_working_days` is not among the policy's: the longest extension is
# HOTLINE_MAX_EXTENSION_WORKING_DAYS, the one setting hotline.lifecycle reads.
POLICY_KEYS = frozenset({"tiers", "rules", "default_tier", "critical_tier"})
LADDER_KEYS = frozenset({"steps", "escalate_after_reopens", "escalate_after_units"})


def _document(raw: object, kind: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping) or not raw:
        raise RulesError(
            f"the {kind} must be a non-empty JSON object, not {type(raw).__name__} {raw!r:.80}"
        )
    if "max_extension_working_days" in raw and kind == "policy":
        raise RulesError(
            "max_extension_working_days is not read from the policy file: remove it and set"
            " HOTLINE_MAX_EXTENSION_WORKING_DAYS instead"
        )
    unknown = sorted(str(key) for key in set(raw) - allowed)
    if unknown:
        raise RulesError(
            f"unknown key(s) {', '.join(unknown)} in the {kind};"
            f" allowed: {', '.join(sorted(allowed))}"
        )
    return raw


def _rules_from(
    raw: object,
    name: str,
    keys: frozenset[str],
    build: Callable[[Mapping[str, Any]], T],
    own_error: type[Exception],
) -> T:
    """`build` of a file's document, or RulesError saying why it is no `name`."""
    document = _document(raw, name, keys)
    try:
        return build(document)
    except own_error as error:
        raise RulesError(str(error)) from None
    except (TypeError, AttributeError, ValueError) as error:  # e.g. "rules": null
        raise RulesError(
            f"the {name} has the wrong shape: {type(error).__name__}: {error}"
        ) from None


def policy_from(raw: object) -> Policy:
    """The time-limit policy of a HOTLINE_POLICY_FILE document, or RulesError saying why not."""
    return _rules_from(raw, "policy", POLICY_KEYS, Policy.from_mapping, PolicyError)


def ladder_from(raw: object) -> Ladder:
    """The escalation ladder of a HOTLINE_LADDER_FILE document, or RulesError saying why not."""
    return _rules_from(raw, "ladder", LADDER_KEYS, Ladder.from_mapping, LadderError)


def build_domain(
    config: dict[str, Any], schedules: Mapping[int, YearSchedule] | None = None
) -> Domain:
    """The rules from config; `schedules` (loaded by an administrator) replace packaged years.

    Only an unset policy or ladder (None) means the demo's: an empty one was refused at start-up
    (hotline.config), and is refused here too rather than quietly replaced."""
    tz = ZoneInfo(config["TIMEZONE"])
    policy, ladder = config.get("POLICY"), config.get("LADDER")
    return Domain(
        tz=tz,
        calendar=WorkCalendar(
            tz=tz,
            business_hours=config["BUSINESS_HOURS"],
            end_of_day=config["END_OF_DAY"],
            schedules=load_schedules(extra=schedules or None),
        ),
        policy=Policy.from_mapping(DEMO_POLICY_MAPPING) if policy is None else policy_from(policy),
        ladder=Ladder.from_mapping(DEMO_LADDER_MAPPING) if ladder is None else ladder_from(ladder),
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
