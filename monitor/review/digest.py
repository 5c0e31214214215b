"""Alerts: the operation stories found since the previous digest (or a date), as text, HTML
or JSON, for a cron line to mail.

A story is new when its first operation report was stored after the cut: after the highest
article id the previous `--since last-run` digest had seen (ids only grow, so a digest never
misses an article fetched during the same second), or fetched on or after a given date.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from monitor.store import Store, now_iso

LAST_RUN = "last-run"
FORMATS = ("text", "html", "json")
COUNT_KINDS = ("children_total", "children_recovered", "children_located", "children_rescued",
               "arrests")
COUNT_WORDS = {"children_total": "children", "children_recovered": "recovered",
               "children_located": "located", "children_rescued": "rescued",
               "arrests": "arrests"}
PLACE_KINDS = ("agency", "place")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LISTED = 6  # agencies or places a text or HTML digest names per story


class DigestError(ValueError):
    """A `--since` that is neither last-run nor a date."""


@dataclass(frozen=True)
class Link:
    """One report of a story."""

    url: str
    title: str | None
    language: str | None
    source: str | None
    published: str | None


@dataclass
class StoryAlert:
    """One new operation story, as a digest lists it."""

    cluster_id: int
    name: str | None
    title: str | None
    counts: dict[str, int]
    languages: list[str]
    first_reported: str | None
    found_at: str
    reports: int
    agencies: list[str]
    places: list[str]
    page: str
    articles: list[Link] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """The story's title, after the operation's name unless the title names it."""
        if self.name and self.title and self.name.casefold() in self.title.casefold():
            return self.title
        parts = [p for p in (self.name, self.title) if p]
        return ": ".join(parts) if parts else f"Story {self.cluster_id}"


@dataclass
class Digest:
    """What a digest reports: since when, when it was made, and the stories."""

    since: str
    generated_at: str
    stories: list[StoryAlert]


def parse_since(value: str) -> str:
    """`last-run` or a YYYY-MM-DD date; DigestError otherwise."""
    if value == LAST_RUN:
        return value
    try:
        if DATE.match(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise DigestError(f"--since must be {LAST_RUN} or a date YYYY-MM-DD, not {value!r}")


def cut_of(store: Store, since: str) -> tuple[int, str | None, str]:
    """The article id and fetch date after which stories are new, and a label for the cut."""
    if since != LAST_RUN:
        return 0, since, since
    previous = store.last_digest()
    if previous is None:
        return 0, None, "the first crawl"
    return previous["through_article_id"], None, f"the previous digest ({previous['at']})"


def collect(store: Store, since: str, through_id: int, base_url: str = "") -> Digest:
    """The new operation stories since `since` (last-run or a date) whose first report's id
    is at most `through_id`, with their reports."""
    after_id, found_since, label = cut_of(store, since)
    rows = store.new_operation_stories(after_id, through_id, found_since)
    return Digest(label, now_iso(), [story_alert(store, row, base_url) for row in rows])


def story_alert(store: Store, row: dict[str, Any], base_url: str) -> StoryAlert:
    """An `operations` row with its agencies, places and reports."""
    facts = store.story_fact_values(row["cluster_id"], PLACE_KINDS)
    links = [Link(a["url"], a["title"], a["language"], a["source"], a["published"])
             for a in store.story_articles(row["cluster_id"])]
    return StoryAlert(
        cluster_id=row["cluster_id"], name=row["name"], title=row["title"],
        counts={k: row[k] for k in COUNT_KINDS if row.get(k) is not None},
        languages=[x for x in (row["languages"] or "").split(",") if x],
        first_reported=row["first_reported"], found_at=row["found_at"],
        reports=row["reports"], agencies=facts["agency"], places=facts["place"],
        page=f"{base_url.rstrip('/')}/-/clusters/{row['cluster_id']}", articles=links)


def counts_text(counts: dict[str, int]) -> str:
    """"78 children, 3 recovered, 75 located" (only the counts a report gave)."""
    return ", ".join(f"{value} {COUNT_WORDS[kind]}" for kind, value in counts.items())


def story_lines(story: StoryAlert) -> list[str]:
    """What a story says, one fact a line (shared by the text and HTML formats)."""
    lines = [counts_text(story.counts) or "no count of children read",
             f"{story.reports} report(s) in {', '.join(story.languages) or 'unknown languages'}"
             f"; first reported {(story.first_reported or 'undated')[:10]}"]
    if story.agencies:
        lines.append(f"agencies: {first_few(story.agencies)}")
    if story.places:
        lines.append(f"places: {first_few(story.places)}")
    return lines


def first_few(names: list[str], limit: int = LISTED) -> str:
    """The first `limit` names, then how many more (the JSON format keeps them all)."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def title_line(digest: Digest) -> str:
    """The digest's first line."""
    n = len(digest.stories)
    return f"{n} new operation stor{'y' if n == 1 else 'ies'} since {digest.since}"


def format_text(digest: Digest) -> str:
    """The digest as plain text (a mail body)."""
    out = [title_line(digest)]
    for story in digest.stories:
        out += ["", f"* {story.headline}"]
        out += [f"  {line}" for line in story_lines(story)]
        out.append(f"  cluster page: {story.page}")
        out += [f"  - [{a.language or '?'}] {a.title or '(no title)'} <{a.url}>"
                for a in story.articles]
    return "\n".join(out)


def format_html(digest: Digest) -> str:
    """The digest as a small HTML document (every value escaped)."""
    e = html.escape
    body = [f"<h1>{e(title_line(digest))}</h1>"]
    for story in digest.stories:
        facts = "".join(f"<li>{e(line)}</li>" for line in story_lines(story))
        reports = "".join(
            f"<li>[{e(a.language or '?')}] <a href=\"{e(a.url)}\">{e(a.title or a.url)}</a>"
            f"{' (' + e(a.source) + ')' if a.source else ''}</li>" for a in story.articles)
        body.append(f"<section><h2><a href=\"{e(story.page)}\">{e(story.headline)}</a></h2>"
                    f"<ul>{facts}</ul><h3>Reports</h3><ul>{reports}</ul></section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title_line(digest))}</title></head><body>\n"
            + "\n".join(body) + "\n</body></html>")


def format_json(digest: Digest) -> str:
    """The digest as JSON: since, generated_at and the stories with their reports."""
    return json.dumps(asdict(digest), ensure_ascii=False, indent=2)


FORMATTERS = {"text": format_text, "html": format_html, "json": format_json}


def render(digest: Digest, fmt: str) -> str:
    """The digest in one of FORMATS."""
    return FORMATTERS[fmt](digest)
