"""`scrapy crawl sitemaps`: sitemap indexes, urlsets and Google News sitemaps.

Sitemaps are parsed by `monitor.crawl.listings` (lxml, keeping the nested Google News
fields that Scrapy's own `Sitemap` class drops; gzipped sitemaps inflated with a size limit).
Each sitemap URL is fetched once per crawl, so an index that lists itself (or a loop of
indexes) ends. `-a since=YYYY-MM-DD` skips entries (and child
sitemaps) last modified or published before that day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import date
from typing import Any

from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import sitemap_urls_from_robots

from monitor.crawl.crawling import SourceSpider, make_hints
from monitor.crawl.listings import SitemapEntry, SitemapError, parse_sitemap
from monitor.crawl.sources import Source

logger = logging.getLogger(__name__)

SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_since(since: str | None) -> None:
    """Refuse a `since` that is not a YYYY-MM-DD date."""
    try:
        valid = since is None or bool(SINCE.match(since) and date.fromisoformat(since))
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"sitemaps: -a since must be a date YYYY-MM-DD, not {since!r}")


class SitemapsSpider(SourceSpider):
    """Walks sitemaps (and robots.txt Sitemap: lines) down to the pages, keeping news fields."""

    name = "sitemaps"
    kind = "sitemap"
    own_args = ("since",)
    arg_names = ("url", "source", "since")

    def __init__(self, since: str | None = None, **kwargs: Any) -> None:
        """Keep `since` and start with no sitemap seen."""
        super().__init__(**kwargs)
        self.since = since
        self.seen_sitemaps: set[str] = set()

    @classmethod
    def check_arguments(cls, settings: BaseSettings, **spargs: Any) -> None:
        """Check `since` and the sources."""
        check_since(spargs.get("since"))
        super().check_arguments(settings, **spargs)

    async def start(self) -> AsyncIterator[Any]:
        """One request per sitemap source."""
        check_since(self.since)
        for source in self.sources.values():
            request = self.sitemap_request(source.url, source)
            if request is not None:
                yield request

    def sitemap_request(self, url: str, source: Source) -> Request | None:
        """A request for a sitemap not yet seen in this crawl (None for a repeat)."""
        if url in self.seen_sitemaps:
            logger.info("sitemap %s already read in this crawl: not following it again", url)
            self.count("sitemaps_repeated")
            return None
        self.seen_sitemaps.add(url)
        return self.listing_request(url, source, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Follow an index's sitemaps or a urlset's pages; robots.txt lists sitemaps too."""
        source = self.source_of(response)
        if response.url.endswith("/robots.txt"):
            yield from self._follow(response, sitemap_urls_from_robots(response.body), source)
            return
        try:
            sitemap = parse_sitemap(response.body)
        except SitemapError as exc:
            self.record(response.url, source.name, "parse", f"malformed sitemap: {exc}")
            return
        if sitemap.problem:
            self.record(response.url, source.name, "parse",
                        f"malformed sitemap, {len(sitemap.entries)} entries recovered: "
                        f"{sitemap.problem}")
        entries = [e for e in sitemap.entries if self._recent(e)]
        if sitemap.kind == "index":
            yield from self._follow(response, (e.loc for e in entries), source)
        else:
            yield from self._pages(response, entries, source)

    def _follow(self, response: Response, hrefs: Iterable[str],
                source: Source) -> Iterator[Request]:
        """Requests for child sitemaps not seen yet; bad links are recorded and skipped."""
        for href in hrefs:
            url = self.link(response, href, source)
            request = self.sitemap_request(url, source) if url is not None else None
            if request is not None:
                yield request

    def _pages(self, response: Response, entries: list[SitemapEntry],
               source: Source) -> Iterator[Request]:
        """Article requests with the news fields as hints."""
        self.count("pages", len(entries))
        for entry in entries:
            url = self.link(response, entry.loc, source)
            if url is not None:
                hints = make_hints(entry.news_title, entry.news_date, "sitemap",
                                   entry.news_language)
                yield self.article_request(url, source, hints)

    def _recent(self, entry: SitemapEntry) -> bool:
        """False for an entry dated before `since` (undated entries are kept)."""
        if self.since and entry.date and entry.date < self.since:
            self.count("skipped_before_since")
            return False
        return True
