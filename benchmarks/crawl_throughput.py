"""Crawl throughput: `scrapy crawl sitemaps` over a local site of generated article pages.

The script serves the site itself on 127.0.0.1 (a sitemap listing every page; articles of
about 2,000 characters made of lingua test sentences in six languages, every fifth one a
near copy of an earlier one) and runs the crawl as a user would, twice in alternation:
with the full pipeline and with ITEM_PIPELINES={} (fetching and parsing only).

Usage: .venv/bin/python benchmarks/crawl_throughput.py [--pages 5000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import logging
import random
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlite_utils
from _common import LINGUA, ROOT, machine, table

logger = logging.getLogger(__name__)

LANGUAGE_MIX = {"en": 5, "fr": 1, "es": 1, "de": 1, "pt": 1, "it": 1}
SENTENCES_PER_PAGE = 20
NEAR_COPY_EVERY = 5
# Politeness settings off: the site is ours and local.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=16",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "DOWNLOAD_DELAY=0",
        "-s", "LOG_LEVEL=WARNING", "-s", "MONITOR_CONTACT=benchmark@localhost"]


# ----- the site -----

def sentences() -> dict[str, list[str]]:
    """The lingua test sentences of the mixed languages."""
    out = {}
    for lang in LANGUAGE_MIX:
        with gzip.open(LINGUA / f"{lang}.txt.gz", "rt", encoding="utf-8") as fh:
            out[lang] = [line.strip() for line in fh if line.strip()]
    return out


def build_site(n: int, seed: int = 0) -> dict[str, bytes]:
    """Path -> body for the sitemap, robots.txt and `n` article pages."""
    rng = random.Random(seed)
    pool = sentences()
    langs = [lang for lang, weight in LANGUAGE_MIX.items() for _ in range(weight)]
    site: dict[str, bytes] = {}
    bodies: list[tuple[str, list[str]]] = []
    for i in range(n):
        if i % NEAR_COPY_EVERY == NEAR_COPY_EVERY - 1:  # a rewrite of an earlier article
            lang, text = bodies[rng.randrange(len(bodies))]
            text = [*text[:-1], rng.choice(pool[lang])]
        else:
            lang = rng.choice(langs)
            text = rng.sample(pool[lang], SENTENCES_PER_PAGE)
        bodies.append((lang, text))
        day = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        site[f"/news/{i}.html"] = article_page(text, lang, day).encode("utf-8")
    site["/sitemap.xml"] = sitemap(n).encode("utf-8")
    site["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return site


def article_page(text: list[str], lang: str, day: str) -> str:
    """One news page: head metadata, navigation, the article in paragraphs, a footer."""
    title = html.escape(text[0][:90])
    paragraphs = "".join(f"<p>{html.escape(' '.join(text[j:j + 4]))}</p>"
                         for j in range(0, len(text), 4))
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{day}T09:00:00Z"></head><body>'
        '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/local">Local</a></nav>'
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>© Example News. All rights reserved.</footer></body></html>"
    )


def sitemap(n: int) -> str:
    """A urlset listing every article (the host is filled in by the server)."""
    urls = "".join(f"<url><loc>{{base}}/news/{i}.html</loc></url>" for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def serve(site: dict[str, bytes], address: str = "127.0.0.1",
          port: int = 0) -> ThreadingHTTPServer:
    """Serve `site` on `address:port` (a free port by default), from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = site.get(self.path)
            if body is None:
                self.send_error(404)
                return
            if self.path == "/sitemap.xml":
                body = body.replace(b"{base}", base.encode())
            kind = "application/xml" if self.path.endswith(".xml") else "text/html"
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    base = f"http://{address}:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ----- the crawls -----

def crawl(base: str, db: Path, pipelines: bool) -> dict[str, Any]:
    """One `scrapy crawl sitemaps` into a fresh store; figures from its crawl_runs row."""
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    cmd = [str(Path(sys.executable).parent / "scrapy"), "crawl", "sitemaps",
           "-a", f"url={base}/sitemap.xml", "-s", f"MONITOR_DB={db}", *FAST]
    if not pipelines:
        cmd += ["-s", "ITEM_PIPELINES={}"]
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    run = list(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc"))
    if out.returncode != 0 or not run:
        raise SystemExit(f"crawl failed ({out.returncode}):\n{out.stderr[-3000:]}")
    stats = json.loads(run[0]["stats"] or "{}")
    return {"wall": wall, "responses": run[0]["responses"], "stored": run[0]["articles_new"],
            "dropped": run[0]["articles_dropped"], "errors": run[0]["fetch_errors"],
            "items": stats.get("item_scraped_count", 0),
            "elapsed": stats.get("elapsed_time_seconds") or wall,
            "rss_mb": (stats.get("memusage/max") or 0) / 2**20}


def main() -> None:
    """Build and serve the site, crawl it both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=5000, help="article pages on the site")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; best counts")
    args = parser.parse_args()
    site = build_site(args.pages)
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_port}"
    results: dict[str, list[dict[str, Any]]] = {"pipelines off": [], "full pipeline": []}
    try:
        with tempfile.TemporaryDirectory(prefix="monitor-crawl-") as tmp:
            for _ in range(args.rounds):
                for label in results:
                    results[label].append(crawl(base, Path(tmp) / "crawl.db",
                                                label == "full pipeline"))
    finally:
        server.shutdown()
    print(f"Crawl throughput: `scrapy crawl sitemaps` over {args.pages} local article pages; "
          f"{machine()}; server in the benchmark's process; best of {args.rounds}")
    rows = []
    for label, runs in results.items():
        r = min(runs, key=lambda x: x["wall"])
        rows.append((label, r["responses"], r["items"], r["stored"], r["dropped"],
                     f"{r['wall']:.1f}", f"{r['elapsed']:.1f}", f"{args.pages / r['wall']:.1f}",
                     f"{args.pages / r['elapsed']:.1f}", f"{r['rss_mb']:.0f}"))
    print(table(["run", "responses", "items", "stored", "dropped", "wall s", "crawl s",
                 "pages/s (wall)", "pages/s (crawl)", "peak RSS MB"], rows))


if __name__ == "__main__":
    main()
