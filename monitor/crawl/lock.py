"""One writer per store: exclusive locks held for a whole crawl on `<real path>.lock` (the
store's path with symlinks resolved) and on the database file itself (its inode), so that a
symlink or a hard link to the same store cannot run a second crawl."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import IO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.crawl.runs import store_for
from monitor.store import check_store_path, now_iso

logger = logging.getLogger(__name__)


class CrawlLocked(RuntimeError):
    """Another crawl is writing to the same store."""


def lock_path(db: str | Path) -> Path:
    """The lock file next to the database's real path (symlinks resolved)."""
    return Path(f"{Path(db).resolve()}.lock")


# Descriptors of database files opened for their flock and unlocked since, by (device, inode).
# They are never closed: closing any descriptor of a file drops the POSIX locks this process's
# SQLite connections hold on it. An unlocked one is reused by the next lock of the same file.
_IDLE_FILES: dict[tuple[int, int], list[int]] = {}


def _database_file(db: Path) -> tuple[tuple[int, int], int]:
    """(identity, descriptor) of the database file, created empty if missing (an empty file
    is an empty SQLite database); an idle descriptor of the same file is reused."""
    if not db.exists():
        os.close(os.open(db, os.O_RDONLY | os.O_CREAT, 0o644))  # no connection has it yet
    stat = os.stat(db)
    identity = (stat.st_dev, stat.st_ino)
    idle = _IDLE_FILES.get(identity)
    return identity, idle.pop() if idle else os.open(db, os.O_RDONLY)


class StoreLock:
    """An flock on `<db>.lock`; the kernel releases it when the process dies, even by SIGKILL."""

    def __init__(self, db: str | Path) -> None:
        """Remember the store and its lock file; nothing is locked yet."""
        self.db = Path(db)
        self.path = lock_path(db)
        self.handle: IO[str] | None = None
        self.file: tuple[tuple[int, int], int] | None = None

    def acquire(self) -> None:
        """Take both locks or raise CrawlLocked naming the holder (the directory must exist)."""
        handle = open(self.path, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise self._locked(holder) from None
        try:
            self._lock_database_file()
        except CrawlLocked:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {now_iso()}")
        handle.flush()
        self.handle = handle

    def _lock_database_file(self) -> None:
        """flock the database file itself: a crawl through a hard link (another path, the same
        inode) holds it too."""
        identity, fd = _database_file(self.db)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _IDLE_FILES.setdefault(identity, []).append(fd)
            raise self._locked("a crawl through another name of the same file, such as a "
                               "hard link") from None
        self.file = (identity, fd)

    def _locked(self, holder: str) -> CrawlLocked:
        """The error naming the store, its real path when it differs, and the holder."""
        real = self.path.with_suffix("")
        name = f"{self.db}" + (f" (really {real})" if real != self.db.absolute() else "")
        return CrawlLocked(f"another crawl is already writing to {name} ({holder}); this run "
                           f"exits without crawling. Lock file: {self.path}")

    def release(self) -> None:
        """Drop both locks (the files stay, so that no one races on deleting them)."""
        if self.file is not None:
            identity, fd = self.file
            fcntl.flock(fd, fcntl.LOCK_UN)
            _IDLE_FILES.setdefault(identity, []).append(fd)
            self.file = None
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def holder(self) -> str | None:
        """Who holds the lock now, or None when it is free."""
        try:
            self.acquire()
        except CrawlLocked as exc:
            return str(exc)
        self.release()
        return None


class CrawlLockExtension:
    """Extension: takes the store's lock before the engine starts; refuses a second writer."""

    def __init__(self, crawler: Crawler, lock: StoreLock) -> None:
        """Keep the held lock and release it when the engine stops."""
        self.lock = lock
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlLockExtension:
        """Acquire the lock, or raise CrawlLocked so that nothing is opened or written."""
        if not crawler.settings.getbool("MONITOR_LOCK"):
            raise NotConfigured("MONITOR_LOCK is off")
        check_store_path(crawler.settings.get("MONITOR_DB"))
        lock = StoreLock(crawler.settings.get("MONITOR_DB"))
        try:
            lock.acquire()
        except CrawlLocked as exc:
            logger.error("%s", exc)
            raise
        dead = store_for(crawler).close_dead_runs()
        if dead:
            logger.warning("%d earlier run(s) never finished (killed); marked as such", dead)
        return cls(crawler, lock)

    def engine_stopped(self) -> None:
        """Release the lock."""
        self.lock.release()


def check_unlocked(db: str | Path) -> None:
    """Raise CrawlLocked if a crawl holds the store's lock (for commands, before crawling)."""
    message = StoreLock(db).holder()
    if message:
        raise CrawlLocked(message)


MARKER = "monitor.running"


class JobdirGuard:
    """Extension: a JOBDIR left by a killed crawl has an unreliable queue; start it afresh.

    Scrapy saves the JOBDIR queue's state only on a clean stop, so after SIGKILL (or a crash)
    the queue and the seen-requests file disagree. The guard detects this with a marker file
    and removes both; the crawl restarts from its start requests, and the re-check window
    (MONITOR_RECHECK_HOURS) skips every article already stored, so no work is lost or redone.
    """

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        """Mark the JOBDIR as in use until the engine stops."""
        self.marker = jobdir / MARKER
        if self.marker.exists():
            self.reset(jobdir)
        jobdir.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(f"pid {os.getpid()}, started {now_iso()}")
        self.jobdir, self.reason = jobdir, ""
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobdirGuard:
        """Only with a JOBDIR."""
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured  # silently: most crawls have no JOBDIR
        return cls(crawler, Path(jobdir))

    @staticmethod
    def reset(jobdir: Path) -> None:
        """Remove the queue and the seen-requests file of a killed crawl."""
        logger.warning("JOBDIR %s was left by a crawl that did not stop cleanly; its queue is "
                       "dropped and the crawl restarts (stored articles are skipped)", jobdir)
        shutil.rmtree(jobdir / "requests.queue", ignore_errors=True)
        (jobdir / "requests.seen").unlink(missing_ok=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Remember why the crawl closed."""
        self.reason = reason

    def engine_stopped(self) -> None:
        """A clean stop keeps the saved queue for a resume; a finished job is cleared.

        Clearing lets cron reuse the same JOBDIR: without it, the next run would find every
        start request in requests.seen and crawl nothing.
        """
        if self.reason == "finished":
            shutil.rmtree(self.jobdir / "requests.queue", ignore_errors=True)
            (self.jobdir / "requests.seen").unlink(missing_ok=True)
            logger.info("crawl finished: JOBDIR %s cleared for the next run", self.jobdir)
        self.marker.unlink(missing_ok=True)
