"""Scrapy settings for the news monitor; every MONITOR_* setting is documented here.

Environment variables are read only in this module.
"""

from __future__ import annotations

import os

BOT_NAME = "monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- MONITOR_* settings (each can be overridden with `-s NAME=value` or the environment) ---
#: Path of the SQLite store. Its directory must exist: a missing one is refused with a message,
#: never created, so that a mistyped path cannot start a new store elsewhere.
MONITOR_DB = os.environ.get("MONITOR_DB", "storage/monitor.db")
#: Seconds a write waits for another process's lock on the store before giving up.
MONITOR_DB_BUSY_SECONDS = float(os.environ.get("MONITOR_DB_BUSY_SECONDS", "30"))
#: The sources file read by the feeds, sitemaps and newsrooms spiders.
MONITOR_SOURCES = os.environ.get("MONITOR_SOURCES", "seeds/sources.yml")
#: Shortest text (characters) langdetect is trusted with; shorter falls back to the hint.
MONITOR_LANGUAGE_MIN_CHARS = int(os.environ.get("MONITOR_LANGUAGE_MIN_CHARS", "40"))
#: Lowest langdetect probability accepted; below it the source's hint is used.
MONITOR_LANGUAGE_MIN_CONFIDENCE = float(os.environ.get("MONITOR_LANGUAGE_MIN_CONFIDENCE", "0.80"))
#: Shortest extracted body (characters) that counts as an article.
MONITOR_MIN_TEXT_CHARS = int(os.environ.get("MONITOR_MIN_TEXT_CHARS", "200"))
#: Largest file the `files` spider reads (bytes), on disk and once decompressed; bigger files
#: are recorded as errors.
MONITOR_MAX_FILE_BYTES = int(os.environ.get("MONITOR_MAX_FILE_BYTES", str(20 * 1024 * 1024)))
#: Newest pages per newsroom listing followed before stopping.
MONITOR_NEWSROOM_MAX_PAGES = int(os.environ.get("MONITOR_NEWSROOM_MAX_PAGES", "5"))
#: Contact (URL or e-mail) put into the User-Agent so site owners can reach the operator;
#: a crawl without one logs a warning.
MONITOR_CONTACT = os.environ.get("MONITOR_CONTACT", "")
#: Hours during which an article URL already fetched (stored or dropped) is not fetched again.
#: After it, an article still listed by a changed feed/sitemap/listing is fetched once more
#: and a changed text is updated in place (article_changes). 0 re-fetches every listed article.
MONITOR_RECHECK_HOURS = float(os.environ.get("MONITOR_RECHECK_HOURS", "24"))
#: URL schemes that links found in pages may be followed to (start requests are not filtered).
MONITOR_FOLLOW_SCHEMES = ["http", "https"]
#: Take an exclusive lock on `<MONITOR_DB>.lock` so that a second crawl exits at once.
MONITOR_LOCK = True
#: How many previous runs of a source its new run is compared with.
MONITOR_HEALTH_WINDOW = int(os.environ.get("MONITOR_HEALTH_WINDOW", "5"))
#: Fetch errors from which a source whose errors outnumber its articles is flagged.
MONITOR_HEALTH_MIN_ERRORS = int(os.environ.get("MONITOR_HEALTH_MIN_ERRORS", "3"))
#: Drop in the share of dated articles (0-1) against the usual share that flags a source.
MONITOR_HEALTH_DATE_DROP = float(os.environ.get("MONITOR_HEALTH_DATE_DROP", "0.4"))
#: Dedup: estimated Jaccard of word 3-shingles (MinHash) at which a same-language text is a copy.
MONITOR_DEDUP_NEAR_COPY_THRESHOLD = float(
    os.environ.get("MONITOR_DEDUP_NEAR_COPY_THRESHOLD", "0.5"))
#: Dedup: same-story probability (0-1, the learned story model's) from which a report joins a
#: story; empty: the threshold the model was calibrated with
#: (monitor/stations/dedup/story_model.json).
MONITOR_DEDUP_STORY_THRESHOLD = os.environ.get("MONITOR_DEDUP_STORY_THRESHOLD", "")
#: Dedup: story candidates are published at most this many days apart (undated ones always).
MONITOR_DEDUP_WINDOW_DAYS = int(os.environ.get("MONITOR_DEDUP_WINDOW_DAYS", "30"))

# --- Scaling out (README "Scaling out"; monitor/crawl/scaleout/) ---
#: Redis URL of a shared crawl (redis://host:6379/0). Set: `scrapy crawl feeds|sitemaps|newsrooms`
#: runs as a worker on scrapy-redis and `monitor store-writer` stores what workers queue; empty:
#: the single-process crawl.
MONITOR_REDIS_URL = os.environ.get("MONITOR_REDIS_URL", "")
#: Prefix of every Redis key of the shared crawl (several stores can share one Redis).
MONITOR_REDIS_PREFIX = os.environ.get("MONITOR_REDIS_PREFIX", "monitor")
# The add-on does nothing unless MONITOR_REDIS_URL is set.
ADDONS = {"monitor.crawl.scaleout.worker.ScaleOut": 0}
# --- end of scaling out ---

# `{contact}` is replaced by MONITOR_CONTACT (monitor.crawl.middlewares.ContactUserAgentMiddleware).
USER_AGENT = "news-monitor/0.1 (+{contact})"
ROBOTSTXT_OBEY = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
CONCURRENT_REQUESTS = 16
# Politeness: at most 2 requests at a time per site, AutoThrottle aiming at 1 in flight.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Hostile sites: size caps (also on decompressed bodies: gzip bombs), timeouts, retries, depth.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
DEPTH_LIMIT = 10
MEMUSAGE_LIMIT_MB = 2048
HTTPCACHE_ENABLED = False
LOG_LEVEL = os.environ.get("MONITOR_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
# Log lines name an item's URL, never its repr (bodies can be megabytes); drops are logged once,
# with URL, stage and reason, by monitor.crawl.runs.record_fetch_error.
LOG_FORMATTER = "monitor.crawl.runs.MonitorLogFormatter"
# The run's summary line replaces Scrapy's dump of every stat (kept in crawl_runs.stats).
STATS_DUMP = False

ITEM_PIPELINES = {
    "monitor.crawl.pipelines.ExtractionPipeline": 100,
    "monitor.crawl.pipelines.LanguagePipeline": 200,
    "monitor.crawl.pipelines.RelevancePipeline": 300,
    "monitor.crawl.pipelines.FactsPipeline": 400,
    "monitor.crawl.pipelines.DedupPipeline": 500,
    "monitor.crawl.pipelines.StorePipeline": 600,
}

EXTENSIONS = {
    # first: a second writer stops before anything opens
    "monitor.crawl.lock.CrawlLockExtension": 10,
    "monitor.crawl.lock.JobdirGuard": 20,
    "monitor.crawl.health.CrawlHealth": 90,  # before RunRecorder, which closes the store
    "monitor.crawl.runs.RunRecorder": 100,
}

COMMANDS_MODULE = "monitor.crawl.commands"

SPIDER_MIDDLEWARES = {
    "monitor.crawl.middlewares.IncrementalSpiderMiddleware": 600,
}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "monitor.crawl.middlewares.ContactUserAgentMiddleware": 500,
    "monitor.crawl.middlewares.ConditionalRequestMiddleware": 540,  # inside RetryMiddleware (550)
}
