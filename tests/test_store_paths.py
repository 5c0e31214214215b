"""A store that cannot be used ends `scrapy crawl` and `monitor` with one line, no traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, ROOT, read_only, seed_path

from monitor.store import Store


def crawl(db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl files` of one seed into `db`."""
    return subprocess.run(
        [str(BIN / "scrapy"), "crawl", "files", "-a", f"path={seed_path('000')}",
         "-s", f"MONITOR_DB={db}"], cwd=ROOT, env={**os.environ, "MONITOR_DB": str(db), **env},
        capture_output=True, text=True, timeout=120)


def monitor(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`monitor --db db ...`."""
    return subprocess.run([str(BIN / "monitor"), "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def failed_with(result: subprocess.CompletedProcess[str], message: str) -> None:
    """A non-zero exit, the message on stderr, and no traceback."""
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_store_that_is_a_directory(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    db.mkdir()
    failed_with(crawl(db), f"the store {db} is a directory, not a SQLite database file")
    failed_with(monitor(db, "summary"), "is a directory, not a SQLite database file")


def test_store_that_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    db.write_text("notes, not a database\n" * 100)
    failed_with(crawl(db), f"{db} is not a SQLite database")
    failed_with(monitor(db, "summary"), f"{db} is not a SQLite database")
    assert db.read_text() == "notes, not a database\n" * 100


def test_parent_path_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "storage").write_text("a file")
    db = tmp_path / "storage" / "monitor.db"
    failed_with(crawl(db), f"{tmp_path / 'storage'} is a file, not a directory")


def test_missing_directory_is_refused_not_created(tmp_path: Path) -> None:
    db = tmp_path / "typo" / "monitor.db"
    failed_with(crawl(db), f"no directory {tmp_path / 'typo'}")
    assert not (tmp_path / "typo").exists()


def test_store_locked_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    Store(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = crawl(db, MONITOR_DB_BUSY_SECONDS="1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    failed_with(result, "locked by another process for more than 1 s")


@pytest.fixture
def read_only_store(seeded_db: Path) -> Iterator[Path]:
    """The seeded store, read-only for the test."""
    with read_only(seeded_db) as path:
        yield path


def test_read_only_store(read_only_store: Path) -> None:
    failed_with(crawl(read_only_store), f"the store {read_only_store} is read-only")
    failed_with(monitor(read_only_store, "clusters", "confirm", "1"), "is read-only")


def test_read_only_store_can_still_be_read(read_only_store: Path) -> None:
    result = monitor(read_only_store, "summary")
    assert result.returncode == 0, result.stderr
    assert "Articles: 5" in result.stdout
