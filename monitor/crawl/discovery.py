"""Sources by URL: find a site's feeds and sitemaps, check a source with one fetch, and append
a checked entry to sources.yml.

Feed links are found in the page by trafilatura's `determine_feed` (its `<link
rel="alternate">` and feed-looking `<a>` rules); sitemaps from the `Sitemap:` lines of
robots.txt (read by protego, Scrapy's own robots.txt parser), else from trafilatura's usual
sitemap locations. trafilatura's own downloaders are not used: they refuse hosts without a
domain name (such as 127.0.0.1) and have their own settings; pages are fetched here, once
each, with the crawl's User-Agent, timeout and size limit, and every candidate is parsed with
the spiders' own feed, sitemap and listing parsers, so what is written is what a crawl reads.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from lxml import html as lxml_html
from protego import Protego
from scrapy.http import HtmlResponse
from trafilatura.feeds import FeedParameters, determine_feed
from trafilatura.sitemaps import GUESSES

from monitor import settings
from monitor.crawl.listings import (
    FeedError,
    SitemapError,
    listing_entries,
    parse_feed,
    parse_sitemap,
)
from monitor.crawl.sources import (
    LANGUAGE,
    Source,
    SourceError,
    load_sources,
    parse_entry,
    parse_sources,
)

logger = logging.getLogger(__name__)

MAX_FEEDS_CHECKED = 5  # feed links of one page that are fetched and checked
ROBOTS = "robots.txt"


@dataclass(frozen=True)
class Page:
    """What one fetch brought back: the final URL, the HTTP status, the body, or an error."""

    url: str
    status: int | None
    body: bytes = b""
    content_type: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer with a body."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


Fetcher = Callable[[str], Page]


def user_agent() -> str:
    """The crawl's User-Agent, with MONITOR_CONTACT filled in."""
    return settings.USER_AGENT.replace("{contact}",
                                       settings.MONITOR_CONTACT or "contact not set")


def fetch(url: str, timeout: float = settings.DOWNLOAD_TIMEOUT,
          limit: int = settings.DOWNLOAD_MAXSIZE) -> Page:
    """GET `url` once (redirects followed); never raises for network or HTTP errors."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent()})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read(limit + 1)
            page = Page(answer.geturl(), answer.status, body[:limit],
                        answer.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        return Page(url, exc.code, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Page(url, None, error=f"{type(exc).__name__}: {reason}")
    if len(body) > limit:
        return replace(page, error=f"larger than {limit} bytes")
    return page


@dataclass(frozen=True)
class Check:
    """One source (or candidate) fetched once: what it is and what it lists."""

    kind: str
    url: str
    status: int | None
    items: int = 0
    newest: str | None = None
    language: str | None = None
    detail: str = ""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Fetched, parsed, and listing at least one item."""
        return self.problem is None


def newest_of(dates: Iterable[str | None]) -> str | None:
    """The latest ISO date among `dates` (None when there is none)."""
    found = [d[:10] for d in dates if d]
    return max(found) if found else None


def common_language(tags: Iterable[str | None]) -> str | None:
    """The most frequent language tag."""
    counts = Counter(t for t in tags if t)
    return counts.most_common(1)[0][0] if counts else None


def check_feed(page: Page) -> Check:
    """A feed: its items, newest publication date and language."""

    try:
        feed = parse_feed(page.body)
    except FeedError as exc:
        return Check("feed", page.url, page.status, problem=f"not a feed: {exc}")
    language = feed.language or common_language(e.language for e in feed.entries)
    return finish(Check("feed", page.url, page.status, len(feed.entries),
                        newest_of(e.published for e in feed.entries), language, feed.format),
                  feed.problem)


def check_sitemap(page: Page) -> Check:
    """A sitemap (index or urlset) or a robots.txt naming sitemaps."""

    if urlsplit(page.url).path.endswith("/" + ROBOTS):
        found = robots_sitemaps(page.body, page.url)
        return finish(Check("sitemap", page.url, page.status, len(found),
                            detail="robots.txt naming sitemaps"))
    try:
        sitemap = parse_sitemap(page.body)
    except SitemapError as exc:
        return Check("sitemap", page.url, page.status, problem=f"not a sitemap: {exc}")
    detail = "index of sitemaps" if sitemap.kind == "index" else "urlset"
    return finish(Check("sitemap", page.url, page.status, len(sitemap.entries),
                        newest_of(e.date for e in sitemap.entries),
                        common_language(e.news_language for e in sitemap.entries), detail),
                  sitemap.problem)


def check_newsroom(page: Page, source: Source) -> Check:
    """A newsroom's first listing page, read with the entry's selectors."""

    response = HtmlResponse(page.url, body=page.body, encoding=None,
                            headers={"Content-Type": page.content_type or "text/html"})
    entries = listing_entries(response, source)
    return finish(Check("newsroom", page.url, page.status, len(entries),
                        newest_of(d for _, d in entries), source.language, "listing page"))


def finish(check: Check, malformed: str | None = None) -> Check:
    """A parsed check listing nothing is a problem (a crawl would find no article); so is
    malformed XML that only recovery could read."""
    if check.items:
        return check
    why = f"; malformed {check.kind}: {malformed}" if malformed else ""
    return replace(check, problem=f"lists no items{why}")


def robots_sitemaps(body: bytes, url: str) -> list[str]:
    """The absolute URLs of a robots.txt's `Sitemap:` lines."""
    text = body.decode("utf-8", errors="replace")
    return list(dict.fromkeys(urljoin(url, s) for s in Protego.parse(text).sitemaps))


def robots_allows(url: str, fetcher: Fetcher, cache: dict[str, Protego | None]) -> bool:
    """Whether the site's robots.txt lets the crawl's User-Agent fetch `url`."""
    root = site_root(url)
    if root not in cache:
        page = fetcher(root + "/" + ROBOTS)
        cache[root] = Protego.parse(page.body.decode("utf-8", "replace")) if page.ok else None
    robots = cache[root]
    return robots is None or robots.can_fetch(url, user_agent())


def site_root(url: str) -> str:
    """scheme://host[:port] of `url`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_page(page: Page, kind: str, source: Source | None = None) -> Check:
    """A fetched page checked as a `kind` source."""
    if not page.ok:
        return Check(kind, page.url, page.status, problem=page.error or f"HTTP {page.status}")
    if kind == "feed":
        return check_feed(page)
    if kind == "sitemap":
        return check_sitemap(page)
    assert source is not None
    return check_newsroom(page, source)


def check_source(source: Source, fetcher: Fetcher = fetch,
                 robots: dict[str, Protego | None] | None = None) -> Check:
    """Fetch a source once (after its robots.txt) and check what it lists."""
    robots = {} if robots is None else robots
    if not robots_allows(source.url, fetcher, robots):
        return Check(source.kind, source.url, None, problem="refused by robots.txt")
    return check_page(fetcher(source.url), source.kind, source)


def check_sources(sources: list[Source], fetcher: Fetcher = fetch,
                  workers: int = 4) -> list[Check]:
    """Check every source, a few at a time, in the order given."""
    robots: dict[str, Protego | None] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: check_source(s, fetcher, robots), sources))


# ----- discovery -----


class DiscoveryError(ValueError):
    """A URL where no usable feed or sitemap was found; the message says what was tried."""


@dataclass
class Discovery:
    """What a site offers: its language and the feeds and sitemaps found, each checked."""

    url: str
    language: str | None
    candidates: list[Check]

    def best(self, kind: str | None = None) -> Check | None:
        """The candidate to crawl: a working feed (most items), else a working sitemap (news
        sitemaps first); only of `kind` when given."""
        usable = [c for c in self.candidates if c.ok and kind in (None, c.kind)]
        feeds = sorted((c for c in usable if c.kind == "feed"), key=lambda c: -c.items)
        sitemaps = sorted((c for c in usable if c.kind == "sitemap"),
                          key=lambda c: "news" not in c.url.lower())
        return next(iter(feeds + sitemaps), None)


def discover(url: str, fetcher: Fetcher = fetch) -> Discovery:
    """The feeds and sitemaps of the site at `url` (a page, a feed or a sitemap)."""
    page = fetcher(url)
    if not page.ok:
        raise DiscoveryError(f"cannot fetch {url}: {page.error or f'HTTP {page.status}'}")
    for kind in ("feed", "sitemap"):
        direct = check_page(page, kind)
        if direct.ok:
            return Discovery(page.url, direct.language, [direct])
    candidates = [check_page(fetcher(u), "feed") for u in feed_links(page)]
    candidates += [check_page(fetcher(u), "sitemap") for u in sitemap_links(page, fetcher)]
    return Discovery(page.url, page_language(page), candidates)


def feed_links(page: Page) -> list[str]:
    """Feed URLs the HTML page links to (trafilatura's rules), the first few."""
    text = page.body.decode("utf-8", errors="replace")
    parts = urlsplit(page.url)
    params = FeedParameters(site_root(page.url), parts.hostname or "", page.url)
    return determine_feed(text, params)[:MAX_FEEDS_CHECKED]


def sitemap_links(page: Page, fetcher: Fetcher) -> list[str]:
    """The site's sitemaps: robots.txt's Sitemap: lines, else the usual locations that
    answer."""
    root = site_root(page.url)
    robots = fetcher(f"{root}/{ROBOTS}")
    named = robots_sitemaps(robots.body, robots.url) if robots.ok else []
    return named or [f"{root}/{guess}" for guess in GUESSES]


def page_language(page: Page) -> str | None:
    """The primary language of an HTML page's `<html lang>`, when it is a language tag."""
    try:
        root = lxml_html.fromstring(page.body)
    except (ValueError, TypeError, lxml_html.etree.ParserError):
        return None
    tag = (root.get("lang") or "").strip().replace("_", "-").split("-")[0].lower()
    return tag if LANGUAGE.match(tag or "-") else None


# ----- sources.yml -----

ENTRY_START = re.compile(r"^(\s*)-\s", re.MULTILINE)


def default_name(url: str) -> str:
    """A source name from the site's host: www.example.org -> example.org."""
    host = (urlsplit(url).hostname or "source").lower()
    return host.removeprefix("www.")


def make_entry(found: Check, name: str, language: str, site_url: str) -> dict[str, Any]:
    """The sources.yml entry for a checked feed or sitemap; its allowed domains are the
    feed's host and the site's (a feed served elsewhere links back to the site)."""
    hosts = [(urlsplit(u).hostname or "").lower().removeprefix("www.")
             for u in (found.url, site_url)]
    return {"name": name, "kind": found.kind, "url": found.url, "language": language,
            "allowed_domains": [h for h in dict.fromkeys(hosts) if h]}


def refuse_duplicate(path: Path, entry: dict[str, Any]) -> None:
    """SourceError when the file already has this name or this URL."""
    if not path.exists():
        return
    for index, source in enumerate(load_sources(path), 1):
        if source.name == entry["name"]:
            raise SourceError(f"{path}: there is already a source named {entry['name']!r} "
                              f"(entry {index}); choose another with --name")
        if source.url == entry["url"]:
            raise SourceError(f"{path}: {entry['url']} is already source {source.name!r} "
                              f"(entry {index})")


def entry_block(entry: dict[str, Any], indent: str, comments: list[str]) -> str:
    """The entry as YAML lines at the file's indentation, after its comment lines."""
    dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=1000,
                            default_flow_style=None)
    lines = [f"{indent}# {comment}" for comment in comments]
    return "\n".join(lines + [indent + line for line in dumped.splitlines()]) + "\n"


def append_entry(path: Path, entry: dict[str, Any], comments: list[str]) -> str:
    """Append `entry` to the sources file (created when missing) after checking that the
    whole file still loads with it; return the block written."""
    parse_entry(entry, str(path), 0)
    refuse_duplicate(path, entry)
    text = path.read_text(encoding="utf-8") if path.exists() else "sources:\n"
    first = ENTRY_START.search(text)
    block = entry_block(entry, first.group(1) if first else "  ", comments)
    new_text = text + ("" if text.endswith("\n") else "\n") + "\n" + block
    check_appended(path, new_text, entry["name"])
    path.write_text(new_text, encoding="utf-8")
    return block


def check_appended(path: Path, text: str, name: str) -> None:
    """SourceError unless `text` loads as a sources file whose last entry is `name`."""
    try:
        sources = parse_sources(text, str(path))
    except SourceError as exc:
        raise SourceError(f"{path}: the entry cannot be appended to this file "
                          f"({str(exc).removeprefix(str(path) + ': ')}); add it by hand"
                          ) from exc
    if not sources or sources[-1].name != name:
        raise SourceError(f"{path}: the file does not end with its sources list; add the "
                          "entry by hand")


def added_comments(url: str, discovery: Discovery, chosen: Check) -> list[str]:
    """The comment lines above an added entry: where it came from, and the alternatives."""
    return [f"added by `monitor sources add {url}` on {date.today().isoformat()}"] + [
        f"also found: {c.kind} {c.url}" for c in discovery.candidates
        if c.ok and c != chosen]
