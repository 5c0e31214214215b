"""A station that fails on purpose, for `scrapy crawl` subprocess tests of lost items.

Enabled with `-s ITEM_PIPELINES=...` (see test_crawl_failures.py); FAILING_STATION names the
failure: "crash" (RuntimeError) or "disk" (sqlite3.OperationalError, as a full disk gives),
for articles whose URL contains FAILING_STATION_URL (every article when empty).
"""

from __future__ import annotations

import os
import sqlite3

from monitor.crawl.pipelines import StationPipeline
from monitor.items import Article


class FailingStation(StationPipeline):
    """Raises the configured failure for matching articles."""

    stage = "failing"

    def process(self, item: Article) -> Article:
        """Fail, or pass the item on."""
        if os.environ.get("FAILING_STATION_URL", "") not in item.url:
            return item
        if os.environ.get("FAILING_STATION") == "disk":
            raise sqlite3.OperationalError("database or disk is full")
        raise RuntimeError("station crashed on purpose")
