"""`scrapy crawl`, checking the spider's arguments and sources before the crawl starts."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from monitor.lock import CrawlLocked, check_unlocked


class Command(ScrapyCrawl):
    """Scrapy's crawl command; a bad argument or source is a usage error, not a traceback."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Validate the arguments and the store's lock, then crawl as Scrapy does."""
        if len(args) == 1 and self.crawler_process is not None:
            spidercls = self.crawler_process.spider_loader.load(args[0])
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                try:
                    check(self.settings, **opts.spargs)
                except ValueError as exc:
                    raise UsageError(str(exc), print_help=False) from exc
        if self.settings.getbool("MONITOR_LOCK", True):
            try:
                check_unlocked(self.settings.get("MONITOR_DB"))
            except CrawlLocked as exc:
                raise UsageError(str(exc), print_help=False) from exc
        super().run(args, opts)
