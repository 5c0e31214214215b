"""`scrapy crawl feeds`: RSS 2.0, RSS 1.0 and Atom feeds from sources.yml or `-a url=...`.

Feeds are parsed with lxml (the same safe parser as sitemaps: no entity expansion, no DTD,
no network) rather than feedparser: only four fields are needed (link, title, date,
language), and lxml is already a dependency.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from scrapy.http import Request, Response

from monitor.crawl.crawling import (
    MalformedXML,
    SourceSpider,
    child_text,
    iso_date,
    language_tag,
    localname,
    make_hints,
    parse_xml,
)

logger = logging.getLogger(__name__)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class FeedError(ValueError):
    """A document that is not a readable feed."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: where it links, and what the feed says about it."""

    link: str
    title: str | None = None
    published: str | None = None
    language: str | None = None


@dataclass
class Feed:
    """A parsed feed; `problem` is lxml's complaint when the XML had to be recovered."""

    format: str
    language: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    problem: str | None = None
    skipped: int = 0  # items without a link


def parse_feed(data: bytes) -> Feed:
    """Parse RSS 2.0, RSS 1.0 (RDF) or Atom bytes."""
    try:
        root, problem = parse_xml(data)
    except MalformedXML as exc:
        raise FeedError(str(exc)) from exc
    kind = localname(root)
    if kind == "rss":
        feed = _parse_rss(root)
    elif kind == "feed":
        feed = _parse_atom(root)
    elif kind == "RDF":
        feed = _parse_rdf(root)
    else:
        raise FeedError(f"not an RSS or Atom feed (root element <{kind}>)")
    feed.problem = problem
    return feed


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children with this local name."""
    return [child for child in element if localname(child) == name]


def _parse_rss(root: etree._Element) -> Feed:
    """RSS 2.0: <rss><channel><item>..."""
    channels = _children(root, "channel")
    if not channels:
        raise FeedError("RSS feed without a <channel>")
    channel = channels[0]
    feed = Feed("rss", language_tag(child_text(channel, "language")))
    _add_entries(feed, (_rss_item(item) for item in _children(channel, "item")))
    return feed


def _parse_rdf(root: etree._Element) -> Feed:
    """RSS 1.0: <rdf:RDF><channel/><item>... with Dublin Core dates."""
    channels = _children(root, "channel")
    language = language_tag(child_text(channels[0], "language")) if channels else None
    feed = Feed("rdf", language)
    _add_entries(feed, (_rss_item(item) for item in _children(root, "item")))
    return feed


def _rss_item(item: etree._Element) -> FeedEntry | None:
    """An RSS item: <link> (else a permalink <guid>), <title>, <pubDate>/<dc:date>."""
    link = child_text(item, "link")
    if not link:
        guids = _children(item, "guid")
        if guids and guids[0].get("isPermaLink", "true") != "false":
            link = (guids[0].text or "").strip()
    if not link or not link.startswith(("http://", "https://", "/")):
        return None
    return FeedEntry(link=link, title=child_text(item, "title"),
                     published=iso_date(child_text(item, "pubDate", "date")),
                     language=language_tag(child_text(item, "language")))


def _parse_atom(root: etree._Element) -> Feed:
    """Atom: <feed xml:lang><entry>... (publication date from <published> only)."""
    feed = Feed("atom", language_tag(root.get(XML_LANG)))
    _add_entries(feed, (_atom_entry(entry) for entry in _children(root, "entry")))
    return feed


def _atom_entry(entry: etree._Element) -> FeedEntry | None:
    """An Atom entry; <updated> is a modification time, not a publication date."""
    link = _atom_link(entry)
    if not link:
        return None
    return FeedEntry(link=link, title=child_text(entry, "title"),
                     published=iso_date(child_text(entry, "published", "issued")),
                     language=language_tag(entry.get(XML_LANG)))


def _atom_link(entry: etree._Element) -> str | None:
    """The entry's alternate link (rel absent or 'alternate'), HTML preferred."""
    links = [link for link in _children(entry, "link")
             if link.get("rel", "alternate") == "alternate" and link.get("href")]
    links.sort(key=lambda link: link.get("type", "text/html") != "text/html")
    return links[0].get("href").strip() if links else None


def _add_entries(feed: Feed, entries: Iterator[FeedEntry | None]) -> None:
    """Keep the entries that have a link; count the others."""
    for entry in entries:
        if entry is None:
            feed.skipped += 1
        else:
            feed.entries.append(entry)


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
