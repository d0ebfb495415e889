"""The embedded SQLite database (`make run`) under concurrent requests: a request that writes
after another has written (an intake, or a read of personal data, which is audited) waits its
turn instead of failing with "database is locked"."""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import BaseWSGIServer, make_server

from hotline.demo.loader import load_demo
from hotline.extensions import db
from hotline.models import Ticket
from tests.conftest import make_test_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[BaseWSGIServer, object]]:
    """A fresh file database behind werkzeug's threaded development server, as `make run`."""
    app = make_test_app(f"sqlite:///{tmp_path / 'hotline.sqlite3'}")
    with app.app_context():
        upgrade()
        load_demo(db.session, "test-password", "test-api-key")
        db.session.commit()
    wsgi = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    try:
        yield wsgi, app
    finally:
        wsgi.shutdown()
        thread.join()


def _post(
    port: int, text: str, key: str | None, results: Counter[int], phone: str | None = None
) -> None:
    headers = {"Authorization": "Bearer test-api-key", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    fields: dict[str, object] = {"channel": "web", "text": text}
    if phone:
        fields["requester"] = {"phone": phone}
    body = json.dumps(fields).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tickets", data=body, headers=headers
    )
    try:
        with urllib.request.urlopen(request) as response:
            results[response.status] += 1
    except urllib.error.HTTPError as error:
        results[error.code] += 1


def test_concurrent_intakes_on_sqlite_all_succeed_and_one_key_makes_one_ticket(
    server: tuple[BaseWSGIServer, object],
) -> None:
    wsgi, app = server
    results: Counter[int] = Counter()
    threads = [
        threading.Thread(
            target=_post,
            args=(
                wsgi.server_port,
                f"翠苑社区{n}号楼门口的路灯坏了一个星期，晚上很黑",
                None,
                results,
            ),
        )
        for n in range(6)
    ]
    threads += [
        threading.Thread(
            target=_post,
            args=(wsgi.server_port, "南湖公园东门的井盖丢了，很危险", "same-key", results),
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {201: 12}
    with app.app_context():  # type: ignore[attr-defined]
        created = db.session.scalar(select(func.count()).select_from(Ticket))
    assert created == 7


def _agent(port: int) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login = json.dumps({"username": "agent1", "password": "test-password"}).encode()
    opener.open(
        urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            data=login,
            headers={"Content-Type": "application/json"},
        )
    )
    return opener


def _get(opener: urllib.request.OpenerDirector, url: str, results: Counter[int]) -> None:
    try:
        with opener.open(url) as response:
            results[response.status] += 1
    except urllib.error.HTTPError as error:
        results[error.code] += 1


def test_audited_reads_beside_concurrent_intakes_on_sqlite_all_succeed(
    server: tuple[BaseWSGIServer, object],
) -> None:
    wsgi, _app = server
    port = wsgi.server_port
    agent = _agent(port)
    first: Counter[int] = Counter()
    _post(port, "翠苑社区1号楼门口的路灯坏了一个星期，晚上很黑", None, first, "13800138000")
    assert first == {201: 1}
    results: Counter[int] = Counter()
    lookup = f"http://127.0.0.1:{port}/api/v1/requesters/lookup?phone=13800138000"
    detail = f"http://127.0.0.1:{port}/api/v1/tickets/1"
    threads = [
        threading.Thread(
            target=_post,
            args=(port, f"翠苑社区{n}号楼楼道灯坏了好几天", None, results, "13800138000"),
        )
        for n in range(2, 6)
    ]
    threads += [threading.Thread(target=_get, args=(agent, lookup, results)) for _ in range(4)]
    threads += [threading.Thread(target=_get, args=(agent, detail, results)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {201: 4, 200: 8}
