"""What the feeds, sitemaps and newsrooms spiders share: sources, requests, errors, XML, dates.

Offsite URLs: since Scrapy 2.13 the OffsiteMiddleware is a downloader middleware that also
filters on the `request_scheduled` signal; a request it filters there is dropped silently (no
errback; one DEBUG line per domain and the `offsite/filtered` stat). `SourceSpider` therefore
checks every scheduled request against its own source's allowed domains, records a
fetch_errors row (stage "offsite") and drops it; Scrapy's middleware, given the union of the
sources' domains as `allowed_domains`, stays as the backstop.
"""

from __future__ import annotations

import html.entities
import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import dateparser
import scrapy
from lxml import etree
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor.crawl.runs import record_fetch_error
from monitor.crawl.sources import Source, command_line_source, load_sources, select_sources
from monitor.items import Article
from monitor.stations.documents import decode_text

logger = logging.getLogger(__name__)

LISTING = "listing"
ARTICLE = "article"
SOURCE_KEY = "monitor_source"
HINTS_KEY = "monitor_hints"


DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>", re.DOTALL | re.IGNORECASE)


# Named entities other than XML's five; in recovery mode libxml2 would drop every later &amp;.
NAMED_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31});")


def html_entity(match: re.Match[bytes]) -> bytes:
    """An HTML named entity as a character reference; an unknown one removed."""
    char = html.entities.html5.get(match.group(1).decode("ascii") + ";")
    return "".join(f"&#{ord(c)};" for c in char).encode("ascii") if char else b""


class MalformedXML(ValueError):
    """A feed or sitemap that is not well-formed XML; the message is lxml's."""


def xml_parser(recover: bool = False) -> etree.XMLParser:
    """A safe parser: no entity expansion, no DTD loading, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                           huge_tree=False, remove_comments=True, remove_pis=True,
                           recover=recover)


def parse_xml(data: bytes) -> tuple[etree._Element, str | None]:
    """The document's root; when only recovery parses it, also lxml's complaint."""
    if not data.strip():
        raise MalformedXML("empty document")
    # A DOCTYPE's internal subset makes libxml2 drop even predefined entities such as &amp;
    # when expansion is off; feeds and sitemaps never need one, so it is removed.
    data = DOCTYPE.sub(b"", data, count=1)
    try:
        return etree.fromstring(data, parser=xml_parser()), None
    except etree.XMLSyntaxError as exc:
        problem = str(exc)
    try:
        root = etree.fromstring(NAMED_ENTITY.sub(html_entity, data),
                                parser=xml_parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise MalformedXML(problem)
    return root, problem


def localname(element: etree._Element) -> str:
    """The element's tag without its namespace ('' for comments and the like)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def child_text(element: etree._Element, *names: str) -> str | None:
    """Stripped text of the first direct child whose local name is one of `names`."""
    for name in names:
        for child in element:
            if localname(child) == name and (child.text or "").strip():
                return child.text.strip()
    return None


def iso_date(value: str | None, languages: list[str] | None = None) -> str | None:
    """An ISO date (YYYY-MM-DD) from ISO 8601, RFC 822 or a written date; None if unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    for reader in (_from_iso, _from_rfc822):
        parsed = reader(value)
        if parsed is not None:
            return parsed.date().isoformat()
    parsed = dateparser.parse(value, languages=languages or None,
                              settings={"REQUIRE_PARTS": ["day", "month", "year"]})
    return parsed.date().isoformat() if parsed else None


def _from_iso(value: str) -> datetime | None:
    """ISO 8601 / RFC 3339 (sitemaps, Atom)."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _from_rfc822(value: str) -> datetime | None:
    """RFC 822 (RSS pubDate)."""
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def language_tag(value: str | None) -> str | None:
    """A language hint from xml:lang, <language> or news:language: 'en-US' -> 'en'."""
    primary = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return primary or None


def make_hints(title: str | None = None, published: str | None = None,
               published_source: str | None = None, language: str | None = None) -> dict[str, Any]:
    """The hints dict the stations read, without empty keys."""
    hints = {"title": title, "published": published, "language": language}
    if published:
        hints["published_source"] = published_source
    return {k: v for k, v in hints.items() if v}


def link_problem(url: str, schemes: Iterable[str]) -> str | None:
    """Why `url` cannot be requested (bad port, host or scheme), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in schemes:
        return f"scheme {parts.scheme or '(none)'!r} is not followed"
    if not parts.hostname:
        return "no host name"
    try:
        Request(url)
    except ValueError as exc:
        return str(exc)
    return None


class SourceSpider(scrapy.Spider):
    """Base of the spiders that read sources.yml (or `-a url=...`); subclasses set `kind`."""

    kind: ClassVar[str] = ""
    #: spider arguments that describe a command-line source (besides url).
    source_args: ClassVar[tuple[str, ...]] = ("language", "domains")
    #: spider arguments of the subclass itself (not source fields).
    own_args: ClassVar[tuple[str, ...]] = ()
    arg_names: tuple[str, ...] = ("url", "source")

    def __init__(self, url: str | None = None, source: str | None = None,
                 **kwargs: Any) -> None:
        """Keep the arguments; sources are loaded in `from_crawler`, where settings exist."""
        super().__init__(**kwargs)
        self.url = url
        self.source = source
        self.sources: dict[str, Source] = {}

    @classmethod
    def check_arguments(cls, settings: BaseSettings, **spargs: Any) -> None:
        """Load and validate the sources before the crawl starts (ValueError on a bad one)."""
        cls.sources_for(settings, **spargs)

    @classmethod
    def sources_for(cls, settings: BaseSettings, url: str | None = None,
                    source: str | None = None, **spargs: Any) -> list[Source]:
        """The sources to crawl: the command-line one, or the file's of this kind."""
        unknown = set(spargs) - set(cls.source_args) - set(cls.own_args)
        if unknown:
            raise ValueError(f"{cls.name}: unknown argument(s): {', '.join(sorted(unknown))}")
        fields = {k: v for k, v in spargs.items() if k in cls.source_args}
        if url:  # -a source=NAME names an ad-hoc source (default: the URL's host)
            return [command_line_source(cls.kind, url, name=source, **fields)]
        if fields:
            raise ValueError(f"{cls.name}: -a {', -a '.join(sorted(fields))} need -a url=...")
        path = settings.get("MONITOR_SOURCES")
        found = select_sources(load_sources(path, cls.kind), source, str(path))
        if not found:
            raise ValueError(f"{path}: no {cls.kind} sources to crawl")
        return found

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        """Load the sources, set allowed_domains and watch scheduled requests for offsite URLs."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        sources = cls.sources_for(crawler.settings, **kwargs)
        spider.sources = {s.name: s for s in sources}
        spider.allowed_domains = sorted({d for s in sources for d in s.allowed_domains})
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    def request_scheduled(self, request: Request, spider: scrapy.Spider) -> None:
        """Record and drop a request outside its source's allowed domains."""
        source = self.sources.get(request.meta.get(SOURCE_KEY, ""))
        if source is None or request.meta.get("allow_offsite") or source.allows(request.url):
            return
        reason = (f"outside the allowed domains of source {source.name}: "
                  f"{', '.join(source.allowed_domains)}")
        record_fetch_error(self.crawler, request.url, source.name, "offsite", reason)
        raise IgnoreRequest(reason)

    def link(self, response: Response, href: str, source: Source) -> str | None:
        """A link of the page made absolute; a bad one is recorded (stage "link") and None."""
        try:
            url = response.urljoin(href)
        except ValueError as exc:
            url, problem = href, str(exc)
        else:
            problem = link_problem(url, self.settings.getlist("MONITOR_FOLLOW_SCHEMES"))
        if problem is None:
            return url
        self.record(url[:2000], source.name, "link", f"bad link on {response.url}: {problem}")
        self.count("bad_links")
        return None

    def source_of(self, response: Response) -> Source:
        """The source a response was requested for."""
        return self.sources[response.meta[SOURCE_KEY]]

    def listing_request(self, url: str, source: Source, callback: Callable[..., Any],
                        **meta: Any) -> Request:
        """A request for a feed, sitemap or listing page."""
        return Request(url, callback=callback, errback=self.failed,
                       meta={"monitor_kind": LISTING, SOURCE_KEY: source.name, **meta})

    def article_request(self, url: str, source: Source, hints: dict[str, Any]) -> Request:
        """A request for an article page, carrying the listing's hints."""
        hints = {"language": source.language, **hints} if source.language else hints
        return Request(url, callback=self.parse_article, errback=self.failed,
                       meta={"monitor_kind": ARTICLE, SOURCE_KEY: source.name,
                             HINTS_KEY: hints})

    def parse_article(self, response: Response) -> Iterable[Article]:
        """An article page becomes an Article with its hints."""
        source = self.source_of(response)
        if not isinstance(response, TextResponse):
            kind = response.headers.get(b"Content-Type", b"?").decode("latin-1")
            self.record(response.url, source.name, "fetch", f"not a text page ({kind})")
            return
        content_type = "text" if response.headers.get(b"Content-Type", b"").startswith(
            b"text/plain") else "html"
        yield Article(url=response.url, source=source.name, body=self.page_text(response),
                      content_type=content_type, hints=dict(response.meta.get(HINTS_KEY, {})))

    def page_text(self, response: TextResponse) -> str:
        """The page's text; when its declared charset is wrong, decoded again from the bytes."""
        text = response.text
        if text.count("\ufffd") <= max(3, len(text) // 1000):
            return text
        decoded = decode_text(response.body)
        self.record(response.url, self.source_of(response).name, "decode",
                    f"declared {response.encoding} does not fit the bytes: "
                    f"decoded as {decoded.encoding}")
        return decoded.body

    def failed(self, failure: Failure) -> None:
        """Errback: an HTTP error, a network failure or a refused request, as a fetch error."""
        request = getattr(failure, "request", None)
        # The link as listed, not where a redirect took it.
        url = request.meta.get("redirect_urls", [request.url])[0] if request is not None else "?"
        source = request.meta.get(SOURCE_KEY) if request is not None else None
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self.record(url, source, "fetch", reason)

    def record(self, url: str, source: str | None, stage: str, reason: str) -> None:
        """Write a fetch_errors row."""
        record_fetch_error(self.crawler, url, source, stage, reason)

    def count(self, key: str, n: int = 1) -> None:
        """Increase a `monitor/<spider>/<key>` stat."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"monitor/{self.name}/{key}", n)
