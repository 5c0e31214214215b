"""What every room of the store shares: the connection, its write transactions, its errors."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlite_utils


def now_iso() -> str:
    """The current UTC time as an ISO string with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class MonitorDatabase(sqlite_utils.Database):
    """sqlite-utils' Database whose outermost `atomic()` takes the write lock up front.

    A deferred transaction that reads before it writes fails at once with "database is
    locked" when another connection commits in between (the busy timeout does not apply to
    that upgrade); `BEGIN IMMEDIATE` waits for the lock (up to the busy timeout) instead.
    Nested blocks are savepoints, as in sqlite-utils."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[MonitorDatabase]:
        """A write transaction that holds the write lock from its start."""
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


P = ParamSpec("P")


R = TypeVar("R")


def write_transaction(
        method: Callable[Concatenate[Room, P], R]) -> Callable[Concatenate[Room, P], R]:
    """Run a Store method in a write transaction that holds the lock from its start (a
    savepoint inside the caller's transaction)."""

    @functools.wraps(method)
    def wrapper(self: Room, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.db.atomic():
            return method(self, *args, **kwargs)

    return wrapper


class StoreError(Exception):
    """The store cannot be opened or written; the message is one line, for the user."""


def check_store_path(path: str | Path) -> None:
    """Raise StoreError when `path` cannot be a store: a directory, or a parent that is missing
    or is a file. A missing directory is never created here: a mistyped MONITOR_DB must not
    quietly start a new, empty store somewhere else."""
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise StoreError(f"the store {path} is a directory, not a SQLite database file")
    for ancestor in (parent, *parent.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise StoreError(f"cannot use the store {path}: {ancestor} is a file, "
                             "not a directory")
    if not parent.is_dir():
        raise StoreError(f"cannot use the store {path}: no directory {parent.resolve()}; "
                         f"create it (mkdir -p {parent}) or fix MONITOR_DB / --db")


def store_error(path: str | Path, exc: sqlite3.Error, busy_seconds: float) -> StoreError:
    """An SQLite error met while opening or writing the store, as a one-line StoreError."""
    text = str(exc)
    if "not a database" in text:
        return StoreError(f"{path} is not a SQLite database ({text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the store {path} is read-only ({text}): give this user write "
                          "access to it and its directory, or work on a copy")
    if "locked" in text or "busy" in text:
        return StoreError(f"the store {path} has been locked by another process for more "
                          f"than {busy_seconds:g} s ({text}); try again later")
    return StoreError(f"cannot open the store {path}: {text}")


class Room:
    """One room of the store: a share of its methods over the one connection the
    Store opens (`self.db`)."""

    db: MonitorDatabase

    @classmethod
    def over(cls, conn: sqlite3.Connection) -> Room:
        """This room alone over an open connection (for a migration that needs its methods)."""
        room = cls.__new__(cls)
        room.db = MonitorDatabase(conn)
        return room

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """Rows as dicts, for reads in the per-article path (sqlite-utils' query() wraps each
        statement in a savepoint)."""
        cursor = self.db.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
