"""A fixture news site built from the five seeds, served on 127.0.0.1 for in-process crawls.

Layout (all generated at test time from seeds/):
  /news/<NNN>-<slug>.html   one page per seed, the article inside realistic boilerplate
                            (cookie banner, navigation, related links, comments, footer);
                            pages 000, 002, 003 declare their date in meta tags, page 001
                            declares none (its date must come from the feed, sitemap or
                            listing), page 004 has no date anywhere, as its seed
  /feeds/rss.xml            RSS 2.0: the five articles and one link to another domain
  /feeds/atom.xml           Atom: the five articles
  /feeds/broken.xml         a malformed feed
  /sitemap_index.xml        index -> news sitemap, pages sitemap, a 404 sitemap, a loop back
  /sitemaps/news.xml        Google News sitemap (000-003) with news:title/language/date
  /sitemaps/pages.xml       plain urlset: 004 and a link to another domain
  /sitemaps/more.xml        an index listing /sitemap_index.xml again (a loop)
  /newsroom/                listing page 1 (000-002), next -> page 2
  /newsroom/page-2.html     listing page 2 (003, 004, another domain), next -> page 3
  /newsroom/page-3.html     beyond the page limit of 2 used by the tests
  /feeds/redirecting.xml    RSS whose only item, /go/partner, redirects to another domain
  /robots.txt               allows everything and names the news sitemap
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import sqlite_utils
import yaml
from scrapy.utils.test import get_crawler

from monitor import settings as project

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@dataclass(frozen=True)
class Story:
    """What the fixture site publishes about one seed (titles written by hand)."""

    prefix: str
    slug: str
    title: str
    language: str
    date: str | None  # the seed's publication date
    page_date: bool  # whether the HTML page declares it in meta tags
    rfc822: str | None  # the same date as an RSS pubDate


STORIES = [
    Story("000", "operation-rescue-me", "78 missing minors located in Operation Rescue Me",
          "en", "2021-07-21", True, "Wed, 21 Jul 2021 16:40:00 -0600"),
    Story("001", "operation-lost-souls",
          "Operation Lost Souls recovers 24 missing and runaway children", "en", "2021-06-16",
          False, "Wed, 16 Jun 2021 10:05:00 -0600"),
    Story("002", "operation-rescue-me-fr",
          "Opération Rescue Me : 78 mineurs disparus retrouvés au Nouveau-Mexique", "fr",
          "2021-07-22", True, "Thu, 22 Jul 2021 08:15:00 +0200"),
    Story("003", "capital-region-rescue",
          "Over 60 missing children and teens found in Upstate New York operation", "en",
          "2025-03-19", True, "Wed, 19 Mar 2025 14:00:00 -0400"),
    Story("004", "ncmec-new-mexico", "NCMEC New Mexico data", "en", None, False, None),
]

# Boilerplate that extraction must remove: each phrase is in every fixture page.
BOILERPLATE = [
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Subscribe to the Gazette morning briefing",
    "County fair returns with a new livestock pavilion",
    "Reader4412",
    "Great job by everyone involved, share this",
    "Advertise with the Gazette",
]

COOKIE = ("<div id='cookie-banner' class='cookie-consent' role='dialog'><p>We use cookies to "
          "improve your experience and to show you relevant advertising. By continuing to "
          "browse you accept our cookie policy.</p><button>Accept all cookies</button></div>")
NAV = ("<header class='site-header'><a class='logo' href='/'>Fixture Gazette</a>"
       "<nav class='main-nav'><ul><li><a href='/'>Home</a></li>"
       "<li><a href='/newsroom/'>Newsroom</a></li><li><a href='/section/crime/'>Crime</a></li>"
       "<li><a href='/section/courts/'>Courts</a></li><li><a href='/section/weather/'>"
       "Weather</a></li></ul></nav><div class='newsletter'>Subscribe to the Gazette morning "
       "briefing: the day's stories in your inbox.</div></header>")
RELATED = ("<aside class='related-stories'><h3>Related stories</h3><ul>"
           "<li><a href='/section/local/fair.html'>County fair returns with a new livestock "
           "pavilion</a></li><li><a href='/section/local/bridge.html'>Bridge repairs close "
           "two lanes on the interstate</a></li><li><a href='/section/sports/finals.html'>High "
           "school finals move to the new stadium</a></li></ul></aside>")
COMMENTS = ("<section id='comments' class='comments'><h3>3 comments</h3>"
            "<div class='comment'><p class='comment-author'>Reader4412</p><p>Great job by "
            "everyone involved, share this so more people see it.</p></div>"
            "<div class='comment'><p class='comment-author'>desert_rose</p><p>Thank you to "
            "the officers who work on these cases every day.</p></div>"
            "<form class='comment-form'><textarea>Add a comment</textarea></form></section>")
FOOTER = ("<footer class='site-footer'><p>Fixture Gazette, 100 Example Street.</p><ul>"
          "<li><a href='/about/'>About us</a></li><li><a href='/terms/'>Terms of use</a></li>"
          "<li><a href='/privacy/'>Privacy policy</a></li><li><a href='/ads/'>Advertise with "
          "the Gazette</a></li></ul></footer>")


def seed_text(prefix: str) -> str:
    """The seed's article text without its leading date marker."""
    text = next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    return re.sub(r"^\s*date \d{4}-\d{2}-\d{2}\s", "", text).strip()


def paragraphs(text: str) -> str:
    """The seed's blank-line separated paragraphs as <p>, **bold** as <strong>."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = " ".join(block.split())
        if block:
            escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(block))
            out.append(f"<p>{escaped}</p>")
    return "\n".join(out)


def article_page(story: Story, base: str) -> str:
    """The HTML page of one story."""
    url = f"{base}/news/{story.prefix}-{story.slug}.html"
    meta = ""
    if story.page_date:
        meta = (f"<meta property='article:published_time' content='{story.date}T09:30:00Z'>"
                f"<meta name='date' content='{story.date}'>")
    title = html.escape(story.title)
    return (f"<!DOCTYPE html><html lang='{story.language}'><head><meta charset='utf-8'>"
            f"<title>{title} | Fixture Gazette</title><meta property='og:title' "
            f"content='{title}'><link rel='canonical' href='{url}'>{meta}</head><body>"
            f"{COOKIE}{NAV}<main><article class='story'><h1>{title}</h1>"
            f"<p class='byline'>By Gazette Staff</p>\n{paragraphs(seed_text(story.prefix))}"
            f"</article>{RELATED}{COMMENTS}</main>{FOOTER}</body></html>")


def story_url(story: Story, base: str) -> str:
    """Where the site publishes a story."""
    return f"{base}/news/{story.prefix}-{story.slug}.html"


def rss_feed(base: str, offsite: str) -> str:
    """RSS 2.0: channel language en-us, item 002 in French (dc:language), 004 undated."""
    items = []
    for s in STORIES:
        date = f"<pubDate>{s.rfc822}</pubDate>" if s.rfc822 else ""
        lang = f"<dc:language>{s.language}</dc:language>" if s.language != "en" else ""
        items.append(f"<item><title>{html.escape(s.title)}</title><link>{story_url(s, base)}"
                     f"</link><guid isPermaLink='false'>gazette-{s.prefix}</guid>{date}{lang}"
                     f"<description>{html.escape(s.title)}</description></item>")
    items.append(f"<item><title>A story on another site</title><link>{offsite}</link></item>")
    return ("<?xml version='1.0' encoding='UTF-8'?><rss version='2.0' "
            "xmlns:dc='http://purl.org/dc/elements/1.1/'><channel><title>Fixture Gazette"
            f"</title><link>{base}/</link><description>News</description><language>en-us"
            f"</language>{''.join(items)}</channel></rss>")


def atom_feed(base: str) -> str:
    """Atom: xml:lang en, entry 002 xml:lang fr; 004 has only <updated>, no <published>."""
    entries = []
    for s in STORIES:
        published = f"<published>{s.date}T09:30:00Z</published>" if s.date else ""
        lang = f" xml:lang='{s.language}'" if s.language != "en" else ""
        entries.append(f"<entry{lang}><title>{html.escape(s.title)}</title><id>urn:gazette:"
                       f"{s.prefix}</id><link rel='alternate' type='text/html' "
                       f"href='{story_url(s, base)}'/><updated>2025-06-01T00:00:00Z</updated>"
                       f"{published}</entry>")
    return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
            f"xml:lang='en'><title>Fixture Gazette</title><id>urn:gazette</id><updated>"
            f"2025-06-01T00:00:00Z</updated>{''.join(entries)}</feed>")


BROKEN_FEED = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Broken & unescaped"
               "</title><item><title>Half an item</title><link>")


def sitemap_index(base: str) -> str:
    """The index: news and pages sitemaps, one answering 404, and an index looping back."""
    locs = [f"{base}/sitemaps/news.xml", f"{base}/sitemaps/pages.xml",
            f"{base}/sitemaps/missing.xml", f"{base}/sitemaps/more.xml"]
    body = "".join(f"<sitemap><loc>{loc}</loc><lastmod>2025-03-20</lastmod></sitemap>"
                   for loc in locs)
    return ("<?xml version='1.0' encoding='UTF-8'?><sitemapindex "
            f"xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{body}</sitemapindex>")


def loop_index(base: str) -> str:
    """An index that lists the main index again."""
    return ("<?xml version='1.0' encoding='UTF-8'?><sitemapindex "
            "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap><loc>"
            f"{base}/sitemap_index.xml</loc></sitemap></sitemapindex>")


def news_sitemap(base: str) -> str:
    """Google News sitemap for the four dated stories."""
    urls = []
    for s in STORIES:
        if not s.date:
            continue
        urls.append(f"<url><loc>{story_url(s, base)}</loc><news:news><news:publication>"
                    f"<news:name>Fixture Gazette</news:name><news:language>{s.language}"
                    f"</news:language></news:publication><news:publication_date>{s.date}"
                    f"T09:30:00Z</news:publication_date><news:title>{html.escape(s.title)}"
                    "</news:title></news:news></url>")
    return ("<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/"
            "schemas/sitemap/0.9' xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>"
            f"{''.join(urls)}</urlset>")


def pages_sitemap(base: str, offsite: str) -> str:
    """A plain urlset: the undated story and a page on another domain."""
    return ("<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/"
            f"schemas/sitemap/0.9'><url><loc>{story_url(STORIES[4], base)}</loc></url>"
            f"<url><loc>{offsite}</loc></url></urlset>")


def listing_page(base: str, stories: list[Story], next_href: str | None,
                 extra_link: str | None = None) -> str:
    """A newsroom listing page: one <li class='release'> per story with its date."""
    rows = []
    for s in stories:
        when = ""
        if s.date:
            y, m, d = s.date.split("-")
            months = ["January", "February", "March", "April", "May", "June", "July",
                      "August", "September", "October", "November", "December"]
            when = f"<span class='release-date'>{months[int(m) - 1]} {int(d)}, {y}</span>"
        rows.append(f"<li class='release'><h2><a class='release-link' href='/news/{s.prefix}-"
                    f"{s.slug}.html'>{html.escape(s.title)}</a></h2>{when}</li>")
    if extra_link:
        rows.append(f"<li class='release'><h2><a class='release-link' href='{extra_link}'>"
                    "Partner agency release</a></h2></li>")
    pager = f"<a class='pager-next' href='{next_href}'>Next page</a>" if next_href else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Newsroom"
            f"</title></head><body>{NAV}<main><h1>Newsroom</h1><ul class='releases'>"
            f"{''.join(rows)}</ul><nav class='pager'>{pager}</nav></main>{FOOTER}</body></html>")


def build_site(base: str, offsite: str) -> dict[str, tuple[str, bytes]]:
    """Every path of the site with its content type and body."""
    xml, page = "application/xml", "text/html; charset=utf-8"
    site: dict[str, tuple[str, bytes]] = {}
    for s in STORIES:
        site[f"/news/{s.prefix}-{s.slug}.html"] = (page, article_page(s, base).encode())
    site.update({
        "/feeds/rss.xml": ("application/rss+xml", rss_feed(base, offsite).encode()),
        "/feeds/atom.xml": ("application/atom+xml", atom_feed(base).encode()),
        "/feeds/broken.xml": ("application/rss+xml", BROKEN_FEED.encode()),
        "/sitemap_index.xml": (xml, sitemap_index(base).encode()),
        "/sitemaps/news.xml": (xml, news_sitemap(base).encode()),
        "/sitemaps/pages.xml": (xml, pages_sitemap(base, offsite).encode()),
        "/sitemaps/more.xml": (xml, loop_index(base).encode()),
        "/newsroom/": (page, listing_page(base, STORIES[:3], "/newsroom/page-2.html").encode()),
        "/newsroom/page-2.html": (page, listing_page(base, STORIES[3:], "/newsroom/page-3.html",
                                                     offsite).encode()),
        "/newsroom/page-3.html": (page, listing_page(base, [], None).encode()),
        "/feeds/redirecting.xml": ("application/rss+xml", redirecting_feed(base).encode()),
        "/robots.txt": ("text/plain", f"User-agent: *\nAllow: /\n\nSitemap: {base}"
                                      "/sitemaps/news.xml\n".encode()),
    })
    return site


def redirecting_feed(base: str) -> str:
    """An RSS feed whose item link redirects off the site."""
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>Gazette partners</title>"
            f"<item><title>Partner story</title><link>{base}/go/partner</link></item>"
            "</channel></rss>")


@dataclass
class FixtureSite:
    """The running site: its base URL, the outside URL it links to, and what was requested."""

    base: str
    offsite: str
    pages: dict[str, tuple[str, bytes]]
    redirects: dict[str, str] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        """Absolute URL of a path on the site."""
        return self.base + path

    def story_url(self, prefix: str) -> str:
        """Absolute URL of the page of seed `prefix`."""
        return story_url(next(s for s in STORIES if s.prefix == prefix), self.base)


class _Handler(BaseHTTPRequestHandler):
    """Serves the site's pages; anything else is a 404."""

    site: FixtureSite

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Answer from the site's pages."""
        self.site.requested.append(self.path)
        if self.path in self.site.redirects:
            self.send_response(302)
            self.send_header("Location", self.site.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        found = self.site.pages.get(self.path)
        if found is None:
            self.send_error(404, "Not Found")
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet."""


@pytest.fixture(scope="session")
def fixture_site() -> Iterator[FixtureSite]:
    """The fixture news site on 127.0.0.1 (a free port), for the whole test session."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    # Another host name for the same server: outside the sources' allowed domains, so a
    # request that slipped past the offsite check would be answered (and the test would see it).
    offsite = f"http://localhost:{port}/news/partner-story.html"
    site = FixtureSite(base, offsite, build_site(base, offsite), {"/go/partner": offsite})
    handler.site = site
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# ----- in-process crawls and what they are checked against -----

# Read off the seed documents: language and publication date of each.
EXPECTED = {
    "000": ("en", "2021-07-21"),
    "001": ("en", "2021-06-16"),
    "002": ("fr", "2021-07-22"),
    "003": ("en", "2025-03-19"),
    "004": ("en", None),
}
# A distinctive sentence of each body.
SENTENCES = {
    "000": "The recovered children range in age from 5 to 18 years old.",
    "001": "A child sexual assault and a human trafficking case are under investigation.",
    "002": "ont lancé l’opération Rescue Me le 1er mai",
    "003": "the first-ever Capital Region Missing Child Rescue Operation",
    "004": "NCMEC operates the CyberTipline",
}


class SeedArticleChecks:
    """What every spider must store from the fixture site; a test module subclasses it and
    provides an `articles` fixture (stored rows by seed prefix)."""

    def test_five_articles(self, articles: dict[str, Any]) -> None:
        assert sorted(articles) == ["000", "001", "002", "003", "004"]

    @pytest.mark.parametrize("prefix", sorted(EXPECTED))
    def test_language(self, articles: dict[str, Any], prefix: str) -> None:
        assert articles[prefix]["language"] == EXPECTED[prefix][0]

    @pytest.mark.parametrize("prefix", sorted(EXPECTED))
    def test_published(self, articles: dict[str, Any], prefix: str) -> None:
        published, day = articles[prefix]["published"], EXPECTED[prefix][1]
        assert (published[:10] if published else published) == day
        if published and len(published) > 10:  # the page's own time, as article_page writes it
            assert published == f"{day}T09:30:00+00:00"

    @pytest.mark.parametrize("prefix", sorted(SENTENCES))
    def test_body(self, articles: dict[str, Any], prefix: str) -> None:
        text = articles[prefix]["text"]
        assert SENTENCES[prefix] in text
        assert [phrase for phrase in BOILERPLATE if phrase in text] == []


def crawl_settings(db: Path, sources: Path | None = None, **extra: Any) -> dict[str, Any]:
    """The project's settings, storing into `db`, reading `sources`, without throttling."""
    values = {k: getattr(project, k) for k in dir(project) if k.isupper()}
    values.update(MONITOR_DB=str(db), AUTOTHROTTLE_ENABLED=False, LOG_LEVEL="INFO",
                  DOWNLOAD_TIMEOUT=20, RETRY_ENABLED=False)
    if sources is not None:
        values["MONITOR_SOURCES"] = str(sources)
    values.update(extra)
    return values


def write_sources(path: Path, entries: list[dict[str, Any]]) -> Path:
    """Write a sources.yml with these entries."""
    path.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return path


def run_crawl(spidercls: type, settings: dict[str, Any], **spider_args: Any) -> Any:
    """Run one crawl through the real Scrapy engine (from a fixture); return the crawler."""
    crawler = get_crawler(spidercls, settings)
    pytest_twisted.blockon(crawler.crawl(**spider_args))
    return crawler


async def crawl_in_test(spidercls: type, settings: dict[str, Any], **spider_args: Any) -> Any:
    """The same from a test decorated with `@pytest_twisted.ensureDeferred`."""
    crawler = get_crawler(spidercls, settings)
    await crawler.crawl(**spider_args)
    return crawler


def stored_by_seed(db: Path, site: FixtureSite) -> dict[str, dict[str, Any]]:
    """The stored articles of the fixture site, keyed by seed prefix."""
    urls = {site.story_url(s.prefix): s.prefix for s in STORIES}
    rows = sqlite_utils.Database(db)["articles"].rows
    return {urls[r["url"]]: r for r in rows if r["url"] in urls}


def fetch_errors(db: Path) -> list[dict[str, Any]]:
    """All fetch_errors rows."""
    return list(sqlite_utils.Database(db)["fetch_errors"].rows)
