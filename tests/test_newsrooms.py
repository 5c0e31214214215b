"""`newsrooms` spider: listing selectors, dates, page limit; crawls of the fixture site."""

from __future__ import annotations

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
from scrapy.http import HtmlResponse

from monitor.crawl.listings import listing_entries
from monitor.crawl.sources import command_line_source
from spiders.newsrooms import NewsroomsSpider

LISTING = """<html><body><div class="views-row"><div class="news-title">
<a href="/news/releases/one">One</a></div><div class="news-date">21 juillet 2021</div></div>
<div class="views-row"><div class="news-title"><a href="/news/releases/two">Two</a></div>
<time datetime="2021-06-16T10:00:00Z">June 16</time></div>
<div class="views-row"><div class="news-title"><a href="/news/releases/three">Three</a></div>
</div></body></html>"""


def listing(**fields: Any) -> list[tuple[str, str | None]]:
    """Entries of LISTING read with these selectors (a French-language source)."""
    source = command_line_source("newsroom", "https://a.example/news", language="fr",
                                 next_selector="a.next", **fields)
    response = HtmlResponse("https://a.example/news", body=LISTING.encode(), encoding="utf-8")
    return listing_entries(response, source)


def test_item_selector_pairs_links_and_dates() -> None:
    assert listing(item_selector="div.views-row", link_selector=".news-title a",
                   date_selector=".news-date, time") == [
        ("/news/releases/one", "2021-07-21"), ("/news/releases/two", "2021-06-16"),
        ("/news/releases/three", None)]


def test_dates_found_near_links_without_item_selector() -> None:
    assert listing(link_selector="//div[@class='news-title']/a/@href",
                   date_selector="div.news-date") == [
        ("/news/releases/one", None), ("/news/releases/two", None),
        ("/news/releases/three", None)]
    assert listing(link_selector=".news-title a", date_selector="div.news-date")[0] == (
        "/news/releases/one", "2021-07-21")


# ----- crawls of the fixture site -----


@pytest.fixture(scope="module")
def crawl(fixture_site: FixtureSite,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The newsroom listing with a two-page limit; also the paths served during the crawl."""
    tmp = tmp_path_factory.mktemp("newsrooms")
    sources = write_sources(tmp / "sources.yml", [{
        "name": "gazette-newsroom", "kind": "newsroom", "url": fixture_site.url("/newsroom/"),
        "language": "en", "allowed_domains": ["127.0.0.1"],
        "item_selector": "li.release", "link_selector": "a.release-link",
        "date_selector": ".release-date", "next_selector": "a.pager-next", "max_pages": 2}])
    db = tmp / "monitor.db"
    before = len(fixture_site.requested)
    run_crawl(NewsroomsSpider, crawl_settings(db, sources))
    return db, fixture_site.requested[before:]


@pytest.fixture
def articles(crawl: tuple[Path, list[str]], fixture_site: FixtureSite) -> dict[str, Any]:
    """Stored articles by seed prefix."""
    return stored_by_seed(crawl[0], fixture_site)


class TestNewsroomArticles(SeedArticleChecks):
    """The five seed articles, as the fixture site's pages, stored through this spider."""


def test_listing_date_used_where_page_has_none(articles: dict[str, Any]) -> None:
    assert articles["001"]["date_source"] == "listing"



def test_page_limit(crawl: tuple[Path, list[str]]) -> None:
    assert "/newsroom/page-2.html" in crawl[1]
    assert "/newsroom/page-3.html" not in crawl[1]


def test_offsite_link_recorded(crawl: tuple[Path, list[str]], fixture_site: FixtureSite) -> None:
    rows = [r for r in fetch_errors(crawl[0]) if r["url"] == fixture_site.offsite]
    assert [(r["stage"], r["source"]) for r in rows] == [("offsite", "gazette-newsroom")]


def test_run_row(crawl: tuple[Path, list[str]]) -> None:
    run = next(iter(sqlite_utils.Database(crawl[0])["crawl_runs"].rows))
    assert run["spider"] == "newsrooms" and run["articles_new"] == 5 and run["fetch_errors"] == 1


@pytest_twisted.ensureDeferred
async def test_selector_matching_nothing_recorded(fixture_site: FixtureSite,
                                                  tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_in_test(NewsroomsSpider, crawl_settings(db),
                        url=fixture_site.url("/newsroom/page-3.html"),
                        link_selector="a.release-link", next_selector="a.pager-next")
    assert [(r["stage"], r["reason"]) for r in fetch_errors(db)] == [
        ("parse", "no article links matched link_selector 'a.release-link'")]
