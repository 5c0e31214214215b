"""`scrapy crawl feeds`: RSS 2.0, RSS 1.0 and Atom feeds from sources.yml or `-a url=...`.

Feeds are parsed by `monitor.crawl.listings` (lxml: no entity expansion, no DTD, no
network).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response

from monitor.crawl.crawling import SourceSpider, make_hints
from monitor.crawl.listings import FeedError, parse_feed

logger = logging.getLogger(__name__)


class FeedsSpider(SourceSpider):
    """Reads feeds and follows each item's link, keeping its date, title and language."""

    name = "feeds"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        """One request per feed."""
        for source in self.sources.values():
            yield self.listing_request(source.url, source, self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Follow the feed's items; a malformed feed is a parse error."""
        source = self.source_of(response)
        try:
            feed = parse_feed(response.body)
        except FeedError as exc:
            self.record(response.url, source.name, "parse", f"malformed feed: {exc}")
            return
        if feed.problem:
            self.record(response.url, source.name, "parse",
                        f"malformed feed, {len(feed.entries)} items recovered: {feed.problem}")
        self.count("items", len(feed.entries))
        self.count("items_without_link", feed.skipped)
        for entry in feed.entries:
            url = self.link(response, entry.link, source)
            if url is None:
                continue
            hints = make_hints(entry.title, entry.published, "feed",
                               entry.language or feed.language)
            yield self.article_request(url, source, hints)
