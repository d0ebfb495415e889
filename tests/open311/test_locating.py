"""Finding the area an address names, and reading W3C date-times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from hotline.open311.formats import format_datetime, parse_datetime
from routing.glossary import AreaLevel
from routing.locating import area_in_address
from routing.tree import AreaNode, AreaTree

AREAS = AreaTree(
    [
        AreaNode("1", "云江市", None, AreaLevel.CITY),
        AreaNode("11", "江城区", "1", AreaLevel.DISTRICT),
        AreaNode("111", "南湖街道", "11", AreaLevel.STREET),
        AreaNode("1111", "翠苑社区", "111", AreaLevel.COMMUNITY),
        AreaNode("112", "江滨街道", "11", AreaLevel.STREET),
        AreaNode("1121", "翠苑社区", "112", AreaLevel.COMMUNITY),
        AreaNode("12", "临湖区", "1", AreaLevel.DISTRICT),
    ]
)


def test_the_most_specific_area_named_in_the_address_wins() -> None:
    assert area_in_address(AREAS, "云江市江城区南湖街道翠苑社区 5 号楼") == "1111"
    assert area_in_address(AREAS, "江城区 江滨街道 翠苑社区") == "1121"
    assert area_in_address(AREAS, "临湖区人民路 8 号") == "12"


def test_an_ambiguous_name_gives_the_area_both_readings_share() -> None:
    assert area_in_address(AREAS, "翠苑社区 3 栋") == "11"


def test_an_address_naming_no_area_gives_none() -> None:
    assert area_in_address(AREAS, "人民路 8 号") is None
    assert area_in_address(AREAS, None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28T10:15:00+08:00", datetime(2026, 11, 28, 2, 15, tzinfo=UTC)),
        ("2026-11-28T02:15:00Z", datetime(2026, 11, 28, 2, 15, tzinfo=UTC)),
        ("2026-11-28T10:15", datetime(2026, 11, 28, 2, 15, tzinfo=UTC)),
        ("2026-11-28", datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),
        ("2026-11-28T10:15:00 08:00", datetime(2026, 11, 28, 2, 15, tzinfo=UTC)),
    ],
)
def test_w3c_datetimes_are_read_with_or_without_an_offset(
    app: Flask, text: str, expected: datetime
) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["28/11/2026", "2026-11-28T25:00:00Z", "20261128", "now"])
def test_anything_else_is_not_a_datetime(app: Flask, text: str) -> None:
    with pytest.raises(ValueError, match="日期时间"):
        parse_datetime(text)


def test_datetimes_are_written_in_local_time_with_the_offset(app: Flask) -> None:
    assert format_datetime(datetime(2026, 11, 28, 2, 15, tzinfo=UTC)) == "2026-11-28T10:15:00+08:00"
