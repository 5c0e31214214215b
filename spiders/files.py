"""`scrapy crawl files -a path=FILE_OR_DIR`: import .txt/.html/.htm files, optionally gzipped.

The spider stays inside the folder it was given: a symlink whose real path leaves it, a named
pipe, a device or a kernel file (/proc, /sys, /dev) is recorded as a fetch error and skipped,
and MONITOR_MAX_FILE_BYTES bounds a file both on disk and once decompressed (gzip bombs).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from monitor.crawl.runs import record_fetch_error
from monitor.items import Article
from monitor.stations.documents import decode_document, file_problem, scan_documents

logger = logging.getLogger(__name__)


class FilesSpider(scrapy.Spider):
    """Reads documents from a file or a directory tree; each article's url is its file:// URI."""

    name = "files"
    arg_names = ("path", "source")
    # One file at a time, so that the same files always reach dedup in the same order.
    custom_settings = {"ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False,
                       "CONCURRENT_REQUESTS": 1}

    def __init__(self, path: str | None = None, source: str = "files", **kwargs: Any) -> None:
        """Keep the path to import and the source name to store."""
        super().__init__(**kwargs)
        self.path = path
        self.source = source

    @classmethod
    def check_arguments(cls, settings: BaseSettings, path: str | None = None,
                        **_: Any) -> None:
        """Refuse a missing or absent path before the crawl starts."""
        if not path:
            raise ValueError("files: give the documents with -a path=FILE_OR_DIR")
        if not Path(path).exists():
            raise ValueError(f"files: path not found: {path}")

    async def start(self) -> AsyncIterator[Any]:
        """One request per document below the path."""
        self.check_arguments(self.settings, self.path)
        assert self.path is not None
        root = Path(self.path).resolve()
        folder = root if root.is_dir() else root.parent
        for doc, problem in scan_documents(root):
            # Checked again just before the request: the folder may change while we crawl.
            problem = problem or file_problem(doc, folder) or self.too_large(doc)
            if problem:
                record_fetch_error(self.crawler, doc.as_uri(), self.source, "fetch", problem)
                continue
            yield scrapy.Request(doc.as_uri(), callback=self.parse, errback=self.failed,
                                 cb_kwargs={"name": doc.name})

    def too_large(self, path: Path) -> str | None:
        """Why a file is too large to read, or None."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            return f"cannot read: {exc.strerror or exc}"
        return f"file larger than {self.max_bytes} bytes" if size > self.max_bytes else None

    @property
    def max_bytes(self) -> int:
        """MONITOR_MAX_FILE_BYTES: the largest file read, on disk and decompressed."""
        return self.settings.getint("MONITOR_MAX_FILE_BYTES")

    def parse(self, response: Response, name: str) -> Any:
        """Decode the file into an Article."""
        try:
            if len(response.body) > self.max_bytes:  # grew after it was checked
                raise ValueError(f"file larger than {self.max_bytes} bytes")
            decoded = decode_document(response.body, name, limit=self.max_bytes)
        except ValueError as exc:
            record_fetch_error(self.crawler, response.url, self.source, "decode", str(exc))
            return
        if not decoded.declared and decoded.body.strip():
            record_fetch_error(self.crawler, response.url, self.source, "decode",
                               f"no declared charset: decoded as {decoded.encoding}")
        yield Article(url=response.url, source=self.source, body=decoded.body,
                      content_type=decoded.content_type)

    def failed(self, failure: Failure) -> None:
        """Record a file that could not be read."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        record_fetch_error(self.crawler, url, self.source, "fetch", failure.getErrorMessage())
