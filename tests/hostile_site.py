"""Local test sites on 127.0.0.1: a hostile site, and a farm of plain article pages.

`HostileSite` serves what real news sites do wrong: truncated and malformed HTML, binary
bodies served as text/html, a 20 MB page, a gzip bomb, missing and wrong charsets, empty
bodies, redirect loops, 404/500/503, pages slower than the timeout, broken feed XML, feeds
with entities and items without links, sitemap loops, robots.txt exclusions and offsite links.
`ArticleFarm` serves N article pages through a sitemap index, with ETag / Last-Modified.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WORDS = ("agency officers county station report community school river market council "
         "weather harvest bridge library museum festival train budget hospital season "
         "volunteers record archive garden water energy street harbor mayor village court "
         "program citizens league theater transit forest coast valley summit census").split()
HUGE_BYTES = 20 * 1000 * 1000
BOMB_BYTES = 200 * 1024 * 1024


def prose(seed: int, sentences: int = 8) -> list[str]:
    """Distinct English-looking sentences for page `seed` (no two pages share a sentence)."""
    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        words = [rng.choice(WORDS) for _ in range(12)]
        out.append(f"Item {seed}-{i}: the {' '.join(words)} was noted on day {i + 1}.")
    return out


def article_html(title: str, paragraphs: list[str], head: str = "") -> str:
    """A minimal news article page."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>{body}</article></body></html>")


def gzip_bomb(size: int = BOMB_BYTES) -> bytes:
    """`size` zero bytes, gzipped (about a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + packer.flush()


class Page:
    """A response: status, headers and body, or a handler-level behaviour."""

    def __init__(self, body: bytes = b"", status: int = 200, ctype: str = "text/html",
                 headers: dict[str, str] | None = None, delay: float = 0.0,
                 stream: int = 0) -> None:
        """Keep what to send."""
        self.body, self.status, self.ctype = body, status, ctype
        self.headers, self.delay, self.stream = headers or {}, delay, stream


class Site:
    """A threaded HTTP server on 127.0.0.1 serving `route(path)`; logs every request."""

    def __init__(self) -> None:
        """Bind to a free port; not started yet."""
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path`."""
        return self.base + path

    def route(self, path: str, headers: dict[str, str]) -> Page:
        """The page for `path` (subclasses)."""
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                site.serve(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return None

        return Handler

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request."""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self.lock:
            self.hits[handler.path] += 1
            self.requests.append((handler.path, headers))
        page = self.route(handler.path, headers)
        try:
            if page.delay:
                time.sleep(page.delay)
            handler.send_response(page.status)
            handler.send_header("Content-Type", page.ctype)
            for name, value in page.headers.items():
                handler.send_header(name, value)
            length = page.stream or len(page.body)
            handler.send_header("Content-Length", str(length))
            handler.end_headers()
            self._write(handler, page)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on this response, as it should

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, page: Page) -> None:
        """Send the body, or `stream` bytes of filler paragraphs."""
        if not page.stream:
            handler.wfile.write(page.body)
            return
        chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
        sent = 0
        while sent < page.stream:
            part = chunk[: page.stream - sent]
            handler.wfile.write(part)
            sent += len(part)

    @contextmanager
    def running(self) -> Iterator[Site]:
        """Serve in a thread for the duration of the block."""
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


class HostileSite(Site):
    """Everything a crawler of real news sites meets, on one host."""

    #: article-like pages linked from the feed: path -> what must happen ("stored" or "error")
    PAGES = {
        "/a/good.html": "stored",
        "/a/truncated.html": "stored",
        "/a/malformed.html": "stored",
        "/a/cp1252.html": "stored",
        "/a/latin1.html": "stored",
        "/a/wrong-charset.html": "either",  # utf-8 declared, latin-1 sent
        "/a/shift-jis.html": "stored",
        "/a/flaky.html": "stored",
        "/a/binary.html": "error",
        "/a/huge.html": "error",
        "/a/bomb.html": "error",
        "/a/empty.html": "error",
        "/a/redirect-loop.html": "error",
        "/a/missing.html": "error",
        "/a/error.html": "error",
        "/a/unavailable.html": "error",
        "/a/slow.html": "error",
        "/a/to-file.html": "error",
        "/a/to-offsite.html": "error",
        "/private/secret.html": "error",
    }
    #: pages the crawler must never request
    FORBIDDEN = ("/private/secret.html", "/etc/passwd")

    def __init__(self, slow_seconds: float = 4.0) -> None:
        """Prepare the bodies."""
        super().__init__()
        self.slow_seconds = slow_seconds
        self.bomb = gzip_bomb()
        self.offsite = f"http://localhost:{self.port}"

    def page_url(self, path: str) -> str:
        """URL of a hostile page."""
        return self.url(path)

    def route(self, path: str, headers: dict[str, str]) -> Page:
        """The hostile page for `path`."""
        handler = self.routes().get(path.split("?")[0])
        return handler() if handler else Page(b"not found", 404, "text/plain")

    def routes(self) -> dict[str, Callable[[], Page]]:
        """Path -> page factory."""
        good = prose(1)
        return {
            "/robots.txt": lambda: Page(b"User-agent: *\nDisallow: /private/\n",
                                        ctype="text/plain"),
            "/feed.xml": lambda: Page(_utf8(self.feed()), ctype="application/rss+xml"),
            "/feed-broken.xml": lambda: Page(_utf8(self.broken_feed()), ctype="application/xml"),
            "/feed-entities.xml": lambda: Page(_utf8(self.entity_feed()),
                                               ctype="application/rss+xml"),
            "/sitemap.xml": lambda: Page(_utf8(self.index("/sitemap.xml", "/sitemap-b.xml")),
                                         ctype="application/xml"),
            "/sitemap-b.xml": lambda: Page(_utf8(self.index("/sitemap.xml",
                                                            "/sitemap-pages.xml")),
                                           ctype="application/xml"),
            "/sitemap-pages.xml": lambda: Page(_utf8(self.urlset(["/a/good.html",
                                                                  "/a/sitemap-only.html"])),
                                               ctype="application/xml"),
            "/a/sitemap-only.html": lambda: Page(_utf8(article_html("Sitemap only", prose(2)))),
            "/a/good.html": lambda: Page(_utf8(article_html("A good page", good))),
            "/a/truncated.html": lambda: Page(_utf8(article_html("Truncated", prose(3)))[:-180]),
            "/a/malformed.html": lambda: Page(_utf8(self.malformed())),
            "/a/cp1252.html": lambda: Page(self.cp1252(), ctype="text/html"),
            "/a/latin1.html": lambda: Page(self.latin1(), ctype="text/html; charset=iso-8859-1"),
            "/a/wrong-charset.html": lambda: Page(self.latin1(),
                                                  ctype="text/html; charset=utf-8"),
            "/a/shift-jis.html": lambda: Page(self.shift_jis(), ctype="text/html"),
            "/a/flaky.html": self.flaky,
            "/a/binary.html": lambda: Page(random.Random(7).randbytes(64 * 1024)),
            "/a/huge.html": lambda: Page(stream=HUGE_BYTES),
            "/a/bomb.html": lambda: Page(self.bomb, headers={"Content-Encoding": "gzip"}),
            "/a/empty.html": lambda: Page(b""),
            "/a/redirect-loop.html": lambda: Page(status=302, headers={
                "Location": "/a/redirect-loop-2.html"}),
            "/a/redirect-loop-2.html": lambda: Page(status=302, headers={
                "Location": "/a/redirect-loop.html"}),
            "/a/missing.html": lambda: Page(b"gone", 404),
            "/a/error.html": lambda: Page(b"boom", 500),
            "/a/unavailable.html": lambda: Page(b"later", 503),
            "/a/slow.html": lambda: Page(_utf8(article_html("Slow", prose(4))),
                                         delay=self.slow_seconds),
            "/a/to-file.html": lambda: Page(status=302, headers={"Location": "file:///etc/passwd"}),
            "/a/to-offsite.html": lambda: Page(status=302, headers={
                "Location": f"{self.offsite}/a/good.html"}),
            "/private/secret.html": lambda: Page(_utf8(article_html("Secret", prose(5)))),
        }

    def flaky(self) -> Page:
        """503 on the first request, the article afterwards (a retry succeeds)."""
        if self.hits["/a/flaky.html"] <= 1:
            return Page(b"busy", 503)
        return Page(_utf8(article_html("Flaky", prose(6))))

    @staticmethod
    def malformed() -> str:
        """Unclosed and misnested tags, stray closing tags, an unterminated comment-like run."""
        parts = "".join(f"<p><b>{s}<i></p></b>" for s in prose(8))
        return (f"<html><head><title>Malformed</title><body><div><article>{parts}</td>"
                "</span><p>unclosed <b>to the end")

    @staticmethod
    def cp1252() -> bytes:
        """cp1252 bytes with no charset anywhere (curly quotes, euro sign, accents)."""
        text = [f"\u201cQuoted\u201d caf\u00e9 report costs 5\u20ac. {s}" for s in prose(9)]
        return article_html("Caf\u00e9 \u201cnews\u201d", text).encode("cp1252")

    @staticmethod
    def latin1() -> bytes:
        """latin-1 bytes (accented letters)."""
        text = [f"Gar\u00e7on na\u00efve r\u00e9sum\u00e9 \u00fcber. {s}" for s in prose(10)]
        return article_html("R\u00e9sum\u00e9", text).encode("latin-1")

    @staticmethod
    def shift_jis() -> bytes:
        """Japanese text in Shift_JIS, declared only in a meta tag."""
        text = ["\u8b66\u5bdf\u306f\u5b50\u4f9b\u305f\u3061\u3092\u4fdd\u8b77\u3057\u305f\u3002"
                f" {s}" for s in prose(11)]
        html = article_html("\u30cb\u30e5\u30fc\u30b9", text,
                            '<meta http-equiv="Content-Type" content="text/html; '
                            'charset=Shift_JIS">')
        return html.encode("shift_jis")

    def feed(self) -> str:
        """RSS listing every hostile page, plus links that must not be followed."""
        links = [self.url(p) for p in self.PAGES]
        links += [f"{self.offsite}/a/elsewhere.html", "ftp://127.0.0.1/a/ftp.html",
                  "file:///etc/passwd", "javascript:alert(1)", "mailto:editor@example.org"]
        items = "".join(f"<item><title>Page {i}</title><link>{link.replace('&', '&amp;')}</link>"
                        f"<pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>"
                        for i, link in enumerate(links))
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Hostile</title><language>en</language>{items}</channel></rss>")

    def broken_feed(self) -> str:
        """A feed cut in the middle of an item."""
        return self.feed()[: len(self.feed()) // 2]

    def entity_feed(self) -> str:
        """Entities (defined, numeric, undefined), an entity-expansion DTD, items without link."""
        return ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;">]>'
                '<rss version="2.0"><channel><title>Caf&#233; &amp; &c; &nbsp;</title>'
                "<item><title>No link &amp; no guid</title></item>"
                "<item><title>Entity link</title><link>"
                f"{self.url('/a/good.html')}?x=1&amp;y=&#50;</link></item>"
                "<item><title>Guid only</title><guid isPermaLink='false'>id-1</guid></item>"
                "</channel></rss>")

    def index(self, *paths: str) -> str:
        """A sitemap index of `paths` (used to build loops)."""
        items = "".join(f"<sitemap><loc>{self.url(p)}</loc></sitemap>" for p in paths)
        return ('<?xml version="1.0"?><sitemapindex '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>')

    def urlset(self, paths: list[str]) -> str:
        """A urlset of `paths`."""
        items = "".join(f"<url><loc>{self.url(p)}</loc></url>" for p in paths)
        return ('<?xml version="1.0"?><urlset '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>')


class ArticleFarm(Site):
    """`n` article pages under a sitemap index; validators on sitemaps; editable texts."""

    def __init__(self, n: int = 2000, per_sitemap: int = 250, validators: bool = True) -> None:
        """Build the site's index."""
        super().__init__()
        self.n, self.per_sitemap, self.validators = n, per_sitemap, validators
        self.edits: dict[int, str] = {}
        self.dated = True
        self.modified = formatdate(time.time() - 3600, usegmt=True)

    def page_path(self, i: int) -> str:
        """Path of article `i`."""
        return f"/p/{i}.html"

    def sentences(self, i: int) -> list[str]:
        """The paragraphs of article `i` (with its edit, if any)."""
        text = prose(1000 + i, 6)
        return text + [self.edits[i]] if i in self.edits else text

    def edit(self, i: int, sentence: str) -> None:
        """Change article `i`'s text (and, with it, the sitemap that lists it)."""
        self.edits[i] = sentence
        self.modified = formatdate(time.time(), usegmt=True)

    def route(self, path: str, headers: dict[str, str]) -> Page:
        """Robots, the index, the sitemaps and the pages."""
        path = path.split("?")[0]
        if path == "/robots.txt":
            return Page(b"User-agent: *\nDisallow: /admin/\n", ctype="text/plain")
        if path == "/sitemap.xml":
            count = (self.n + self.per_sitemap - 1) // self.per_sitemap
            return self.conditional(self.index(count), headers)
        if path.startswith("/sitemap-"):
            return self.conditional(self.urlset(int(path[9:-4])), headers)
        if path.startswith("/p/") and path.endswith(".html"):
            i = int(path[3:-5])
            if 0 <= i < self.n:
                head = (f'<meta property="article:published_time" content="2025-03-'
                        f'{1 + i % 28:02d}">' if self.dated else "")
                return Page(article_html(f"Farm story {i}", self.sentences(i), head).encode())
        return Page(b"not found", 404, "text/plain")

    def conditional(self, xml: str, headers: dict[str, str]) -> Page:
        """The XML, or 304 when the client's validators match."""
        if not self.validators:
            return Page(xml.encode(), ctype="application/xml")
        etag = '"' + hashlib.sha1(xml.encode()).hexdigest()[:16] + '"'
        if headers.get("if-none-match") == etag:
            return Page(status=304, headers={"ETag": etag})
        return Page(xml.encode(), ctype="application/xml",
                    headers={"ETag": etag, "Last-Modified": self.modified})

    def index(self, count: int) -> str:
        """The sitemap index."""
        edited = {i // self.per_sitemap for i in self.edits}
        items = "".join(f"<sitemap><loc>{self.url(f'/sitemap-{k}.xml')}</loc>"
                        f"{'<lastmod>2025-03-04</lastmod>' if k in edited else ''}</sitemap>"
                        for k in range(count))
        return ('<?xml version="1.0"?><sitemapindex '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>')

    def urlset(self, k: int) -> str:
        """Sitemap `k`: its pages, with a marker of their edits (so edits change it)."""
        first = k * self.per_sitemap
        items = "".join(
            f"<url><loc>{self.url(self.page_path(i))}</loc>"
            f"{'<lastmod>2025-03-04</lastmod>' if i in self.edits else ''}</url>"
            for i in range(first, min(first + self.per_sitemap, self.n)))
        return ('<?xml version="1.0"?><urlset '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>')

    def expected_text(self, i: int) -> list[str]:
        """Sentences article `i`'s stored text must contain."""
        return self.sentences(i)


def write_sources(path: Path, entries: list[dict[str, Any]]) -> Path:
    """A sources.yml with these entries."""
    import yaml

    path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False), encoding="utf-8")
    return path


def gunzip_size(data: bytes) -> int:
    """Decompressed size of gzip data (for checking the bomb itself)."""
    return len(gzip.decompress(data))
