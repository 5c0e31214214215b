"""Incremental crawling: skip fresh articles, ask listings conditionally, follow only http(s).

Components key on `request.meta["monitor_kind"]` ("listing" or "article"), so spiders only
tag their requests; see MONITOR_RECHECK_HOURS and MONITOR_FOLLOW_SCHEMES in settings.py.

A 304 never hides what lies below a listing: with its validators the store keeps the body the
listing had (zlib-compressed), and a 304 is answered with that body, so the spider's callback
runs again and still yields the child sitemaps (each asked with its own validators), the next
listing page and the articles (fetched again on the MONITOR_RECHECK_HOURS schedule).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from monitor.crawl.runs import store_for

logger = logging.getLogger(__name__)

KIND = "monitor_kind"
PARENT = "monitor_parent"
VALIDATORS = "monitor_validators"
STATE_ATTR = "_monitor_crawl_state"
REPLAYED = "monitor_replayed"  # meta flag of a 304 answered with the listing's stored body


def kind_of(request: Request) -> str | None:
    """The request's monitor kind: "listing", "article" or None (untagged)."""
    return request.meta.get(KIND)


def source_of(request: Request, spider: Spider | None = None) -> str:
    """The source a request belongs to: meta, cb_kwargs, the spider's `source`, else the host."""
    for value in (request.meta.get("monitor_source"), request.meta.get("source"),
                  request.cb_kwargs.get("source"), getattr(spider, "source", None)):
        if isinstance(value, str) and value:
            return value
    return urlsplit(request.url).hostname or "?"


class CrawlState:
    """Per-crawl memory shared by the incremental components."""

    def __init__(self) -> None:
        """Nothing pending yet."""
        self.pending_validators: dict[str, dict[str, Any]] = {}
        self.failed_parents: set[str] = set()

    def validators_to_commit(self) -> list[dict[str, Any]]:
        """Listing validators whose every child request succeeded."""
        return [{"url": url, **v} for url, v in self.pending_validators.items()
                if url not in self.failed_parents]

    def remember(self, response: Response) -> None:
        """Keep a fully parsed listing's validators with its body, for the commit."""
        self.pending_validators[response.url] = {
            **response.meta[VALIDATORS], "body": zlib.compress(response.body),
            "content_type": _header(response, b"Content-Type")}


def state_for(crawler: Crawler) -> CrawlState:
    """The crawler's CrawlState, created on first use."""
    state = getattr(crawler, STATE_ATTR, None)
    if state is None:
        state = CrawlState()
        setattr(crawler, STATE_ATTR, state)
    return state


class IncrementalSpiderMiddleware(BaseSpiderMiddleware):
    """Spider middleware: drops fresh article requests and non-http(s) links before scheduling.

    Filtering here, not in the downloader, means a skipped URL never reaches a spider's errback
    (where it would look like a fetch error). A listing's validators become pending once its
    callback's output has been consumed in full.
    """

    def __init__(self, crawler: Crawler) -> None:
        """Read the re-check window and the schemes that may be followed."""
        super().__init__(crawler)
        self.recheck = timedelta(hours=crawler.settings.getfloat("MONITOR_RECHECK_HOURS"))
        self.schemes = set(crawler.settings.getlist("MONITOR_FOLLOW_SCHEMES"))
        self.state = state_for(crawler)
        assert crawler.stats is not None
        self.stats = crawler.stats

    def get_processed_request(self, request: Request, response: Response | None
                              ) -> Request | None:
        """The request, or None when it must not be fetched."""
        if response is not None:
            if urlsplit(request.url).scheme not in self.schemes:
                self.stats.inc_value("monitor/filtered/scheme")
                logger.debug("not following %s: scheme not allowed", request.url)
                return None
            if kind_of(response.request) == "listing" and PARENT not in request.meta:
                request.meta[PARENT] = response.url
        if kind_of(request) == "article" and self._fresh(request):
            self.stats.inc_value("monitor/incremental/skipped_fresh")
            self.stats.inc_value(f"monitor/incremental/skipped_fresh/{source_of(request)}")
            return None
        return request

    def _fresh(self, request: Request) -> bool:
        """Whether the article was processed within the re-check window."""
        if not self.recheck or request.meta.get("monitor_recheck"):
            return False
        since = (datetime.now(UTC) - self.recheck).isoformat(timespec="seconds")
        return store_for(self.crawler).recently_checked(request.url, since)

    def process_spider_output(self, response: Response | None, result: Iterable[Any],
                              spider: Spider | None = None) -> Iterable[Any]:
        """Filter the output; once it is all out, the listing's validators become pending."""
        yield from super().process_spider_output(response, result)
        self._listing_done(response)

    async def process_spider_output_async(self, response: Response | None,
                                          result: AsyncIterator[Any],
                                          spider: Spider | None = None) -> AsyncIterator[Any]:
        """Async twin of process_spider_output."""
        async for o in super().process_spider_output_async(response, result):
            yield o
        self._listing_done(response)

    def _listing_done(self, response: Response | None) -> None:
        """Keep a fully parsed listing's validators and body for the commit at the end."""
        if response is not None and response.meta.get(VALIDATORS):
            self.state.remember(response)


class ConditionalRequestMiddleware:
    """Downloader middleware: ETag / Last-Modified for listings; a 304 replays the stored body.

    Validators (and the listing's body) are committed to the store only when a crawl finishes
    (see health.py), so a crawl killed halfway never turns a listing whose links were not all
    fetched into a 304. A listing stored without a body (before the body was kept) is asked
    unconditionally, once, so that its body is kept from then on.
    """

    def __init__(self, crawler: Crawler) -> None:
        """Keep the crawler's state and stats."""
        self.crawler = crawler
        self.state = state_for(crawler)
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        """Build from the crawler."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Add If-None-Match / If-Modified-Since to a listing whose body the store keeps."""
        if kind_of(request) != "listing" or request.meta.get("monitor_unconditional"):
            return None
        stored = store_for(self.crawler).validators(request.url)
        if stored and stored.get("body") is not None:
            if stored.get("etag"):
                request.headers.setdefault("If-None-Match", stored["etag"])
            if stored.get("last_modified"):
                request.headers.setdefault("If-Modified-Since", stored["last_modified"])
            request.meta["monitor_conditional"] = True
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        """Replay a 304's stored body; remember a listing's validators; note failed children."""
        if response.status == 304 and request.meta.get("monitor_conditional"):
            self.stats.inc_value("monitor/incremental/not_modified")
            self.stats.inc_value(f"monitor/incremental/not_modified/{source_of(request)}")
            return self._replay(request, response)
        if response.status >= 400:
            self._child_failed(request)
        elif kind_of(request) == "listing" and response.status == 200:
            validators = {"etag": _header(response, b"ETag"),
                          "last_modified": _header(response, b"Last-Modified")}
            if any(validators.values()):
                request.meta[VALIDATORS] = validators
        return response

    def _replay(self, request: Request, response: Response) -> Request | Response:
        """The 304 with the listing's stored body, so its callback follows its links again."""
        stored = store_for(self.crawler).validators(request.url)
        if not stored or stored.get("body") is None:
            logger.info("304 for %s but no stored body: asking again in full", request.url)
            return request.replace(dont_filter=True, meta={
                **request.meta, "monitor_unconditional": True, "monitor_conditional": False})
        body = zlib.decompress(stored["body"])
        headers = Headers({"Content-Type": stored["content_type"]} if stored.get(
            "content_type") else {})
        request.meta.update({REPLAYED: True, "handle_httpstatus_list": [304]})
        self.stats.inc_value("monitor/incremental/replayed")
        logger.debug("unchanged since the last finished crawl, following it again: %s",
                     request.url)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(url=request.url, status=304, headers=headers, body=body, request=request,
                   flags=["replayed"])

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A child that finally failed keeps its listing from being committed."""
        self._child_failed(request)
        return None

    def _child_failed(self, request: Request) -> None:
        """Remember the listing of a failed request."""
        parent = request.meta.get(PARENT)
        if parent:
            self.state.failed_parents.add(parent)


def _header(response: Response, name: bytes) -> str | None:
    """A response header as text, or None."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """Scrapy's User-Agent middleware, with `{contact}` in USER_AGENT set from MONITOR_CONTACT."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        """Fill in the contact; warn when the user has not set one."""
        contact = crawler.settings.get("MONITOR_CONTACT") or ""
        agent = crawler.settings.get("USER_AGENT").replace("{contact}",
                                                          contact or "contact not set")
        middleware = cls(agent)
        middleware.contact_missing = not contact
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def process_request(self, request: Request) -> None:
        """Set the User-Agent; warn once, on the first web request, when no contact is set."""
        if getattr(self, "contact_missing", False) and request.url.startswith("http"):
            self.contact_missing = False
            logger.warning("MONITOR_CONTACT is not set: site owners cannot reach you. "
                           "Set it to a URL or e-mail address (environment or -s).")
        super().process_request(request)
