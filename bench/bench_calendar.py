"""Benchmark: add_working_days throughput for N=1 and N=200 against a plain timedelta baseline.

Run: python bench/bench_calendar.py [--write docs/benchmarks/calendar.md]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.calendar import SHANGHAI, WorkCalendar

OPERATIONS = 200_000
ROUNDS = 5


def best_rates(
    operations: dict[str, Callable[[datetime], object]], starts: list[datetime]
) -> dict[str, float]:
    """Best of ROUNDS timed passes per operation, interleaved so that noise hits all alike."""
    best = dict.fromkeys(operations, float("inf"))
    for _ in range(ROUNDS):
        for name, operation in operations.items():
            began = time.perf_counter()
            for start in starts:
                operation(start)
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: len(starts) / seconds for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write the markdown section to this file")
    args = parser.parse_args()

    calendar = WorkCalendar()
    # Dispatch instants spread over 2024-2026, every 7 minutes, so days and hours vary.
    first = datetime(2024, 1, 1, 8, 0, tzinfo=SHANGHAI)
    starts = [first + timedelta(minutes=7 * i) for i in range(OPERATIONS)]
    starts = [s for s in starts if s.year <= 2026][:OPERATIONS]

    add = calendar.add_working_days
    rates = best_rates(
        {
            "add_working_days(t, 1)": lambda s: add(s, 1),
            "add_working_days(t, 200)": lambda s: add(s, 200),
            "baseline t + timedelta(days=200)": lambda s: s + timedelta(days=200),
        },
        starts,
    )
    one, two_hundred = rates["add_working_days(t, 1)"], rates["add_working_days(t, 200)"]
    baseline = rates["baseline t + timedelta(days=200)"]
    rows = list(rates.items())
    lines = [
        "## Working calendar (routing/calendar.py)",
        "",
        "Command: `python bench/bench_calendar.py --write docs/benchmarks/calendar.md` "
        f"({len(starts):,} calls per pass, best of "
        f"{ROUNDS}; Python {platform.python_version()}, {platform.machine()}).",
        "",
        "| operation | ops/s |",
        "|---|---:|",
        *(f"| `{name}` | {rate:,.0f} |" for name, rate in rows),
        "",
        f"- Flatness in N: ops/s(N=200) / ops/s(N=1) = {two_hundred / one:.2f} "
        "(1.00 means adding 200 working days costs the same as adding 1).",
        f"- Against the baseline: N=1 runs at {one / baseline:.2f}x and N=200 at "
        f"{two_hundred / baseline:.2f}x the speed of a plain `timedelta` addition.",
        f"- Target: at least 200,000 ops/s; "
        f"{'met' if min(one, two_hundred) >= 200_000 else 'NOT met'}.",
        "- Why it is flat: per covered year span the calendar precomputes the sorted working-day "
        "ordinals and a prefix count per date, so adding N working days is index arithmetic; the "
        "clerk's explanation is built only when read.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
