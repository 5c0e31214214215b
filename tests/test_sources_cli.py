"""Sources by URL: `monitor sources add` and `monitor sources check` against sites served on
127.0.0.1 by the tests, and `-a source=NAME` naming an ad-hoc crawl."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner, Result
from conftest import run_scrapy
from fixture_site import FixtureSite, _Handler, build_site

from monitor.cli import cli
from monitor.crawl.sources import load_sources

HOME = ("<!DOCTYPE html><html lang='en-US'><head><title>Fixture Gazette</title>"
        "<link rel='alternate' type='application/rss+xml' title='All news' "
        "href='/feeds/rss.xml'><link rel='alternate' type='application/atom+xml' "
        "href='/feeds/atom.xml'></head><body><h1>Fixture Gazette</h1>"
        "<a href='/newsroom/'>Newsroom</a></body></html>")
# A page without feed links (its site's robots.txt names the news sitemap).
ABOUT = ("<!DOCTYPE html><html lang='fr'><head><title>À propos</title></head><body>"
         "<p>La Gazette, journal local.</p><a href='/newsroom/'>Communiqués</a></body></html>")
# A site with no feed, no sitemap, and a robots.txt that shuts out one folder.
BARE = {"/": ("text/html", b"<html lang='en'><body><p>Nothing to follow here.</p></body></html>"),
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/private/feed.xml": ("application/rss+xml", b"<rss version='2.0'><channel><item>"
                              b"<link>http://127.0.0.1/x</link></item></channel></rss>")}


@contextmanager
def serve(pages: dict[str, tuple[str, bytes]]) -> Iterator[FixtureSite]:
    """Serve `pages` on a free port of 127.0.0.1 while the block runs."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    site = FixtureSite(base, base + "/elsewhere", pages)
    handler.site = site
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def gazette() -> Iterator[FixtureSite]:
    """The fixture news site with a home page that links its feeds, and a page that does not."""
    with serve({}) as site:
        site.pages.update(build_site(site.base, "http://localhost:1/elsewhere"))
        site.pages["/"] = ("text/html; charset=utf-8", HOME.encode())
        site.pages["/about/"] = ("text/html; charset=utf-8", ABOUT.encode())
        # The same server under another host name stands for a feed hosted elsewhere.
        elsewhere = site.base.replace("127.0.0.1", "localhost")
        site.pages["/partner/"] = ("text/html", HOME.replace(
            "href='/feeds/rss.xml'", f"href='{elsewhere}/feeds/rss.xml'").replace(
            "<link rel='alternate' type='application/atom+xml' href='/feeds/atom.xml'>",
            "").encode())
        yield site


@pytest.fixture
def bare() -> Iterator[FixtureSite]:
    """A site that offers nothing to crawl."""
    with serve(dict(BARE)) as site:
        yield site


@pytest.fixture
def sources_file(tmp_path: Path) -> Path:
    """A sources file with one entry and a comment, as a user keeps it."""
    path = tmp_path / "sources.yml"
    path.write_text("# My sources\nsources:\n  # the agency\n  - name: doj\n    kind: feed\n"
                    "    url: https://www.justice.gov/news/rss\n    language: en\n",
                    encoding="utf-8")
    return path


def sources(path: Path, *args: str) -> Result:
    """Run `monitor sources --sources PATH ARGS...`."""
    return CliRunner().invoke(cli, ["sources", "--sources", str(path), *args])


def test_add_finds_the_feed_of_a_home_page(gazette: FixtureSite, sources_file: Path) -> None:
    before = sources_file.read_text(encoding="utf-8")
    result = sources(sources_file, "add", gazette.url("/"), "--name", "gazette")
    assert result.exit_code == 0, result.output
    # The RSS feed lists six items (five stories and one on another site), Atom five.
    assert "feed rss, 6 items, newest 2025-03-19" in result.output
    after = sources_file.read_text(encoding="utf-8")
    assert after.startswith(before)  # comments and entries kept as they were
    added = load_sources(sources_file)[-1]
    assert (added.name, added.kind, added.url, added.language) == (
        "gazette", "feed", gazette.url("/feeds/rss.xml"), "en")
    assert added.allowed_domains == ("127.0.0.1",)
    added_lines = after[len(before):].splitlines()
    assert f"  # added by `monitor sources add {gazette.url('/')}` on " in added_lines[1]
    assert added_lines[2:4] == [f"  # also found: feed {gazette.url('/feeds/atom.xml')}",
                                f"  # also found: sitemap {gazette.url('/sitemaps/news.xml')}"]
    assert "name: gazette" in result.output


def test_add_allows_the_site_of_a_feed_hosted_elsewhere(gazette: FixtureSite,
                                                          sources_file: Path) -> None:
    result = sources(sources_file, "add", gazette.url("/partner/"), "--name", "partner")
    assert result.exit_code == 0, result.output
    added = load_sources(sources_file)[-1]
    assert added.url == gazette.url("/feeds/rss.xml").replace("127.0.0.1", "localhost")
    assert added.allowed_domains == ("localhost", "127.0.0.1")


def test_add_reads_robots_sitemaps_when_a_page_has_no_feed(gazette: FixtureSite,
                                                           sources_file: Path) -> None:
    result = sources(sources_file, "add", gazette.url("/about/"))
    assert result.exit_code == 0, result.output
    added = load_sources(sources_file)[-1]
    # robots.txt names /sitemaps/news.xml; its news:language is en for three of four stories.
    assert (added.name, added.kind, added.url, added.language) == (
        "127.0.0.1", "sitemap", gazette.url("/sitemaps/news.xml"), "en")
    assert "sitemap urlset, 4 items, newest 2025-03-19" in result.output


def test_add_takes_the_kind_and_language_given(gazette: FixtureSite,
                                               sources_file: Path) -> None:
    result = sources(sources_file, "add", gazette.url("/"), "--kind", "sitemap",
                     "--language", "es", "--name", "gazette-sitemap")
    assert result.exit_code == 0, result.output
    added = load_sources(sources_file)[-1]
    assert (added.kind, added.url, added.language) == (
        "sitemap", gazette.url("/sitemaps/news.xml"), "es")


def test_add_a_feed_url_itself(gazette: FixtureSite, sources_file: Path) -> None:
    result = sources(sources_file, "add", gazette.url("/feeds/atom.xml"), "--name", "atom")
    assert result.exit_code == 0, result.output
    added = load_sources(sources_file)[-1]
    assert (added.kind, added.url, added.language) == (
        "feed", gazette.url("/feeds/atom.xml"), "en")
    assert "feed atom, 5 items, newest 2025-03-19" in result.output


def test_add_refuses_duplicates_in_one_line(gazette: FixtureSite, sources_file: Path) -> None:
    assert sources(sources_file, "add", gazette.url("/"), "--name", "gazette").exit_code == 0
    kept = sources_file.read_text(encoding="utf-8")
    same_name = sources(sources_file, "add", gazette.url("/feeds/atom.xml"), "--name", "doj")
    assert same_name.exit_code == 1
    assert same_name.output.strip().endswith("already a source named 'doj' (entry 1); "
                                             "choose another with --name")
    same_url = sources(sources_file, "add", gazette.url("/"), "--name", "other")
    assert same_url.exit_code == 1
    assert "is already source 'gazette' (entry 2)" in same_url.output
    for result in (same_name, same_url):
        assert len(result.output.strip().splitlines()) == 1
    assert sources_file.read_text(encoding="utf-8") == kept


def test_add_finds_nothing_on_a_bare_site(bare: FixtureSite, sources_file: Path) -> None:
    kept = sources_file.read_text(encoding="utf-8")
    result = sources(sources_file, "add", bare.url("/"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no working feed or sitemap found for {bare.url('/')}")
    assert "HTTP 404" in result.output and "Traceback" not in result.output
    assert sources_file.read_text(encoding="utf-8") == kept


def test_add_of_an_unreachable_site_is_one_line(bare: FixtureSite, sources_file: Path) -> None:
    url = bare.url("/")
    bare_port = url.rsplit(":", 1)[1]
    dead = url.replace(bare_port, "1/")
    result = sources(sources_file, "add", dead)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot fetch {dead}: URLError")
    assert len(result.output.strip().splitlines()) == 1


def test_add_creates_a_missing_sources_file(gazette: FixtureSite, tmp_path: Path) -> None:
    path = tmp_path / "new.yml"
    assert sources(path, "add", gazette.url("/"), "--name", "gazette").exit_code == 0
    assert [s.name for s in load_sources(path)] == ["gazette"]
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["sources"][0]["kind"] == "feed"


def checked_sources(site: FixtureSite, path: Path) -> Path:
    """A sources file naming working and broken places on the site."""
    entries = [
        {"name": "rss", "kind": "feed", "url": site.url("/feeds/rss.xml"), "language": "en"},
        {"name": "index", "kind": "sitemap", "url": site.url("/sitemap_index.xml"),
         "language": "en"},
        {"name": "newsroom", "kind": "newsroom", "url": site.url("/newsroom/"),
         "language": "en", "item_selector": "li.release", "link_selector": "a.release-link",
         "date_selector": ".release-date", "next_selector": "a.pager-next"},
        {"name": "broken", "kind": "feed", "url": site.url("/feeds/broken.xml"),
         "language": "en"},
        {"name": "gone", "kind": "feed", "url": site.url("/feeds/gone.xml"), "language": "en"},
    ]
    path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False), encoding="utf-8")
    return path


def test_check_reports_each_source_on_one_line(gazette: FixtureSite, tmp_path: Path) -> None:
    path = checked_sources(gazette, tmp_path / "sources.yml")
    result = sources(path, "check")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == "Error: 2 of 5 source(s) failed"
    by_name = {line.split()[0]: line for line in lines[:-1]}
    assert sorted(by_name) == ["broken", "gone", "index", "newsroom", "rss"]
    assert "200  ok      rss, 6 items, newest 2025-03-19" in by_name["rss"]
    # The index lists four sitemaps, each last modified on 2025-03-20.
    assert "ok      index of sitemaps, 4 items, newest 2025-03-20" in by_name["index"]
    # Listing page 1 shows stories 000-002; the newest, 002, is dated July 22, 2021.
    assert "ok      listing page, 3 items, newest 2021-07-22" in by_name["newsroom"]
    # broken.xml stops inside its only item: lxml's recovery finds no link in it.
    assert "FAILED  lists no items; malformed feed:" in by_name["broken"]
    assert "404  FAILED  HTTP 404" in by_name["gone"]


def test_check_named_sources_only(gazette: FixtureSite, tmp_path: Path) -> None:
    path = checked_sources(gazette, tmp_path / "sources.yml")
    result = sources(path, "check", "rss", "newsroom")
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.strip().splitlines()] == [
        "rss", "newsroom"]
    unknown = sources(path, "check", "nope")
    assert unknown.exit_code == 1 and "no such source: nope" in unknown.output


def test_check_respects_robots(bare: FixtureSite, tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": [
        {"name": "private", "kind": "feed", "url": bare.url("/private/feed.xml"),
         "language": "en"}]}), encoding="utf-8")
    result = sources(path, "check")
    assert result.exit_code == 1
    assert "FAILED  refused by robots.txt" in result.output
    assert "/private/feed.xml" not in bare.requested


def test_added_source_crawls(gazette: FixtureSite, sources_file: Path, tmp_db: Path) -> None:
    assert sources(sources_file, "add", gazette.url("/"), "--name", "gazette").exit_code == 0
    run_scrapy("feeds", "-a", "source=gazette", "-s", f"MONITOR_SOURCES={sources_file}",
               "-s", "AUTOTHROTTLE_ENABLED=False", db=tmp_db, check=False)
    rows = list(sqlite_utils.Database(tmp_db).query("select source, url from articles"))
    assert len(rows) == 5 and {r["source"] for r in rows} == {"gazette"}


def test_ad_hoc_crawl_is_named_by_source(gazette: FixtureSite, tmp_db: Path) -> None:
    run_scrapy("feeds", "-a", f"url={gazette.url('/feeds/atom.xml')}", "-a", "source=gazette",
               "-s", "AUTOTHROTTLE_ENABLED=False", db=tmp_db)
    rows = list(sqlite_utils.Database(tmp_db).query("select source from articles"))
    assert len(rows) == 5 and {r["source"] for r in rows} == {"gazette"}


def test_add_follows_the_file_indentation(gazette: FixtureSite, tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n- name: doj\n  kind: feed\n  url: https://www.justice.gov/rss\n"
                    "  language: en\n", encoding="utf-8")
    assert sources(path, "add", gazette.url("/"), "--name", "gazette").exit_code == 0
    assert [s.name for s in load_sources(path)] == ["doj", "gazette"]
    assert "\n- name: gazette\n" in path.read_text(encoding="utf-8")


def test_add_refuses_a_file_it_cannot_append_to(gazette: FixtureSite, tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    text = ("sources:\n  - name: doj\n    kind: feed\n    url: https://www.justice.gov/rss\n"
            "    language: en\nnotes:\n  owner: desk\n")
    path.write_text(text, encoding="utf-8")
    result = sources(path, "add", gazette.url("/"), "--name", "gazette")
    assert result.exit_code == 1
    assert "the entry cannot be appended to this file" in result.output
    assert "add it by hand" in result.output
    assert path.read_text(encoding="utf-8") == text
