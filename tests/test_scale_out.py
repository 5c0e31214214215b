"""Scaling out: workers on scrapy-redis and one store writer, with a real redis-server.

Workers are `scrapy crawl ... -s MONITOR_REDIS_URL=...` subprocesses, the writer is `monitor
store-writer`, as a user runs them; every check reads the SQLite store.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlite_utils
from conftest import BIN, ROOT
from fixture_site import FixtureSite, SeedArticleChecks, stored_by_seed, write_sources
from hostile_site import ArticleFarm
from redis_server import free_port, redis_server

from monitor.store import Store

FAST = {"AUTOTHROTTLE_ENABLED": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "INFO",
        "MONITOR_CONTACT": "tests@localhost", "RETRY_ENABLED": 0}


def start_worker(spider: str, redis_url: str, db: Path, log: Path, args: dict[str, str],
                 **settings: Any) -> subprocess.Popen:
    """`scrapy crawl SPIDER -s MONITOR_REDIS_URL=...` in the background."""
    command = [str(BIN / "scrapy"), "crawl", spider]
    for name, value in args.items():
        command += ["-a", f"{name}={value}"]
    for name, value in {**FAST, "MONITOR_REDIS_URL": redis_url, "MONITOR_DB": db,
                        **settings}.items():
        command += ["-s", f"{name}={value}"]
    with open(log, "a") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def start_writer(redis_url: str, db: Path, log: Path, *extra: str) -> subprocess.Popen:
    """`monitor store-writer` in the background."""
    with open(log, "a") as out:
        return subprocess.Popen([str(BIN / "monitor"), "--db", str(db), "store-writer",
                                 "--redis", redis_url, *extra],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def stop_writer(proc: subprocess.Popen) -> int:
    """SIGTERM the writer (it finishes its message) and wait for it."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def wait_all(procs: list[subprocess.Popen], log: Path, timeout: float = 240) -> None:
    """Wait for every worker; fail with the log when one fails or hangs."""
    for proc in procs:
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"worker hung:\n{log.read_text()[-4000:]}") from None
        assert code == 0, f"worker failed ({code}):\n{log.read_text()[-4000:]}"


def wait_drained(redis_url: str, timeout: float = 120) -> None:
    """Wait until the writer has taken and acknowledged every message."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while client.llen("monitor:items") or client.llen("monitor:items:processing"):
        assert time.monotonic() < deadline, "the writer did not drain the queue"
        time.sleep(0.1)


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Query the store."""
    return list(sqlite_utils.Database(db).query(sql, params or []))


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server for this module."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def fresh_redis(redis_url: str) -> str:
    """The module's Redis, emptied."""
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


# ----- two workers and a writer over the fixture site -----


@pytest.fixture(scope="module")
def shared_feeds(fixture_site: FixtureSite, redis_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture site's RSS and Atom feeds crawled by two workers, stored by one writer."""
    redis.Redis.from_url(redis_url).flushdb()
    tmp = tmp_path_factory.mktemp("shared_feeds")
    sources = write_sources(tmp / "sources.yml", [
        {"name": "gazette-rss", "kind": "feed", "url": fixture_site.url("/feeds/rss.xml"),
         "language": "en", "allowed_domains": ["127.0.0.1"]},
        {"name": "gazette-atom", "kind": "feed", "url": fixture_site.url("/feeds/atom.xml"),
         "language": "en", "allowed_domains": ["127.0.0.1"]},
    ])
    db, log = tmp / "monitor.db", tmp / "run.log"
    before = len(fixture_site.requested)  # the site serves the whole session
    writer = start_writer(redis_url, db, log)
    workers = [start_worker("feeds", redis_url, db, log, {}, MONITOR_SOURCES=sources)
               for _ in range(2)]
    wait_all(workers, log)
    wait_drained(redis_url)
    writer_code = stop_writer(writer)
    first = {"runs": rows(db, "select * from crawl_runs order by id"),
             "checked": rows(db, "select * from url_checks")}
    # a second round: every article was processed within MONITOR_RECHECK_HOURS
    writer = start_writer(redis_url, db, log)
    wait_all([start_worker("feeds", redis_url, db, log, {}, MONITOR_SOURCES=sources)], log)
    wait_drained(redis_url)
    stop_writer(writer)
    return {"db": db, "log": log.read_text(), "writer_code": writer_code,
            "requested": fixture_site.requested[before:], **first}


class TestSharedCrawlArticles(SeedArticleChecks):
    """The five seed articles, stored through workers and the writer, as by a single crawl."""

    @pytest.fixture
    def articles(self, shared_feeds: dict[str, Any],
                 fixture_site: FixtureSite) -> dict[str, Any]:
        return stored_by_seed(shared_feeds["db"], fixture_site)


def test_every_page_stored_once(shared_feeds: dict[str, Any], fixture_site: FixtureSite) -> None:
    # both feeds list the same five pages, and two workers read both feeds
    stored = rows(shared_feeds["db"], "select url, count(*) n from articles group by url_key")
    assert sorted(r["url"] for r in stored) == sorted(
        fixture_site.story_url(p) for p in ("000", "001", "002", "003", "004"))
    assert {r["n"] for r in stored} == {1}


def test_each_page_fetched_once(shared_feeds: dict[str, Any], fixture_site: FixtureSite) -> None:
    # the first round's two workers share one duplicate filter; the second round fetches none
    for prefix in ("000", "001", "002", "003", "004"):
        path = fixture_site.story_url(prefix).removeprefix(fixture_site.base)
        assert shared_feeds["requested"].count(path) == 1


def test_dedup_ran_in_the_writer(shared_feeds: dict[str, Any]) -> None:
    # seeds 000 and 002 are the same story in English and French
    articles = {r["url"].rsplit("/", 1)[1][:3]: r for r in rows(
        shared_feeds["db"], "select url, cluster_id from articles")}
    assert articles["000"]["cluster_id"] == articles["002"]["cluster_id"]
    assert articles["000"]["cluster_id"] != articles["001"]["cluster_id"]


def test_worker_runs_recorded(shared_feeds: dict[str, Any]) -> None:
    runs = shared_feeds["runs"]
    assert [r["spider"] for r in runs] == ["feeds", "feeds"]
    assert [r["finish_reason"] for r in runs] == ["finished", "finished"]
    assert sum(r["articles_new"] for r in runs) == 5
    assert all(json.loads(r["args"])["worker_run"] for r in runs)


def test_source_health_written(shared_feeds: dict[str, Any]) -> None:
    sources = rows(shared_feeds["db"], "select s.* from source_runs s join crawl_runs r on "
                   "r.id = s.run_id where r.id <= 2")
    new = {}
    for row in sources:
        new[row["source"]] = new.get(row["source"], 0) + row["articles_new"]
    assert sum(new.values()) == 5
    assert all(r["share_body"] in (None, 1.0) for r in sources)


def test_urls_checked(shared_feeds: dict[str, Any]) -> None:
    assert sorted(r["outcome"] for r in shared_feeds["checked"]) == ["new"] * 5


def test_second_round_skips_fresh_articles(shared_feeds: dict[str, Any]) -> None:
    last = rows(shared_feeds["db"], "select * from crawl_runs order by id desc limit 1")[0]
    assert last["finish_reason"] == "finished"
    assert (last["articles_new"], last["articles_updated"], last["articles_unchanged"]) == (0, 0, 0)
    assert last["skipped_fresh"] == 10  # each feed lists the five pages


def test_offsite_link_recorded(shared_feeds: dict[str, Any], fixture_site: FixtureSite) -> None:
    errors = rows(shared_feeds["db"], "select * from fetch_errors where url = ? and run_id <= 2",
                  [fixture_site.offsite])
    assert [(r["stage"], r["source"]) for r in errors] == [("offsite", "gazette-rss")]


def test_writer_exit_and_summary(shared_feeds: dict[str, Any]) -> None:
    assert shared_feeds["writer_code"] == 0
    assert "store-writer: " in shared_feeds["log"] and "0 failed" in shared_feeds["log"]
    assert "Traceback" not in shared_feeds["log"]


# ----- SIGKILL: a worker mid-crawl, the writer mid-item -----

PAGES = 400


def stored_count(db: Path) -> int:
    """Articles stored so far."""
    try:
        return sqlite_utils.Database(db).execute("select count(*) from articles").fetchone()[0]
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0


def wait_for(condition: Any, timeout: float, what: str) -> None:
    """Poll `condition` until true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def kill_inside_an_item(writer: subprocess.Popen, client: redis.Redis) -> None:
    """SIGKILL the writer while it holds a message it has not acknowledged (it is stopped
    with SIGSTOP to look; let go again when it holds none)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        writer.send_signal(signal.SIGSTOP)
        if client.llen("monitor:items:processing"):
            writer.kill()
            writer.wait()
            return
        writer.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("the writer never held a message")


@pytest.fixture(scope="module")
def killed(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """400 pages; a worker and then the writer SIGKILLed mid-way; both restarted."""
    redis.Redis.from_url(redis_url).flushdb()
    client = redis.Redis.from_url(redis_url)
    tmp = tmp_path_factory.mktemp("killed")
    db, log = tmp / "monitor.db", tmp / "run.log"
    site = ArticleFarm(PAGES, per_sitemap=50)
    args = {"url": site.url("/sitemap.xml")}
    with site.running():
        writer = start_writer(redis_url, db, log)
        workers = [start_worker("sitemaps", redis_url, db, log, args) for _ in range(2)]
        wait_for(lambda: stored_count(db) >= 60, 180, "60 stored articles")
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        wait_for(lambda: stored_count(db) >= 120, 180, "120 stored articles")
        kill_inside_an_item(writer, client)
        at_kill = stored_count(db)
        left = client.llen("monitor:items:processing")
        workers[0] = start_worker("sitemaps", redis_url, db, log, args)
        writer = start_writer(redis_url, db, log)
        wait_all(workers, log)
        wait_drained(redis_url)
        writer_code = stop_writer(writer)
        repair = subprocess.run([str(BIN / "monitor"), "--db", str(db), "repair"], cwd=ROOT,
                                capture_output=True, text=True)
    return {"db": db, "site": site, "at_kill": at_kill, "left": left, "log": log.read_text(),
            "writer_code": writer_code, "repair": repair}


def test_killed_mid_way(killed: dict[str, Any]) -> None:
    assert 0 < killed["at_kill"] < PAGES and killed["left"] == 1


def test_every_page_stored_exactly_once_after_kills(killed: dict[str, Any]) -> None:
    stored = rows(killed["db"], "select url from articles")
    expected = {killed["site"].url(f"/p/{i}.html") for i in range(PAGES)}
    assert len(stored) == PAGES and {r["url"] for r in stored} == expected


def test_every_stored_article_checked_once(killed: dict[str, Any]) -> None:
    checks = rows(killed["db"], "select url_key, count(*) n from url_checks group by url_key")
    assert len(checks) == PAGES and {r["n"] for r in checks} == {1}


def test_integrity_after_kills(killed: dict[str, Any]) -> None:
    db = killed["db"]
    assert rows(db, "pragma integrity_check") == [{"integrity_check": "ok"}]
    assert rows(db, "select count(*) n from articles where cluster_id is null") == [{"n": 0}]
    assert rows(db, "select count(*) n from articles a left join clusters c on "
                    "c.id = a.cluster_id where c.id is null") == [{"n": 0}]
    # the restarted writer recomputed the statistics the killed one had not written
    assert killed["repair"].returncode == 0, killed["repair"].stderr
    assert "wrong before: nothing" in killed["repair"].stdout
    store = Store(db)
    try:
        assert store.dedup_statistics() == store.indexed_statistics()
    finally:
        store.close()


def test_killed_worker_run_marked(killed: dict[str, Any]) -> None:
    runs = rows(killed["db"], "select finish_reason from crawl_runs order by id")
    assert sorted(r["finish_reason"] for r in runs) == ["finished", "finished", "killed"]


def test_recovery_logged(killed: dict[str, Any]) -> None:
    assert "recovered 1 message(s) left by a writer" in killed["log"]
    assert "unfinished requests are back in the queue" in killed["log"]


# ----- Redis unreachable -----


def closed_redis() -> str:
    """A Redis URL where nothing listens."""
    return f"redis://127.0.0.1:{free_port()}/0"


def assert_one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    """Non-zero exit, no traceback, the reason on the last line of stderr."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert needle in result.stderr.strip().splitlines()[-1]


def test_worker_without_redis(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "scrapy"), "crawl", "feeds", "-a", "url=http://127.0.0.1:9/feed.xml",
         "-s", f"MONITOR_REDIS_URL={closed_redis()}", "-s", f"MONITOR_DB={tmp_path / 'm.db'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert_one_line_error(result, "cannot reach Redis at redis://127.0.0.1:")
    assert not (tmp_path / "m.db").exists()


def test_writer_without_redis(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "monitor"), "--db", str(tmp_path / "m.db"), "store-writer", "--redis",
         closed_redis()], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert_one_line_error(result, "cannot reach Redis at redis://127.0.0.1:")


def test_writer_refuses_a_second_writer(fresh_redis: str, tmp_path: Path) -> None:
    db, log = tmp_path / "monitor.db", tmp_path / "writer.log"
    first = start_writer(fresh_redis, db, log)
    try:
        wait_for(lambda: "mirrored" in log.read_text(), 60, "the first writer")
        result = subprocess.run([str(BIN / "monitor"), "--db", str(db), "store-writer",
                                 "--redis", fresh_redis], cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert_one_line_error(result, "another crawl is already writing")
    finally:
        assert stop_writer(first) == 0


# ----- politeness shared by the workers -----


class SlowFarm(ArticleFarm):
    """ArticleFarm whose pages take 0.2 s; counts the requests being answered at once."""

    def __init__(self, n: int) -> None:
        super().__init__(n, per_sitemap=n)
        self.busy = self.most = 0

    def serve(self, handler: Any) -> None:
        with self.lock:
            self.busy += 1
            self.most = max(self.most, self.busy)
        try:
            super().serve(handler)
        finally:
            with self.lock:
                self.busy -= 1

    def route(self, path: str, headers: dict[str, str]) -> Any:
        page = super().route(path, headers)
        page.delay = 0.2 if path.startswith("/p/") else 0.0
        return page


def test_per_site_limit_holds_across_workers(fresh_redis: str, tmp_path: Path) -> None:
    db, log = tmp_path / "monitor.db", tmp_path / "run.log"
    site = SlowFarm(40)
    with site.running():
        writer = start_writer(fresh_redis, db, log)
        workers = [start_worker("sitemaps", fresh_redis, db, log,
                                {"url": site.url("/sitemap.xml")},
                                CONCURRENT_REQUESTS_PER_DOMAIN=2) for _ in range(2)]
        wait_all(workers, log)
        wait_drained(fresh_redis)
        stop_writer(writer)
    assert stored_count(db) == 40
    # two workers with 2 each would reach 4 without the shared limit
    assert site.most == 2
