"""`sitemaps` spider: news fields, `since`, loops, 404s; crawls of the fixture site."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import sqlite_utils
from fixture_site import (
    FixtureSite,
    SeedArticleChecks,
    crawl_in_test,
    crawl_settings,
    fetch_errors,
    run_crawl,
    stored_by_seed,
    write_sources,
)

from monitor.crawl.listings import SitemapError, parse_sitemap
from spiders.sitemaps import SitemapsSpider, check_since

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://a.example/fr/1</loc><lastmod>2021-07-23</lastmod>
<news:news><news:publication><news:name>A</news:name><news:language>fr</news:language>
</news:publication><news:publication_date>2021-07-22T08:15:00+02:00</news:publication_date>
<news:title>Op\xc3\xa9ration Rescue Me</news:title></news:news></url>
<url><loc>https://a.example/plain</loc></url>
</urlset>"""

INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://a.example/s1.xml</loc><lastmod>2020-01-02</lastmod></sitemap>
<sitemap><loc>https://a.example/s2.xml.gz</loc></sitemap></sitemapindex>"""


def test_news_fields_kept() -> None:
    sitemap = parse_sitemap(NEWS)
    assert sitemap.kind == "urlset"
    news, plain = sitemap.entries
    assert (news.loc, news.news_title, news.news_language, news.news_date, news.lastmod) == (
        "https://a.example/fr/1", "Opération Rescue Me", "fr", "2021-07-22", "2021-07-23")
    assert (plain.loc, plain.news_date, plain.date) == ("https://a.example/plain", None, None)


def test_index_and_gzip() -> None:
    sitemap = parse_sitemap(gzip.compress(INDEX))
    assert sitemap.kind == "index"
    assert [(e.loc, e.lastmod) for e in sitemap.entries] == [
        ("https://a.example/s1.xml", "2020-01-02"), ("https://a.example/s2.xml.gz", None)]


@pytest.mark.parametrize("data", [b"", b"<html><body>404</body></html>", b"\x1f\x8bnot gzip"])
def test_not_a_sitemap(data: bytes) -> None:
    with pytest.raises(SitemapError):
        parse_sitemap(data)


@pytest.mark.parametrize("since", ["2021-13-01", "yesterday", "21-07-2021"])
def test_bad_since(since: str) -> None:
    with pytest.raises(ValueError, match="since must be a date"):
        check_since(since)


# ----- crawls of the fixture site -----


def sitemap_sources(site: FixtureSite, path: Path) -> Path:
    """A sources file with the fixture site's sitemap index."""
    return write_sources(path, [{"name": "gazette-sitemaps", "kind": "sitemap",
                                 "url": site.url("/sitemap_index.xml"), "language": "en",
                                 "allowed_domains": ["127.0.0.1"]}])


@pytest.fixture(scope="module")
def crawl(fixture_site: FixtureSite,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The whole sitemap index; also returns the paths the site served during the crawl."""
    tmp = tmp_path_factory.mktemp("sitemaps")
    db = tmp / "monitor.db"
    before = len(fixture_site.requested)
    run_crawl(SitemapsSpider, crawl_settings(db, sitemap_sources(fixture_site, tmp / "s.yml")))
    return db, fixture_site.requested[before:]


@pytest.fixture
def articles(crawl: tuple[Path, list[str]], fixture_site: FixtureSite) -> dict[str, Any]:
    """Stored articles by seed prefix."""
    return stored_by_seed(crawl[0], fixture_site)


class TestSitemapArticles(SeedArticleChecks):
    """The five seed articles, as the fixture site's pages, stored through this spider."""


def test_sitemap_date_used_where_page_has_none(articles: dict[str, Any]) -> None:
    assert articles["001"]["date_source"] == "sitemap"



def test_missing_sitemap_recorded(crawl: tuple[Path, list[str]]) -> None:
    rows = [r for r in fetch_errors(crawl[0]) if r["url"].endswith("/sitemaps/missing.xml")]
    assert [(r["stage"], r["reason"], r["source"]) for r in rows] == [
        ("fetch", "HTTP 404", "gazette-sitemaps")]


def test_offsite_page_recorded(crawl: tuple[Path, list[str]], fixture_site: FixtureSite) -> None:
    rows = [r for r in fetch_errors(crawl[0]) if r["url"] == fixture_site.offsite]
    assert [r["stage"] for r in rows] == ["offsite"]


def test_loop_read_once(crawl: tuple[Path, list[str]]) -> None:
    served = crawl[1]
    assert served.count("/sitemap_index.xml") == 1
    assert served.count("/sitemaps/more.xml") == 1


def test_run_row(crawl: tuple[Path, list[str]]) -> None:
    run = next(iter(sqlite_utils.Database(crawl[0])["crawl_runs"].rows))
    assert run["spider"] == "sitemaps" and run["articles_new"] == 5 and run["fetch_errors"] == 2


@pytest_twisted.ensureDeferred
async def test_since_skips_older_entries(fixture_site: FixtureSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_in_test(SitemapsSpider,
                        crawl_settings(db, sitemap_sources(fixture_site, tmp_path / "s.yml")),
                        since="2021-07-01")
    # 001 was published 2021-06-16; 004 carries no date and is kept.
    assert sorted(stored_by_seed(db, fixture_site)) == ["000", "002", "003", "004"]


@pytest_twisted.ensureDeferred
async def test_robots_txt_names_the_sitemaps(fixture_site: FixtureSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_in_test(SitemapsSpider, crawl_settings(db), url=fixture_site.url("/robots.txt"))
    assert sorted(stored_by_seed(db, fixture_site)) == ["000", "001", "002", "003"]
    assert fetch_errors(db) == []
