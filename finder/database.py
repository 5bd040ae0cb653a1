"""SQLite settings that keep concurrent writers from seeing "database is locked"."""

from __future__ import annotations

import contextvars
import functools
import math
import sqlite3
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


@contextmanager
def writing():
    """Transactions begun inside take SQLite's write lock at BEGIN (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail at once when another
    writer got there first; one that takes the lock up front waits its turn instead.
    Reads stay deferred so they never queue behind a writer.
    """
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def set_write_intent(flag: bool) -> None:
    """Mark (or unmark) every transaction begun from now on in this context as a write."""
    _write_intent.set(flag)


# PostgreSQL's lock_not_available: a lock_timeout ran out.
_LOCK_NOT_AVAILABLE = "55P03"


def database_busy(error: Exception) -> bool:
    """Whether a database error means only that another writer held the lock for longer
    than this one would wait (SQLite's busy timeout, PostgreSQL's lock_timeout)."""
    cause = getattr(error, "orig", None) or error
    if isinstance(cause, sqlite3.OperationalError):
        return str(cause).startswith(("database is locked", "database is busy"))
    return getattr(cause, "sqlstate", None) == _LOCK_NOT_AVAILABLE


# SQLite's math functions, for builds without them (SQLITE_ENABLE_MATH_FUNCTIONS off).
MATH_FUNCTIONS = (
    ("sin", 1, math.sin),
    ("cos", 1, math.cos),
    ("radians", 1, math.radians),
    ("floor", 1, math.floor),
)


@functools.cache
def sqlite_lacks_math() -> bool:
    """Whether this process's SQLite library was built without its math functions (asked
    once: every connection uses the same library)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("SELECT sin(0), cos(0), radians(0), floor(0.5)")
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()
    return False


def driver_rows(connection: Connection, sql: str, values=()) -> list[tuple]:
    """The driver's tuples of the driver's SQL, run in the connection's transaction. On
    SQLite, while nothing listens to the engine's statements, straight on the driver's
    connection: SQLAlchemy's execution and result around a statement cost 25-50 µs, a
    sixth of a search within 100 km (BEGIN, then its scan). Errors are raised as
    SQLAlchemy's either way (the site's handler for database errors catches those)."""
    dispatch = connection.dispatch
    watched = dispatch.before_cursor_execute or dispatch.after_cursor_execute
    if watched or connection.dialect.name != "sqlite":
        result = connection.exec_driver_sql(sql, values)
        rows = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
        return rows
    try:
        return connection.connection.driver_connection.execute(sql, values).fetchall()
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, values, error, sqlite3.Error) from error


def configure_sqlite(
    engine: Engine, busy_timeout_ms: int = 10000, mmap_bytes: int = 0x7FFF0000
) -> None:
    """WAL, busy timeout, foreign keys and memory-mapped reads (up to mmap_bytes of the file)
    on every connection; BEGIN IMMEDIATE for writes."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
        cursor.close()
        if sqlite_lacks_math():  # finder.listings places each index row on the sphere in SQL
            for name, arity, function in MATH_FUNCTIONS:
                dbapi_connection.create_function(name, arity, function, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # asked for no transaction (a migration's autocommit block)
        driver_rows(connection, "BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@event.listens_for(Session, "after_flush")
def _note_written(session: Session, _context) -> None:
    session.info["written"] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_written(session: Session) -> None:
    session.info.pop("written", None)


def has_writes(session: Session) -> bool:
    """Whether the session's transaction writes: it has written or is about to write
    something, or it began as a write (BEGIN IMMEDIATE: it holds SQLite's write lock)."""
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted or session.info.get("written"):
        return True
    return _write_intent.get() and session.in_transaction()
