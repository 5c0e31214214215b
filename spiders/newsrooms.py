"""`scrapy crawl newsrooms`: an agency's press-release listing pages, with per-source selectors.

Each newsroom entry of sources.yml gives CSS (or XPath, starting with / or () selectors:
`link_selector` for the article links, `next_selector` for the next listing page, and
optionally `item_selector` (one listing entry; links and dates are then looked up inside it)
and `date_selector` (the entry's date: a `datetime` attribute or the text, read in the
source's language). Listing pages are followed up to the entry's `max_pages`, else
MONITOR_NEWSROOM_MAX_PAGES.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response

from monitor.crawl.crawling import SourceSpider, make_hints
from monitor.crawl.listings import link_of, listing_entries, select
from monitor.crawl.sources import Source

logger = logging.getLogger(__name__)

PAGE_KEY = "monitor_page"


class NewsroomsSpider(SourceSpider):
    """Follows a newsroom's listing pages and their article links, with listing dates."""

    name = "newsrooms"
    kind = "newsroom"
    source_args = ("language", "domains", "link_selector", "next_selector",
                   "date_selector", "item_selector", "max_pages")

    async def start(self) -> AsyncIterator[Any]:
        """The first listing page of each newsroom."""
        for source in self.sources.values():
            yield self.listing_request(source.url, source, self.parse_listing, **{PAGE_KEY: 1})

    def max_pages(self, source: Source) -> int:
        """The entry's page limit, else MONITOR_NEWSROOM_MAX_PAGES."""
        return source.max_pages or self.settings.getint("MONITOR_NEWSROOM_MAX_PAGES")

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Article requests for the page's links, then the next page within the limit."""
        source = self.source_of(response)
        entries = listing_entries(response, source)
        if not entries:
            self.record(response.url, source.name, "parse",
                        f"no article links matched link_selector {source.link_selector!r}")
        self.count("links", len(entries))
        for link, date in entries:
            url = self.link(response, link, source)
            if url is not None:
                hints = make_hints(published=date, published_source="listing")
                yield self.article_request(url, source, hints)
        yield from self._next_page(response, source)

    def _next_page(self, response: Response, source: Source) -> Iterator[Request]:
        """The next listing page, unless the page limit is reached."""
        assert source.next_selector is not None
        page = response.meta.get(PAGE_KEY, 1)
        following = next(filter(None, map(link_of, select(response, source.next_selector))),
                         None)
        if not following:
            return
        if page >= self.max_pages(source):
            logger.info("%s: page limit %d reached at %s", source.name, page, response.url)
            self.count("page_limit_reached")
            return
        url = self.link(response, following, source)
        if url is not None:
            yield self.listing_request(url, source, self.parse_listing, **{PAGE_KEY: page + 1})
