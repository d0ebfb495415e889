"""The labelled message sets under tests/data, read once per test process."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from routing.triage import TriageRules, triage

DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def jsonl(name: str) -> tuple[dict[str, Any], ...]:
    """The rows of tests/data/`name`, one JSON object per non-empty line."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line)


def triage_agrees(row: dict[str, Any], rules: TriageRules | None = None) -> bool:
    """Whether triage gives a labelled message (outcome, service, route) the outcome, and for an
    emergency the service and for a referral the route, that its label says."""
    result = triage(row["text"], rules or TriageRules.load_default())
    outcome = result.outcome.value if result.outcome else "dispatch"
    if outcome != row["outcome"]:
        return False
    if outcome == "emergency":
        return result.service == row["service"]
    if outcome == "referral":
        return result.route == row["route"]
    return True
