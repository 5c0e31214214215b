"""Conditional requests never hide what lies below: two crawls through the real engine.

The site answers robots.txt, the sitemap index, the child sitemaps and the newsroom listing
pages with ETags and 304s; between the runs an article is added below an unchanged document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import sqlite_utils
from fixture_site import crawl_in_test, crawl_settings, write_sources
from hostile_site import Page, Site, article_html, prose

from monitor.store import Store
from spiders.newsrooms import NewsroomsSpider
from spiders.sitemaps import SitemapsSpider

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


class ConditionalSite(Site):
    """robots.txt -> index -> two child sitemaps, and a two-page newsroom; all with ETags."""

    def __init__(self) -> None:
        """Articles 0-3 listed: 0-1 in sitemap a and listing page 1, 2-3 in b and page 2."""
        super().__init__()
        self.lists: dict[str, list[int]] = {"a": [0, 1], "b": [2, 3]}
        self.statuses: list[tuple[str, int]] = []

    def route(self, path: str, headers: dict[str, str]) -> Page:
        """The documents (conditional) and the article pages."""
        documents = {
            "/robots.txt": (f"User-agent: *\nSitemap: {self.url('/index.xml')}\n", "text/plain"),
            "/index.xml": (self.index(), "application/xml"),
            "/sitemap-a.xml": (self.urlset("a"), "application/xml"),
            "/sitemap-b.xml": (self.urlset("b"), "application/xml"),
            "/news/1.html": (self.listing("a", "/news/2.html"), "text/html; charset=utf-8"),
            "/news/2.html": (self.listing("b", None), "text/html; charset=utf-8"),
        }
        if path in documents:
            page = conditional(*documents[path], headers)
        elif path.startswith("/p/"):
            i = int(path[3:-5])
            page = Page(article_html(f"Story {i}", prose(500 + i, 6)).encode())
        else:
            page = Page(b"not found", 404, "text/plain")
        self.statuses.append((path, page.status))
        return page

    def index(self) -> str:
        """The sitemap index of the two child sitemaps."""
        items = "".join(f"<sitemap><loc>{self.url(f'/sitemap-{k}.xml')}</loc></sitemap>"
                        for k in self.lists)
        return f'<?xml version="1.0"?><sitemapindex {NS}>{items}</sitemapindex>'

    def urlset(self, name: str) -> str:
        """A child sitemap of its articles."""
        items = "".join(f"<url><loc>{self.url(f'/p/{i}.html')}</loc></url>"
                        for i in self.lists[name])
        return f'<?xml version="1.0"?><urlset {NS}>{items}</urlset>'

    def listing(self, name: str, next_path: str | None) -> str:
        """A newsroom listing page of the same articles, with its next page."""
        links = "".join(f'<li><a class="story" href="/p/{i}.html">Story {i}</a></li>'
                        for i in self.lists[name])
        more = f'<a class="next" href="{next_path}">Older</a>' if next_path else ""
        return f"<html><body><ul>{links}</ul>{more}</body></html>"

    def status_of(self, path: str, since: int = 0) -> list[int]:
        """The statuses `path` was answered with, from request number `since` on."""
        return [status for p, status in self.statuses[since:] if p == path]


def conditional(text: str, ctype: str, headers: dict[str, str]) -> Page:
    """The document with an ETag, or 304 when the client sent that ETag."""
    etag = '"' + hashlib.sha1(text.encode()).hexdigest()[:16] + '"'
    if headers.get("if-none-match") == etag:
        return Page(status=304, headers={"ETag": etag})
    return Page(text.encode(), ctype=ctype, headers={"ETag": etag})


@pytest.fixture
def site() -> Iterator[ConditionalSite]:
    """The site, running."""
    server = ConditionalSite()
    with server.running():
        yield server


def settings(db: Path, **extra: Any) -> dict[str, Any]:
    """Crawl settings against `db`."""
    return crawl_settings(db, CONCURRENT_REQUESTS_PER_DOMAIN=8, **extra)


def stored(db: Path) -> set[str]:
    """Stored article paths."""
    return {r["url"].split("/", 3)[3] for r in sqlite_utils.Database(db)["articles"].rows}


async def crawl_sitemaps(site: ConditionalSite, db: Path, **extra: Any) -> dict[str, Any]:
    """`sitemaps` from robots.txt; returns the crawl's stats."""
    crawler = await crawl_in_test(SitemapsSpider, settings(db, **extra),
                                  url=site.url("/robots.txt"))
    return crawler.stats.get_stats()


async def crawl_newsroom(site: ConditionalSite, db: Path, **extra: Any) -> dict[str, Any]:
    """`newsrooms` over the two listing pages; returns the crawl's stats."""
    sources = write_sources(db.parent / "sources.yml", [{
        "name": "newsroom", "kind": "newsroom", "url": site.url("/news/1.html"),
        "language": "en", "allowed_domains": ["127.0.0.1"], "link_selector": "a.story",
        "next_selector": "a.next"}])
    crawler = await crawl_in_test(NewsroomsSpider, settings(db, MONITOR_SOURCES=str(sources),
                                                            **extra))
    return crawler.stats.get_stats()


@pytest_twisted.ensureDeferred
async def test_article_added_below_unchanged_robots_and_index(site: ConditionalSite,
                                                               tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_sitemaps(site, db)
    assert stored(db) == {f"p/{i}.html" for i in range(4)}
    mark = len(site.statuses)
    site.lists["b"].append(4)  # a new article in sitemap b only
    stats = await crawl_sitemaps(site, db)
    assert "p/4.html" in stored(db)
    # robots.txt is also fetched once, unconditionally, by Scrapy's robots.txt middleware
    assert site.status_of("/robots.txt", mark) == [200, 304]
    assert site.status_of("/index.xml", mark) == [304]
    assert site.status_of("/sitemap-a.xml", mark) == [304]
    assert site.status_of("/sitemap-b.xml", mark) == [200]
    # the old articles were checked within the re-check window: not fetched again
    assert [p for p, _ in site.statuses[mark:] if p.startswith("/p/")] == ["/p/4.html"]
    assert stats["monitor/incremental/not_modified"] == 3
    assert stats["monitor/incremental/skipped_fresh"] == 4


@pytest_twisted.ensureDeferred
async def test_each_child_asked_with_its_own_validators(site: ConditionalSite,
                                                       tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_sitemaps(site, db)
    validators = {r["url"]: r["etag"] for r in sqlite_utils.Database(db)["http_validators"].rows}
    mark = len(site.requests)
    await crawl_sitemaps(site, db)
    sent = {path: headers.get("if-none-match") for path, headers in site.requests[mark:]
            if path != "/robots.txt" and not path.startswith("/p/")}
    assert sent == {path: validators[site.url(path)]
                    for path in ("/index.xml", "/sitemap-a.xml", "/sitemap-b.xml")}


@pytest_twisted.ensureDeferred
async def test_recheck_zero_fetches_every_listed_article_behind_304s(site: ConditionalSite,
                                                                    tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_sitemaps(site, db)
    mark = len(site.statuses)
    stats = await crawl_sitemaps(site, db, MONITOR_RECHECK_HOURS=0)
    assert site.status_of("/index.xml", mark) == [304]
    assert sorted(p for p, _ in site.statuses[mark:] if p.startswith("/p/")) == [
        f"/p/{i}.html" for i in range(4)]
    assert stats["monitor/articles/unchanged"] == 4


@pytest_twisted.ensureDeferred
async def test_article_added_below_unchanged_listing_page(site: ConditionalSite,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_newsroom(site, db)
    assert stored(db) == {f"p/{i}.html" for i in range(4)}
    mark = len(site.statuses)
    site.lists["b"].append(4)  # a new article on listing page 2 only
    await crawl_newsroom(site, db)
    assert site.status_of("/news/1.html", mark) == [304]
    assert site.status_of("/news/2.html", mark) == [200]
    assert "p/4.html" in stored(db)


@pytest_twisted.ensureDeferred
async def test_unchanged_listing_articles_rechecked_with_recheck_zero(
        site: ConditionalSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_newsroom(site, db)
    mark = len(site.statuses)
    stats = await crawl_newsroom(site, db, MONITOR_RECHECK_HOURS=0)
    assert site.status_of("/news/1.html", mark) == site.status_of("/news/2.html", mark) == [304]
    assert sorted(p for p, _ in site.statuses[mark:] if p.startswith("/p/")) == [
        f"/p/{i}.html" for i in range(4)]
    assert stats["monitor/incremental/not_modified"] == 2


@pytest_twisted.ensureDeferred
async def test_validators_without_a_kept_body_ask_in_full(site: ConditionalSite,
                                                          tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_newsroom(site, db)
    sqlite_utils.Database(db).execute("update http_validators set body = null")
    mark = len(site.requests)
    await crawl_newsroom(site, db)
    sent = [headers.get("if-none-match") for path, headers in site.requests[mark:]
            if path.startswith("/news/")]
    assert sent == [None, None]
    assert all(r["body"] for r in sqlite_utils.Database(db)["http_validators"].rows)


def test_recently_checked_matches_the_page_not_the_raw_url(tmp_path: Path) -> None:
    store = Store(tmp_path / "monitor.db")
    store.mark_checked(["https://www.example.org/a?utm_source=rss&utm_medium=feed"],
                       "article", "s", "new")
    assert store.recently_checked("https://example.org/a", "2000-01-01")
    assert store.recently_checked("https://m.example.org/a/amp/", "2000-01-01")
    assert not store.recently_checked("https://example.org/b", "2000-01-01")
    assert not store.recently_checked("https://example.org/a", "2999-01-01")
    store.close()
