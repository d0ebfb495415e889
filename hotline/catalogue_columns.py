"""Checks of the catalogue columns whose values the routing core stores without a domain:
派单层级 against the area levels of the glossary, 时限档位 against the policy's tiers."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from routing.catalogue import EntryRow, Problem

# The glossary's area levels (city > district > street > community) as the sheet names them.
DISPATCH_LEVELS: tuple[str, ...] = ("市级", "区级", "街道级", "社区级")


def column_problems(rows: Iterable[EntryRow], tiers: Collection[str]) -> list[Problem]:
    """A problem per 派单层级 or 时限档位 outside its domain; blank cells are allowed (no level
    given; the tier the policy's rules pick)."""
    problems: list[Problem] = []
    known_tiers = "、".join(sorted(tiers))
    for row in rows:
        if row.dispatch_level and row.dispatch_level not in DISPATCH_LEVELS:
            problems.append(
                Problem(
                    row.row,
                    "派单层级",
                    f"无法识别的派单层级“{row.dispatch_level}”，应为 "
                    + "、".join(DISPATCH_LEVELS)
                    + " 之一，可留空",
                )
            )
        if row.tier is not None and row.tier not in tiers:
            problems.append(
                Problem(
                    row.row,
                    "时限档位",
                    f"时限档位“{row.tier}”不在时限政策中，应为 {known_tiers} 之一，"
                    "留空由政策规则决定",
                )
            )
    return problems
