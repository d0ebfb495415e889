"""The escalation ladder (预警 → 超期 → 催办 → 督办 → 提级督办) for one clock, as configuration.

Each level fires once per ticket, clock and due time; the caller records which levels fired.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing.calendar import WorkCalendar
from routing.glossary import ClockName


class LadderError(ValueError):
    """An escalation ladder that cannot be used as given."""


class Level(StrEnum):
    """The rungs of the ladder, in escalating order."""

    WARNING = "warning"
    OVERDUE = "overdue"
    URGE = "urge"
    SUPERVISE = "supervise"
    ESCALATE = "escalate"


NOTIFY_TARGETS = frozenset(
    {"unit_liaison", "unit_head", "district_government", "leaders", "supervisor"}
)

# The callback clock (回访) is the centre's own work: only these levels fire for it, and they
# tell the centre's head, not a unit.
CENTRE_LEVELS = frozenset({Level.WARNING, Level.OVERDUE})
CENTRE_RECIPIENT = "supervisor"

# Whom a level notifies when the ladder has no step for it (催办 or 督办 taken by hand).
DEFAULT_NOTIFY: Mapping[Level, str] = {
    Level.WARNING: "unit_liaison",
    Level.OVERDUE: "unit_liaison",
    Level.URGE: "unit_head",
    # 督办 is an order to the unit's leadership to see the ticket through: its head hears it.
    Level.SUPERVISE: "unit_head",
    Level.ESCALATE: "district_government",
}


@dataclass(frozen=True, slots=True)
class Share:
    """At this share of the span from the clock's start to its due time (e.g. 0.8)."""

    fraction: float


@dataclass(frozen=True, slots=True)
class Lead:
    """A fixed time before the due time."""

    before: timedelta


@dataclass(frozen=True, slots=True)
class After:
    """A fixed time after the due time (zero: at the due time)."""

    after: timedelta


StepTime = Share | Lead | After


@dataclass(frozen=True, slots=True)
class Step:
    """One rung: when it fires, whom it notifies, and whether people get a message."""

    level: Level
    at: StepTime
    notify: str
    message_to_people: bool

    def __post_init__(self) -> None:
        if self.notify not in NOTIFY_TARGETS:
            raise LadderError(
                f"{self.level} 的通知对象 {self.notify!r} 无效，可选："
                + "、".join(sorted(NOTIFY_TARGETS))
            )
        if isinstance(self.at, Share) and not 0 < self.at.fraction <= 1:
            raise LadderError(f"{self.level} 的时间比例必须在 0 到 1 之间")
        if isinstance(self.at, Lead) and self.at.before <= timedelta(0):
            raise LadderError(f"{self.level} 的提前量必须大于 0")
        if isinstance(self.at, After) and self.at.after < timedelta(0):
            raise LadderError(f"{self.level} 的超期后时长不能为负")

    def fire_at(self, start: datetime, due: datetime) -> datetime:
        if isinstance(self.at, Share):
            span = max(due - start, timedelta(0))
            return start + span * self.at.fraction
        if isinstance(self.at, Lead):
            # A lead longer than the whole span fires at the start, never before it.
            return max(due - self.at.before, start)
        return due + self.at.after

    def to_mapping(self) -> dict[str, Any]:
        timing: dict[str, float]
        if isinstance(self.at, Share):
            timing = {"share": self.at.fraction}
        elif isinstance(self.at, Lead):
            timing = {"lead_hours": self.at.before / timedelta(hours=1)}
        else:
            timing = {"after_hours": self.at.after / timedelta(hours=1)}
        return {
            "level": str(self.level),
            **timing,
            "notify": self.notify,
            "message_to_people": self.message_to_people,
        }

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Step:
        try:
            level = Level(raw["level"])
        except (KeyError, ValueError):
            raise LadderError(f"无效的督办级别：{raw.get('level')!r}") from None
        timings = [key for key in ("share", "lead_hours", "after_hours") if key in raw]
        if len(timings) != 1:
            raise LadderError(f"{level} 必须且只能给出 share、lead_hours、after_hours 之一")
        value = raw[timings[0]]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise LadderError(f"{level} 的 {timings[0]} 必须是数字")
        at: StepTime
        if timings[0] == "share":
            at = Share(float(value))
        elif timings[0] == "lead_hours":
            at = Lead(timedelta(hours=value))
        else:
            at = After(timedelta(hours=value))
        return cls(level, at, str(raw.get("notify", "")), bool(raw.get("message_to_people", True)))


@dataclass(frozen=True, slots=True)
class Ladder:
    """The steps of one clock plus the structural triggers for 提级督办."""

    steps: Sequence[Step]
    escalate_after_reopens: int = 3
    escalate_after_units: int = 3

    def __post_init__(self) -> None:
        levels = [step.level for step in self.steps]
        if len(set(levels)) != len(levels):
            raise LadderError("每个督办级别在阶梯中只能出现一次")
        if self.escalate_after_reopens < 1 or self.escalate_after_units < 1:
            raise LadderError("提级督办的次数阈值必须至少为 1")

    def fire_times(
        self, start: datetime, due: datetime, clock: str = ""
    ) -> list[tuple[Level, datetime]]:
        """Every step's fire time for `clock`, earliest first (ties keep the ladder's order).

        The callback clock is the centre's own work: it is warned of and marked overdue, but
        nobody is urged, supervised or escalated for it (those press a unit)."""
        steps = self.steps
        if clock == ClockName.CALLBACK:
            steps = tuple(step for step in steps if step.level in CENTRE_LEVELS)
        times = [(step.level, step.fire_at(start, due)) for step in steps]
        return sorted(times, key=lambda pair: pair[1])

    def due_steps(
        self,
        start: datetime,
        due: datetime,
        now: datetime,
        fired: Collection[Level],
        clock: str = "",
    ) -> list[Level]:
        """Levels whose time has come and which have not fired yet, in firing order."""
        return [
            level
            for level, at in self.fire_times(start, due, clock)
            if at <= now and level not in fired
        ]

    def next_fire_at(
        self, start: datetime, due: datetime, fired: Collection[Level], clock: str = ""
    ) -> datetime | None:
        """When the earliest unfired step fires (the ticket's indexed next_due_at), or None."""
        pending = [at for level, at in self.fire_times(start, due, clock) if level not in fired]
        return min(pending) if pending else None

    def recipient(self, level: Level, clock: str = "") -> str:
        """Whom a step's message goes to: the centre's head for the centre's own clock."""
        return CENTRE_RECIPIENT if clock == ClockName.CALLBACK else self.step(level).notify

    def step(self, level: Level) -> Step:
        for step in self.steps:
            if step.level is level:
                return step
        raise LadderError(f"阶梯中没有 {level} 级别")

    def notify_for(self, level: Level) -> str:
        """Whom the level's messages go to: its step's `notify`, else the default target."""
        for step in self.steps:
            if step.level is level:
                return step.notify
        return DEFAULT_NOTIFY[level]

    def notify_at(self, level: Level, fired_at: datetime, calendar: WorkCalendar) -> datetime:
        """When to send the step's message: alerts to people wait for working hours."""
        if self.step(level).message_to_people:
            return calendar.message_time(fired_at)
        return fired_at

    def structural_grounds(self, reopen_count: int, units_bounced: int) -> dict[str, str]:
        """The grounds ("reopens", "units") on which a ticket is escalated regardless of clocks,
        each with its reason (Chinese)."""
        grounds: dict[str, str] = {}
        if reopen_count >= self.escalate_after_reopens:
            grounds["reopens"] = (
                f"工单已重办 {reopen_count} 次（阈值 {self.escalate_after_reopens} 次）"
            )
        if units_bounced >= self.escalate_after_units:
            grounds["units"] = (
                f"工单已在 {units_bounced} 个单位间流转（阈值 {self.escalate_after_units} 个）"
            )
        return grounds

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> Ladder:
        raw_steps = d.get("steps")
        if not isinstance(raw_steps, Sequence) or isinstance(raw_steps, str):
            raise LadderError("督办阶梯的 steps 必须是列表")
        steps = []
        for raw in raw_steps:
            if not isinstance(raw, Mapping):
                raise LadderError("督办阶梯的每一步必须是对象")
            steps.append(Step.from_mapping(raw))
        reopens = d.get("escalate_after_reopens", 3)
        units = d.get("escalate_after_units", 3)
        if not isinstance(reopens, int) or not isinstance(units, int):
            raise LadderError("提级督办的次数阈值必须是整数")
        return cls(tuple(steps), reopens, units)

    def to_mapping(self) -> dict[str, Any]:
        return {
            "steps": [step.to_mapping() for step in self.steps],
            "escalate_after_reopens": self.escalate_after_reopens,
            "escalate_after_units": self.escalate_after_units,
        }


DEMO_LADDER_MAPPING: dict[str, Any] = {
    "steps": [
        {"level": "warning", "share": 0.8, "notify": "unit_liaison", "message_to_people": True},
        {"level": "overdue", "after_hours": 0, "notify": "unit_liaison", "message_to_people": True},
        {"level": "urge", "after_hours": 0, "notify": "unit_head", "message_to_people": True},
        {
            "level": "supervise",
            "after_hours": 24,
            "notify": "unit_head",
            "message_to_people": True,
        },
        {
            "level": "escalate",
            "after_hours": 72,
            "notify": "district_government",
            "message_to_people": True,
        },
    ],
    "escalate_after_reopens": 3,
    "escalate_after_units": 3,
}


def escalation_reason(reasons: Iterable[str]) -> str:
    """The reasons of a structural escalation as one sentence."""
    return "；".join(reasons) + "，提级督办"
