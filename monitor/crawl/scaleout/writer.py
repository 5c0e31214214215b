"""The store writer of a shared crawl: applies the workers' messages to SQLite, one at a time.

Reliable queue: a message is moved atomically (BLMOVE) from the queue to a processing list,
applied in one transaction that also records its receipt, and only then removed (LREM). A
writer that dies leaves at most the message it was applying in the processing list; the next
writer applies it again, and the receipt makes the second application a no-op. Dedup and the
store run here and nowhere else, so every article is decided against the whole store.
"""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from monitor.crawl.health import HealthLimits, SourceCounts, save_health
from monitor.crawl.runs import failure_reason, is_storage_error
from monitor.crawl.scaleout.queue import (
    Keys,
    article_from,
    connect,
    pack_bytes,
    unpack_bytes,
    worker_alive,
)
from monitor.stations import dedup
from monitor.stations.urls import url_key
from monitor.store import Store

logger = logging.getLogger(__name__)

RECEIPT_DAYS = 7  # receipts older than this are pruned when a writer starts
IDLE_CHECK_SECONDS = 10  # how often an idle writer looks for runs of dead workers
PROGRESS_SECONDS = 30  # how often a busy writer logs its progress
MIRROR_CHUNK = 1000
DRAIN_WAIT_SECONDS = 30  # with --drain, how long to wait for a first worker or message


class WriterStopped(RuntimeError):
    """The writer cannot go on (Redis lost, storage error); the message is one line."""


class StoreWriter:
    """Applies messages from the workers' queue to the store."""

    def __init__(self, store: Store, client: redis.Redis, keys: Keys,
                 config: dedup.DedupConfig, limits: HealthLimits) -> None:
        """Keep the store, the client, dedup's configuration and the health limits."""
        self.store, self.client, self.keys = store, client, keys
        self.config, self.limits = config, limits
        self.runs: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.item_seconds = 0.0
        self.article_seconds = 0.0
        self.stopping = False
        self.last_idle_check = 0.0
        self.ops: dict[str, Callable[[dict[str, Any], int | None], None]] = {
            "start_run": self.start_run, "finish_run": self.finish_run,
            "fetch_error": self.fetch_error, "mark_checked": self.mark_checked,
            "validators": self.validators, "article": self.article, "health": self.health,
        }

    # ----- the loop -----

    def recover(self) -> int:
        """Apply again what a dead writer left in the processing list; how many messages."""
        left = self.client.lrange(self.keys.processing, 0, -1)
        for raw in reversed(left):  # oldest first
            self.handle(raw)
        if left:
            logger.warning("recovered %d message(s) left by a writer that did not stop cleanly",
                           len(left))
        return len(left)

    def step(self, timeout: float) -> bool:
        """Take and apply one message; False when none came within `timeout` seconds."""
        raw = self.client.blmove(self.keys.items, self.keys.processing, timeout, "RIGHT", "LEFT")
        if raw is None:
            return False
        self.handle(raw)
        return True

    def handle(self, raw: bytes) -> None:
        """Apply one message and acknowledge it; a message that cannot be applied (a bug, a
        malformed message) goes to the failed list; a storage error stops the writer with the
        message left in the processing list."""
        started, op = time.perf_counter(), None
        try:
            message = json.loads(raw)
            op = message.get("op")
            self.apply(message)
        except sqlite3.Error as exc:
            if is_storage_error(exc):
                raise WriterStopped(f"storage error: {failure_reason(exc)}") from exc
            self.fail(raw, exc)
        except Exception as exc:  # noqa: BLE001 - any other failure is this message's alone
            self.fail(raw, exc)
        else:
            self.mirror(message)
        self.client.lrem(self.keys.processing, 1, raw)
        took = time.perf_counter() - started
        self.item_seconds += took
        if op == "article":
            self.article_seconds += took

    def apply(self, message: dict[str, Any]) -> None:
        """Apply a message and record its receipt in one transaction (once per message id)."""
        op = self.ops.get(message.get("op", ""))
        if op is None:
            raise ValueError(f"unknown operation {message.get('op')!r}")
        with self.store.db.atomic():
            if self.store.has_receipt(message["id"]):
                self.counts["replayed"] += 1
                return
            op(message, self.run_id(message.get("run")))
            self.store.add_receipt(message["id"])
        self.counts[message["op"]] += 1

    def fail(self, raw: bytes, exc: BaseException) -> None:
        """Keep a message that cannot be applied in the failed list, and say so."""
        reason = failure_reason(exc)
        self.client.lpush(self.keys.failed, json.dumps({"reason": reason,
                                                        "message": raw.decode("utf-8", "replace")}))
        self.counts["failed"] += 1
        logger.error("message not applied (kept in %s): %s", self.keys.failed, reason)

    def run_id(self, token: str | None) -> int | None:
        """The crawl_runs id of a worker's run."""
        if not token:
            return None
        if token not in self.runs:
            found = self.store.worker_run_id(token)
            if found is None:
                return None
            self.runs[token] = found
        return self.runs[token]

    # ----- operations (inside the message's transaction) -----

    def start_run(self, message: dict[str, Any], run_id: int | None) -> None:
        """A worker's run begins: its crawl_runs row."""
        token = message["run"]
        self.runs[token] = self.store.start_run(message["spider"],
                                                {**message.get("args", {}), "worker_run": token})

    def finish_run(self, message: dict[str, Any], run_id: int | None) -> None:
        """A worker's run ended: its counts, with the articles' outcomes the writer saw."""
        if run_id is None:
            return
        counts = {**message["counts"], **self.outcome_totals(run_id),
                  "fetch_errors": self.store.count_fetch_errors(run_id)}
        self.store.finish_run(run_id, counts, message.get("stats", {}))

    def outcome_totals(self, run_id: int) -> dict[str, int]:
        """articles_new / _updated / _unchanged of a worker run."""
        total: Counter[str] = Counter()
        for counts in self.store.run_outcomes(run_id).values():
            total.update(counts)
        return {f"articles_{k}": total[k] for k in ("new", "updated", "unchanged")}

    def fetch_error(self, message: dict[str, Any], run_id: int | None) -> None:
        """A fetch_errors row."""
        self.store.record_fetch_error(run_id, message["url"], message.get("source"),
                                      message["stage"], message["reason"])

    def mark_checked(self, message: dict[str, Any], run_id: int | None) -> None:
        """URL checks (the re-check window)."""
        self.store.mark_checked(message["urls"], message["kind"], message.get("source"),
                                message["outcome"])

    def validators(self, message: dict[str, Any], run_id: int | None) -> None:
        """Listing validators of a worker's finished run."""
        self.store.save_validators([{**row, "body": unpack_bytes(row.get("body"))}
                                    for row in message["rows"]])

    def article(self, message: dict[str, Any], run_id: int | None) -> None:
        """Dedup and store one article; mark its URL as checked; count its outcome."""
        article = article_from(message["article"])
        article.dedup = dedup.decide(self.store, article, self.config)
        result = self.store.save_article(article)
        self.store.mark_checked([article.url], "article", article.source, result.outcome)
        self.store.count_run_outcome(run_id, article.source, result.outcome)
        self.counts[f"articles_{result.outcome}"] += 1

    def health(self, message: dict[str, Any], run_id: int | None) -> None:
        """A worker run's source rows, with the outcomes the writer counted."""
        if run_id is None:
            return
        outcomes = self.store.run_outcomes(run_id)
        sources = {name: source_counts(data, outcomes.get(name, Counter()))
                   for name, data in message["sources"].items()}
        save_health(self.store, run_id, message["spider"], sources, message.get("stats", {}),
                    self.limits)

    # ----- mirrors (what workers read) -----

    def mirror(self, message: dict[str, Any]) -> None:
        """Copy what the message changed that workers read (URL checks, validators)."""
        op = message.get("op")
        if op == "article":
            self.mirror_checked([message["article"]["url"]])
        elif op == "mark_checked":
            self.mirror_checked(message["urls"])
        elif op == "validators":
            for row in message["rows"]:
                stored = self.store.validators(row["url"])
                if stored:
                    self.client.hset(self.keys.validators, row["url"], validators_json(stored))

    def mirror_checked(self, urls: list[str]) -> None:
        """Mirror when these pages were last processed."""
        found = self.store.last_checked(sorted({url_key(u) for u in urls}))
        if found:
            self.client.hset(self.keys.checked, mapping=found)

    def rebuild_mirrors(self) -> int:
        """Copy every URL check and validator of the store into Redis; how many entries."""
        count = 0
        batch: dict[str, str] = {}
        for key, at in self.store.all_checked():
            batch[key] = at
            if len(batch) >= MIRROR_CHUNK:
                self.client.hset(self.keys.checked, mapping=batch)
                count, batch = count + len(batch), {}
        if batch:
            self.client.hset(self.keys.checked, mapping=batch)
            count += len(batch)
        for row in self.store.all_validators():
            self.client.hset(self.keys.validators, row["url"], validators_json(row))
            count += 1
        return count

    # ----- runs of dead workers -----

    def close_dead_runs(self) -> int:
        """Mark the runs of workers that died (no heartbeat) as killed; how many."""
        closed = 0
        for run_id, token in self.store.open_worker_runs():
            if worker_alive(self.client, self.keys, token):
                continue
            counts = {"finish_reason": "killed", **self.outcome_totals(run_id),
                      "fetch_errors": self.store.count_fetch_errors(run_id)}
            self.store.finish_run(run_id, counts, {})
            logger.warning("run %d of worker %s never finished (worker gone): marked killed",
                           run_id, token)
            closed += 1
        return closed

    def idle(self) -> None:
        """Housekeeping while the queue is empty."""
        now = time.monotonic()
        if now - self.last_idle_check >= IDLE_CHECK_SECONDS:
            self.last_idle_check = now
            self.close_dead_runs()

    def depth(self) -> int:
        """Messages waiting in the queue."""
        return int(self.client.llen(self.keys.items))

    def summary(self) -> str:
        """What this writer did, on one line."""
        c = self.counts
        applied = sum(v for k, v in c.items() if k in self.ops)
        per_item = self.item_seconds / applied * 1000 if applied else 0.0
        articles = c["article"]
        per_article = self.article_seconds / articles * 1000 if articles else 0.0
        return (f"{applied} message(s) applied: articles {c['articles_new']} new, "
                f"{c['articles_updated']} updated, {c['articles_unchanged']} unchanged; "
                f"fetch errors {c['fetch_error']}, runs {c['start_run']} started / "
                f"{c['finish_run']} finished; {c['replayed']} replayed, {c['failed']} failed; "
                f"{per_item:.1f} ms per message, {per_article:.1f} ms per article")


def source_counts(data: dict[str, Any], outcomes: Counter[str]) -> SourceCounts:
    """A worker's counts of one source, with the outcomes the writer counted."""
    return SourceCounts(requests=data["requests"],
                        statuses=Counter({int(k): v for k, v in data["statuses"].items()}),
                        outcomes=Counter(outcomes), dropped=Counter(data["dropped"]),
                        dated=data["dated"], languaged=data["languaged"])


def validators_json(row: dict[str, Any]) -> str:
    """A validators row as the mirror keeps it (body as base64)."""
    return json.dumps({"etag": row.get("etag"), "last_modified": row.get("last_modified"),
                       "content_type": row.get("content_type"),
                       "body": pack_bytes(row.get("body"))})


def marker_path(db: str | Path) -> Path:
    """The file that says a writer is running on this store (left behind if it was killed)."""
    return Path(f"{Path(db).resolve()}.writer")


def start(writer: StoreWriter, db: str | Path) -> None:
    """Repair what a killed writer left, rebuild the mirrors, prune old receipts."""
    marker = marker_path(db)
    if marker.exists():
        wrong = writer.store.repair_dedup_stats()
        logger.warning("the last writer did not stop cleanly: dedup statistics recomputed "
                       "(wrong: %s)", ", ".join(f"{n} {k}" for k, n in wrong.items()) or "none")
    marker.write_text("store writer running\n")
    writer.recover()
    before = (datetime.now(UTC) - timedelta(days=RECEIPT_DAYS)).isoformat(timespec="seconds")
    writer.store.prune_receipts(before)
    logger.info("mirrored %d URL checks and validators into Redis", writer.rebuild_mirrors())


def run(writer: StoreWriter, db: str | Path, drain: bool) -> None:
    """Apply messages until stopped (SIGINT/SIGTERM) or, with `drain`, until the queue is
    empty and no worker is alive; the current message is always finished first."""
    from monitor.crawl.scaleout.queue import live_workers

    def stop(signum: int, frame: Any) -> None:
        writer.stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    try:
        start(writer, db)
        loop(writer, drain, live_workers)
        writer.close_dead_runs()
    except redis.RedisError as exc:
        raise WriterStopped(f"Redis: {failure_reason(exc)}") from exc
    writer.store.close()
    marker_path(db).unlink(missing_ok=True)


def loop(writer: StoreWriter, drain: bool, live_workers: Callable[..., list[str]]) -> None:
    """Take and apply messages, logging progress, until told to stop."""
    started = last_log = time.monotonic()
    done_at_log, seen = 0, False
    while not writer.stopping:
        took = writer.step(timeout=1)
        seen = seen or took
        if not took:
            writer.idle()
            if drain and not writer.depth():
                alive = bool(live_workers(writer.client, writer.keys))
                seen = seen or alive
                if not alive and (seen or time.monotonic() - started > DRAIN_WAIT_SECONDS):
                    break
        if time.monotonic() - last_log >= PROGRESS_SECONDS:
            done = sum(writer.counts.values())
            logger.info("writer: %d message(s) applied (%.1f/s), %d waiting", done,
                        (done - done_at_log) / (time.monotonic() - last_log), writer.depth())
            last_log, done_at_log = time.monotonic(), done


def open_writer(db: str | Path, redis_url: str, prefix: str) -> tuple[StoreWriter, Any]:
    """The writer of the store at `db` with its lock held; RedisUnavailable, CrawlLocked or
    StoreError (one line) when Redis cannot be reached or the store cannot be written."""
    from monitor import settings
    from monitor.crawl.lock import StoreLock
    from monitor.store import check_store_path

    client = connect(redis_url)
    check_store_path(db)
    lock = StoreLock(db)
    lock.acquire()
    try:
        store = Store(db, settings.MONITOR_DB_BUSY_SECONDS)
    except BaseException:
        lock.release()
        raise
    story = settings.MONITOR_DEDUP_STORY_THRESHOLD
    config = dedup.DedupConfig(
        near_copy_threshold=settings.MONITOR_DEDUP_NEAR_COPY_THRESHOLD,
        story_threshold=float(story) if story not in (None, "") else None,
        window_days=settings.MONITOR_DEDUP_WINDOW_DAYS)
    limits = HealthLimits(settings.MONITOR_HEALTH_WINDOW, settings.MONITOR_HEALTH_MIN_ERRORS,
                          settings.MONITOR_HEALTH_DATE_DROP)
    return StoreWriter(store, client, Keys(prefix), config, limits), lock
