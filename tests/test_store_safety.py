"""Hostile input on the store side: the crawl lock on the store's identity, read-only commands,
`monitor repair`, control characters and malformed ids in the CLI."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BIN, ROOT, read_only, seed_path

from monitor.crawl.lock import CrawlLocked, StoreLock
from monitor.store import Store

HUGE = "9" * 30


def monitor(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`monitor --db db ...`."""
    return subprocess.run([str(BIN / "monitor"), "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def crawl(db: Path) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl files` of one seed into `db`."""
    return subprocess.run(
        [str(BIN / "scrapy"), "crawl", "files", "-a", f"path={seed_path('000')}",
         "-s", f"MONITOR_DB={db}"], cwd=ROOT, env={**os.environ, "MONITOR_DB": str(db)},
        capture_output=True, text=True, timeout=120)


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    """A non-zero exit, a one-line message on stderr, no traceback."""
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# ----- the crawl lock on the store's identity -----


@pytest.mark.parametrize("link", [os.symlink, os.link], ids=["symlink", "hard link"])
def test_a_second_name_of_the_store_cannot_crawl_at_once(seeded_db: Path, link) -> None:
    other = seeded_db.parent / "elsewhere" / "alias.db"
    other.parent.mkdir()
    link(seeded_db, other)
    held = StoreLock(seeded_db)
    held.acquire()
    try:
        with pytest.raises(CrawlLocked, match="another crawl is already writing"):
            StoreLock(other).acquire()
        result = crawl(other)
    finally:
        held.release()
    assert "another crawl is already writing to" in result.stderr
    assert result.returncode != 0 and "Traceback" not in result.stderr
    second = StoreLock(other)  # free again once the first crawl lets go
    second.acquire()
    second.release()


# ----- read-only commands -----


def test_read_commands_refuse_a_file_that_is_not_a_monitor_store(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table notes (body text)")
    conn.execute("insert into notes values ('mine')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for command in (["summary"], ["stats"], ["clusters", "list"], ["clusters", "show", "1"]):
        refused(monitor(other, *command), f"{other} is not a monitor store")
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()
    conn = sqlite3.connect(other)
    assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in conn.execute("select name from sqlite_master")] == ["notes"]


@pytest.fixture
def read_only_store(seeded_db: Path) -> Iterator[Path]:
    """The seeded store, read-only for the test."""
    with read_only(seeded_db) as path:
        yield path


def test_read_commands_work_on_a_read_only_store(read_only_store: Path) -> None:
    cluster = sqlite3.connect(f"file:{read_only_store}?mode=ro", uri=True).execute(
        "select min(id) from clusters").fetchone()[0]
    for command in (["summary"], ["stats"], ["clusters", "list"],
                    ["clusters", "show", str(cluster)]):
        result = monitor(read_only_store, *command)
        assert result.returncode == 0, (command, result.stderr)
    assert "Articles: 5" in monitor(read_only_store, "summary").stdout


# ----- monitor repair -----


def test_repair_restores_the_statistics_of_a_clean_store(seeded_db: Path,
                                                         tmp_path: Path) -> None:
    clean = Store(seeded_db)
    expected = clean.dedup_statistics()
    clean.close()
    assert expected["articles"] == 5 and expected["anchors"] and expected["terms"]
    damaged = tmp_path / "killed.db"
    shutil.copy(seeded_db, damaged)
    conn = sqlite3.connect(damaged)  # a kill loses the increments not written yet
    conn.execute("update dedup_meta set value = value - 2 where key = 'articles'")
    conn.execute("update dedup_anchor_df set df = df - 1 where anchor in "
                 "(select anchor from dedup_anchor_df order by anchor limit 40)")
    conn.execute("delete from dedup_term_df where term in "
                 "(select term from dedup_term_df order by term limit 50)")
    conn.execute("update dedup_term_df set df = df + 3 where term in "
                 "(select term from dedup_term_df order by term desc limit 10)")
    conn.commit()
    conn.close()
    result = monitor(damaged, "repair")
    assert result.returncode == 0, result.stderr
    assert "1 articles, 40 anchors, 60 terms" in result.stdout
    repaired = Store(damaged)
    assert repaired.dedup_statistics() == expected
    repaired.close()
    assert "wrong before: nothing" in monitor(seeded_db, "repair").stdout


def test_repair_waits_for_no_crawl(seeded_db: Path) -> None:
    held = StoreLock(seeded_db)
    held.acquire()
    try:
        refused(monitor(seeded_db, "repair"), "another crawl is already writing")
    finally:
        held.release()


# ----- what the CLI prints -----


ESCAPES = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202e"


def test_control_characters_never_reach_the_terminal(seeded_db: Path) -> None:
    conn = sqlite3.connect(seeded_db)
    cluster, article = conn.execute("select cluster_id, id from articles limit 1").fetchone()
    conn.execute("update articles set title = ?, url = ?, text = ? where id = ?",
                 [f"Title{ESCAPES}end", f"https://example.org/{ESCAPES}", f"Body{ESCAPES}",
                  article])
    conn.execute("update clusters set title = ? where id = ?", [f"Title{ESCAPES}", cluster])
    run = conn.execute("select max(id) from crawl_runs").fetchone()[0]
    conn.execute("insert into fetch_errors (run_id, url, stage, reason) values (?, ?, ?, ?)",
                 [run, f"https://x.org/{ESCAPES}", "fetch", f"bad{ESCAPES}\nforged line"])
    conn.commit()
    conn.close()
    for command in (["summary"], ["clusters", "list"], ["clusters", "show", str(cluster)]):
        result = monitor(seeded_db, *command)
        assert result.returncode == 0, result.stderr
        assert not any(c in result.stdout for c in "\x1b\x07\x9b\u202e"), command
    summary = monitor(seeded_db, "summary").stdout
    assert "bad[2J]0;owned31m forged line" in summary


# ----- malformed ids and options -----


@pytest.mark.parametrize("command", [
    ["clusters", "show", HUGE], ["clusters", "confirm", HUGE], ["clusters", "merge", "1", HUGE],
    ["clusters", "split", HUGE, "1"], ["clusters", "representative", "1", HUGE],
    ["clusters", "show", "0"], ["clusters", "list", "--limit", "0"],
    ["clusters", "list", "--page", HUGE], ["clusters", "list", "--min-size", HUGE],
    ["stats", "--run", HUGE], ["stats", "--runs", "0"],
])
def test_malformed_ids_are_usage_errors(seeded_db: Path, command: list[str]) -> None:
    result = monitor(seeded_db, *command)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "Error: Invalid value" in result.stderr
