"""Readers during writes: Datasette queries the store in a loop while a crawl writes to it."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import sqlite_utils
from conftest import BIN, ROOT
from hostile_site import ArticleFarm, write_sources

from monitor.store import Store

PAGES = 150
METADATA = ROOT / "monitor" / "review" / "datasette" / "metadata.json"
QUERIES = [
    "/monitor.json?sql=select+count(*)+n+from+articles",
    "/monitor/articles.json?_size=20&_sort_desc=id",
    "/monitor/articles.json?_search=harbor&_size=5",
    "/monitor/clusters.json?_size=20",
    "/monitor.json?sql=select+source,+count(*)+from+articles+group+by+source",
    "/monitor/crawl_runs.json",
    "/monitor/url_checks.json?_size=5",
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_for(url: str, timeout: float = 30) -> None:
    """Wait until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_datasette_reads_while_a_crawl_writes(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    Store(db).close()  # the schema exists before Datasette opens the file
    port = free_port()
    server = subprocess.Popen([str(BIN / "datasette"), "serve", str(db), "-m", str(METADATA),
                               "-h", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    site = ArticleFarm(PAGES, per_sitemap=50)
    log = tmp_path / "crawl.log"
    statuses, failures = [], []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/-/versions.json")
        with site.running(), open(log, "w") as out:
            sources = write_sources(tmp_path / "sources.yml", [{
                "name": "farm", "kind": "sitemap", "url": site.url("/sitemap.xml"),
                "language": "en", "allowed_domains": ["127.0.0.1"]}])
            crawl = subprocess.Popen(
                [str(BIN / "scrapy"), "crawl", "sitemaps", "-s", f"MONITOR_DB={db}",
                 "-s", f"MONITOR_SOURCES={sources}", "-s", "AUTOTHROTTLE_ENABLED=0",
                 "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            while crawl.poll() is None:
                for query in QUERIES:
                    status, body = get(base + query)
                    statuses.append(status)
                    if status != 200 or "locked" in body.lower():
                        failures.append((query, status, body[:300]))
            assert crawl.wait() == 0
        counts = [json.loads(get(base + QUERIES[0])[1])["rows"][0][0]]
    finally:
        server.terminate()
        server_log = server.communicate(timeout=10)[1]
    crawl_log = log.read_text()
    assert not failures, failures[:3]
    assert len(statuses) >= 100, len(statuses)  # the readers really ran during the crawl
    print(f"{len(statuses)} Datasette reads during the crawl, none failed")
    assert "locked" not in crawl_log.lower() and "Traceback" not in crawl_log
    assert "locked" not in server_log.lower()
    assert counts == [PAGES]
    assert sqlite_utils.Database(db)["articles"].count == PAGES
