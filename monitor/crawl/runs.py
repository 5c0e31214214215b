"""Run bookkeeping: one crawl_runs row per crawl, one fetch_errors row per failure."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from monitor.store import Store

logger = logging.getLogger(__name__)

STORE_ATTR = "_monitor_store"
RUN_ATTR = "_monitor_run_id"
STORAGE_STAT = "monitor/storage_error"
LOST_STAT = "monitor/items_lost"
STORAGE_REASON = "storage_error"  # the finish reason of a crawl stopped by a storage error
AFTER_STORAGE_ERROR_MS = 1000  # busy timeout of the store once a storage error stopped the crawl
MAX_REASON = 300  # characters of an exception message kept in fetch_errors and the log


def store_for(crawler: Crawler) -> Store:
    """The crawler's store, opened once from MONITOR_DB and shared by its components."""
    store = getattr(crawler, STORE_ATTR, None)
    if store is None:
        store = Store(crawler.settings.get("MONITOR_DB"),
                      crawler.settings.getfloat("MONITOR_DB_BUSY_SECONDS", 30.0))
        setattr(crawler, STORE_ATTR, store)
    return store


def is_storage_error(exc: BaseException) -> bool:
    """Whether `exc` means the store cannot be written (disk full, damaged file, locked)."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def failure_reason(exc: BaseException) -> str:
    """An exception as a short one-line reason: `Type: message`, cut to MAX_REASON chars."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 3] + "..."


def storage_failed(crawler: Crawler) -> bool:
    """Whether this crawl has hit a storage error."""
    return crawler.stats is not None and bool(crawler.stats.get_value(STORAGE_STAT))


def stop_for_storage_error(crawler: Crawler, reason: str) -> None:
    """Note the first storage error in the stats and close the spider at once."""
    assert crawler.stats is not None
    if storage_failed(crawler):
        return
    crawler.stats.set_value(STORAGE_STAT, reason)
    logger.error("storage error, stopping the crawl: %s", reason)
    store = getattr(crawler, STORE_ATTR, None)
    if isinstance(store, Store):  # later writes (fetch_errors, run row) must not wait 30 s each
        with contextlib.suppress(sqlite3.Error):
            store.db.execute(f"PRAGMA busy_timeout = {AFTER_STORAGE_ERROR_MS}")
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=STORAGE_REASON))


def record_fetch_error(crawler: Crawler, url: str, source: str | None, stage: str,
                       reason: str) -> None:
    """Write a fetch_errors row for the current run and count it in the stats."""
    reason = reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 3] + "..."
    try:
        store_for(crawler).record_fetch_error(getattr(crawler, RUN_ATTR, None), url, source,
                                              stage, reason)
    except sqlite3.Error as exc:
        if not is_storage_error(exc):
            raise
        stop_for_storage_error(crawler, failure_reason(exc))
        reason += " (not recorded in fetch_errors: storage error)"
    assert crawler.stats is not None
    crawler.stats.inc_value("monitor/fetch_errors")
    crawler.stats.inc_value(f"monitor/fetch_errors/{stage}")
    logger.warning("%s failed at %s: %s", url, stage, reason)


def _by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """Counters `<prefix><key>` as {key: n}, for keys without a further slash."""
    return {k[len(prefix):]: v for k, v in sorted(stats.items())
            if k.startswith(prefix) and "/" not in k[len(prefix):] and isinstance(v, int)}


def _counts(total: int, parts: dict[str, int]) -> str:
    """`N` or `N (a 1, b 2)`."""
    detail = ", ".join(f"{k} {v}" for k, v in parts.items())
    return f"{total} ({detail})" if detail else str(total)


def summary_line(run_id: int | None, spider: str, reason: str,
                 stats: Mapping[str, Any]) -> str:
    """The one end-of-run line: articles by outcome, drops by stage, fetch errors, flags."""
    outcome = _by_prefix(stats, "monitor/articles/")
    dropped = _counts(stats.get("item_dropped_count", 0), _by_prefix(stats, "monitor/dropped/"))
    errors = _counts(stats.get("monitor/fetch_errors", 0),
                     _by_prefix(stats, "monitor/fetch_errors/"))
    stored = (f"{outcome['queued']} queued for the store writer" if "queued" in outcome else
              f"{outcome.get('new', 0)} new, {outcome.get('updated', 0)} updated, "
              f"{outcome.get('unchanged', 0)} unchanged")
    return (f"run #{run_id} {spider} {reason}: {stored}, dropped {dropped}, fetch errors {errors}, "
            f"flags: {stats.get('monitor/health/flags') or 'none'}")


def run_failure(stats: Mapping[str, Any]) -> str | None:
    """Why a finished crawl counts as failed (for a non-zero exit status), or None."""
    lost = stats.get(LOST_STAT, 0)
    if stats.get(STORAGE_STAT):
        return (f"storage error, crawl stopped ({lost} item(s) not stored): "
                f"{stats[STORAGE_STAT]}")
    if lost:
        return f"{lost} item(s) lost to a failing station (see fetch_errors for URLs and reasons)"
    requests = stats.get("downloader/request_count", 0)
    if requests and not _successful_responses(stats):
        return (f"every request failed ({requests} request(s), no successful response; "
                f"fetch errors: {stats.get('monitor/fetch_errors', 0)})")
    return None


def _successful_responses(stats: Mapping[str, Any]) -> int:
    """Responses with a status below 400 (a 304 is a success)."""
    prefix = "downloader/response_status_count/"
    codes = {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}
    return sum(v for code, v in codes.items() if code.isdigit() and int(code) < 400)


class NoTraceback(logging.Filter):
    """Keeps a record's message but drops its traceback (for expected network failures)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Strip the traceback; keep the record."""
        record.exc_info, record.exc_text = None, None
        return True


# Scrapy's robots.txt middleware logs an unreachable host's robots.txt with a traceback; the
# request's own failure is recorded (and logged on one line) as a fetch error anyway.
QUIET_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)


def quiet_network_tracebacks() -> None:
    """Install NoTraceback on the loggers of QUIET_LOGGERS (once)."""
    for name in QUIET_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, NoTraceback) for f in target.filters):
            target.addFilter(NoTraceback())


class MonitorLogFormatter(LogFormatter):
    """Scrapy's log lines without item bodies: URLs only (drops are logged with their reason
    by `record_fetch_error`)."""

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        """Nothing: RunRecorder logs the drop (URL, stage, reason) as a fetch error."""
        return None

    def item_error(self, item: Any, exception: BaseException,
                   response: Response | Failure | None, spider: Spider) -> LogFormatterResult:
        """The failed item's URL, not its repr."""
        return {"level": logging.ERROR, "msg": "Error processing %(url)s: %(reason)s",
                "args": {"url": getattr(item, "url", "?"), "reason": failure_reason(exception)}}

    def scraped(self, item: Any, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        """The stored item's URL, not its repr."""
        return {"level": logging.DEBUG, "msg": "Scraped %(url)s",
                "args": {"url": getattr(item, "url", "?")}}


class RunRecorder:
    """Extension: opens a crawl_runs row at start, records drops, fills the row at the end."""

    def __init__(self, crawler: Crawler) -> None:
        """Connect to the crawler's signals."""
        self.crawler = crawler
        quiet_network_tracebacks()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        """Build from the crawler."""
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        """Start the run's row."""
        args = {k: v for k, v in vars(spider).items() if k in getattr(spider, "arg_names", ())}
        run_id = store_for(self.crawler).start_run(spider.name, args)
        setattr(self.crawler, RUN_ATTR, run_id)

    def item_dropped(self, item: Any, response: Response | None, exception: Exception,
                     spider: Spider) -> None:
        """Record a dropped article as a fetch error of the station that dropped it."""
        stage = getattr(exception, "stage", "pipeline")
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"monitor/dropped/{stage}")
        record_fetch_error(self.crawler, getattr(item, "url", "?"),
                           getattr(item, "source", None), stage, str(exception))

    def item_error(self, item: Any, response: Response | None, spider: Spider,
                   failure: Failure) -> None:
        """An exception outside the stations (another pipeline): a lost item, recorded."""
        exc = failure.value
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(LOST_STAT)
        if is_storage_error(exc):
            stop_for_storage_error(self.crawler, failure_reason(exc))
        record_fetch_error(self.crawler, getattr(item, "url", "?"),
                           getattr(item, "source", None), "pipeline", failure_reason(exc))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Fill the run's row from the crawl's stats, log the summary, close the store."""
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        run_id = getattr(self.crawler, RUN_ATTR, None)
        try:
            if run_id is not None:
                self._finish(run_id, reason, stats)
        except sqlite3.Error as exc:
            if not is_storage_error(exc):
                raise
            stop_for_storage_error(self.crawler, failure_reason(exc))
            logger.error("run %s not recorded: %s", run_id, failure_reason(exc))
        finally:
            logger.info("%s", summary_line(run_id, spider.name, reason, stats))
            self._close_store()

    def _finish(self, run_id: int, reason: str, stats: dict[str, Any]) -> None:
        """Fill the run's crawl_runs row."""
        store = store_for(self.crawler)
        counts = {
            "finish_reason": reason,
            "requests": stats.get("downloader/request_count", 0),
            "responses": stats.get("downloader/response_count", 0),
            "articles_new": stats.get("monitor/articles/new", 0),
            "articles_updated": stats.get("monitor/articles/updated", 0),
            "articles_unchanged": stats.get("monitor/articles/unchanged", 0),
            "articles_dropped": stats.get("item_dropped_count", 0),
            "fetch_errors": store.count_fetch_errors(run_id),
        }
        store.finish_run(run_id, counts, stats)

    def _close_store(self) -> None:
        """Close the store, even a broken one."""
        store = getattr(self.crawler, STORE_ATTR, None)
        if store is None:
            return
        delattr(self.crawler, STORE_ATTR)
        try:
            store.close()
        except sqlite3.Error as exc:
            logger.error("store not closed cleanly: %s", failure_reason(exc))
