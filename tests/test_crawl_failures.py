"""Scheduled crawls: lost items are recorded and fail the run; storage errors stop the crawl; bad
links are skipped; one summary line per crawl; a misspelt spider name is a one-line error."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import sqlite_utils
from conftest import ROOT, run_scrapy
from fixture_site import (
    SENTENCES,
    STORIES,
    FixtureSite,
    crawl_in_test,
    crawl_settings,
    fetch_errors,
    paragraphs,
    seed_text,
    stored_by_seed,
    write_sources,
)
from scrapy.utils.test import get_crawler

from monitor import settings as project
from monitor.crawl.pipelines import FactsPipeline
from monitor.crawl.runs import STORE_ATTR, run_failure
from monitor.store import Store
from spiders.feeds import FeedsSpider
from spiders.newsrooms import NewsroomsSpider
from spiders.sitemaps import SitemapsSpider

MANY = 40  # articles behind /failures/many.xml
BAD_PORT = "http://127.0.0.1:99999/news/nowhere.html"
BAD_PORT_2 = "http://127.0.0.1:70000/news/elsewhere.html"


def _path(prefix: str) -> str:
    """The site path of a seed's page."""
    story = next(s for s in STORIES if s.prefix == prefix)
    return f"/news/{story.prefix}-{story.slug}.html"


def _rss(base: str, links: list[str]) -> bytes:
    """An RSS feed with one item per link."""
    items = "".join(f"<item><title>Item {i}</title><link>{link}</link></item>"
                    for i, link in enumerate(links))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title><link>{base}/"
            f"</link>{items}</channel></rss>").encode()


def _page(i: int) -> bytes:
    """A distinct article page (seed 001's text with its own first paragraph)."""
    return (f"<html lang='en'><head><title>Release {i}</title></head><body><article>"
            f"<h1>Release {i}</h1><p>Release number {i} of the failure fixture.</p>"
            f"{paragraphs(seed_text('001'))}</article></body></html>").encode()


def _listing(links: list[str], following: str | None) -> bytes:
    """A newsroom listing page."""
    rows = "".join(f"<li><a class='release-link' href='{href}'>R</a></li>" for href in links)
    pager = f"<a class='pager-next' href='{following}'>Next</a>" if following else ""
    return f"<html><body><ul>{rows}</ul>{pager}</body></html>".encode()


@pytest.fixture(scope="module")
def site(fixture_site: FixtureSite) -> FixtureSite:
    """The fixture site with the pages of these tests added under /failures/."""
    base, html, xml = fixture_site.base, "text/html; charset=utf-8", "application/xml"
    pages = {f"/failures/a-{i}.html": (html, _page(i)) for i in range(MANY)}
    pages["/failures/many.xml"] = (xml, _rss(base, [f"{base}/failures/a-{i}.html"
                                                    for i in range(MANY)]))
    pages["/failures/bad.xml"] = (xml, _rss(base, [base + _path("000"), BAD_PORT,
                                                   base + _path("001")]))
    pages["/failures/bad-atom.xml"] = (xml, (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>A</title>"
        "<entry><title>J</title><link href='javascript:alert(1)'/></entry><entry><title>K"
        f"</title><link href='{base}{_path('002')}'/></entry></feed>").encode())
    pages["/failures/bad-sitemap.xml"] = (xml, (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>{BAD_PORT}</loc></url><url><loc>{base}{_path('003')}</loc></url>"
        "</urlset>").encode())
    pages["/failures/listing.html"] = (html, _listing(
        ["javascript:void(0)", _path("004"), BAD_PORT_2], "/failures/listing-2.html"))
    pages["/failures/listing-2.html"] = (html, _listing([_path("000")], None))
    fixture_site.pages.update(pages)
    return fixture_site


def _source(name: str, kind: str, url: str, **extra: Any) -> dict[str, Any]:
    """A sources.yml entry on the fixture site."""
    return {"name": name, "kind": kind, "url": url, "language": "en",
            "allowed_domains": ["127.0.0.1"], **extra}


def _run(db: Path) -> dict[str, Any]:
    """The newest crawl_runs row."""
    return list(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc"))[0]


# ----- 1. every item that does not reach the store is accounted for -----

@pytest_twisted.ensureDeferred
async def test_station_crash_is_a_recorded_loss(site: FixtureSite, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: FactsPipeline, item: Any) -> Any:
        if "operation-lost-souls" in item.url:
            raise RuntimeError("facts station crashed")
        return item

    monkeypatch.setattr(FactsPipeline, "process", crash)
    db = tmp_path / "monitor.db"
    crawler = await crawl_in_test(FeedsSpider, crawl_settings(db),
                                  url=site.url("/feeds/rss.xml"))
    assert sorted(stored_by_seed(db, site)) == ["000", "002", "003", "004"]
    rows = [r for r in fetch_errors(db) if r["url"] == site.story_url("001")]
    assert [(r["stage"], r["reason"]) for r in rows] == [
        ("facts", "RuntimeError: facts station crashed")]
    run = _run(db)
    assert run["articles_dropped"] == 1 and run["fetch_errors"] == 2  # + the offsite link
    assert "facts" in json.loads(run["dropped_by_reason"]).popitem()[0]
    stats = crawler.stats.get_stats()
    assert stats["monitor/items_lost"] == 1
    assert "1 item(s) lost" in (run_failure(stats) or "")


@pytest_twisted.ensureDeferred
async def test_storage_error_stops_the_crawl(site: FixtureSite, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def locked(self: Store, article: Any) -> Any:
        calls.append(article.url)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Store, "save_article", locked)
    db = tmp_path / "monitor.db"
    before = len(site.requested)
    crawler = await crawl_in_test(FeedsSpider, crawl_settings(db),
                                  url=site.url("/failures/many.xml"))
    fetched = [p for p in site.requested[before:] if p.startswith("/failures/a-")]
    assert len(calls) == 1 and len(fetched) < MANY  # stopped at once, not item after item
    run = _run(db)
    assert run["finish_reason"] == "storage_error" and run["articles_new"] == 0
    rows = [r for r in fetch_errors(db) if r["stage"] == "store"]
    assert rows and rows[0]["reason"] == "storage error: OperationalError: database is locked"
    assert "storage error" in (run_failure(crawler.stats.get_stats()) or "")


@pytest_twisted.ensureDeferred
async def test_real_full_disk_stops_the_crawl(site: FixtureSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    store = Store(db)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite's own SQLITE_FULL
    crawler = get_crawler(FeedsSpider, crawl_settings(db))
    setattr(crawler, STORE_ATTR, store)
    before = len(site.requested)
    await crawler.crawl(url=site.url("/failures/many.xml"))
    fetched = [p for p in site.requested[before:] if p.startswith("/failures/a-")]
    assert len(fetched) < MANY
    stats = crawler.stats.get_stats()
    assert "full" in stats["monitor/storage_error"]
    assert stats.get("monitor/articles/new", 0) < len(fetched)
    assert run_failure(stats).startswith("storage error")


# ----- 3. one bad link is recorded and skipped -----

@pytest_twisted.ensureDeferred
async def test_bad_feed_links_skipped(site: FixtureSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    sources = write_sources(tmp_path / "sources.yml", [
        _source("bad-rss", "feed", site.url("/failures/bad.xml")),
        _source("bad-atom", "feed", site.url("/failures/bad-atom.xml"))])
    await crawl_in_test(FeedsSpider, crawl_settings(db, sources))
    assert sorted(stored_by_seed(db, site)) == ["000", "001", "002"]
    links = sorted((r["source"], r["url"]) for r in fetch_errors(db) if r["stage"] == "link")
    assert links == [("bad-atom", "javascript:alert(1)"), ("bad-rss", BAD_PORT)]


@pytest_twisted.ensureDeferred
async def test_bad_sitemap_loc_skipped(site: FixtureSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_in_test(SitemapsSpider, crawl_settings(db),
                        url=site.url("/failures/bad-sitemap.xml"))
    assert sorted(stored_by_seed(db, site)) == ["003"]
    rows = [r for r in fetch_errors(db) if r["stage"] == "link"]
    assert [r["url"] for r in rows] == [BAD_PORT] and "Port out of range" in rows[0]["reason"]


@pytest_twisted.ensureDeferred
async def test_bad_listing_links_skipped_next_page_followed(site: FixtureSite,
                                                            tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_in_test(NewsroomsSpider, crawl_settings(db),
                        url=site.url("/failures/listing.html"),
                        link_selector="a.release-link", next_selector="a.pager-next")
    assert sorted(stored_by_seed(db, site)) == ["000", "004"]  # 000 is on page 2
    links = sorted(r["url"] for r in fetch_errors(db) if r["stage"] == "link")
    assert links == [BAD_PORT_2, "javascript:void(0)"]


# ----- 2, 4, 5. what `scrapy crawl` says and how it exits -----

def test_clean_crawl_exits_0_with_one_summary_line(site: FixtureSite, tmp_db: Path) -> None:
    result = run_scrapy("feeds", "-a", f"url={site.url('/feeds/rss.xml')}", db=tmp_db)
    summary = [line for line in result.stderr.splitlines() if "run #1 feeds" in line]
    assert len(summary) == 1
    assert summary[0].endswith("run #1 feeds finished: 5 new, 0 updated, 0 unchanged, "
                               "dropped 0, fetch errors 1 (offsite 1), flags: none")
    # no start-up inventory (versions, settings, middlewares) and no dump of every stat
    assert not [line for line in result.stderr.splitlines()
                if "Enabled" in line or "Overridden settings" in line or "Dumping" in line]


def _pipelines() -> str:
    """The project's pipelines plus the failing test station, as a -s value."""
    return json.dumps({**project.ITEM_PIPELINES, "failing_station.FailingStation": 450})


@pytest.mark.parametrize(("failure", "message", "finish"), [
    ("crash", "1 item(s) lost to a failing station", "finished"),
    ("disk", "storage error, crawl stopped", "storage_error"),
])
def test_lost_items_exit_1(site: FixtureSite, tmp_db: Path, monkeypatch: pytest.MonkeyPatch,
                           failure: str, message: str, finish: str) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests"))
    monkeypatch.setenv("FAILING_STATION", failure)
    monkeypatch.setenv("FAILING_STATION_URL", "operation-lost-souls")
    result = run_scrapy("feeds", "-a", f"url={site.url('/feeds/rss.xml')}",
                        "-s", f"ITEM_PIPELINES={_pipelines()}", db=tmp_db, check=False)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("scrapy crawl feeds: FAILED: ") and message in last
    assert "Traceback" not in result.stderr
    assert site.story_url("001") in result.stderr  # the failed item's URL and reason...
    assert SENTENCES["001"] not in result.stderr and "Article(" not in result.stderr  # no body
    assert _run(tmp_db)["finish_reason"] == finish
    assert [r["stage"] for r in fetch_errors(tmp_db)
            if r["url"] == site.story_url("001")] == ["failing"]


def test_unreachable_host_exits_1(tmp_db: Path) -> None:
    result = run_scrapy("feeds", "-a", "url=http://127.0.0.1:9/rss.xml", "-s", "RETRY_TIMES=0",
                        db=tmp_db, check=False)
    assert result.returncode == 1
    assert "every request failed" in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_misspelt_spider_lists_the_spiders(tmp_db: Path) -> None:
    result = run_scrapy("file", db=tmp_db, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "scrapy: error: no spider named 'file'; available spiders: feeds, files, newsrooms, "
        "sitemaps")
    assert "Traceback" not in result.stderr and not tmp_db.exists()
