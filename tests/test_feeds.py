"""`feeds` spider: RSS and Atom parsing, and in-process crawls of the fixture site's feeds."""

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
from scrapy.utils.test import get_crawler

from monitor.crawl.listings import FeedError, parse_feed
from spiders.feeds import FeedsSpider

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>T</title><language>en-US</language>
<item><title>First</title><link>https://a.example/1</link>
<pubDate>Wed, 21 Jul 2021 23:40:00 -0600</pubDate></item>
<item><title>Second</title><guid>https://a.example/2</guid><dc:language>fr</dc:language>
<dc:date>2021-07-22T08:00:00+02:00</dc:date></item>
<item><title>No link</title><guid isPermaLink="false">x-3</guid></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="es-MX"><title>T</title>
<entry><title>Uno</title><link rel="self" href="https://a.example/self"/>
<link href="https://a.example/uno"/><published>2025-03-19T10:00:00Z</published>
<updated>2025-04-01T00:00:00Z</updated></entry>
<entry xml:lang="pt-BR"><title>Dois</title><link rel="alternate" href="https://a.example/dois"/>
<updated>2025-04-01T00:00:00Z</updated></entry>
</feed>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><item><title>&lol3;</title><link>https://a.example/x</link></item>
</channel></rss>"""


def test_rss_items() -> None:
    feed = parse_feed(RSS)
    assert feed.format == "rss" and feed.language == "en" and feed.skipped == 1
    first, second = feed.entries
    assert (first.link, first.title, first.published) == ("https://a.example/1", "First",
                                                          "2021-07-21")
    assert (second.link, second.language, second.published) == ("https://a.example/2", "fr",
                                                                "2021-07-22")


def test_atom_entries() -> None:
    feed = parse_feed(ATOM)
    assert feed.format == "atom" and feed.language == "es"
    uno, dos = feed.entries
    assert (uno.link, uno.title, uno.published) == ("https://a.example/uno", "Uno", "2025-03-19")
    assert (dos.link, dos.language, dos.published) == ("https://a.example/dois", "pt", None)


def test_entities_are_not_expanded() -> None:
    feed = parse_feed(LAUGHS)
    assert "lollol" not in (feed.entries[0].title or "")


@pytest.mark.parametrize("data", [b"", b"<html><body>Not a feed</body></html>",
                                  b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_not_a_feed(data: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(data)


# ----- crawls of the fixture site -----


@pytest.fixture(scope="module")
def rss_crawl(fixture_site: FixtureSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The RSS feed and the malformed feed, from a sources file."""
    tmp = tmp_path_factory.mktemp("feeds_rss")
    sources = write_sources(tmp / "sources.yml", [
        {"name": "gazette-rss", "kind": "feed", "url": fixture_site.url("/feeds/rss.xml"),
         "language": "en", "allowed_domains": ["127.0.0.1"]},
        {"name": "gazette-broken", "kind": "feed", "url": fixture_site.url("/feeds/broken.xml"),
         "language": "en", "allowed_domains": ["127.0.0.1"]},
    ])
    db = tmp / "monitor.db"
    run_crawl(FeedsSpider, crawl_settings(db, sources))
    return db


@pytest.fixture(scope="module")
def atom_crawl(fixture_site: FixtureSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Atom feed, given on the command line (-a url=...)."""
    db = tmp_path_factory.mktemp("feeds_atom") / "monitor.db"
    run_crawl(FeedsSpider, crawl_settings(db), url=fixture_site.url("/feeds/atom.xml"))
    return db


@pytest.fixture(params=["rss", "atom"])
def articles(request: pytest.FixtureRequest, fixture_site: FixtureSite) -> dict[str, Any]:
    """Stored articles of one crawl, by seed prefix."""
    db = request.getfixturevalue(f"{request.param}_crawl")
    return stored_by_seed(db, fixture_site)


class TestFeedArticles(SeedArticleChecks):
    """The five seed articles, as the fixture site's pages, stored through this spider."""


def test_feed_date_used_where_page_has_none(articles: dict[str, Any]) -> None:
    assert articles["001"]["date_source"] == "feed"
    assert articles["000"]["date_source"] == "html_metadata"



def test_source_name_stored(rss_crawl: Path, fixture_site: FixtureSite) -> None:
    assert {r["source"] for r in stored_by_seed(rss_crawl, fixture_site).values()} == {
        "gazette-rss"}


def test_malformed_feed_recorded(rss_crawl: Path, fixture_site: FixtureSite) -> None:
    rows = [r for r in fetch_errors(rss_crawl) if r["url"].endswith("/feeds/broken.xml")]
    assert [(r["stage"], r["source"]) for r in rows] == [("parse", "gazette-broken")]
    assert "malformed feed" in rows[0]["reason"]


def test_offsite_link_recorded(rss_crawl: Path, fixture_site: FixtureSite) -> None:
    rows = [r for r in fetch_errors(rss_crawl) if r["url"] == fixture_site.offsite]
    assert [(r["stage"], r["source"]) for r in rows] == [("offsite", "gazette-rss")]
    assert "127.0.0.1" in rows[0]["reason"]
    assert "/news/partner-story.html" not in fixture_site.requested


def test_run_row(rss_crawl: Path) -> None:
    run = next(iter(sqlite_utils.Database(rss_crawl)["crawl_runs"].rows))
    assert run["spider"] == "feeds" and run["articles_new"] == 5 and run["fetch_errors"] == 2


@pytest_twisted.ensureDeferred
async def test_redirect_off_site_recorded(fixture_site: FixtureSite, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    await crawl_in_test(FeedsSpider, crawl_settings(db),
                        url=fixture_site.url("/feeds/redirecting.xml"))
    rows = [(r["url"], r["stage"]) for r in fetch_errors(db)]
    assert rows == [(fixture_site.offsite, "offsite")]


def test_requests_carry_kind_and_source(tmp_path: Path) -> None:
    crawler = get_crawler(FeedsSpider, crawl_settings(tmp_path / "m.db"))
    spider = FeedsSpider.from_crawler(crawler, url="https://news.agency.example/rss.xml",
                                      language="es", domains="agency.example")
    source = spider.sources["news.agency.example"]
    assert spider.allowed_domains == ["agency.example"]
    feed = spider.listing_request(source.url, source, spider.parse_feed)
    article = spider.article_request("https://agency.example/a", source,
                                     {"title": "T", "published": "2021-07-21"})
    assert (feed.meta["monitor_kind"], article.meta["monitor_kind"]) == ("listing", "article")
    assert article.meta["monitor_source"] == "news.agency.example"
    assert article.meta["monitor_hints"] == {"language": "es", "title": "T",
                                             "published": "2021-07-21"}
