"""The SQLite store, the only package that writes SQL: one connection shared by rooms that each
own their tables (schema, articles, dedup_index, crawl_state, review)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from monitor.store.articles import ArticlesRoom, SaveResult
from monitor.store.base import (
    MonitorDatabase,
    StoreError,
    check_store_path,
    now_iso,
    store_error,
)
from monitor.store.crawl_state import CrawlStateRoom
from monitor.store.dedup_index import (
    DEDUP_STATS_BATCH,
    DedupIndexRoom,
    FrequencyCache,
    PendingStats,
)
from monitor.store.review import ReviewRoom
from monitor.store.schema import migrations


class Store(ArticlesRoom, DedupIndexRoom, CrawlStateRoom, ReviewRoom):
    """A monitor database: its rooms over one connection, the schema brought up to date."""

    def __init__(self, path: str | Path, busy_seconds: float = 30.0) -> None:
        """Open (creating the file, never its directory) the store at `path` and bring its
        schema up to date; StoreError, one line, when that is impossible."""
        self.path = Path(path)
        check_store_path(self.path)
        self.db = MonitorDatabase(self.path)
        try:
            self._open(busy_seconds)
        except sqlite3.Error as exc:
            self.db.close()
            raise store_error(self.path, exc, busy_seconds) from exc

    def _open(self, busy_seconds: float) -> None:
        """WAL, the busy timeout and the migrations."""
        self.db.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        self._pending_stats = PendingStats()
        self._df_cache = FrequencyCache(self.db.conn)
        if migrations.pending(self.db):  # under the write lock: another process may migrate
            with self.db.atomic():
                migrations.apply(self.db)

    def check_writable(self, busy_seconds: float = 30.0) -> None:
        """Take the write lock and let it go at once; StoreError when the store cannot be
        written (read-only, or locked by another process for longer than the busy timeout)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:  # a read-only file is found out only by writing a page
                self.db.execute("CREATE TABLE _monitor_write_probe (x)")
            finally:
                self.db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, busy_seconds) from exc

    def close(self) -> None:
        """Write the pending dedup statistics, then close the connection."""
        if self._pending_stats.articles or self._pending_stats.df:
            with self.db.atomic():
                self._flush_dedup_stats()
        self.db.close()

    @classmethod
    def from_connection(cls, conn: sqlite3.Connection, migrate: bool = True,
                        busy_seconds: float = 30.0) -> Store:
        """A Store over an open connection (Datasette's), bringing the schema up to date;
        a connection that may write (migrate) waits up to `busy_seconds` for the write lock."""
        store = cls.__new__(cls)
        store.db = MonitorDatabase(conn)
        store._pending_stats = PendingStats()
        store._df_cache = FrequencyCache(conn)
        store.path = Path(store.db.execute("pragma database_list").fetchone()[2] or ":memory:")
        if migrate:
            store.db.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            if migrations.pending(store.db):
                with store.db.atomic():
                    migrations.apply(store.db)
        return store

    @classmethod
    def open_read_only(cls, path: str | Path, busy_seconds: float = 30.0) -> Store:
        """Open an existing monitor store for reading only (SQLite `mode=ro`: no migration,
        no WAL switch, nothing written); StoreError, one line, for a missing file, a file
        that is not a SQLite database or not a monitor store, or one that needs migrating."""
        path = Path(path)
        check_store_path(path)
        if not path.is_file():
            raise StoreError(f"no store at {path}: run a crawl first (make run)")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            store = cls.from_connection(conn, migrate=False)
            store.path = path
            store._check_monitor_schema()
        except sqlite3.Error as exc:
            conn.close()
            raise store_error(path, exc, busy_seconds) from exc
        except StoreError:
            conn.close()
            raise
        return store

    def _check_monitor_schema(self) -> None:
        """StoreError unless the file holds the monitor's tables at the current migration."""
        tables = set(self.db.table_names())
        if not {"_sqlite_migrations", "articles", "clusters"} <= tables or not list(
                self.db.execute("select 1 from _sqlite_migrations where migration_set = ? "
                                "limit 1", [migrations.name])):
            raise StoreError(f"{self.path} is not a monitor store (no monitor tables in it); "
                             "check --db / MONITOR_DB")
        if migrations.pending(self.db):
            raise StoreError(f"the store {self.path} has an older schema: run `monitor repair` "
                             "(or a crawl) once to upgrade it, then try again")


__all__ = [
    "DEDUP_STATS_BATCH", "SaveResult", "Store", "StoreError", "check_store_path", "migrations",
    "now_iso", "store_error",
]
