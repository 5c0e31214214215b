"""`scrapy crawl files -a path=FILE_OR_DIR`: import .txt/.html/.htm files, optionally gzipped."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from monitor.documents import decode_document, list_documents
from monitor.items import Article
from monitor.runs import record_fetch_error

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
        max_bytes = self.settings.getint("MONITOR_MAX_FILE_BYTES")
        for doc in list_documents(Path(self.path).resolve()):
            if doc.stat().st_size > max_bytes:
                record_fetch_error(self.crawler, doc.as_uri(), self.source, "fetch",
                                   f"file larger than {max_bytes} bytes")
                continue
            yield scrapy.Request(doc.as_uri(), callback=self.parse, errback=self.failed,
                                 cb_kwargs={"name": doc.name})

    def parse(self, response: Response, name: str) -> Any:
        """Decode the file into an Article."""
        try:
            decoded = decode_document(response.body, name)
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
