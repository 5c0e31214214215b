"""A real redis-server on a free 127.0.0.1 port, started and stopped by the tests.

Without `redis-server` the tests that need it are skipped, unless MONITOR_REQUIRE_REDIS=1
(set by .ci/run): then they fail, so that a CI without Redis never passes silently.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str:
    """The redis-server executable, or skip (fail when MONITOR_REQUIRE_REDIS is set)."""
    exe = shutil.which("redis-server")
    if exe is None:
        message = "redis-server is not installed (Debian: apt-get install redis-server)"
        if os.environ.get("MONITOR_REQUIRE_REDIS"):
            pytest.fail(f"MONITOR_REQUIRE_REDIS is set but {message}")
        pytest.skip(message)
    return exe


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Run redis-server (no persistence) in `directory`; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
