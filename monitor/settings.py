"""Scrapy settings for the news monitor; every MONITOR_* setting is documented here.

Environment variables are read only in this module.
"""

from __future__ import annotations

import os

BOT_NAME = "monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- MONITOR_* settings (each can be overridden with `-s NAME=value` or the environment) ---
#: Path of the SQLite store.
MONITOR_DB = os.environ.get("MONITOR_DB", "storage/monitor.db")
#: The sources file read by the feeds, sitemaps and newsrooms spiders.
MONITOR_SOURCES = os.environ.get("MONITOR_SOURCES", "seeds/sources.yml")
#: Shortest text (characters) langdetect is trusted with; shorter falls back to the hint.
MONITOR_LANGUAGE_MIN_CHARS = int(os.environ.get("MONITOR_LANGUAGE_MIN_CHARS", "40"))
#: Lowest langdetect probability accepted; below it the source's hint is used.
MONITOR_LANGUAGE_MIN_CONFIDENCE = float(os.environ.get("MONITOR_LANGUAGE_MIN_CONFIDENCE", "0.80"))
#: Shortest extracted body (characters) that counts as an article.
MONITOR_MIN_TEXT_CHARS = int(os.environ.get("MONITOR_MIN_TEXT_CHARS", "200"))
#: Largest file the `files` spider reads (bytes); bigger files are recorded as errors.
MONITOR_MAX_FILE_BYTES = int(os.environ.get("MONITOR_MAX_FILE_BYTES", str(20 * 1024 * 1024)))
#: Newest pages per newsroom listing followed before stopping.
MONITOR_NEWSROOM_MAX_PAGES = int(os.environ.get("MONITOR_NEWSROOM_MAX_PAGES", "5"))
#: Contact (URL or e-mail) put into the User-Agent so site owners can reach the operator.
MONITOR_CONTACT = os.environ.get("MONITOR_CONTACT", "set MONITOR_CONTACT")

USER_AGENT = f"news-monitor/0.1 (+{MONITOR_CONTACT})"
ROBOTSTXT_OBEY = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_TIMES = 2
HTTPCACHE_ENABLED = False
LOG_LEVEL = os.environ.get("MONITOR_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {
    "monitor.pipelines.ExtractionPipeline": 100,
    "monitor.pipelines.LanguagePipeline": 200,
    "monitor.pipelines.RelevancePipeline": 300,
    "monitor.pipelines.FactsPipeline": 400,
    "monitor.pipelines.DedupPipeline": 500,
    "monitor.pipelines.StorePipeline": 600,
}

EXTENSIONS = {
    "monitor.runs.RunRecorder": 100,
}

COMMANDS_MODULE = "monitor.commands"
