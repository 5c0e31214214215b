"""Run history and source health: per-source counts per run, compared with earlier runs.

`CrawlHealth` (extension) counts requests, responses by status and articles by outcome for
each source, writes one `source_runs` row per source and the run's health columns in
`crawl_runs`, flags collapsing sources, and commits listing validators of finished crawls.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from monitor.crawl.middlewares import PARENT, source_of, state_for
from monitor.crawl.runs import (
    RUN_ATTR,
    failure_reason,
    is_storage_error,
    record_fetch_error,
    stop_for_storage_error,
    store_for,
)
from monitor.items import Article

logger = logging.getLogger(__name__)

HEALTH_ATTR = "_monitor_health"
NUMBER = re.compile(r"\d+")
# Health columns of crawl_runs taken from the whole run's counts (RunRecorder fills the rest).
RUN_COLUMNS = ("responses_by_status", "items", "dropped_by_reason", "share_date",
               "share_language", "share_body")


@dataclass
class SourceCounts:
    """What one source did in one run."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # new / updated / unchanged
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> count
    dated: int = 0
    languaged: int = 0

    def add(self, other: SourceCounts) -> None:
        """Add another source's counters to these."""
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.outcomes.update(other.outcomes)
        self.dropped.update(other.dropped)
        self.dated += other.dated
        self.languaged += other.languaged


class RunHealth:
    """Per-crawl counters shared by the extension and the pipeline."""

    def __init__(self) -> None:
        """Empty counters."""
        self.sources: dict[str, SourceCounts] = defaultdict(SourceCounts)
        self.hosts: dict[str, str] = {}  # host -> source, learned from items
        self.expected: dict[int, str] = {}  # id(item) -> outcome the store reported

    def learn(self, url: str, source: str) -> None:
        """Remember that pages of `url`'s host belong to `source` (the first one seen)."""
        host = urlsplit(url).hostname
        if host and host != source:
            self.hosts.setdefault(host, source)

    def merged(self) -> dict[str, SourceCounts]:
        """Counters with host-only keys folded into the source learned for that host."""
        out: dict[str, SourceCounts] = defaultdict(SourceCounts)
        for key, counts in self.sources.items():
            out[self.hosts.get(key, key)].add(counts)
        return out

    def total(self) -> SourceCounts:
        """The counters of all sources together."""
        total = SourceCounts()
        for counts in self.sources.values():
            total.add(counts)
        return total


def health_for(crawler: Crawler) -> RunHealth:
    """The crawler's RunHealth, created on first use."""
    health = getattr(crawler, HEALTH_ATTR, None)
    if health is None:
        health = RunHealth()
        setattr(crawler, HEALTH_ATTR, health)
    return health


def drop_reason(exception: BaseException) -> str:
    """A drop's reason with numbers blanked, so that equal reasons count together."""
    stage = getattr(exception, "stage", type(exception).__name__)
    return f"{stage}: {NUMBER.sub('N', str(exception))[:80]}"


def record_outcome(crawler: Crawler, item: Article, outcome: str) -> None:
    """Note what storing `item` did, for the item_scraped count of its source."""
    health_for(crawler).expected[id(item)] = outcome


def share(part: int, whole: int) -> float | None:
    """part / whole rounded, or None when there is nothing to share."""
    return round(part / whole, 3) if whole else None


def source_row(source: str, counts: SourceCounts, stats: dict[str, Any],
               errors: int) -> dict[str, Any]:
    """The source_runs row of one source."""
    scraped = sum(counts.outcomes.values())
    no_body = sum(n for reason, n in counts.dropped.items() if reason.startswith("extraction"))
    return {
        "source": source, "requests": counts.requests,
        "responses": sum(counts.statuses.values()),
        "responses_by_status": json.dumps(dict(sorted(counts.statuses.items()))),
        "not_modified": stats.get(f"monitor/incremental/not_modified/{source}", 0),
        "skipped_fresh": stats.get(f"monitor/incremental/skipped_fresh/{source}", 0),
        "items": scraped + sum(counts.dropped.values()),
        "articles_new": counts.outcomes["new"], "articles_updated": counts.outcomes["updated"],
        "articles_unchanged": counts.outcomes["unchanged"],
        "articles_dropped": sum(counts.dropped.values()),
        "dropped_by_reason": json.dumps(dict(counts.dropped.most_common()), ensure_ascii=False),
        "fetch_errors": errors,
        "share_date": share(counts.dated, scraped),
        "share_language": share(counts.languaged, scraped),
        "share_body": share(scraped, scraped + no_body),
    }


def flag(row: dict[str, Any], previous: list[dict[str, Any]], min_errors: int = 3,
         date_drop: float = 0.4) -> tuple[list[str], str]:
    """Collapse flags of a source's run row against its previous rows, and a comparison note."""
    flags = []
    if not row["items"] and not row["not_modified"] and not row["skipped_fresh"]:
        flags.append("no_items")
    successes = (row["articles_new"] + row["articles_updated"] + row["articles_unchanged"]
                 + row["not_modified"] + row["skipped_fresh"])
    if row["fetch_errors"] >= min_errors and row["fetch_errors"] > successes:
        flags.append("mostly_errors")
    usual = [p["share_date"] for p in previous if p.get("share_date") is not None]
    usual_date = sum(usual) / len(usual) if usual else None
    if (row["share_date"] is not None and usual_date is not None
            and row["articles_new"] + row["articles_updated"] + row["articles_unchanged"] >= 3
            and row["share_date"] <= usual_date - date_drop):
        flags.append("dates_missing")
    note = "first run" if not previous else (
        f"items {row['items']} (before: {', '.join(str(p['items']) for p in previous)})"
        + (f"; dated {row['share_date']:.0%} (usually {usual_date:.0%})"
           if row["share_date"] is not None and usual_date is not None else ""))
    return flags, note


class CrawlHealth:
    """Extension: per-source health rows, collapse flags and the validators' commit."""

    def __init__(self, crawler: Crawler) -> None:
        """Connect to the crawl's signals (before RunRecorder, which closes the store)."""
        self.crawler = crawler
        self.health = health_for(crawler)
        self.window = crawler.settings.getint("MONITOR_HEALTH_WINDOW")
        self.min_errors = crawler.settings.getint("MONITOR_HEALTH_MIN_ERRORS")
        self.date_drop = crawler.settings.getfloat("MONITOR_HEALTH_DATE_DROP")
        for handler, signal in (
            (self.request_reached, signals.request_reached_downloader),
            (self.response_received, signals.response_received),
            (self.item_scraped, signals.item_scraped),
            (self.item_dropped, signals.item_dropped),
            (self.request_dropped, signals.request_dropped),
            (self.spider_closed, signals.spider_closed),
        ):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealth:
        """Build from the crawler."""
        return cls(crawler)

    def request_reached(self, request: Request, spider: Spider) -> None:
        """Count a request sent to the downloader (robots.txt counts for its host's source)."""
        source = source_of(request, spider)
        self.health.sources[source].requests += 1
        self.health.learn(request.url, source)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect back to a URL already requested is a loop: record it as a fetch error."""
        chain = request.meta.get("redirect_urls")
        if chain:
            record_fetch_error(self.crawler, chain[0], source_of(request, spider), "fetch",
                               f"redirect loop: {' -> '.join([*chain, request.url])}")

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Count a response by status."""
        self.health.sources[source_of(request, spider)].statuses[response.status] += 1

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        """Count a stored article; mark an article URL as checked."""
        if not isinstance(item, Article):
            return
        outcome = self.health.expected.pop(id(item), "unchanged")
        counts = self.health.sources[item.source]
        counts.outcomes[outcome] += 1
        counts.dated += bool(item.published)
        counts.languaged += item.language not in ("und", "", None)
        self.health.learn(item.url, item.source)
        self._mark(item, response, outcome)

    def item_dropped(self, item: Any, response: Response | None, exception: BaseException,
                     spider: Spider) -> None:
        """Count a dropped article by reason; mark its URL as checked."""
        if not isinstance(item, Article):
            return
        self.health.expected.pop(id(item), None)
        self.health.sources[item.source].dropped[drop_reason(exception)] += 1
        self.health.learn(item.url, item.source)
        if getattr(exception, "lost", False):
            self._lost(response)
        else:
            self._mark(item, response, "dropped")

    def _lost(self, response: Response | None) -> None:
        """A lost article is not marked as checked, and its listing stays uncommitted."""
        parent = response.meta.get(PARENT) if response is not None else None
        if parent:
            state_for(self.crawler).failed_parents.add(parent)

    def _mark(self, item: Article, response: Response | None, outcome: str) -> None:
        """Record that an article's URLs (with redirects) were processed, for re-checks."""
        if response is not None and response.meta.get("monitor_kind") == "article":
            urls = [item.url, response.url, *response.meta.get("redirect_urls", [])]
            store_for(self.crawler).mark_checked(urls, "article", item.source, outcome)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the health rows; a storage error here is logged, not raised."""
        try:
            self._close(spider, reason)
        except sqlite3.Error as exc:
            if not is_storage_error(exc):
                raise
            stop_for_storage_error(self.crawler, failure_reason(exc))
            logger.error("run health not recorded: %s", failure_reason(exc))

    def _close(self, spider: Spider, reason: str) -> None:
        """Commit validators of a finished crawl; write health rows; warn about collapses."""
        store = store_for(self.crawler)
        if reason == "finished":
            saved = store.save_validators(state_for(self.crawler).validators_to_commit())
            logger.debug("committed validators of %d listings", saved)
        run_id = getattr(self.crawler, RUN_ATTR, None)
        if run_id is None:
            return
        assert self.crawler.stats is not None
        flags = save_health(store, run_id, spider.name, self.health.merged(),
                            self.crawler.stats.get_stats(),
                            HealthLimits(self.window, self.min_errors, self.date_drop))
        self.crawler.stats.set_value("monitor/health/flags", flags)


@dataclass(frozen=True)
class HealthLimits:
    """The MONITOR_HEALTH_* settings."""

    window: int = 5
    min_errors: int = 3
    date_drop: float = 0.4


def save_health(store: Any, run_id: int, spider: str, sources: dict[str, SourceCounts],
                stats: dict[str, Any], limits: HealthLimits) -> str:
    """Write a run's per-source rows and health columns, warn about collapsed sources, and
    return the run's flags (used by the crawl and by the store writer of a scaled-out crawl)."""
    errors = store.fetch_errors_by_source(run_id)
    rows = []
    for source, counts in sorted(sources.items()):
        row = source_row(source, counts, stats, errors.pop(source, 0))
        flags, note = flag(row, store.previous_source_runs(source, run_id, limits.window),
                           limits.min_errors, limits.date_drop)
        rows.append({**row, "spider": spider, "flags": ",".join(flags), "notes": note})
        if flags:
            logger.warning("source %s looks broken in run %s: %s (%s)", source, run_id,
                           ", ".join(flags), note)
    rows += [_orphan_errors(source, n, spider) for source, n in errors.items()]
    total = SourceCounts()
    for counts in sources.values():
        total.add(counts)
    summary = source_row("*", total, {}, sum(r["fetch_errors"] for r in rows))
    flags = " ".join(f"{r['source']}:{r['flags']}" for r in rows if r["flags"])
    store.save_run_health(run_id, {
        **{k: summary[k] for k in RUN_COLUMNS},
        "not_modified": stats.get("monitor/incremental/not_modified", 0),
        "skipped_fresh": stats.get("monitor/incremental/skipped_fresh", 0),
        "flags": flags,
    }, rows)
    return flags


def _orphan_errors(source: str | None, errors: int, spider: str) -> dict[str, Any]:
    """A row for a source that only produced fetch errors."""
    empty = source_row(source or "?", SourceCounts(), {}, errors)
    flags, note = flag(empty, [])
    return {**empty, "spider": spider, "flags": ",".join(flags), "notes": note}



# ----- reports (`monitor stats`) -----

TABLE = (("source", 22, "source"), ("req", 5, "requests"), ("resp", 5, "responses"),
         ("304", 4, "not_modified"), ("fresh", 6, "skipped_fresh"), ("new", 5, "articles_new"),
         ("upd", 4, "articles_updated"), ("same", 5, "articles_unchanged"),
         ("drop", 5, "articles_dropped"), ("err", 5, "fetch_errors"), ("date", 5, "share_date"),
         ("lang", 5, "share_language"), ("body", 5, "share_body"), ("flags", 0, "flags"))


def _cell(value: Any, column: str, width: int) -> str:
    """One table cell: shares as percentages, missing values as '-'."""
    if value is None or value == "":
        text = "-"
    elif column.startswith("share_"):
        text = f"{value:.0%}"
    else:
        text = str(value)
    return text.ljust(width) if column in ("source", "flags") else text.rjust(width)


def format_table(rows: list[dict[str, Any]]) -> list[str]:
    """Per-source rows as an aligned table."""
    lines = [" ".join(h.ljust(w) if c == "source" else h.rjust(w) for h, w, c in TABLE)]
    for row in rows:
        lines.append(" ".join(_cell(row.get(c), c, w) for _, w, c in TABLE).rstrip())
    return lines


def format_run(store: Any, run: dict[str, Any]) -> str:
    """A run's header, its per-source table, its flags and drop reasons."""
    statuses = ", ".join(f"{k}: {v}" for k, v in json.loads(run.get("responses_by_status")
                                                           or "{}").items())
    lines = [f"Run #{run['id']} {run['spider']}  {run['started_at']} -> "
             f"{run.get('finished_at') or 'never finished'} ({run.get('finish_reason') or '-'})",
             f"  requests {run.get('requests') or 0}, responses {run.get('responses') or 0} "
             f"({statuses or 'none'}); fetch errors {run.get('fetch_errors') or 0}",
             f"  articles new {run.get('articles_new') or 0}, updated "
             f"{run.get('articles_updated') or 0}, unchanged {run.get('articles_unchanged') or 0}"
             f", dropped {run.get('articles_dropped') or 0}; skipped as fresh "
             f"{run.get('skipped_fresh') or 0}, listings not modified "
             f"{run.get('not_modified') or 0}",
             ""]
    sources = store.source_runs(run["id"])
    lines += format_table(sources) if sources else ["  (no per-source rows)"]
    for row in sources:
        if row.get("flags"):
            lines.append(f"! {row['source']}: {row['flags']} - {row.get('notes') or ''}")
    for reason, n in json.loads(run.get("dropped_by_reason") or "{}").items():
        lines.append(f"  dropped {n} x {reason}")
    return "\n".join(lines)


def format_history(store: Any, source: str, limit: int) -> str:
    """The newest rows of one source, one line per run."""
    rows = store.source_history(source, limit)
    if not rows:
        return f"no runs of source {source!r}"
    table = format_table([{**r, "source": f"#{r['run_id']} {r['started_at'][:16]}"}
                          for r in rows])
    return "\n".join([f"Source {source}: last {len(rows)} runs, newest first", *table])


def format_runs(runs: list[dict[str, Any]]) -> str:
    """One line per run."""
    lines = ["Recent runs:"]
    for run in runs:
        lines.append(f"  #{run['id']} {run['spider']:<10} {run['started_at'][:19]} "
                     f"{run.get('finish_reason') or 'running?':<9} "
                     f"new {run.get('articles_new') or 0}"
                     f", updated {run.get('articles_updated') or 0}, errors "
                     f"{run.get('fetch_errors') or 0}  {run.get('flags') or ''}".rstrip())
    return "\n".join(lines)
