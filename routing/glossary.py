"""The domain vocabulary of DOMAIN.md as enums shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """渠道: how the appeal reached the centre."""

    PHONE = "phone"
    SMS = "sms"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    WINDOW = "window"
    EMAIL = "email"
    LETTER = "letter"
    FAX = "fax"
    OPEN311 = "open311"
    HALL_RATING = "hall_rating"
    LEGACY = "legacy"


class AppealType(StrEnum):
    """诉求类型."""

    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    OTHER = "other"


class Urgency(StrEnum):
    """紧急程度."""

    CRITICAL = "critical"
    URGENT = "urgent"
    NORMAL = "normal"


class TriageOutcome(StrEnum):
    """The exactly-one outcome of an accepted contact."""

    EMERGENCY = "emergency"
    REFERRAL = "referral"
    NOT_ACCEPTED = "not_accepted"
    MERGE = "merge"
    ANSWER = "answer"
    DISPATCH = "dispatch"


URGENCY_LABELS = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急", Urgency.CRITICAL: "特急"}


class ClockName(StrEnum):
    """The separate clocks a dispatched ticket carries."""

    SIGN = "sign"
    CONTACT = "contact"
    HANDLE = "handle"
    CALLBACK = "callback"


class UnitKind(StrEnum):
    """承办单位 kinds, from the city down to public-service companies."""

    CENTRE = "centre"
    CITY_DEPARTMENT = "city_department"
    DISTRICT_GOVERNMENT = "district_government"
    DISTRICT_DEPARTMENT = "district_department"
    STREET_OFFICE = "street_office"
    COMMUNITY = "community"
    UTILITY = "utility"


class AreaLevel(StrEnum):
    """行政区划 levels."""

    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


AREA_LEVEL_DEPTH: dict[AreaLevel, int] = {
    AreaLevel.CITY: 0,
    AreaLevel.DISTRICT: 1,
    AreaLevel.STREET: 2,
    AreaLevel.COMMUNITY: 3,
    AreaLevel.GRID: 4,
}
