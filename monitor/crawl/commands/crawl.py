"""`scrapy crawl`, checking the spider's arguments and sources before the crawl starts.

After the crawl, a run that lost items, hit a storage error or got no successful response
ends with exit status 1 and a one-line reason on stderr (`monitor.crawl.runs.run_failure`).
"""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from monitor.crawl.lock import CrawlLocked, check_unlocked
from monitor.crawl.runs import run_failure
from monitor.store import Store, StoreError, check_store_path

FAILED = 1  # exit status of a crawl that ran but failed (2 is Scrapy's usage error)
UNREACHABLE = 1  # exit status of a worker whose Redis cannot be reached
# Scrapy's start-up inventory (versions, settings, every middleware) and periodic counters:
# useful when debugging, noise in a cron mail; the run's summary line says what happened.
STARTUP_LOGGERS = ("scrapy.utils.log", "scrapy.addons", "scrapy.middleware", "scrapy.crawler",
                   "scrapy.extensions.logstats", "scrapy.extensions.memusage",
                   "scrapy.core.engine")


def warnings_only(record: logging.LogRecord) -> bool:
    """Let warnings and errors through."""
    return record.levelno >= logging.WARNING


class Command(ScrapyCrawl):
    """Scrapy's crawl command; a bad argument or source is a usage error, not a traceback."""

    crawler: Crawler | None = None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Scrapy's options; below DEBUG its start-up inventory is not logged (a filter: the
        logging configuration Scrapy installs next resets the levels of its loggers)."""
        super().process_options(args, opts)
        if self.settings.get("LOG_LEVEL") != "DEBUG":
            for name in STARTUP_LOGGERS:
                logging.getLogger(name).addFilter(warnings_only)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Validate the arguments, the store and its lock, crawl, then judge the run."""
        if len(args) == 1 and self.crawler_process is not None:
            self._check_arguments(self._spider_class(args[0]), opts)
        if self.settings.get("MONITOR_REDIS_URL"):  # a worker: Redis instead of the store
            problem = self._redis_problem()
            if problem:
                print(f"scrapy crawl {args[0] if args else ''}: {problem}", file=sys.stderr)
                self.exitcode = UNREACHABLE
                return
            super().run(args, opts)
            self._judge(args[0])
            return
        try:
            check_store_path(self.settings.get("MONITOR_DB"))
            if self.settings.getbool("MONITOR_LOCK", True):
                check_unlocked(self.settings.get("MONITOR_DB"))
            self._check_store()
        except (CrawlLocked, StoreError) as exc:
            raise UsageError(str(exc), print_help=False) from exc
        super().run(args, opts)
        self._judge(args[0])

    def _redis_problem(self) -> str | None:
        """Why a worker of a shared crawl cannot reach its Redis (one line), or None."""
        from monitor.crawl.scaleout import RedisUnavailable, connect

        try:
            connect(self.settings.get("MONITOR_REDIS_URL")).close()
        except RedisUnavailable as exc:
            return str(exc)
        return None

    def _check_store(self) -> None:
        """Open the store (creating the file, migrating it) and check that it can be written."""
        busy = self.settings.getfloat("MONITOR_DB_BUSY_SECONDS", 30.0)
        store = Store(self.settings.get("MONITOR_DB"), busy)
        try:
            store.check_writable(busy)
        finally:
            store.close()

    def _spider_class(self, name: str) -> type[Spider]:
        """The spider called `name`, or a usage error listing the available ones."""
        assert self.crawler_process is not None
        loader = self.crawler_process.spider_loader
        try:
            return loader.load(name)
        except KeyError:
            available = ", ".join(sorted(loader.list()))
            raise UsageError(f"no spider named {name!r}; available spiders: {available}",
                             print_help=False) from None

    def _check_arguments(self, spidercls: type[Spider], opts: argparse.Namespace) -> None:
        """The spider's own argument check, as a usage error."""
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(self.settings, **opts.spargs)
            except ValueError as exc:
                raise UsageError(str(exc), print_help=False) from exc

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        """Scrapy's crawler, kept for the verdict after the run."""
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def _judge(self, name: str) -> None:
        """Exit status 1 and a one-line reason on stderr when the run failed."""
        stats = self.crawler.stats if self.crawler is not None else None
        reason = run_failure(stats.get_stats()) if stats is not None else None
        if reason and not self.exitcode:
            print(f"scrapy crawl {name}: FAILED: {reason}", file=sys.stderr)
            self.exitcode = FAILED
