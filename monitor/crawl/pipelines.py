"""Scrapy item pipelines: thin adapters, one per station."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl.health import record_outcome
from monitor.crawl.runs import (
    failure_reason,
    is_storage_error,
    stop_for_storage_error,
    storage_failed,
    store_for,
)
from monitor.items import Article
from monitor.stations import dedup, extraction, facts, language, relevance
from monitor.stations.extraction import ExtractionError
from monitor.stations.profiles import load_profile
from monitor.store import now_iso

logger = logging.getLogger(__name__)


class StationDrop(DropItem):
    """An expected rejection by one station; `stage` names the station."""

    def __init__(self, stage: str, reason: str, lost: bool = False) -> None:
        """Keep the stage for the fetch_errors row; `lost` marks a failure, not a rejection."""
        super().__init__(reason)
        self.stage = stage
        self.lost = lost


class StationPipeline:
    """Base: keeps the crawler, its settings and its stats; turns a failure into a drop.

    Subclasses implement `process`. Any exception it raises (other than DropItem) drops the
    item as lost, with a fetch_errors row of the station's `stage`; a storage error
    (sqlite3 OperationalError / DatabaseError) also stops the crawl at once.
    """

    stage: ClassVar[str] = "pipeline"

    def __init__(self, crawler: Crawler) -> None:
        """Keep the crawler."""
        self.crawler = crawler
        self.settings = crawler.settings
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        """Build from the crawler."""
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        """Run the station; a failure becomes a StationDrop marked as lost."""
        if storage_failed(self.crawler):
            self.stats.inc_value("monitor/items_lost")
            raise StationDrop("store", "not stored: the crawl stopped after a storage error",
                              lost=True)
        try:
            return self.process(item)
        except DropItem:
            raise
        except Exception as exc:
            raise self._lost(item, exc) from exc

    def process(self, item: Article) -> Article:
        """The station's work (subclasses)."""
        return item

    def _lost(self, item: Article, exc: Exception) -> StationDrop:
        """Count a failed item; on a storage error, stop the crawl."""
        reason = failure_reason(exc)
        logger.debug("%s failed at %s", getattr(item, "url", "?"), self.stage, exc_info=exc)
        if is_storage_error(exc):
            stop_for_storage_error(self.crawler, reason)
            reason = f"storage error: {reason}"
        self.stats.inc_value("monitor/items_lost")
        self.stats.inc_value(f"monitor/items_lost/{self.stage}")
        return StationDrop(self.stage, reason, lost=True)


class ExtractionPipeline(StationPipeline):
    """Body, title, author, date and canonical URL."""

    stage = "extraction"

    def process(self, item: Article) -> Article:
        """Extract, or drop with the reason."""
        try:
            extraction.extract(item, self.settings.getint("MONITOR_MIN_TEXT_CHARS"))
        except ExtractionError as exc:
            raise StationDrop("extraction", str(exc)) from exc
        item.fetched_at = item.fetched_at or now_iso()
        return item


class LanguagePipeline(StationPipeline):
    """Language and route; dates written in words are read in the detected language."""

    stage = "language"

    def process(self, item: Article) -> Article:
        """Detect the language, then date the article from its text if nothing else did."""
        result = language.detect(
            item.text, item.hints.get("language"),
            self.settings.getint("MONITOR_LANGUAGE_MIN_CHARS"),
            self.settings.getfloat("MONITOR_LANGUAGE_MIN_CONFIDENCE"),
        )
        item.language, item.language_confidence = result.language, result.confidence
        item.language_route = result.route
        self.stats.inc_value(f"monitor/language/{result.route}")
        if not item.published:
            languages = [item.language] if result.profile != "neutral" else None
            item.published = extraction.find_text_date(item.text, languages)
            item.date_source = "text" if item.published else None
        return item


class RelevancePipeline(StationPipeline):
    """Topic, score and deciding terms."""

    stage = "relevance"

    def process(self, item: Article) -> Article:
        """Classify through the article's language profile."""
        result = relevance.classify(item.text, item.title, load_profile(item.language))
        item.topic, item.relevance, item.relevance_terms = result.topic, result.score, result.terms
        item.relevant = result.relevant
        self.stats.inc_value(f"monitor/topic/{result.topic}")
        return item


class FactsPipeline(StationPipeline):
    """Operation facts from relevant articles."""

    stage = "facts"

    def process(self, item: Article) -> Article:
        """Read facts through the article's language profile."""
        if item.relevant:
            item.facts = facts.extract_facts(item.text, load_profile(item.language),
                                              item.published, item.title)
        return item


class DedupPipeline(StationPipeline):
    """The cluster an article joins, and why."""

    stage = "dedup"

    def __init__(self, crawler: Crawler) -> None:
        """Read the MONITOR_DEDUP_* settings once."""
        super().__init__(crawler)
        story = self.settings.get("MONITOR_DEDUP_STORY_THRESHOLD")
        self.config = dedup.DedupConfig(
            near_copy_threshold=self.settings.getfloat("MONITOR_DEDUP_NEAR_COPY_THRESHOLD"),
            story_threshold=float(story) if story not in (None, "") else None,
            window_days=self.settings.getint("MONITOR_DEDUP_WINDOW_DAYS"),
        )

    def process(self, item: Article) -> Article:
        """Ask dedup for a decision against the whole store."""
        item.dedup = dedup.decide(store_for(self.crawler), item, self.config)
        if item.dedup.method:
            self.stats.inc_value(f"monitor/dedup/{item.dedup.method}")
        return item


class StorePipeline(StationPipeline):
    """Upsert into SQLite, one transaction per article."""

    stage = "store"

    def process(self, item: Article) -> Article:
        """Store the article with its cluster, matches and facts."""
        result = store_for(self.crawler).save_article(item)
        item.cluster_id = result.cluster_id
        record_outcome(self.crawler, item, result.outcome)
        self.stats.inc_value(f"monitor/articles/{result.outcome}")
        return item
