"""sources.yml: the bundled file is valid; a bad entry is refused naming file, entry and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SEEDS, run_scrapy

from monitor.crawl.sources import SourceError, command_line_source, load_sources

GOOD = {"name": "agency", "kind": "feed", "url": "https://news.agency.example/rss.xml",
        "language": "en", "allowed_domains": ["agency.example"]}
NEWSROOM = {"name": "room", "kind": "newsroom", "url": "https://agency.example/news",
            "language": "es", "link_selector": "h2 a", "next_selector": "a.next"}


def write(path: Path, entries: list[Any]) -> Path:
    """A sources file with a good first entry followed by `entries`, as YAML."""
    path.write_text(yaml.safe_dump({"sources": [GOOD, *entries]}), encoding="utf-8")
    return path


def test_bundled_sources_are_valid() -> None:
    sources = load_sources(SEEDS / "sources.yml")
    assert len(sources) >= 12
    assert {s.kind for s in sources} == {"feed", "sitemap", "newsroom"}
    assert len({s.language for s in sources}) >= 3
    assert all(s.allows(s.url) for s in sources)


def test_kind_filter_and_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yml", [NEWSROOM])
    (room,) = load_sources(path, "newsroom")
    assert room.allowed_domains == ("agency.example",) and room.max_pages is None
    assert room.allows("https://www.agency.example/a") and not room.allows("https://x.example/")


BAD = [
    ({**GOOD, "name": "b", "kind": "rss"}, "kind", "must be one of feed, sitemap, newsroom"),
    ({k: v for k, v in GOOD.items() if k != "url"} | {"name": "b"}, "url", "missing"),
    ({**GOOD, "name": "b", "url": "news.agency.example/rss"}, "url", "absolute http(s) URL"),
    ({**GOOD, "name": "b", "allowed_domains": "agency.example"}, "allowed_domains",
     "non-empty list"),
    ({**GOOD, "name": "b", "allowed_domains": []}, "allowed_domains", "non-empty list"),
    ({**GOOD, "name": "b", "allowed_domains": ["https://agency.example/"]}, "allowed_domains",
     "not a bare host name"),
    ({**GOOD, "name": "b", "allowed_domains": ["other.example"]}, "allowed_domains",
     "does not cover"),
    ({**GOOD, "name": "b", "language": "English"}, "language", "ISO 639-1"),
    ({**GOOD, "name": "b", "lnk_selector": "a"}, "lnk_selector", "unknown field"),
    ({**GOOD, "name": "b", "link_selector": "a"}, "link_selector", "only newsroom entries"),
    ({**NEWSROOM, "next_selector": None}, "next_selector", "missing"),
    ({**NEWSROOM, "link_selector": "h2 >> a["}, "link_selector", "not a valid CSS selector"),
    ({**NEWSROOM, "date_selector": "//div[@"}, "date_selector", "not a valid XPath selector"),
    ({**NEWSROOM, "max_pages": 0}, "max_pages", "whole number of pages >= 1"),
    ({**GOOD}, "name", "duplicate of entry 1"),
]


@pytest.mark.parametrize(("entry", "field", "problem"), BAD,
                         ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_bad_entry_names_file_entry_and_field(tmp_path: Path, entry: dict[str, Any],
                                              field: str, problem: str) -> None:
    path = write(tmp_path / "sources.yml", [entry])
    with pytest.raises(SourceError) as caught:
        load_sources(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: entry 2 ({entry['name']}): field '{field}': ")
    assert problem in message


def test_entry_that_is_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"entry 2 \(unnamed\): expected a mapping"):
        load_sources(write(tmp_path / "s.yml", ["https://agency.example/rss"]))


@pytest.mark.parametrize(("text", "problem"), [
    ("sources: [", "not valid YAML"),
    ("- name: a\n", "top-level 'sources:' list"),
    ("sources: []\n", "non-empty list"),
])
def test_bad_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=problem):
        load_sources(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="sources file not found"):
        load_sources(tmp_path / "nowhere.yml")


def test_command_line_source() -> None:
    source = command_line_source("newsroom", "https://www.agency.example/news",
                                 domains="agency.example", link_selector="h2 a",
                                 next_selector="a.next", max_pages="3")
    assert (source.name, source.language, source.max_pages) == ("www.agency.example", None, 3)
    assert source.allowed_domains == ("agency.example",)


def test_bad_sources_stop_the_crawl(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yml", [{**GOOD, "name": "broken", "kind": "rss"}])
    result = run_scrapy("feeds", "-s", f"MONITOR_SOURCES={bad}", db=tmp_path / "m.db",
                        check=False)
    assert result.returncode != 0
    assert f"{bad}: entry 2 (broken): field 'kind'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.db").exists()


@pytest.mark.parametrize(("spider", "args", "message"), [
    ("feeds", ["-a", "source=no-such-source"], "no such source: no-such-source"),
    ("sitemaps", ["-a", "since=last week"], "since must be a date YYYY-MM-DD"),
    ("newsrooms", ["-a", "url=https://agency.example/news"], "field 'link_selector': missing"),
    ("feeds", ["-a", "colour=blue"], "unknown argument(s): colour"),
])
def test_bad_arguments_are_usage_errors(tmp_path: Path, spider: str, args: list[str],
                                        message: str) -> None:
    result = run_scrapy(spider, *args, db=tmp_path / "m.db", check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
