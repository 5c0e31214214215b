"""`scrapy crawl sitemaps`: sitemap indexes, urlsets and Google News sitemaps.

Scrapy's own `Sitemap` class keeps only direct children of <url>, so the nested
news:publication_date, news:title and news:language are lost; sitemaps are parsed here with
lxml instead (no entity expansion, no DTD, no network, huge_tree off). Gzipped sitemaps are
inflated with a size limit. Each sitemap URL is fetched once per crawl, so an index that
lists itself (or a loop of indexes) ends. `-a since=YYYY-MM-DD` skips entries (and child
sitemaps) last modified or published before that day.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.sitemap import sitemap_urls_from_robots

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
from monitor.crawl.sources import Source
from monitor.stations.documents import gunzip

logger = logging.getLogger(__name__)

SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
