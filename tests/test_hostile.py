"""Crawling a hostile site: every page ends stored or as a fetch error, memory stays bounded."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest
import sqlite_utils
from conftest import BIN, ROOT
from hostile_site import HostileSite, write_sources

CONTACT = "ops@example.org"
RETRIES = 1
SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": str(RETRIES), "MONITOR_CONTACT": CONTACT,
}
MAX_RSS_MB = 600


def scrapy_crawl(spider: str, db: Path, sources: Path) -> tuple[int, int, str]:
    """Run `scrapy crawl` as a user does; return its exit code, peak RSS (kB) and log."""
    args = [str(BIN / "scrapy"), "crawl", spider, "-s", f"MONITOR_DB={db}",
            "-s", f"MONITOR_SOURCES={sources}"]
    for name, value in SETTINGS.items():
        args += ["-s", f"{name}={value}"]
    log = db.parent / f"{spider}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "MONITOR_DB": str(db)})
        timer = threading.Timer(240, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, log.read_text()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    """The hostile site crawled by the feeds and sitemaps spiders into one store."""
    tmp = tmp_path_factory.mktemp("hostile")
    site = HostileSite(slow_seconds=4)
    db = tmp / "monitor.db"
    with site.running():
        sources = write_sources(tmp / "sources.yml", [
            {"name": "hostile-feed", "kind": "feed", "url": site.url("/feed.xml"),
             "language": "en", "allowed_domains": ["127.0.0.1"]},
            {"name": "broken-feed", "kind": "feed", "url": site.url("/feed-broken.xml"),
             "language": "en", "allowed_domains": ["127.0.0.1"]},
            {"name": "entity-feed", "kind": "feed", "url": site.url("/feed-entities.xml"),
             "language": "en", "allowed_domains": ["127.0.0.1"]},
            {"name": "sitemap-loop", "kind": "sitemap", "url": site.url("/sitemap.xml"),
             "language": "en", "allowed_domains": ["127.0.0.1"]},
        ])
        results = {spider: scrapy_crawl(spider, db, sources) for spider in ("feeds", "sitemaps")}
    return site, db, results


def articles(db: Path) -> dict[str, dict]:
    """Stored articles by URL."""
    return {r["url"]: r for r in sqlite_utils.Database(db)["articles"].rows}


def errors(db: Path) -> dict[str, list[dict]]:
    """fetch_errors rows by URL."""
    out: dict[str, list[dict]] = {}
    for row in sqlite_utils.Database(db)["fetch_errors"].rows:
        out.setdefault(row["url"], []).append(row)
    return out


def test_crawls_finish(crawled) -> None:
    _, db, results = crawled
    assert [code for code, _, _ in results.values()] == [0, 0]
    runs = list(sqlite_utils.Database(db)["crawl_runs"].rows)
    assert [r["finish_reason"] for r in runs] == ["finished", "finished"]


def test_memory_stays_bounded(crawled) -> None:
    _, _, results = crawled
    for spider, (_, max_rss_kb, _) in results.items():
        print(f"{spider}: peak RSS {max_rss_kb / 1024:.0f} MB")
        assert max_rss_kb / 1024 < MAX_RSS_MB, f"{spider} peaked at {max_rss_kb / 1024:.0f} MB"


@pytest.mark.parametrize("path", sorted(HostileSite.PAGES))
def test_every_page_is_stored_or_a_fetch_error(crawled, path: str) -> None:
    site, db, _ = crawled
    url = site.url(path)
    stored, failed = url in articles(db), errors(db).get(url, [])
    if path == "/a/to-offsite.html":  # refused at the redirect's target
        failed += errors(db).get(f"{site.offsite}/a/good.html", [])
    assert stored or failed, f"{path}: neither stored nor a fetch error"
    assert all(row["reason"] for row in failed)
    expected = HostileSite.PAGES[path]
    if expected == "stored":
        assert stored, f"{path} not stored: {[r['reason'] for r in failed]}"
    elif expected == "error":
        assert not stored and failed


def test_reasons_name_the_fault(crawled) -> None:
    site, db, _ = crawled
    reasons = {path: " ".join(r["reason"] for r in errors(db).get(site.url(path), []))
               for path in HostileSite.PAGES}
    assert "binary" in reasons["/a/binary.html"]
    assert "empty" in reasons["/a/empty.html"]
    assert "HTTP 404" in reasons["/a/missing.html"]
    assert "HTTP 500" in reasons["/a/error.html"]
    assert "HTTP 503" in reasons["/a/unavailable.html"]
    assert "robots.txt" in reasons["/private/secret.html"]
    assert "imeout" in reasons["/a/slow.html"] or "took longer" in reasons["/a/slow.html"]
    assert "size" in reasons["/a/huge.html"].lower() or "maxsize" in reasons["/a/huge.html"]
    assert "exceeded DOWNLOAD_MAXSIZE" in reasons["/a/bomb.html"]
    assert "redirect loop" in reasons["/a/redirect-loop.html"]
    assert "HTTP 302" in reasons["/a/to-file.html"]  # a redirect to file:// is not followed


def test_retries_then_gives_up_or_succeeds(crawled) -> None:
    site, db, _ = crawled
    assert site.hits["/a/unavailable.html"] == 1 + RETRIES
    assert site.hits["/a/error.html"] == 1 + RETRIES
    assert site.hits["/a/flaky.html"] == 2


def test_charsets_decoded(crawled) -> None:
    site, db, _ = crawled
    stored = articles(db)
    # read off HostileSite.cp1252 / latin1 / shift_jis
    assert "\u201cQuoted\u201d caf\u00e9 report costs 5\u20ac." in stored[
        site.url("/a/cp1252.html")]["text"]
    assert "Gar\u00e7on na\u00efve r\u00e9sum\u00e9 \u00fcber." in stored[
        site.url("/a/latin1.html")]["text"]
    assert "\u8b66\u5bdf\u306f\u5b50\u4f9b\u305f\u3061\u3092\u4fdd\u8b77\u3057\u305f\u3002" in (
        stored[site.url("/a/shift-jis.html")]["text"])


def test_only_http_inside_allowed_domains(crawled) -> None:
    site, _, _ = crawled
    paths = [path for path, _ in site.requests]
    hosts = {headers.get("host", "").split(":")[0] for _, headers in site.requests}
    assert hosts == {"127.0.0.1"}
    assert "/private/secret.html" not in paths
    assert not any("passwd" in p or "elsewhere" in p or "ftp" in p for p in paths)


def test_user_agent_names_tool_and_contact(crawled) -> None:
    site, _, _ = crawled
    agents = {headers.get("user-agent") for _, headers in site.requests}
    assert agents == {f"news-monitor/0.1 (+{CONTACT})"}


def test_broken_and_entity_feeds(crawled) -> None:
    site, db, _ = crawled
    broken = " ".join(r["reason"] for r in errors(db).get(site.url("/feed-broken.xml"), []))
    assert "malformed feed" in broken
    entities = " ".join(r["reason"] for r in errors(db).get(site.url("/feed-entities.xml"), []))
    assert "malformed feed, 1 items recovered" in entities  # the only item with a link
    assert "aaaaaaaaaa" not in " ".join(r["title"] or "" for r in articles(db).values())


def test_entity_feed_link_decoded(crawled) -> None:
    site, db, _ = crawled
    entity_link = site.url("/a/good.html") + "?x=1&y=2"  # <link>...?x=1&amp;y=&#50;</link>
    assert entity_link in articles(db) or entity_link in errors(db)


def test_sitemap_loop_ends(crawled) -> None:
    site, db, _ = crawled
    assert site.hits["/sitemap.xml"] == 1 and site.hits["/sitemap-b.xml"] == 1
    assert site.url("/a/sitemap-only.html") in articles(db)


def test_source_health_rows(crawled) -> None:
    _, db, _ = crawled
    rows = {r["source"]: r for r in sqlite_utils.Database(db)["source_runs"].rows}
    assert set(rows) >= {"hostile-feed", "broken-feed", "entity-feed", "sitemap-loop"}
    feed = rows["hostile-feed"]
    # read off HostileSite.PAGES: 7 pages stored for sure, 11 errors at least. The broken feed
    # lists the first half of the same pages, and whichever feed is crawled first stores them.
    pair = [feed, rows["broken-feed"]]
    assert sum(r["articles_new"] for r in pair) >= 7
    assert sum(r["fetch_errors"] for r in pair) >= 11
    assert "mostly_errors" in feed["flags"]


def test_politeness_settings() -> None:
    from monitor import settings

    assert settings.ROBOTSTXT_OBEY and settings.AUTOTHROTTLE_ENABLED
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 2
    assert settings.DOWNLOAD_MAXSIZE <= 10 * 1024 * 1024 and settings.DOWNLOAD_TIMEOUT <= 30
    assert "{contact}" in settings.USER_AGENT and "news-monitor" in settings.USER_AGENT
