"""Redis keys, the connection, the messages and worker liveness shared by workers and writer."""

from __future__ import annotations

import base64
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis

from monitor.items import Article
from monitor.store import now_iso

# Seconds a worker's heartbeat key lives; it is renewed every HEARTBEAT_EVERY seconds.
HEARTBEAT_TTL = 30
HEARTBEAT_EVERY = 10
CONNECT_TIMEOUT = 5
# Article fields that do not travel: the raw page (the stations are done with it) and dedup's
# decision (taken by the writer).
LOCAL_FIELDS = ("body", "dedup")


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached or refused the command; the message is one line."""


def safe_url(url: str) -> str:
    """The Redis URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str) -> redis.Redis:
    """A client for `url`, checked with PING; RedisUnavailable (one line) when unreachable."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT,
                                      socket_timeout=60, health_check_interval=30)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {safe_url(url)}: "
                               f"{' '.join(str(exc).split())}") from exc
    return client


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one monitor (several monitors can share a Redis with other prefixes)."""

    prefix: str = "monitor"

    @property
    def items(self) -> str:
        """The durable list of messages for the store writer (workers LPUSH, writer takes RIGHT)."""
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:
        """The message the writer has taken but not yet acknowledged."""
        return f"{self.prefix}:items:processing"

    @property
    def failed(self) -> str:
        """Messages the writer could not apply (a bug or a malformed message), kept for a look."""
        return f"{self.prefix}:items:failed"

    @property
    def checked(self) -> str:
        """Hash url_key -> when the page was last processed (the writer's mirror of the store)."""
        return f"{self.prefix}:checked"

    @property
    def validators(self) -> str:
        """Hash listing URL -> its committed validators and body (mirror of the store)."""
        return f"{self.prefix}:validators"

    def worker(self, token: str) -> str:
        """A worker's heartbeat key (expires when the worker stops renewing it)."""
        return f"{self.prefix}:worker:{token}"

    def worker_pattern(self) -> str:
        """Pattern of every heartbeat key."""
        return f"{self.prefix}:worker:*"

    def host(self, host: str) -> str:
        """The sorted set of requests in flight to one host, over all workers."""
        return f"{self.prefix}:host:{host}"

    def requests(self, spider: str) -> str:
        """The shared request queue of a spider (scrapy-redis' priority queue)."""
        return f"{self.prefix}:{spider}:requests"

    def dupefilter(self, spider: str) -> str:
        """The shared set of request fingerprints of a spider's current crawl."""
        return f"{self.prefix}:{spider}:dupefilter"

    def crew(self, spider: str) -> str:
        """The set of worker tokens taking part in a spider's crawl."""
        return f"{self.prefix}:{spider}:workers"

    def inflight(self, spider: str, token: str) -> str:
        """Hash fingerprint -> request a worker has taken from the queue and not yet finished."""
        return f"{self.prefix}:{spider}:inflight:{token}"


def new_token() -> str:
    """A worker's identity: host, process id and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_alive(client: redis.Redis, keys: Keys, token: str) -> bool:
    """Whether a worker still runs: its heartbeat has not expired and, on this host, its
    process exists (a SIGKILLed worker on this host is known dead at once)."""
    if not client.exists(keys.worker(token)):
        return False
    host, _, rest = token.partition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def live_workers(client: redis.Redis, keys: Keys) -> list[str]:
    """Tokens of every worker alive now."""
    prefix = len(keys.worker(""))
    tokens = [k.decode()[prefix:] for k in client.scan_iter(match=keys.worker_pattern())]
    return [t for t in tokens if worker_alive(client, keys, t)]


# ----- messages -----

def message(op: str, run: str | None, **payload: Any) -> bytes:
    """One message for the writer: an id (its receipt), the operation, the worker's run."""
    return json.dumps({"id": uuid.uuid4().hex, "op": op, "run": run, "at": now_iso(),
                       **payload}, ensure_ascii=False, default=str).encode("utf-8")


def article_payload(article: Article) -> dict[str, Any]:
    """An analysed Article as JSON-ready fields (without the raw page)."""
    data = asdict(article) if article.dedup is None else {
        f.name: getattr(article, f.name) for f in fields(article)}
    for name in LOCAL_FIELDS:
        data.pop(name, None)
    return data


def article_from(payload: dict[str, Any]) -> Article:
    """The Article a message carries."""
    known = {f.name for f in fields(Article)}
    return Article(**{k: v for k, v in payload.items() if k in known})


def pack_bytes(value: bytes | None) -> str | None:
    """Bytes as base64 text for JSON."""
    return None if value is None else base64.b64encode(value).decode("ascii")


def unpack_bytes(value: str | None) -> bytes | None:
    """Base64 text back to bytes."""
    return None if value is None else base64.b64decode(value)
