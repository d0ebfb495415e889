"""Time-limit policy (限时办结): tiers of limits, the rules that pick a tier, and clock due times.

A policy is plain data (`to_mapping`) so that it can be snapshotted onto a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from routing.calendar import CalendarNotCovered, Due, WorkCalendar
from routing.glossary import AppealType, Channel, ClockName, Urgency


class PolicyError(ValueError):
    """A time-limit policy or limit that cannot be used as given."""


class LimitUnit(StrEnum):
    """How a limit is counted."""

    NATURAL_HOURS = "natural_hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


_SUFFIX = {
    LimitUnit.NATURAL_HOURS: "h",
    LimitUnit.WORKING_HOURS: "wh",
    LimitUnit.WORKING_DAYS: "wd",
}
_UNIT_BY_SUFFIX = {suffix: unit for unit, suffix in _SUFFIX.items()}
_LIMIT_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|wh|h)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    """An amount of natural hours, working hours or working days, written "24h", "2wh", "5wd"."""

    amount: float
    unit: LimitUnit

    def __post_init__(self) -> None:
        if not self.amount > 0:
            raise PolicyError(f"时限必须大于 0：{self.amount:g}")
        if self.unit is LimitUnit.WORKING_DAYS and self.amount != int(self.amount):
            raise PolicyError(f"工作日时限必须是整数：{self.amount:g}")

    @classmethod
    def parse(cls, text: str) -> Limit:
        """Read "5wd" (working days), "2wh" (working hours) or "24h" / "0.5h" (natural hours)."""
        match = _LIMIT_PATTERN.match(text)
        if match is None:
            raise PolicyError(
                f"无法识别的时限 {text!r}：应写作 24h（自然小时）、2wh（工作小时）或 5wd（工作日）"
            )
        return cls(float(match.group(1)), _UNIT_BY_SUFFIX[match.group(2)])

    def __str__(self) -> str:
        return f"{self.amount:g}{_SUFFIX[self.unit]}"

    def due(self, calendar: WorkCalendar, start: datetime) -> Due:
        """The due time of this limit counted from `start`."""
        if self.unit is LimitUnit.WORKING_DAYS:
            return calendar.add_working_days(start, int(self.amount))
        if self.unit is LimitUnit.WORKING_HOURS:
            return calendar.add_working_hours(start, self.amount)
        return calendar.add_natural_hours(start, self.amount)


@dataclass(frozen=True, slots=True)
class Tier:
    """A named set of limits for the sign, contact, handle and callback clocks."""

    name: str
    label_zh: str
    sign: Limit
    contact: Limit
    handle: Limit
    callback: Limit

    def limit(self, clock: ClockName) -> Limit:
        limits = {
            ClockName.SIGN: self.sign,
            ClockName.CONTACT: self.contact,
            ClockName.HANDLE: self.handle,
            ClockName.CALLBACK: self.callback,
        }
        return limits[clock]

    def to_mapping(self) -> dict[str, Any]:
        """The tier as JSON: what is snapshotted onto a ticket at dispatch."""
        return {
            "name": self.name,
            "label_zh": self.label_zh,
            "sign": str(self.sign),
            "contact": str(self.contact),
            "handle": str(self.handle),
            "callback": str(self.callback),
        }

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Tier:
        body = {key: value for key, value in raw.items() if key != "name"}
        return _tier_from_mapping(str(raw["name"]), body)


@dataclass(frozen=True, slots=True)
class TierRule:
    """Picks `tier` when every given criterion matches (None matches anything)."""

    appeal_type: AppealType | None
    urgency: Urgency | None
    channel: Channel | None
    tier: str
    # A limit set by its own regulation (the service hall's 好差评 rectification period) holds
    # whatever tier the catalogue entry names for the matter.
    over_catalogue: bool = False

    def matches(
        self, appeal_type: AppealType | None, urgency: Urgency | None, channel: Channel | None
    ) -> bool:
        return (
            (self.appeal_type is None or self.appeal_type == appeal_type)
            and (self.urgency is None or self.urgency == urgency)
            and (self.channel is None or self.channel == channel)
        )


_TIER_KEYS = {"label_zh", "sign", "contact", "handle", "callback"}
_RULE_KEYS = {"appeal_type", "urgency", "channel", "tier", "over_catalogue"}


@dataclass(frozen=True, slots=True)
class Policy:
    """Tiers, ordered rules and the default tier.

    Choosing a tier (`tier_for`): a critical urgency always gets `critical_tier`, because a life-
    or safety-threatening appeal must never wait on a catalogue's slower default; then the first
    matching rule marked `over_catalogue` (a limit another regulation sets); otherwise the
    catalogue entry's tier wins; otherwise the first matching rule; otherwise `default_tier`.
    """

    tiers: Mapping[str, Tier]
    rules: Sequence[TierRule]
    default_tier: str
    critical_tier: str = "critical"
    max_extension_working_days: int = 10

    def __post_init__(self) -> None:
        for name, tier in self.tiers.items():
            if name != tier.name:
                raise PolicyError(f"时限档位键 {name!r} 与档位名称 {tier.name!r} 不一致")
        for role, name in (("默认档位", self.default_tier), ("特急档位", self.critical_tier)):
            if name not in self.tiers:
                raise PolicyError(f"{role} {name!r} 未定义")
        for position, rule in enumerate(self.rules, start=1):
            if rule.tier not in self.tiers:
                raise PolicyError(f"第 {position} 条规则引用了未定义的时限档位 {rule.tier!r}")
        if self.max_extension_working_days < 1:
            raise PolicyError("延期上限必须至少为 1 个工作日")

    def tier_for(
        self,
        appeal_type: AppealType | None,
        urgency: Urgency | None,
        channel: Channel | None,
        catalogue_tier: str | None = None,
    ) -> Tier:
        """The tier for a ticket; see the class docstring for the order of precedence."""
        if urgency is Urgency.CRITICAL:
            return self.tiers[self.critical_tier]
        for rule in self.rules:
            if rule.over_catalogue and rule.matches(appeal_type, urgency, channel):
                return self.tiers[rule.tier]
        if catalogue_tier is not None:
            tier = self.tiers.get(catalogue_tier)
            if tier is None:
                raise PolicyError(f"派单目录指定的时限档位 {catalogue_tier!r} 未定义")
            return tier
        for rule in self.rules:
            if rule.matches(appeal_type, urgency, channel):
                return self.tiers[rule.tier]
        return self.tiers[self.default_tier]

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> Policy:
        """Build a policy from its JSON-able mapping (the format of `to_mapping`)."""
        try:
            raw_tiers = d["tiers"]
            default_tier = str(d["default_tier"])
        except KeyError as missing:
            raise PolicyError(f"时限策略缺少字段 {missing.args[0]!r}") from None
        if not isinstance(raw_tiers, Mapping) or not raw_tiers:
            raise PolicyError("时限策略的 tiers 必须是非空对象")
        tiers = {str(name): _tier_from_mapping(str(name), raw) for name, raw in raw_tiers.items()}
        rules = [_rule_from_mapping(i, raw) for i, raw in enumerate(d.get("rules", []), start=1)]
        return cls(
            tiers=tiers,
            rules=rules,
            default_tier=default_tier,
            critical_tier=str(d.get("critical_tier", "critical")),
            max_extension_working_days=_int(
                d.get("max_extension_working_days", 10), "max_extension_working_days"
            ),
        )

    def to_mapping(self) -> dict[str, Any]:
        """A JSON-able dict; what gets snapshotted onto a ticket."""
        return {
            "default_tier": self.default_tier,
            "critical_tier": self.critical_tier,
            "max_extension_working_days": self.max_extension_working_days,
            "tiers": {
                name: {k: v for k, v in tier.to_mapping().items() if k != "name"}
                for name, tier in self.tiers.items()
            },
            "rules": [
                {
                    key: value
                    for key, value in (
                        ("appeal_type", rule.appeal_type),
                        ("urgency", rule.urgency),
                        ("channel", rule.channel),
                        ("tier", rule.tier),
                        ("over_catalogue", rule.over_catalogue or None),
                    )
                    if value is not None
                }
                for rule in self.rules
            ],
        }


def _int(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{key} 必须是整数，收到 {value!r}")
    return value


def _tier_from_mapping(name: str, raw: object) -> Tier:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"时限档位 {name!r} 必须是对象")
    missing = sorted(_TIER_KEYS - set(raw))
    if missing:
        raise PolicyError(f"时限档位 {name!r} 缺少字段：{'、'.join(missing)}")
    unknown = sorted(set(raw) - _TIER_KEYS)
    if unknown:
        raise PolicyError(f"时限档位 {name!r} 含未知字段：{'、'.join(unknown)}")
    try:
        return Tier(
            name=name,
            label_zh=str(raw["label_zh"]),
            sign=Limit.parse(str(raw["sign"])),
            contact=Limit.parse(str(raw["contact"])),
            handle=Limit.parse(str(raw["handle"])),
            callback=Limit.parse(str(raw["callback"])),
        )
    except PolicyError as exc:
        raise PolicyError(f"时限档位 {name!r}：{exc}") from None


def _rule_from_mapping(position: int, raw: object) -> TierRule:
    if not isinstance(raw, Mapping) or "tier" not in raw:
        raise PolicyError(f"第 {position} 条规则必须是含 tier 字段的对象")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise PolicyError(f"第 {position} 条规则含未知字段：{'、'.join(unknown)}")
    try:
        appeal_type = AppealType(raw["appeal_type"]) if raw.get("appeal_type") else None
        urgency = Urgency(raw["urgency"]) if raw.get("urgency") else None
        channel = Channel(raw["channel"]) if raw.get("channel") else None
    except ValueError as exc:
        raise PolicyError(f"第 {position} 条规则：{exc}") from None
    over = raw.get("over_catalogue", False)
    if not isinstance(over, bool):
        raise PolicyError(f"第 {position} 条规则：over_catalogue 必须是 true 或 false")
    return TierRule(appeal_type, urgency, channel, str(raw["tier"]), over)


DEMO_POLICY_MAPPING: dict[str, Any] = {
    "default_tier": "normal",
    "critical_tier": "critical",
    "max_extension_working_days": 10,
    "tiers": {
        "critical": {
            "label_zh": "特急",
            "sign": "0.5h",
            "contact": "0.5h",
            "handle": "2h",
            "callback": "1wd",
        },
        "urgent": {
            "label_zh": "紧急",
            "sign": "2wh",
            "contact": "2h",
            "handle": "24h",
            "callback": "1wd",
        },
        "utility": {
            "label_zh": "水电气热等公共服务",
            "sign": "2wh",
            "contact": "2h",
            "handle": "24h",
            "callback": "1wd",
        },
        "normal": {
            "label_zh": "一般",
            "sign": "2wh",
            "contact": "24h",
            "handle": "5wd",
            "callback": "1wd",
        },
        "complex": {
            "label_zh": "复杂",
            "sign": "2wh",
            "contact": "24h",
            "handle": "15wd",
            "callback": "1wd",
        },
        "consult": {
            "label_zh": "咨询",
            "sign": "2wh",
            "contact": "24h",
            "handle": "1wd",
            "callback": "1wd",
        },
        "hall_rating": {
            "label_zh": "好差评整改",
            "sign": "2wh",
            "contact": "24h",
            "handle": "5wd",
            "callback": "1wd",
        },
    },
    "rules": [
        {"urgency": "urgent", "tier": "urgent"},
        {"channel": "hall_rating", "tier": "hall_rating", "over_catalogue": True},
        {"appeal_type": "consult", "tier": "consult"},
    ],
}

DISPATCH_CLOCKS = (ClockName.SIGN, ClockName.CONTACT, ClockName.HANDLE)


_Due = TypeVar("_Due", Due, Due | None)


def compute_clocks(
    calendar: WorkCalendar, tier: Tier, dispatched_at: datetime
) -> dict[ClockName, Due]:
    """Sign, contact and handle due times; accountability starts at dispatch, not at signing.

    Signing and contacting are steps of the handling, so neither is due after it: a 24-hour
    utility ticket dispatched on a Saturday evening must be signed by Sunday evening, not at
    11:00 on Monday when its 2 working hours would run out.
    """
    dues = {clock: tier.limit(clock).due(calendar, dispatched_at) for clock in DISPATCH_CLOCKS}
    _within_handling(dues)
    return dues


def compute_open_clocks(
    calendar: WorkCalendar, tier: Tier, dispatched_at: datetime
) -> tuple[dict[ClockName, Due | None], str | None]:
    """As compute_clocks, but a clock whose due time falls past the years the calendar knows
    is None instead of an error, with the calendar's reason (the first such) beside them."""
    dues: dict[ClockName, Due | None] = {}
    reason: str | None = None
    for clock in DISPATCH_CLOCKS:
        try:
            dues[clock] = tier.limit(clock).due(calendar, dispatched_at)
        except CalendarNotCovered as error:
            dues[clock] = None
            reason = reason or str(error)
    _within_handling(dues)
    return dues, reason


def _within_handling(dues: MutableMapping[ClockName, _Due]) -> None:
    """Signing and contact are steps of the handling: neither is due after it."""
    handle = dues[ClockName.HANDLE]
    for clock in (ClockName.SIGN, ClockName.CONTACT):
        due = dues[clock]
        if handle is not None and due is not None and due.due_at > handle.due_at:
            dues[clock] = handle


def callback_due(calendar: WorkCalendar, tier: Tier, reviewed_at: datetime) -> Due:
    """The callback clock starts when the centre has reviewed the reply."""
    return tier.callback.due(calendar, reviewed_at)


def extend(calendar: WorkCalendar, due: datetime, working_days: int) -> Due:
    """An approved extension: `working_days` more after the current handle due time."""
    if working_days < 1:
        raise PolicyError(f"延期至少 1 个工作日，收到 {working_days}")
    return calendar.add_working_days(due, working_days)
