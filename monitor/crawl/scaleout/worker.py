"""A crawler worker: the project's spiders on scrapy-redis' shared queue and duplicate filter.

`ScaleOut` (a Scrapy add-on, always listed in ADDONS) does nothing unless MONITOR_REDIS_URL is
set; then it switches the crawl to `SharedScheduler`, replaces the dedup and store stations by
`QueuePipeline`, and the store by `QueueStore`, which turns every write into a message for the
store writer and reads URL checks and validators from the writer's Redis mirrors.

Nothing taken is lost: every request a worker takes from the shared queue is kept in its
in-flight hash until it is finished (its article queued, its errors recorded, its links in the
shared queue); the requests of a worker that died are put back into the queue by the next
worker that notices (at once on the same host, after HEARTBEAT_TTL seconds elsewhere).
CONCURRENT_REQUESTS_PER_DOMAIN holds over all workers (`SharedPolitenessMiddleware`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlsplit

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from monitor.crawl.health import CrawlHealth
from monitor.crawl.pipelines import StationDrop, StationPipeline
from monitor.crawl.runs import RUN_ATTR, STORE_ATTR, failure_reason, stop_for_storage_error
from monitor.crawl.scaleout.queue import (
    HEARTBEAT_EVERY,
    HEARTBEAT_TTL,
    Keys,
    article_payload,
    connect,
    message,
    new_token,
    pack_bytes,
    unpack_bytes,
    worker_alive,
)
from monitor.items import Article
from monitor.stations.urls import url_key

logger = logging.getLogger(__name__)

WORKER_ATTR = "_monitor_worker"
INFLIGHT = "monitor_inflight"  # meta: the in-flight marker of a request taken from the queue
QUEUED = "queued"  # outcome of an article handed to the writer


class QueueWriteError(sqlite3.OperationalError):
    """The worker's store (the writer's queue in Redis) cannot be written.

    A subclass of SQLite's OperationalError so that the crawl treats it as it treats a storage
    error: the crawl stops at once, the items in flight count as lost, the exit status is 1."""


class ScaleOut:
    """Add-on: with MONITOR_REDIS_URL, the crawl becomes a worker of a shared crawl."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Switch scheduler, duplicate filter, stations, extensions and middlewares (at the
        project's priority, which an add-on's own would not override; -s still wins)."""
        url = settings.get("MONITOR_REDIS_URL")
        if not url:
            return
        # scrapy-redis 0.9 still passes `spider` to the stats and calls Spider.log()
        warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning,
                                module="scrapy_redis")
        keys = Keys(settings.get("MONITOR_REDIS_PREFIX") or "monitor")
        for name, value in {
            "SCHEDULER": "monitor.crawl.scaleout.worker.SharedScheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": url,
            "SCHEDULER_PERSIST": True,  # a worker leaving must not clear the others' crawl
            "SCHEDULER_QUEUE_KEY": keys.requests("%(spider)s"),
            "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter("%(spider)s"),
            "MONITOR_LOCK": False,  # the writer holds the store's lock
        }.items():
            settings.set(name, value, priority="project")
        self._components(settings, "ITEM_PIPELINES", {
            "monitor.crawl.pipelines.DedupPipeline": None,
            "monitor.crawl.pipelines.StorePipeline": None,
            "monitor.crawl.scaleout.worker.QueuePipeline": 500})
        self._components(settings, "EXTENSIONS", {
            "monitor.crawl.scaleout.worker.Worker": 5,
            "monitor.crawl.lock.CrawlLockExtension": None,
            "monitor.crawl.lock.JobdirGuard": None, "monitor.crawl.health.CrawlHealth": None,
            "monitor.crawl.scaleout.worker.WorkerHealth": 90})
        self._components(settings, "DOWNLOADER_MIDDLEWARES", {
            "monitor.crawl.scaleout.worker.InflightDownloaderMiddleware": 545,
            # first to see responses:
            "monitor.crawl.scaleout.worker.SharedPolitenessMiddleware": 950})
        self._components(settings, "SPIDER_MIDDLEWARES", {
            "monitor.crawl.scaleout.worker.InflightSpiderMiddleware": 20})

    @staticmethod
    def _components(settings: BaseSettings, name: str, changes: dict[str, int | None]) -> None:
        """Merge `changes` into a component dict setting."""
        current = settings.getdict(name)
        settings.set(name, {**current, **changes}, priority="project")


def worker_for(crawler: Crawler) -> Worker:
    """The crawl's Worker extension."""
    worker = getattr(crawler, WORKER_ATTR, None)
    if worker is None:
        raise NotConfigured("not a worker: MONITOR_REDIS_URL is not set")
    return worker


class Worker:
    """Extension: the worker's Redis client, identity, heartbeat, crew and in-flight requests."""

    def __init__(self, crawler: Crawler) -> None:
        """Connect, make the worker's store, and watch the crawl's signals."""
        self.crawler = crawler
        self.client = connect(crawler.settings.get("MONITOR_REDIS_URL"))
        self.keys = Keys(crawler.settings.get("MONITOR_REDIS_PREFIX") or "monitor")
        self.token = new_token()
        self.spider = ""
        self.queue: Any = None
        self.heartbeat_call = LoopingCall(self.heartbeat)
        setattr(crawler, WORKER_ATTR, self)
        setattr(crawler, STORE_ATTR, QueueStore(self.client, self.keys, self.token))
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Worker:
        """Only with MONITOR_REDIS_URL."""
        if not crawler.settings.get("MONITOR_REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    @property
    def inflight_key(self) -> str:
        """This worker's in-flight hash."""
        return self.keys.inflight(self.spider, self.token)

    def spider_opened(self, spider: Spider) -> None:
        """Renew the heartbeat regularly; follow items to their end (after every other
        extension's handlers, so that their messages are pushed first)."""
        if not self.heartbeat_call.running:
            self.heartbeat_call.start(HEARTBEAT_EVERY)
        for handler, signal in ((self.item_done, signals.item_scraped),
                                (self.item_done, signals.item_dropped),
                                (self.item_done, signals.item_error)):
            self.crawler.signals.connect(handler, signal=signal)

    def heartbeat(self) -> None:
        """Say this worker is alive for HEARTBEAT_TTL more seconds."""
        try:
            self.client.set(self.keys.worker(self.token), json.dumps({"spider": self.spider}),
                            ex=HEARTBEAT_TTL)
        except redis.RedisError as exc:
            logger.error("Redis: heartbeat not renewed: %s", failure_reason(exc))

    def join(self, spider: str, queue: Any) -> None:
        """Take part in the spider's shared crawl; put back the requests of dead workers."""
        self.spider, self.queue = spider, queue
        self.heartbeat()
        self.client.sadd(self.keys.crew(spider), self.token)
        self.recover_dead()
        logger.info("worker %s joined the %s crawl (%d requests queued)", self.token, spider,
                    len(queue))

    def take(self, request: Request) -> None:
        """Keep a request taken from the queue until it is finished."""
        marker = uuid.uuid4().hex
        request.meta[INFLIGHT] = marker
        self.client.hset(self.inflight_key, marker, self.queue._encode_request(request))

    def done(self, marker: str | None) -> None:
        """A request taken from the queue is finished."""
        if marker:
            self.client.hdel(self.inflight_key, marker)

    def item_done(self, item: Any, response: Response | None, *args: Any,
                  **kwargs: Any) -> None:
        """An article's request is finished once the article was queued or dropped."""
        if response is not None and response.request is not None:
            self.done(response.request.meta.get(INFLIGHT))

    def recover_dead(self) -> int:
        """Put the in-flight requests of dead workers back into the queue; how many."""
        crew = self.keys.crew(self.spider)
        recovered = 0
        for raw in self.client.smembers(crew):
            token = raw.decode()
            if token == self.token or worker_alive(self.client, self.keys, token):
                continue
            recovered += self._requeue(self.keys.inflight(self.spider, token))
            self.client.srem(crew, token)
            logger.warning("worker %s is gone: its unfinished requests are back in the queue",
                           token)
        return recovered

    def _requeue(self, inflight: str) -> int:
        """Move every request of an in-flight hash back to the queue (one claimant wins)."""
        claimed = f"{inflight}:claimed:{self.token}"
        try:
            self.client.rename(inflight, claimed)
        except redis.ResponseError:  # no such key: nothing in flight, or claimed by another
            return 0
        requests = self.client.hvals(claimed)
        for data in requests:
            request = self.queue._decode_request(data)
            request.meta.pop(INFLIGHT, None)
            self.queue.push(request)
        self.client.delete(claimed)
        return len(requests)

    def others_busy(self) -> bool:
        """Whether another live worker of the crawl still has requests in flight."""
        for raw in self.client.smembers(self.keys.crew(self.spider)):
            token = raw.decode()
            if token != self.token and self.client.hlen(self.keys.inflight(self.spider, token)):
                return True
        return False

    def spider_idle(self, spider: Spider) -> None:
        """Stay while the shared crawl may still bring requests: the queue is not empty, or
        another worker is still working on requests (whose links may come)."""
        self.recover_dead()
        if len(self.queue) or self.others_busy():
            raise DontCloseSpider

    def leave(self, reason: str) -> None:
        """Leave the crawl: unfinished requests go back to the queue (a finished crawl has
        none); the last worker of a finished crawl clears its duplicate filter."""
        if reason == "finished":
            self.client.delete(self.inflight_key)
        else:
            self._requeue(self.inflight_key)
        self.recover_dead()
        crew = self.keys.crew(self.spider)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.srem(crew, self.token).smembers(crew)
            others = pipe.execute()[1]
        if not others and not len(self.queue):
            self.client.delete(self.keys.dupefilter(self.spider))
            logger.info("the shared %s crawl is complete: its duplicate filter is cleared",
                        self.spider)

    def engine_stopped(self) -> None:
        """Stop the heartbeat and remove it."""
        if self.heartbeat_call.running:
            self.heartbeat_call.stop()
        try:
            self.client.delete(self.keys.worker(self.token))
        except redis.RedisError as exc:
            logger.error("Redis: heartbeat not removed: %s", failure_reason(exc))


class SharedScheduler(Scheduler):
    """scrapy-redis' scheduler, keeping each taken request in the worker's in-flight hash."""

    worker: Worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        """scrapy-redis' scheduler with the crawl's worker."""
        scheduler = super().from_crawler(crawler)
        scheduler.worker = worker_for(crawler)
        return scheduler

    def open(self, spider: Spider) -> None:
        """Open the shared queue and join the crawl."""
        super().open(spider)
        self.worker.join(spider.name, self.queue)

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request; one made from a taken request (a retry, a redirect) finishes it."""
        marker = request.meta.get(INFLIGHT)
        queued = super().enqueue_request(request)
        self.worker.done(marker)
        return queued

    def next_request(self) -> Request | None:
        """The next request of the shared queue, kept in flight."""
        request = super().next_request()
        if request is not None:
            self.worker.take(request)
        return request

    def close(self, reason: str) -> None:
        """Leave the shared crawl."""
        super().close(reason)
        self.worker.leave(reason)


class InflightDownloaderMiddleware:
    """A request that finally failed (after retries) or was refused (robots.txt) is finished."""

    def __init__(self, crawler: Crawler) -> None:
        """Keep the worker."""
        self.worker = worker_for(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InflightDownloaderMiddleware:
        """Build from the crawler."""
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Finish the request; the spider's errback records the error."""
        self.worker.done(request.meta.get(INFLIGHT))


# Take a slot of a host's shared semaphore: drop expired holders, add this one if there is
# room. KEYS[1] the host's sorted set; ARGV: member, now, expiry, limit.
ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], 600000)
  return 1
end
return 0
"""
SLOT = "monitor_host_slot"  # meta: the member holding a slot of the host's semaphore
SLOT_WAIT = 0.05  # seconds between attempts to take a slot


class SharedPolitenessMiddleware:
    """At most CONCURRENT_REQUESTS_PER_DOMAIN requests in flight to one host over all the
    workers of a crawl (a semaphore per host in Redis; a slot of a dead worker expires after
    DOWNLOAD_TIMEOUT + 10 s)."""

    def __init__(self, crawler: Crawler) -> None:
        """Keep the worker, the limit and the slots' lifetime."""
        self.worker = worker_for(crawler)
        self.limit = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or 1
        self.lifetime = crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 10
        self.acquire = self.worker.client.register_script(ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        """Build from the crawler."""
        return cls(crawler)

    def key(self, request: Request) -> str:
        """The host's semaphore."""
        return self.worker.keys.host(urlsplit(request.url).hostname or "?")

    async def process_request(self, request: Request) -> None:
        """Wait for a slot of the request's host."""
        member = uuid.uuid4().hex
        while True:
            now = time.time()
            if self.acquire(keys=[self.key(request)],
                            args=[member, now, now + self.lifetime, self.limit]):
                request.meta[SLOT] = member
                return None
            await asyncio.sleep(SLOT_WAIT)

    def release(self, request: Request) -> None:
        """Give the request's slot back."""
        member = request.meta.pop(SLOT, None)
        if member:
            self.worker.client.zrem(self.key(request), member)

    def process_response(self, request: Request, response: Response) -> Response:
        """The download is over."""
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """The download failed (or was refused)."""
        self.release(request)


class InflightSpiderMiddleware(BaseSpiderMiddleware):
    """A response whose callback yielded no article is finished once its output (its links,
    now in the shared queue) has been consumed; an article's, once the article is handled."""

    def __init__(self, crawler: Crawler) -> None:
        """Keep the worker."""
        super().__init__(crawler)
        self.worker = worker_for(crawler)

    def process_spider_output(self, response: Response | None, result: Iterable[Any],
                              spider: Spider | None = None) -> Iterable[Any]:
        """Pass the output through; finish a response that yielded no article."""
        articles = 0
        for o in result:
            articles += isinstance(o, Article)
            yield o
        self._finished(response, articles)

    async def process_spider_output_async(self, response: Response | None,
                                          result: AsyncIterator[Any],
                                          spider: Spider | None = None) -> AsyncIterator[Any]:
        """Async twin of process_spider_output."""
        articles = 0
        async for o in result:
            articles += isinstance(o, Article)
            yield o
        self._finished(response, articles)

    def _finished(self, response: Response | None, articles: int) -> None:
        """Finish the response's request unless an article is still on its way."""
        if response is not None and not articles and response.request is not None:
            self.worker.done(response.request.meta.get(INFLIGHT))


class QueuePipeline(StationPipeline):
    """The worker's last station: the analysed article goes to the store writer's queue."""

    stage = "queue"

    def process(self, item: Article) -> Article:
        """Queue the article for dedup and the store (the writer's)."""
        run = getattr(self.crawler, RUN_ATTR, None)
        try:
            self.crawler_store().push(message("article", run, article=article_payload(item)))
        except QueueWriteError as exc:
            stop_for_storage_error(self.crawler, failure_reason(exc))
            self.stats.inc_value("monitor/items_lost")
            raise StationDrop("queue", f"not queued: {failure_reason(exc)}", lost=True) from exc
        self.stats.inc_value(f"monitor/articles/{QUEUED}")
        return item

    def crawler_store(self) -> QueueStore:
        """The worker's store."""
        return getattr(self.crawler, STORE_ATTR)


class WorkerHealth(CrawlHealth):
    """CrawlHealth in a worker: counts go to the writer, which adds the articles' outcomes and
    writes the source rows (it alone reads earlier runs)."""

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        """An article reaching the end of the worker's stations was queued."""
        if isinstance(item, Article):
            self.health.expected[id(item)] = QUEUED
        super().item_scraped(item, response, spider)

    def _mark(self, item: Article, response: Response | None, outcome: str) -> None:
        """A queued article's own URL is marked by the writer with its outcome; the URLs that
        redirected to it are marked here."""
        if outcome != QUEUED:
            super()._mark(item, response, outcome)
        elif response is not None and response.meta.get("monitor_kind") == "article":
            urls = {response.url, *response.meta.get("redirect_urls", [])} - {item.url}
            if urls:
                self.crawler_store().mark_checked(urls, "article", item.source, "redirect")

    def crawler_store(self) -> QueueStore:
        """The worker's store."""
        return getattr(self.crawler, STORE_ATTR)

    def _close(self, spider: Spider, reason: str) -> None:
        """Queue the validators of a finished crawl and the run's counts per source."""
        from monitor.crawl.middlewares import state_for

        store = self.crawler_store()
        if reason == "finished":
            store.save_validators(state_for(self.crawler).validators_to_commit())
        run = getattr(self.crawler, RUN_ATTR, None)
        if run is None:
            return
        assert self.crawler.stats is not None
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()
                 if k.startswith("monitor/incremental/")}
        sources = {name: counts_payload(c) for name, c in self.health.merged().items()}
        store.push(message("health", run, spider=spider.name, sources=sources, stats=stats))


def counts_payload(counts: Any) -> dict[str, Any]:
    """A SourceCounts as JSON-ready fields."""
    return {"requests": counts.requests, "statuses": dict(counts.statuses),
            "outcomes": dict(counts.outcomes), "dropped": dict(counts.dropped),
            "dated": counts.dated, "languaged": counts.languaged}


class QueueStore:
    """The store as a worker sees it: writes become messages for the writer; URL checks and
    validators are read from the writer's mirrors in Redis."""

    def __init__(self, client: redis.Redis, keys: Keys, token: str) -> None:
        """Keep the client, the keys and the worker's token (its run's identity)."""
        self.client, self.keys, self.token = client, keys, token
        self.errors = 0

    def push(self, data: bytes) -> None:
        """Append one message to the writer's queue; QueueWriteError when Redis fails."""
        try:
            self.client.lpush(self.keys.items, data)
        except redis.RedisError as exc:
            raise QueueWriteError(f"Redis: {failure_reason(exc)}") from exc

    def start_run(self, spider: str, args: dict[str, Any]) -> str:
        """Queue the run's start; its id is the worker's token."""
        self.push(message("start_run", self.token, spider=spider, args=args))
        return self.token

    def finish_run(self, run_id: str, counts: dict[str, Any], stats: dict[str, Any]) -> None:
        """Queue the run's end with the worker's counts and stats."""
        self.push(message("finish_run", run_id, counts=counts, stats=stats))

    def record_fetch_error(self, run_id: str | None, url: str, source: str | None, stage: str,
                           reason: str) -> None:
        """Queue a fetch_errors row."""
        self.push(message("fetch_error", run_id, url=url, source=source, stage=stage,
                          reason=reason))
        self.errors += 1

    def count_fetch_errors(self, run_id: str) -> int:
        """Fetch errors this worker queued (the writer counts the stored rows)."""
        return self.errors

    def mark_checked(self, urls: Iterable[str], kind: str, source: str | None,
                     outcome: str) -> None:
        """Queue URL checks."""
        self.push(message("mark_checked", self.token, urls=sorted(set(urls)), kind=kind,
                          source=source, outcome=outcome))

    def save_validators(self, rows: Iterable[dict[str, Any]]) -> int:
        """Queue listing validators (bodies as base64)."""
        batch = [{**row, "body": pack_bytes(row.get("body"))} for row in rows]
        if batch:
            self.push(message("validators", self.token, rows=batch))
        return len(batch)

    def recently_checked(self, url: str, since: str) -> bool:
        """Whether the page was processed at or after `since` (the writer's mirror)."""
        at = self.client.hget(self.keys.checked, url_key(url))
        return at is not None and at.decode() >= since

    def validators(self, url: str) -> dict[str, Any] | None:
        """A listing's committed validators with its body (the writer's mirror)."""
        raw = self.client.hget(self.keys.validators, url)
        if raw is None:
            return None
        row = json.loads(raw)
        row["body"] = unpack_bytes(row.get("body"))
        return row

    def close(self) -> None:
        """Nothing to close: the client belongs to the worker."""
