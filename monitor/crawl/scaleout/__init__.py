"""Scaling out: crawler workers on scrapy-redis, one store writer.

With `MONITOR_REDIS_URL` set, `scrapy crawl feeds|sitemaps|newsrooms` runs as a worker: the
request queue and the duplicate filter live in Redis (scrapy-redis), the stations that need no
store run in the worker, and what the store must record (analysed articles, fetch errors, URL
checks, validators, run rows and source health) goes to one durable Redis list as messages.
`monitor store-writer` takes the messages one at a time with the reliable-queue pattern and
applies each in one SQLite transaction (dedup and the store for an article). Workers never
open the store: what they read from it (URL checks, listing validators) the writer mirrors
into Redis.
"""

from __future__ import annotations

from monitor.crawl.scaleout.queue import Keys, RedisUnavailable, connect

__all__ = ["Keys", "RedisUnavailable", "connect"]
