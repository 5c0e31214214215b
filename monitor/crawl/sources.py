"""Loads and validates seeds/sources.yml: the feeds, sitemaps and newsrooms a crawl reads.

A bad entry raises `SourceError` (a ValueError) naming the file, the entry (index and name)
and the field, so that `scrapy crawl` stops with a usage error before the crawl starts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from cssselect import SelectorError
from lxml.etree import XPathError
from parsel import Selector

logger = logging.getLogger(__name__)

KINDS = ("feed", "sitemap", "newsroom")
COMMON_FIELDS = ("name", "kind", "url", "language", "allowed_domains")
NEWSROOM_FIELDS = ("link_selector", "next_selector", "date_selector", "item_selector",
                   "max_pages")
REQUIRED_NEWSROOM = ("link_selector", "next_selector")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$", re.IGNORECASE)
HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
                      r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
XPATH_START = ("/", "./", "(")
_PROBE = Selector(text="<html><body><a href='x'>x</a></body></html>")


class SourceError(ValueError):
    """A sources file or entry that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Source:
    """One place to crawl: a feed, a sitemap or a newsroom listing."""

    name: str
    kind: str
    url: str
    language: str | None
    allowed_domains: tuple[str, ...]
    link_selector: str | None = None
    next_selector: str | None = None
    date_selector: str | None = None
    item_selector: str | None = None
    max_pages: int | None = None

    def allows(self, url: str) -> bool:
        """Whether `url`'s host is one of the allowed domains or a subdomain of one."""
        return host_allowed(urlsplit(url).hostname or "", self.allowed_domains)


def host_allowed(host: str, domains: tuple[str, ...] | list[str]) -> bool:
    """Scrapy's offsite rule: the host is a domain of the list or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def is_xpath(selector: str) -> bool:
    """Selectors starting with /, ./ or ( are XPath; the others CSS."""
    return selector.lstrip().startswith(XPATH_START)


def load_sources(path: str | Path, kind: str | None = None) -> list[Source]:
    """All entries of the sources file at `path` (only those of `kind` if given), validated."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: sources file not found (setting MONITOR_SOURCES)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not valid YAML: {exc}") from exc
    return parse_sources(text, str(path), kind)


def parse_sources(text: str, origin: str, kind: str | None = None) -> list[Source]:
    """The entries of a sources file's text (only those of `kind` if given), validated."""
    entries = _read_entries(text, origin)
    sources = [parse_entry(entry, origin, index) for index, entry in enumerate(entries, 1)]
    _check_unique_names(sources, origin)
    return [s for s in sources if kind is None or s.kind == kind]


def _read_entries(text: str, path: str) -> list[Any]:
    """The list of entries under the text's top-level `sources:` key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or "sources" not in data:
        raise SourceError(f"{path}: expected a top-level 'sources:' list of entries")
    entries = data["sources"]
    if not isinstance(entries, list) or not entries:
        raise SourceError(f"{path}: 'sources' must be a non-empty list of entries")
    return entries


def _check_unique_names(sources: list[Source], origin: str) -> None:
    """Refuse two entries with the same name (the name is stored with every article)."""
    seen: dict[str, int] = {}
    for index, source in enumerate(sources, 1):
        if source.name in seen:
            raise SourceError(f"{origin}: entry {index} ({source.name}): field 'name': "
                              f"duplicate of entry {seen[source.name]}")
        seen[source.name] = index


def parse_entry(entry: Any, origin: str, index: int, require_language: bool = True) -> Source:
    """Validate one entry (a mapping) and build its Source."""
    label = entry.get("name") if isinstance(entry, dict) else None
    where = f"{origin}: entry {index} ({label if isinstance(label, str) else 'unnamed'})"
    if not isinstance(entry, dict):
        raise SourceError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")

    def fail(field: str, problem: str) -> SourceError:
        return SourceError(f"{where}: field '{field}': {problem}")

    _check_fields(entry, fail)
    name = _text(entry, "name", fail)
    kind = _text(entry, "kind", fail)
    if kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    url = _url(entry, fail)
    language = _language(entry, fail, require_language)
    domains = _domains(entry, url, fail)
    extra = _newsroom_fields(entry, kind, fail)
    return Source(name=name, kind=kind, url=url, language=language, allowed_domains=domains,
                  **extra)


def _check_fields(entry: dict[str, Any], fail: Any) -> None:
    """Refuse unknown fields (usually typos)."""
    for key in entry:
        if key not in COMMON_FIELDS + NEWSROOM_FIELDS:
            known = ", ".join(COMMON_FIELDS + NEWSROOM_FIELDS)
            raise fail(str(key), f"unknown field (known: {known})")


def _text(entry: dict[str, Any], field: str, fail: Any) -> str:
    """A required non-empty string field."""
    value = entry.get(field)
    if value is None:
        raise fail(field, "missing")
    if not isinstance(value, str) or not value.strip():
        raise fail(field, f"must be a non-empty string, not {value!r}")
    return value.strip()


def _url(entry: dict[str, Any], fail: Any) -> str:
    """The entry's absolute http(s) URL."""
    url = _text(entry, "url", fail)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail("url", f"must be an absolute http(s) URL, not {url!r}")
    return url


def _language(entry: dict[str, Any], fail: Any, required: bool) -> str | None:
    """The language hint: an ISO 639 code such as en, es, fr, pt-BR; stored lower-case."""
    if entry.get("language") is None and not required:
        return None
    language = _text(entry, "language", fail)
    if not LANGUAGE.match(language):
        raise fail("language", f"must be an ISO 639-1 code such as en or pt-br, not {language!r}")
    return language.lower()


def _domains(entry: dict[str, Any], url: str, fail: Any) -> tuple[str, ...]:
    """Allowed domains: bare host names that cover the entry's own URL (default: its host)."""
    host = (urlsplit(url).hostname or "").lower()
    value = entry.get("allowed_domains")
    if value is None:
        return (host,)
    if isinstance(value, str) or not isinstance(value, list) or not value:
        raise fail("allowed_domains", f"must be a non-empty list of host names, not {value!r}")
    domains = []
    for item in value:
        if not isinstance(item, str) or not HOSTNAME.match(item.strip().lower()):
            raise fail("allowed_domains",
                        f"{item!r} is not a bare host name (no scheme, path or port)")
        domains.append(item.strip().lower())
    if not host_allowed(host, domains):
        raise fail("allowed_domains", f"does not cover the entry's own url host {host!r}")
    return tuple(domains)


def _newsroom_fields(entry: dict[str, Any], kind: str, fail: Any) -> dict[str, Any]:
    """Selectors and page limit: required/allowed for newsrooms only."""
    present = [f for f in NEWSROOM_FIELDS if entry.get(f) is not None]
    if kind != "newsroom":
        if present:
            raise fail(present[0], f"only newsroom entries take it (this one is a {kind})")
        return {}
    for field in REQUIRED_NEWSROOM:
        if entry.get(field) is None:
            raise fail(field, "missing (newsroom entries need link_selector and next_selector)")
    out: dict[str, Any] = {}
    for field in NEWSROOM_FIELDS[:-1]:
        if entry.get(field) is not None:
            out[field] = _selector(entry, field, fail)
    if entry.get("max_pages") is not None:
        out["max_pages"] = _max_pages(entry["max_pages"], fail)
    return out


def _selector(entry: dict[str, Any], field: str, fail: Any) -> str:
    """A CSS selector, or an XPath one when it starts with / ./ or (, that compiles."""
    selector = _text(entry, field, fail)
    try:
        _PROBE.xpath(selector) if is_xpath(selector) else _PROBE.css(selector)
    except (SelectorError, XPathError, ValueError) as exc:
        raise fail(field, f"not a valid {'XPath' if is_xpath(selector) else 'CSS'} "
                          f"selector {selector!r}: {exc}") from exc
    return selector


def _max_pages(value: Any, fail: Any) -> int:
    """A positive whole number of listing pages."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail("max_pages", f"must be a whole number of pages >= 1, not {value!r}")
    return value


def command_line_source(kind: str, url: str, **fields: Any) -> Source:
    """A source given on the command line (`-a url=...`), validated like a file entry."""
    entry: dict[str, Any] = {"name": fields.pop("name", None) or urlsplit(url).hostname or url,
                             "kind": kind, "url": url}
    domains = fields.pop("domains", None)
    if domains:
        entry["allowed_domains"] = [d.strip() for d in str(domains).split(",") if d.strip()]
    if fields.get("max_pages") is not None:
        try:
            fields["max_pages"] = int(fields["max_pages"])
        except ValueError as exc:
            raise SourceError(f"command line: -a max_pages must be a whole number, "
                              f"not {fields['max_pages']!r}") from exc
    entry.update({k: v for k, v in fields.items() if v is not None})
    return parse_entry(entry, "command line", 1, require_language=False)


def select_sources(sources: list[Source], names: str | None, origin: str) -> list[Source]:
    """The sources named in a comma-separated list (all when `names` is empty)."""
    if not names:
        return sources
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {s.name for s in sources}
    missing = [n for n in wanted if n not in known]
    if missing:
        raise SourceError(f"{origin}: no such source: {', '.join(missing)} "
                          f"(known: {', '.join(sorted(known))})")
    return [s for s in sources if s.name in wanted]
