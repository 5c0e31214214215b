"""Incremental crawling: a second run adds nothing and downloads almost nothing; edits update."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BIN, run_scrapy
from hostile_site import ArticleFarm, write_sources

from monitor.crawl.lock import StoreLock

PAGES = 60
PER_SITEMAP = 20
FAST = ("-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "LOG_LEVEL=INFO")


@pytest.fixture
def farm():
    """A farm of 60 pages in three sitemaps, served with ETags."""
    site = ArticleFarm(PAGES, PER_SITEMAP)
    with site.running():
        yield site


def crawl(farm: ArticleFarm, db: Path, *extra: str, check: bool = True):
    """`scrapy crawl sitemaps` of the farm into `db`."""
    sources = write_sources(db.parent / "sources.yml", [{
        "name": "farm", "kind": "sitemap", "url": farm.url("/sitemap.xml"), "language": "en",
        "allowed_domains": ["127.0.0.1"]}])
    return run_scrapy("sitemaps", "-s", f"MONITOR_SOURCES={sources}", *FAST, *extra, db=db,
                      check=check)


def last_run(db: Path) -> dict:
    """The newest crawl_runs row, with its stats decoded."""
    row = list(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc"))[0]
    row["stats"] = json.loads(row["stats"])
    return row


def test_second_run_adds_nothing_and_downloads_almost_nothing(farm, tmp_db: Path) -> None:
    crawl(farm, tmp_db)
    first = last_run(tmp_db)
    assert first["articles_new"] == PAGES
    # robots.txt + index + 3 sitemaps + 60 pages
    assert first["stats"]["downloader/response_count"] == 1 + 1 + 3 + PAGES
    hits_before = sum(farm.hits.values())

    crawl(farm, tmp_db)
    second = last_run(tmp_db)
    db = sqlite_utils.Database(tmp_db)
    assert db["articles"].count == PAGES
    assert second["articles_new"] == 0 and second["articles_updated"] == 0
    # robots.txt and 304s for the index and its 3 sitemaps (each still asked, with its own
    # validators); their pages were checked within the re-check window: not downloaded
    assert second["stats"]["downloader/response_count"] == 1 + 1 + 3
    assert second["stats"]["downloader/response_status_count/304"] == 1 + 3
    assert second["stats"]["monitor/incremental/not_modified"] == 1 + 3
    assert second["stats"]["monitor/incremental/skipped_fresh"] == PAGES
    assert sum(farm.hits.values()) - hits_before == 1 + 1 + 3
    assert second["not_modified"] == 4 and second["flags"] in ("", None)


def test_articles_within_recheck_window_are_not_fetched(farm, tmp_db: Path) -> None:
    crawl(farm, tmp_db)
    farm.validators = False  # listings can no longer be answered with 304
    crawl(farm, tmp_db)
    run = last_run(tmp_db)
    assert run["stats"]["monitor/incremental/skipped_fresh"] == PAGES
    assert run["stats"]["downloader/response_count"] == 1 + 1 + 3
    assert all(farm.hits[farm.page_path(i)] == 1 for i in range(PAGES))
    assert run["skipped_fresh"] == PAGES


def test_changed_text_updates_in_place_with_a_change_record(farm, tmp_db: Path) -> None:
    crawl(farm, tmp_db)
    db = sqlite_utils.Database(tmp_db)
    url = farm.url(farm.page_path(5))
    before = next(db["articles"].rows_where("url = ?", [url]))
    farm.edit(5, "Correction: the council meeting was moved to the harbor library on day 9.")
    time.sleep(1)  # so that updated_at differs from fetched_at
    crawl(farm, tmp_db, "-s", "MONITOR_RECHECK_HOURS=0")
    run = last_run(tmp_db)
    after = next(db["articles"].rows_where("url = ?", [url]))
    assert db["articles"].count == PAGES
    assert after["id"] == before["id"]
    assert "moved to the harbor library" in after["text"]
    assert after["updated_at"] and after["updated_at"] > before["fetched_at"]
    changes = list(db["article_changes"].rows)
    assert len(changes) == 1
    change = changes[0]
    assert change["article_id"] == before["id"]
    assert (change["old_hash"], change["new_hash"]) == (before["content_hash"],
                                                        after["content_hash"])
    assert change["size_delta"] == len(after["text"]) - len(before["text"]) > 0
    # only the edited sitemap (and the index) is downloaded again; the two unchanged sitemaps
    # answer 304 and, with MONITOR_RECHECK_HOURS=0, every listed page is checked again
    assert (run["articles_updated"], run["articles_unchanged"]) == (1, PAGES - 1)
    assert run["stats"]["monitor/incremental/not_modified"] == 2


def test_second_crawl_exits_at_once_while_one_runs(farm, tmp_db: Path) -> None:
    crawl(farm, tmp_db)
    runs_before = sqlite_utils.Database(tmp_db)["crawl_runs"].count
    lock = StoreLock(tmp_db)
    lock.acquire()  # a crawl in progress holds this lock
    try:
        started = time.monotonic()
        result = run_scrapy(
            "sitemaps", "-s", f"MONITOR_SOURCES={tmp_db.parent / 'sources.yml'}", *FAST,
            db=tmp_db, check=False)
        elapsed = time.monotonic() - started
    finally:
        lock.release()
    assert "another crawl is already writing to" in result.stderr
    assert str(tmp_db) in result.stderr
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert elapsed < 15
    assert sqlite_utils.Database(tmp_db)["crawl_runs"].count == runs_before
    assert farm.hits["/sitemap.xml"] == 1


def source_row(db: Path, source: str = "farm") -> dict:
    """The newest source_runs row of a source."""
    return list(sqlite_utils.Database(db).query(
        "select * from source_runs where source = ? order by run_id desc limit 1", [source]))[0]


def test_source_health_and_collapse_flags(farm, tmp_db: Path) -> None:
    crawl(farm, tmp_db)
    healthy = source_row(tmp_db)
    assert (healthy["articles_new"], healthy["share_date"], healthy["flags"]) == (PAGES, 1.0, "")
    assert json.loads(healthy["responses_by_status"]) == {"200": 1 + 1 + 3 + PAGES}
    assert healthy["notes"] == "first run"

    farm.dated, farm.validators = False, False  # the site drops its dates
    crawl(farm, tmp_db, "-s", "MONITOR_RECHECK_HOURS=0")
    undated = source_row(tmp_db)
    assert undated["articles_unchanged"] == PAGES and undated["share_date"] == 0.0
    assert undated["flags"] == "dates_missing"
    assert "usually 100%" in undated["notes"]

    farm.server.shutdown()  # the site goes down
    farm.server.server_close()
    result = crawl(farm, tmp_db, "-s", "RETRY_TIMES=0", check=False)
    assert result.returncode == 1 and "every request failed" in result.stderr
    down = source_row(tmp_db)
    assert down["items"] == 0 and down["fetch_errors"] >= 1
    assert down["flags"] == "no_items"

    out = subprocess.run([str(BIN / "monitor"), "--db", str(tmp_db), "stats"],
                         capture_output=True, text=True, check=True).stdout
    assert "! farm: no_items" in out and "sitemaps" in out
    history = subprocess.run([str(BIN / "monitor"), "--db", str(tmp_db), "stats", "--source",
                              "farm"], capture_output=True, text=True, check=True).stdout
    assert history.count("\n#") == 3 and "dates_missing" in history
