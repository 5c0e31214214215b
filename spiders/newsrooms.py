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

from parsel import Selector, SelectorList
from scrapy.http import Request, Response

from monitor.crawl.crawling import SourceSpider, iso_date, make_hints
from monitor.crawl.sources import Source, is_xpath

logger = logging.getLogger(__name__)

PAGE_KEY = "monitor_page"
DATE_ANCESTORS = 4  # how far up from a link a listing date is looked for


def select(node: Selector | Response, selector: str) -> SelectorList[Selector]:
    """Apply a CSS or XPath selector (XPath when it starts with / ./ or ()."""
    return node.xpath(selector) if is_xpath(selector) else node.css(selector)


def link_of(node: Selector) -> str | None:
    """The URL a matched node stands for: a string result, its href, or a descendant's href."""
    if isinstance(node.root, str):
        return node.root.strip() or None
    href = node.attrib.get("href") or node.xpath(".//a/@href").get()
    return href.strip() if href and href.strip() else None


def date_of(node: Selector | None, language: str | None) -> str | None:
    """The ISO date of a date node: its `datetime`/`content` attribute, else its text."""
    if node is None:
        return None
    if isinstance(node.root, str):
        text = node.root
    else:
        text = (node.attrib.get("datetime") or node.attrib.get("content")
                or " ".join(node.xpath(".//text()").getall()))
    return iso_date(" ".join(text.split()), [language.split("-")[0]] if language else None)


def listing_entries(response: Response, source: Source) -> list[tuple[str, str | None]]:
    """(link, listing date) pairs of one listing page."""
    assert source.link_selector is not None
    if source.item_selector:
        pairs = []
        for item in select(response, source.item_selector):
            link = next(filter(None, map(link_of, select(item, source.link_selector))), None)
            date_node = select(item, source.date_selector)[:1] if source.date_selector else []
            if link:
                pairs.append((link, date_of(date_node[0] if date_node else None,
                                            source.language)))
        return pairs
    links = select(response, source.link_selector)
    return [(link, _nearby_date(node, source)) for node in links if (link := link_of(node))]


def _nearby_date(node: Selector, source: Source) -> str | None:
    """Without an item selector: the date in the closest ancestor holding exactly one."""
    if not source.date_selector or isinstance(node.root, str):
        return None
    ancestor = node
    for _ in range(DATE_ANCESTORS):
        parents = ancestor.xpath("..")
        if not parents:
            return None
        ancestor = parents[0]
        found = select(ancestor, source.date_selector)
        if len(found) == 1:
            return date_of(found[0], source.language)
        if len(found) > 1:
            return None
    return None


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
