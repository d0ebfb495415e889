"""Precompiled statements run straight on psycopg, for the few statements of every intake.

SQLAlchemy builds each statement here once per process; running it then skips SQLAlchemy's
per-execution work (cache lookup, parameter processing, result metadata) and psycopg's query
parsing (`$n` placeholders on a raw cursor), and psycopg prepares it on the server after a few
runs. Everything runs on the connection of the session's own transaction.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import JSON, URL, ClauseElement, Dialect, Engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from hotline.extensions import DbSession

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Compiled:
    """SQL with `$n` placeholders and the parameter name behind each."""

    sql: str
    names: tuple[str, ...]
    # Values the statement carries itself (a LIMIT, a literal), by name.
    constants: tuple[tuple[str, Any], ...] = ()
    # Placeholders bound to JSON columns: sent as JSON text, which the SQL casts to jsonb.
    documents: tuple[int, ...] = ()

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        """The driver's arguments in placeholder order."""
        constants = dict(self.constants)
        return [parameters[name] if name in parameters else constants[name] for name in self.names]

    def encode(self, arguments: list[Any]) -> list[Any]:
        """Documents as JSON text (the SQL casts it to jsonb); None stays SQL NULL."""
        for position in self.documents:
            if arguments[position] is not None:
                arguments[position] = json.dumps(arguments[position], ensure_ascii=False)
        return arguments


def compile_statement(statement: ClauseElement, dialect: Dialect) -> Compiled:
    names: list[str] = []
    positions: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in positions:
            names.append(name)
            positions[name] = len(names)
        return f"${positions[name]}"

    compiled = statement.compile(dialect=dialect)
    sql = _PLACEHOLDER.sub(number, str(compiled))
    constants = tuple((name, value) for name, value in compiled.params.items() if value is not None)
    json_names = {
        name
        for name, bind in compiled.binds.items()  # type: ignore[attr-defined]
        if isinstance(bind.type, JSON)
    }
    documents = tuple(i for i, name in enumerate(names) if name in json_names)
    return Compiled(sql.replace("%%", "%"), tuple(names), constants, documents)


_precompiled: dict[tuple[int, str], tuple[ClauseElement, Compiled]] = {}


def precompiled(statement: ClauseElement, dialect: Dialect) -> Compiled:
    """`statement` compiled once; it must live as long as the process (module level or cached)."""
    key = (id(statement), dialect.name)
    known = _precompiled.get(key)
    if known is None or known[0] is not statement:
        known = (statement, compile_statement(statement, dialect))
        _precompiled[key] = known
    return known[1]


def run(session: DbSession, statement: Any, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a statement built once per process in the session's transaction: straight on psycopg
    on PostgreSQL, through the session elsewhere. Returns its rows (none for a plain write)."""
    if on_postgresql(session):
        compiled = precompiled(statement, session.get_bind().dialect)
        return fetch_in_session(session, compiled, compiled.arguments(parameters))
    result = session.connection().execute(statement, parameters)
    return [tuple(row) for row in result.all()] if result.returns_rows else []


def on_postgresql(session: DbSession) -> bool:
    """Whether the session runs on PostgreSQL; its pending changes are flushed first, as a
    query of its own would."""
    session.flush()
    return bool(session.get_bind().dialect.name == "postgresql")


def fetch_in_session(
    session: DbSession, compiled: Compiled, arguments: list[Any]
) -> list[tuple[Any, ...]]:
    """Run on the psycopg connection of the session's transaction (PostgreSQL only)."""
    connection = session.connection()
    driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    try:
        return fetch_arguments(driver, compiled, arguments)
    except DBAPIError as error:
        if driver.broken or driver.closed:
            # SQLAlchemy did not run the statement, so it cannot know the connection is gone:
            # told, it drops it, and the rollback that follows neither fails nor hides this.
            connection.invalidate(error.orig)
        raise


def fetch(
    connection: psycopg.Connection[Any], compiled: Compiled, parameters: dict[str, Any]
) -> list[tuple[Any, ...]]:
    return fetch_arguments(connection, compiled, compiled.arguments(parameters))


def fetch_arguments(
    connection: psycopg.Connection[Any], compiled: Compiled, arguments: list[Any]
) -> list[tuple[Any, ...]]:
    """Run with the arguments in placeholder order; the rows, if the statement returns any.
    psycopg's errors are raised as SQLAlchemy would raise them (IntegrityError...), for the
    callers' handlers."""
    with psycopg.RawCursor(connection) as cursor:
        try:
            cursor.execute(compiled.sql, compiled.encode(arguments))
            result = cursor.pgresult
            if result is None or result.status != pq.ExecStatus.TUPLES_OK:
                return []
            return cursor.fetchall()
        except psycopg.Error as error:
            raise DBAPIError.instance(
                compiled.sql,
                arguments,
                error,
                psycopg.Error,
                connection_invalidated=connection.broken or connection.closed,
            ) from error


# Per process and thread, for one database: (pid, thread, url) -> connection.
_connections: dict[tuple[int, int, URL], psycopg.Connection[Any]] = {}
_connections_lock = threading.Lock()


def autocommit_connection(engine: Engine) -> psycopg.Connection[Any]:
    """A connection of this thread's own, made as the engine makes its connections, that
    commits each statement without waiting for the disk (see `lifecycle.record.allocate` for
    why that is safe where it is used)."""
    key = (os.getpid(), threading.get_ident(), engine.url)
    connection = _connections.get(key)
    if connection is None or connection.closed:
        close_connections_of_ended_threads()
        arguments, keywords = engine.dialect.create_connect_args(engine.url)
        keywords = dict(keywords) | _engine_connect_args(engine)
        options = f"{keywords.get('options', '')} -c synchronous_commit=off".strip()
        connection = psycopg.connect(*arguments, **keywords | {"options": options})
        connection.autocommit = True
        with _connections_lock:
            _connections[key] = connection
    return connection


def close_connections_of_ended_threads() -> None:
    """Close the connections of this process's threads that have ended, so that a process
    whose threads come and go holds one server connection per live thread, not per thread
    it ever ran. (A new thread that reuses an ended one's id may find that connection first:
    it is this process's and idle, so it is simply reused.)"""
    alive = {thread.ident for thread in threading.enumerate()}
    with _connections_lock:
        ended = [key for key in _connections if key[0] == os.getpid() and key[1] not in alive]
        for key in ended:
            _connections.pop(key).close()


def _engine_connect_args(engine: Engine) -> dict[str, Any]:
    """The `connect_args` the engine was created with (keepalives, SSL...)."""
    from flask import current_app

    options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    return dict(options.get("connect_args") or {})


@atexit.register
def close_autocommit_connections() -> None:
    """Close this process's connections (those a parent left behind after a fork are not
    ours to close: they would end the parent's sessions)."""
    with _connections_lock:
        for (pid, _thread, _url), connection in list(_connections.items()):
            if pid == os.getpid():
                connection.close()
        _connections.clear()


def fetch_autocommit(engine: Engine, compiled: Compiled, parameters: dict[str, Any]) -> list[Any]:
    """Run on this thread's autocommit connection; a connection that died (a database
    restart) fails once, is replaced, and the statement runs again."""
    for attempt in (1, 2):
        connection = autocommit_connection(engine)
        try:
            return fetch(connection, compiled, parameters)
        except OperationalError:
            connection.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def check_on_checkout(engine: Engine) -> None:
    """Hand out no pooled connection the server has closed, without a round trip to find out.

    An idle connection has nothing to read; once the server ends it (a restart, an idle
    timeout, pg_terminate_backend) its socket turns readable with the goodbye or EOF. The pool
    then drops it and opens a new one, as `pool_pre_ping` would, but without the `SELECT 1`
    that it sends on every checkout. A peer that vanished without a word is caught by the
    first statement instead, and the pool replaces that connection too.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        connection: psycopg.Connection[Any] = dbapi_connection
        if connection.closed or connection.broken or _readable(connection.pgconn.socket):
            raise DisconnectionError("the server closed this connection")


def _readable(fd: int) -> bool:
    """Whether the socket has something to read (or hit EOF or an error) right now; poll(),
    unlike select(), takes any descriptor number."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
