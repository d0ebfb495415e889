"""The app's domain rules (calendar, time-limit policy, escalation ladder), built once per app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from routing.calendar import WorkCalendar
from routing.escalation import DEMO_LADDER_MAPPING, Ladder
from routing.sla import DEMO_POLICY_MAPPING, Policy


@dataclass(frozen=True)
class Domain:
    tz: ZoneInfo
    calendar: WorkCalendar
    policy: Policy
    ladder: Ladder


def build_domain(config: dict[str, Any]) -> Domain:
    tz = ZoneInfo(config["TIMEZONE"])
    return Domain(
        tz=tz,
        calendar=WorkCalendar(tz=tz),
        policy=Policy.from_mapping(config.get("POLICY") or DEMO_POLICY_MAPPING),
        ladder=Ladder.from_mapping(config.get("LADDER") or DEMO_LADDER_MAPPING),
    )


def domain_of(app: Flask) -> Domain:
    """The app's Domain, built on first use (not in the factory: it reads data files)."""
    cached: Domain | None = app.extensions.get("hotline.domain")
    if cached is None:
        cached = build_domain(dict(app.config))
        app.extensions["hotline.domain"] = cached
    return cached


def current_domain() -> Domain:
    return domain_of(current_app)


def reset_domain(app: Flask) -> None:
    """Forget the cached rules, e.g. after an official holiday schedule was loaded."""
    app.extensions.pop("hotline.domain", None)
