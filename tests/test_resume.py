"""Killed and resumed: a 2,000-page crawl with JOBDIR, SIGKILLed five times, ends complete.

Only the stations that matter for the guarantee run (extraction, the health peek and the
store, whose one transaction per article writes the article, its cluster and its facts):
with every station a 2,000-page crawl costs minutes of CPU, and the others have their tests.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BIN, ROOT
from hostile_site import ArticleFarm, write_sources

from monitor.stations.extraction import content_hash

pytestmark = pytest.mark.slow
PAGES = 2000
KILLS = 5
PIPELINES = {"monitor.crawl.pipelines.ExtractionPipeline": 100,
             "monitor.crawl.pipelines.StorePipeline": 600}


def start_crawl(site: ArticleFarm, tmp: Path, log: Path) -> subprocess.Popen:
    """`scrapy crawl sitemaps -s JOBDIR=...` in the background."""
    sources = write_sources(tmp / "sources.yml", [{
        "name": "farm", "kind": "sitemap", "url": site.url("/sitemap.xml"), "language": "en",
        "allowed_domains": ["127.0.0.1"]}])
    settings = {"MONITOR_DB": tmp / "monitor.db", "MONITOR_SOURCES": sources,
                "JOBDIR": tmp / "job", "AUTOTHROTTLE_ENABLED": 0,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "ITEM_PIPELINES": json.dumps(PIPELINES),
                "LOG_LEVEL": "INFO"}
    args = [str(BIN / "scrapy"), "crawl", "sitemaps"]
    for name, value in settings.items():
        args += ["-s", f"{name}={value}"]
    with open(log, "a") as out:
        return subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def stored(db: Path) -> int:
    """Articles stored so far (0 before the store exists)."""
    if not db.exists():
        return 0
    try:
        return sqlite_utils.Database(db).execute("select count(*) from articles").fetchone()[0]
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0


def kill_at_random(proc: subprocess.Popen, db: Path, rng: random.Random) -> int:
    """SIGKILL the crawl after a random number of new articles (or a random early moment)."""
    start, target = stored(db), rng.choice([0, *range(50, 400, 25)])
    deadline = time.monotonic() + (rng.uniform(0.5, 3.0) if target == 0 else 60)
    while time.monotonic() < deadline and proc.poll() is None:
        if target and stored(db) - start >= target:
            time.sleep(rng.uniform(0, 0.3))
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the crawl ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return stored(db)


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory):
    """The farm crawled with five SIGKILLs and resumes; returns the site, db and progress."""
    tmp = tmp_path_factory.mktemp("resume")
    site, db, log = ArticleFarm(PAGES), tmp / "monitor.db", tmp / "crawl.log"
    rng = random.Random(6)
    progress = []
    with site.running():
        for _ in range(KILLS):
            progress.append(kill_at_random(start_crawl(site, tmp, log), db, rng))
        final = start_crawl(site, tmp, log)
        assert final.wait(timeout=300) == 0, log.read_text()[-3000:]
    return site, db, progress, log.read_text()


def test_killed_at_different_moments(resumed) -> None:
    _, _, progress, _ = resumed
    assert len(progress) == KILLS
    assert progress == sorted(progress) and progress[-1] < PAGES  # killed mid-crawl each time


def test_every_page_stored_exactly_once(resumed) -> None:
    site, db, _, _ = resumed
    rows = list(sqlite_utils.Database(db).query("select url, count(*) n from articles "
                                                "group by url"))
    assert len(rows) == PAGES and all(r["n"] == 1 for r in rows)
    assert {r["url"] for r in rows} == {site.url(site.page_path(i)) for i in range(PAGES)}


def test_no_half_written_row(resumed) -> None:
    site, db, _, _ = resumed
    store = sqlite_utils.Database(db)
    assert store.execute("pragma integrity_check").fetchone()[0] == "ok"
    store.execute("insert into articles_fts(articles_fts) values('integrity-check')")
    clusters = {r["id"] for r in store["clusters"].rows}
    for row in store["articles"].rows:
        i = int(row["url"].rsplit("/", 1)[1].removesuffix(".html"))
        assert row["title"] == f"Farm story {i}"
        assert all(sentence in row["text"] for sentence in site.expected_text(i))
        assert row["content_hash"] == content_hash(row["text"])
        assert row["fetched_at"] and row["cluster_id"] in clusters


def test_runs_recorded_and_work_not_redone(resumed) -> None:
    site, db, progress, log = resumed
    runs = list(sqlite_utils.Database(db).query("select * from crawl_runs order by id"))
    assert [r["finish_reason"] for r in runs] == ["killed"] * KILLS + ["finished"]
    assert log.count("did not stop cleanly") == KILLS
    page_hits = sum(n for path, n in site.hits.items() if path.startswith("/p/"))
    print(f"kills after {progress} articles; {page_hits} page downloads for {PAGES} pages")
    assert PAGES <= page_hits < 2 * PAGES
    # the final run skips, as fresh, exactly the articles stored before it, and downloads
    # only robots.txt, the index, its 8 sitemaps and the pages not stored yet
    final = runs[-1]
    assert final["skipped_fresh"] == progress[-1]
    assert final["articles_new"] == PAGES - progress[-1]
    assert json.loads(final["stats"])["downloader/response_count"] == (
        1 + 1 + 8 + PAGES - progress[-1])


def test_graceful_stop_resumes_from_the_saved_queue(tmp_path: Path) -> None:
    site, db, log = ArticleFarm(400, per_sitemap=100), tmp_path / "monitor.db", tmp_path / "log"
    with site.running():
        proc = start_crawl(site, tmp_path, log)
        while stored(db) < 60 and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops cleanly and saves the queue
        assert proc.wait(timeout=60) == 0
        assert (tmp_path / "job" / "requests.queue" / "active.json").exists()
        assert stored(db) < 400
        assert start_crawl(site, tmp_path, log).wait(timeout=120) == 0
        assert stored(db) == 400
        # the resumed run took its requests from the saved queue: no listing fetched twice
        assert site.hits["/sitemap.xml"] == 1
        assert all(site.hits[f"/sitemap-{k}.xml"] == 1 for k in range(4))
        assert all(site.hits[site.page_path(i)] == 1 for i in range(400))
        # a finished job clears its JOBDIR, so the same command (cron) crawls again next time
        assert not (tmp_path / "job" / "requests.seen").exists()
        assert start_crawl(site, tmp_path, log).wait(timeout=120) == 0
        assert site.hits["/sitemap.xml"] == 2
    runs = list(sqlite_utils.Database(db).query("select finish_reason from crawl_runs"))
    assert [r["finish_reason"] for r in runs] == ["shutdown", "finished", "finished"]
