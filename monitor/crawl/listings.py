"""Listings the crawl reads: RSS 2.0, RSS 1.0 and Atom feeds, sitemaps (indexes, urlsets and
Google News sitemaps) and newsroom listing pages; shared by the spiders and `monitor sources
add`.

Feeds and sitemaps are parsed with lxml (no entity expansion, no DTD, no network, huge_tree
off) rather than feedparser or Scrapy's `Sitemap`: only a few fields are needed (link, title,
date, language), Scrapy's class keeps only direct children of <url> (so the nested
news:publication_date, news:title and news:language would be lost), and lxml is already a
dependency. Gzipped sitemaps are inflated with a size limit.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from parsel import Selector, SelectorList
from scrapy.http import Response

from monitor.crawl.crawling import (
    MalformedXML,
    child_text,
    iso_date,
    language_tag,
    localname,
    parse_xml,
)
from monitor.crawl.sources import Source, is_xpath
from monitor.stations.documents import gunzip

DATE_ANCESTORS = 4  # how far up from a link a listing date is looked for


# ----- feeds -----

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


# ----- sitemaps -----


class SitemapError(ValueError):
    """A document that is not a readable sitemap."""


@dataclass(frozen=True)
class SitemapEntry:
    """A <url> or <sitemap> entry, with its Google News fields when present."""

    loc: str
    lastmod: str | None = None
    news_date: str | None = None
    news_title: str | None = None
    news_language: str | None = None

    @property
    def date(self) -> str | None:
        """The date `since` compares: publication date, else last modification."""
        return self.news_date or self.lastmod


@dataclass
class Sitemap:
    """A parsed sitemap: an index of sitemaps or a urlset of pages."""

    kind: str  # index | urlset
    entries: list[SitemapEntry] = field(default_factory=list)
    problem: str | None = None


def parse_sitemap(data: bytes) -> Sitemap:
    """Parse sitemap bytes (gzipped or not); namespaces are matched by local name."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip(data)
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            raise SitemapError(f"bad gzip data: {exc}") from exc
    try:
        root, problem = parse_xml(data)
    except MalformedXML as exc:
        raise SitemapError(str(exc)) from exc
    kinds = {"sitemapindex": ("index", "sitemap"), "urlset": ("urlset", "url")}
    if localname(root) not in kinds:
        raise SitemapError(f"not a sitemap (root element <{localname(root)}>)")
    kind, tag = kinds[localname(root)]
    entries = [_entry(el) for el in root if localname(el) == tag]
    return Sitemap(kind, [e for e in entries if e is not None], problem)


def _entry(element: etree._Element) -> SitemapEntry | None:
    """One <url>/<sitemap> element; None without a <loc>."""
    loc = child_text(element, "loc")
    if not loc:
        return None
    news = next((child for child in element if localname(child) == "news"), None)
    title = date = language = None
    if news is not None:
        title = child_text(news, "title")
        date = iso_date(child_text(news, "publication_date"))
        publication = next((c for c in news if localname(c) == "publication"), None)
        if publication is not None:
            language = language_tag(child_text(publication, "language"))
    return SitemapEntry(loc=loc, lastmod=iso_date(child_text(element, "lastmod")),
                        news_date=date, news_title=title, news_language=language)


# ----- newsroom listing pages -----


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
