"""Throughput and p99 of POST /api/v1/tickets and the signed SMS webhook under gunicorn on
PostgreSQL, against a bare Flask endpoint doing one INSERT, measured in the same run.

    DATABASE_URL=postgresql://... REDIS_URL=redis://... python bench/bench_intake.py [--seconds 15]

The database is the benchmark's own: it is migrated, the demo city loaded, and every ticket of
an earlier run deleted first, so that each run starts from the same empty queue (otherwise the
appeals of the last run make this run's appeals repeats, merged instead of dispatched).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _realistic_texts() -> list[str]:
    """The realistic appeals of the test set that go on to dispatch (no emergency, referral or
    refusal), so the benchmark drives the full path: triage, duplicates, classify, route."""
    with (ROOT / "tests/data/real_messages.csv").open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle) if row["expected_outcome"] == "none"]


def _communities() -> list[str]:
    with (ROOT / "hotline/demo/data/areas.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle) if row["level"] == "community"]


TEXTS = _realistic_texts()
COMMUNITIES = _communities()


def appeal(n: int, i: int) -> tuple[str, str]:
    """A text and a community for client n's request i: spread so that repeats are rare."""
    return TEXTS[(n * 7919 + i) % len(TEXTS)], COMMUNITIES[(n * 31 + i * 7) % len(COMMUNITIES)]


BARE_APP = textwrap.dedent(
    """
    import os
    from flask import Flask, request, jsonify
    from sqlalchemy import create_engine, text
    url = os.environ["BENCH_DB"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, pool_size=4)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_bare (id serial primary key, body text)"))
    app = Flask(__name__)

    @app.post("/bare")
    def bare():
        body = request.get_json()
        with engine.begin() as c:
            new_id = c.execute(text("INSERT INTO bench_bare (body) VALUES (:b) RETURNING id"),
                               {"b": body["text"]}).scalar_one()
        return jsonify({"id": new_id}), 201
    """
)


TICKET_TABLES = (
    "ticket_events, ticket_assignments, breaches, outbox, conversations, inbound_messages, "
    "idempotency_keys, personal_data_access, tickets, requesters, ticket_number_counters"
)


def ensure_database(url: str) -> None:
    """Create the benchmark's database when the server has none of that name yet."""
    import psycopg
    from psycopg import sql

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    parts = urllib.parse.urlsplit(plain)
    name = urllib.parse.unquote(parts.path.lstrip("/"))
    try:
        psycopg.connect(plain).close()
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error) or not name:
            raise
        maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def empty_the_queue(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as connection:
        connection.execute(f"TRUNCATE {TICKET_TABLES} RESTART IDENTITY CASCADE")


# The floor: a bare Flask endpoint that runs exactly the SQL of one recorded dispatching intake
# (the duplicate lookup, the number allocation, the one INSERT of requester, ticket, events,
# assignments and outbox rows, the commit) with new ids, and nothing else: no validation, triage,
# classification, routing, clocks or response building. What it reaches is what any
# implementation of the transaction can reach on this machine.
FLOOR_APP = textwrap.dedent(
    """
    import os
    import sys

    sys.path.insert(0, os.environ["BENCH_ROOT"])
    import psycopg
    from flask import Flask, jsonify, request

    import hotline.postgres as pg
    from hotline.app import create_app
    from hotline.extensions import db
    from hotline.intake import Submission, submit
    from hotline.lifecycle import SYSTEM

    recorded = []
    original = pg.fetch_arguments

    def record(connection, compiled, arguments):
        recorded.append((compiled, list(arguments)))
        return original(connection, compiled, arguments)

    pg.fetch_arguments = record
    hotline_app = create_app()
    with hotline_app.app_context():
        appeal = Submission(
            channel="web",
            appeal_type="complaint",
            text=os.environ["BENCH_TEXT"],
            area_code=os.environ["BENCH_AREA"],
            requester_phone="+8613700000000",
        )
        assert submit(db.session, SYSTEM, appeal).ticket.lead_unit_code is not None
        db.session.rollback()
    pg.fetch_arguments = original
    (candidates, allocation, write) = recorded
    url = os.environ["BENCH_DB"]
    names = write[0].names
    app = Flask(__name__)
    connections = {}

    def connection(kind):
        if kind not in connections:
            connections[kind] = psycopg.connect(url, autocommit=kind == "allocation")
        return connections[kind]

    def arguments(ticket_id, requester_id, number, text):
        values = list(write[1])
        for position, name in enumerate(names):
            prefix, _, column = name.partition("_")
            if name in ("r0_id", "t0_requester_id"):
                values[position] = requester_id
            elif name == "t0_id" or column == "ticket_id":
                values[position] = ticket_id
            elif (prefix, column) == ("t0", "number"):
                values[position] = number
            elif (prefix, column) == ("t0", "text"):
                values[position] = text
            elif column == "idempotency_key":
                values[position] = f"floor:{ticket_id}:{prefix}"
        return write[0].encode(values)

    @app.post("/floor")
    def floor():
        body = request.get_json()
        main = connection("main")
        with psycopg.RawCursor(main) as cursor:
            cursor.execute(candidates[0].sql, candidates[0].encode(list(candidates[1])))
            cursor.fetchall()
        with psycopg.RawCursor(connection("allocation")) as cursor:
            last, ticket_id, requester_id = cursor.execute(
                allocation[0].sql, list(allocation[1])
            ).fetchone()
        number = f"F{ticket_id}-{last}"
        with psycopg.RawCursor(main) as cursor:
            cursor.execute(write[0].sql, arguments(ticket_id, requester_id, number, body["text"]))
            cursor.fetchall()
        main.commit()
        return jsonify({"id": ticket_id, "number": number}), 201
    """
)


CPU_GROUPS = ("web workers", "PostgreSQL", "Redis", "relay", "load generator")


def cpu_seconds(groups: dict[str, set[int]]) -> dict[str, float]:
    """User + system CPU seconds so far of each group's processes (Linux /proc): gunicorn
    masters and the relay lead process groups of their own; the database servers by name."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(CPU_GROUPS, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        pid, group_id = int(stat.parent.name), int(fields[2])
        seconds = (int(fields[11]) + int(fields[12])) / ticks
        if name.startswith("postgres"):
            totals["PostgreSQL"] += seconds
        elif name.startswith("redis"):
            totals["Redis"] += seconds
        else:
            for group, leaders in groups.items():
                if pid in leaders or group_id in leaders:
                    totals[group] += seconds
    return totals


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, path: str = "/healthz") -> None:
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def load(port: int, make_request, seconds: float, clients: int) -> tuple[float, float, int]:
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(n: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = 0
        local: list[float] = []
        bad = 0
        while time.perf_counter() < stop_at:
            method, path, body, headers = make_request(n, i)
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            local.append(time.perf_counter() - started)
            if response.status >= 400:
                bad += 1
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            i += 1
        with lock:
            latencies.extend(local)
            errors += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if statuses:
        print(f"  errors on port {port}: {statuses}", file=sys.stderr)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return len(latencies) / elapsed, p99, errors


def gunicorn(app_spec: str, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    # Both servers run with the production settings (gunicorn.conf.py), only the port differs.
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            app_spec,
        ],
        cwd=cwd,
        env=env,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set DATABASE_URL to a PostgreSQL database the benchmark may fill")

    from twilio.request_validator import RequestValidator

    token = "bench-auth-token"
    env = dict(
        os.environ,
        BENCH_DB=url,
        HOTLINE_SECRET_KEY="bench",
        TWILIO_AUTH_TOKEN=token,
        HOTLINE_DEMO_API_KEY="bench-key",
        HOTLINE_DEMO_PASSWORD="bench",
    )
    # Production runs with Redis: the outbox relay enqueues to RQ instead of sending inline.
    if not env.get("REDIS_URL"):
        sys.exit("set REDIS_URL to a Redis database the benchmark may fill (production mode)")
    env.setdefault("HOTLINE_LOG_LEVEL", "WARNING")
    env.setdefault("GUNICORN_LOG_LEVEL", "warning")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    ensure_database(url)
    subprocess.run(
        [*flask, "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    subprocess.run(
        [*flask, "demo", "load"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    empty_the_queue(url)

    results: dict[str, tuple[float, float, int]] = {}
    cpu: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bare.py").write_text(BARE_APP)
        (Path(tmp) / "floor.py").write_text(FLOOR_APP)
        bare_port, app_port, floor_port = free_port(), free_port(), free_port()
        bare = gunicorn("bare:app", bare_port, env, Path(tmp))
        floor_env = env | {
            "BENCH_ROOT": str(ROOT),
            "BENCH_TEXT": appeal(0, 0)[0],
            "BENCH_AREA": appeal(0, 0)[1],
        }
        floor = gunicorn("floor:app", floor_port, floor_env, Path(tmp))
        app = gunicorn("wsgi:app", app_port, env, ROOT)
        # Production's outbox relay runs beside the web workers and shares the machine.
        relay = subprocess.Popen([*flask, "relay"], cwd=ROOT, env=env, start_new_session=True)
        try:
            wait_for(app_port)
            time.sleep(1)

            def bare_request(n: int, i: int):
                body = json.dumps({"text": TEXTS[i % len(TEXTS)]})
                return "POST", "/bare", body, {"Content-Type": "application/json"}

            def floor_request(n: int, i: int):
                body = json.dumps({"text": appeal(n, i)[0]}, ensure_ascii=False).encode()
                return "POST", "/floor", body, {"Content-Type": "application/json"}

            def ticket_request(n: int, i: int):
                body = json.dumps(
                    {
                        "channel": "web",
                        "appeal_type": "complaint",
                        "urgency": "normal",
                        "text": appeal(n, i)[0],
                        "area_code": appeal(n, i)[1],
                        "requester": {"phone": f"+86138{n:04d}{i % 10000:04d}"},
                    },
                    ensure_ascii=False,
                ).encode()
                return (
                    "POST",
                    "/api/v1/tickets",
                    body,
                    {"Content-Type": "application/json", "Authorization": "Bearer bench-key"},
                )

            validator = RequestValidator(token)
            sms_url = f"http://127.0.0.1:{app_port}/webhooks/twilio/sms"

            def sms_request(n: int, i: int):
                params = {
                    "MessageSid": f"SM{n:04d}{i:08d}{time.time_ns() % 10**8:08d}",
                    "AccountSid": "AC" + "0" * 32,
                    "From": f"+86139{n:04d}{i % 10000:04d}",
                    "To": "+8612345",
                    "Body": appeal(n, i)[0],
                }
                signature = validator.compute_signature(sms_url, params)
                return (
                    "POST",
                    "/webhooks/twilio/sms",
                    urllib.parse.urlencode(params),
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": signature,
                    },
                )

            load(app_port, ticket_request, 2, args.clients)  # warm up every worker
            load(bare_port, bare_request, 2, args.clients)
            wait_for(floor_port, "/nothing")
            load(floor_port, floor_request, 2, args.clients)
            groups = {
                "web workers": {bare.pid, floor.pid, app.pid},
                "relay": {relay.pid},
                "load generator": {os.getpid()},
            }
            runs = {
                "bare INSERT": (bare_port, bare_request),
                "floor: the intake's SQL alone": (floor_port, floor_request),
                "POST /api/v1/tickets": (app_port, ticket_request),
                "signed SMS webhook": (app_port, sms_request),
            }
            for name, (port, make) in runs.items():
                before = cpu_seconds(groups)
                results[name] = load(port, make, args.seconds, args.clients)
                used = cpu_seconds(groups)
                handled = results[name][0] * args.seconds
                cpu[name] = {g: (used[g] - before.get(g, 0.0)) / handled for g in used}
        finally:
            stop(app)
            stop(bare)
            stop(floor)
            stop(relay)

    base = results["bare INSERT"][0]
    lines = [
        "## Intake throughput (bench/bench_intake.py)",
        "",
        "gunicorn with gunicorn.conf.py (4 sync workers), PostgreSQL, Redis (RQ outbox), "
        f"{args.clients} concurrent clients (a sync worker closes each connection), "
        f"{args.seconds:.0f} s each, same run; goal: at least 0.60 of the bare endpoint's "
        "throughput with p99 under 50 ms.",
        "",
        "| endpoint | requests/s | p99 ms | errors | ratio to bare |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (rps, p99, errors) in results.items():
        lines.append(f"| {name} | {rps:,.0f} | {p99 * 1000:.1f} | {errors} | {rps / base:.2f} |")
    columns = list(CPU_GROUPS)
    lines += [
        "",
        "CPU time per request (ms), by process, during each run (the machine's 2 cores are "
        "shared by all of them):",
        "",
        "| endpoint | " + " | ".join(columns) + " | total |",
        "|---|" + "---:|" * (len(columns) + 1),
    ]
    for name, used in cpu.items():
        cells = [f"{used.get(g, 0.0) * 1000:.2f}" for g in columns]
        lines.append(f"| {name} | {' | '.join(cells)} | {sum(used.values()) * 1000:.2f} |")
    report = "\n".join(lines)
    print(report)
    if args.output:
        args.output.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
