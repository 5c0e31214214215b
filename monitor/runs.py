"""Run bookkeeping: one crawl_runs row per crawl, one fetch_errors row per failure."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from monitor.store import Store

logger = logging.getLogger(__name__)

STORE_ATTR = "_monitor_store"
RUN_ATTR = "_monitor_run_id"


def store_for(crawler: Crawler) -> Store:
    """The crawler's store, opened once from MONITOR_DB and shared by its components."""
    store = getattr(crawler, STORE_ATTR, None)
    if store is None:
        store = Store(crawler.settings.get("MONITOR_DB"))
        setattr(crawler, STORE_ATTR, store)
    return store


def record_fetch_error(crawler: Crawler, url: str, source: str | None, stage: str,
                       reason: str) -> None:
    """Write a fetch_errors row for the current run and count it in the stats."""
    store_for(crawler).record_fetch_error(getattr(crawler, RUN_ATTR, None), url, source,
                                          stage, reason)
    assert crawler.stats is not None
    crawler.stats.inc_value("monitor/fetch_errors")
    crawler.stats.inc_value(f"monitor/fetch_errors/{stage}")
    logger.warning("%s failed at %s: %s", url, stage, reason)


class RunRecorder:
    """Extension: opens a crawl_runs row at start, records drops, fills the row at the end."""

    def __init__(self, crawler: Crawler) -> None:
        """Connect to the crawler's signals."""
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
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
        record_fetch_error(self.crawler, getattr(item, "url", "?"),
                           getattr(item, "source", None), stage, str(exception))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Fill the run's row from the crawl's stats, log the summary, close the store."""
        store = store_for(self.crawler)
        run_id = getattr(self.crawler, RUN_ATTR)
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
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
        logger.info("run %s finished (%s): %s", run_id, reason, counts)
        store.close()
        delattr(self.crawler, STORE_ATTR)
