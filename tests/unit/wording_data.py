"""The labelled message sets under tests/data, read once per test process."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def jsonl(name: str) -> tuple[dict[str, Any], ...]:
    """The rows of tests/data/`name`, one JSON object per non-empty line."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line)
