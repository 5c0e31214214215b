"""Reviewing dedup clusters: confirm, split, merge, choose the representative, and the reads
the review pages and the CLI show. Every decision writes a review_log row and sticks.
What the reads return carries no control characters (terminal escape sequences)."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from monitor.review import explain
from monitor.stations.documents import strip_controls
from monitor.store import Store

logger = logging.getLogger(__name__)

BORDERLINE_BELOW = 0.85  # a near_copy/story match scoring under this is worth a second look
OPENING_CHARS = 600
PAGE_SIZE = 20
STATUSES = ("auto", "confirmed", "edited")


class ReviewError(ValueError):
    """A reviewer's request that cannot be done (unknown cluster, article not a member...)."""


# ----- decisions -----


def confirm(store: Store, cluster_id: int, actor: str) -> dict[str, Any]:
    """Mark the cluster as confirmed: its members stay together on later crawls."""
    with store.db.atomic():
        before = snapshot(store, cluster_id)
        store.set_cluster_status(cluster_id, "confirmed")
        after = snapshot(store, cluster_id)
        store.log_review(actor, "confirm", cluster_id, None, before, after)
    logger.info("%s confirmed cluster %s", actor, cluster_id)
    return after


def split(store: Store, cluster_id: int, article_id: int, actor: str) -> int:
    """Move an article out of the cluster into one of its own; it never rejoins this one."""
    with store.db.atomic():
        before = snapshot(store, cluster_id)
        require_member(store, cluster_id, article_id)
        if len(before["members"]) < 2:
            raise ReviewError(f"article {article_id} is the only member of cluster {cluster_id}")
        new_id = store.split_article(article_id, actor)
        after = {**snapshot(store, cluster_id), "new_cluster_id": new_id}
        store.log_review(actor, "split", cluster_id, article_id, before, after)
    logger.info("%s split article %s out of cluster %s into %s", actor, article_id,
                cluster_id, new_id)
    return new_id


def merge(store: Store, cluster_id: int, other_id: int, actor: str) -> dict[str, Any]:
    """Merge cluster `other_id` into `cluster_id`, for good."""
    if cluster_id == other_id:
        raise ReviewError(f"cannot merge cluster {cluster_id} into itself")
    with store.db.atomic():
        before = snapshot(store, cluster_id)
        other = snapshot(store, other_id)
        before["merged_cluster"] = other
        store.merge_clusters(cluster_id, other_id, actor)
        after = {**snapshot(store, cluster_id), "merged_cluster_id": other_id}
        store.log_review(actor, "merge", cluster_id, other["representative_id"], before, after)
    logger.info("%s merged cluster %s into %s", actor, other_id, cluster_id)
    return after


def choose_representative(
    store: Store, cluster_id: int, article_id: int, actor: str
) -> dict[str, Any]:
    """Make a member the cluster's representative; later crawls keep it."""
    with store.db.atomic():
        before = snapshot(store, cluster_id)
        require_member(store, cluster_id, article_id)
        status = "confirmed" if before["status"] == "confirmed" else "edited"
        store.set_representative(cluster_id, article_id, status)
        after = snapshot(store, cluster_id)
        store.log_review(actor, "representative", cluster_id, article_id, before, after)
    logger.info("%s chose article %s to represent cluster %s", actor, article_id, cluster_id)
    return after


def require_cluster(store: Store, cluster_id: int) -> dict[str, Any]:
    """The cluster, or a ReviewError naming where it went."""
    cluster = store.cluster(cluster_id)
    if cluster is None:
        target = store.resolve_cluster(cluster_id)
        hint = f" (merged into cluster {target})" if target != cluster_id else ""
        raise ReviewError(f"unknown cluster {cluster_id}{hint}")
    return cluster


def require_member(store: Store, cluster_id: int, article_id: int) -> None:
    """Raise unless the article is a member of the cluster."""
    if not any(m["id"] == article_id for m in store.cluster_members(cluster_id)):
        raise ReviewError(f"article {article_id} is not a member of cluster {cluster_id}")


def snapshot(store: Store, cluster_id: int) -> dict[str, Any]:
    """The reviewable state of a cluster, for review_log's before and after."""
    cluster = require_cluster(store, cluster_id)
    return {"cluster_id": cluster_id, "status": cluster["status"],
            "representative_id": cluster["representative_id"],
            "members": [m["id"] for m in store.cluster_members(cluster_id)]}


# ----- reads -----


@dataclass
class QueuePage:
    """One page of the review queue."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def queue(store: Store, filters: dict[str, Any], page: int = 1,
          page_size: int = PAGE_SIZE) -> QueuePage:
    """The clusters most worth a look, filtered, one page at a time, each with its reasons."""
    if page_size < 1:
        raise ReviewError(f"the page size must be at least 1, not {page_size}")
    page = max(page, 1)
    rows, total = store.review_queue(filters, BORDERLINE_BELOW, page_size,
                                     (page - 1) * page_size)
    rows = clean(rows)
    for row in rows:
        row["reasons"] = reasons(row)
    return QueuePage(rows, total, page, max(1, math.ceil(total / page_size)))


def reasons(row: dict[str, Any]) -> list[str]:
    """Why a queue row is worth a look, in words: only operation stories are."""
    found: list[str] = []
    if not row.get("operation_story", 1):
        return found
    if (row.get("size") or 0) > 1:
        found.append(f"{row['size']} articles")
    if (row.get("n_languages") or 0) > 1:
        found.append(f"{row['n_languages']} languages")
    if row.get("min_score") is not None and row["min_score"] < BORDERLINE_BELOW:
        found.append(f"borderline score {row['min_score']:.2f}")
    return found


def detail(store: Store, cluster_id: int) -> dict[str, Any]:
    """Everything the cluster page shows: the operation, members with highlighted texts,
    matches in words, facts, history."""
    cluster = clean(require_cluster(store, cluster_id))
    members = clean(store.cluster_members(cluster_id))
    facts = clean(store.cluster_facts(cluster_id))
    matches = explained_matches(clean(store.cluster_matches(cluster_id)), facts, members)
    for member in members:
        member.update(member_view(member, cluster["representative_id"], matches))
    return {"cluster": cluster, "operation": operation_view(clean(store.operation(cluster_id))),
            "members": members, "matches": matches,
            "facts": facts, "fact_groups": fact_groups(facts),
            "history": clean(store.review_history(cluster_id)),
            "exclusions": {m["id"]: sorted(store.excluded_clusters(m["id"])) for m in members}}


def explained_matches(rows: list[dict[str, Any]], facts: list[dict[str, Any]],
                      members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cluster's matches with their evidence parsed and told in words, and the terms to
    mark in the texts."""
    by_article = explain.facts_by_article(facts)
    titles = {m["id"]: m["title"] for m in members}
    matches = []
    for row in rows:
        evidence = parse_evidence(row["evidence"])
        own, theirs = by_article.get(row["article_id"], {}), by_article.get(row["matched_id"], {})
        words, names = explain.match_words(row["method"], evidence, own, theirs)
        matches.append({**row, "evidence": evidence, "words": words, "names": names,
                        "contradictions": evidence.get("contradictions") or [],
                        "terms": explain.highlight_terms(evidence, own, theirs),
                        "matched_title": titles.get(row["matched_id"])})
    return matches


def operation_view(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The story's operation for the top of its page: name, children in words, languages,
    agencies and places (None when no member reports an operation)."""
    if row is None:
        return None
    parts = [f"{row[kind]} {label}" for kind, label in explain.CHILD_COUNTS[1:]
             if row.get(kind) is not None]
    total = row.get("children_total")
    children = (f"{total} children" + (f" ({', '.join(parts)})" if parts else "")
                if total is not None else ", ".join(parts))
    return {"name": row.get("name"), "children": children, "languages": row.get("languages"),
            "agencies": row.get("agencies"), "places": row.get("places"),
            "arrests": row.get("arrests"), "disagreement": row.get("disagreement")}


def clean(value: Any) -> Any:
    """Rows (dicts, lists, strings) with control characters stripped from every string."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def fact_groups(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Facts by kind: each distinct value with the articles that report it and the sentences."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for fact in facts:
        values = groups.setdefault(fact["kind"], {})
        entry = values.setdefault(str(fact["value"]), {"value": fact["value"], "articles": [],
                                                       "evidence": []})
        if fact["article_id"] not in entry["articles"]:
            entry["articles"].append(fact["article_id"])
        if fact["evidence"] and fact["evidence"] not in entry["evidence"]:
            entry["evidence"].append(fact["evidence"])
    return [{"kind": kind, "values": list(values.values())} for kind, values in groups.items()]


def member_view(member: dict[str, Any], representative_id: int | None,
                matches: list[dict[str, Any]]) -> dict[str, Any]:
    """A member's relation to the representative, its match (none for the representative: it
    relates to no other member; the matches table still says why it joined), and its text."""
    own = [m for m in matches if m["article_id"] == member["id"]]
    is_representative = member["id"] == representative_id
    involved = own + [m for m in matches if m["matched_id"] == member["id"]]
    terms = sorted({t for m in involved for t in m["terms"]}, key=str)
    text = member["text"] or ""
    opening = text[:opening_end(text)]
    return {
        "is_representative": is_representative,
        "match": None if is_representative else next(
            (m for m in own if m["method"] != "review"), own[0] if own else None),
        "terms": terms,
        "opening": highlight(opening, terms),
        "rest": highlight(text[len(opening):], terms),
        "title_segments": highlight(member["title"] or "(no title)", terms),
    }


def opening_end(text: str) -> int:
    """Where the opening of a text ends: the first whitespace after OPENING_CHARS."""
    found = re.search(r"\s", text[OPENING_CHARS:])
    return len(text) if found is None else OPENING_CHARS + found.start()


def parse_evidence(raw: str | None) -> dict[str, Any]:
    """A match's evidence JSON as a dict (empty when missing or not an object)."""
    try:
        value = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def highlight(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (segment, is_shared_term) pieces; the template escapes each piece."""
    patterns = [term_pattern(t) for t in sorted(terms, key=len, reverse=True) if t.strip()]
    if not patterns or not text:
        return [(text, False)] if text else []
    regex = re.compile("|".join(patterns), re.IGNORECASE)
    pieces, last = [], 0
    for found in regex.finditer(text):
        if found.start() > last:
            pieces.append((text[last:found.start()], False))
        pieces.append((found.group(0), True))
        last = found.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def term_pattern(term: str) -> str:
    """A regex for a term as a whole number or whole words."""
    escaped = re.escape(term.strip())
    if term.strip().isdigit():
        return rf"(?<![\w])(?<!\d[.,]){escaped}(?![.,]?\d)"
    return rf"(?<!\w){escaped}(?!\w)"


# ----- dashboard -----

BINS = ("week", "month", "quarter", "year")
MONTHS_PER_BIN = {"month": 1, "quarter": 3, "year": 12}
MAX_BARS = 40  # the finest bin that draws the whole span in at most this many bars
MAX_LABELS = 200  # bars kept (the newest) when even years are more: a bogus early date


def dashboard(store: Store, scope: str = "relevant") -> dict[str, Any]:
    """Stories over time by language, and children located, recovered or rescued (each
    story's count once), in bins chosen from the span: weeks, months, quarters or years."""
    rows = [r for r in store.dashboard_rows()
            if scope == "all" or r["relevant"]]
    dated = [(day, r) for r in rows if (day := parse_day(r["first_published"])) is not None]
    unit = choose_bin([day for day, _ in dated])
    children_unit = BINS[max(BINS.index(unit), BINS.index("month"))]
    return {"scope": scope, "bin": unit, "children_bin": children_unit,
            "stories": stories_chart(dated, unit), "children": children_chart(dated, children_unit)}


def choose_bin(days: list[date]) -> str:
    """The finest bin that shows the span of `days` in at most MAX_BARS bars."""
    if not days:
        return "week"
    first, last = min(days), max(days)
    return next((u for u in BINS if bin_count(first, last, u) <= MAX_BARS), "year")


def bin_start(day: date, unit: str) -> date:
    """The first day of the week (Monday), month, quarter or year holding `day`."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    months = MONTHS_PER_BIN[unit]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def bin_count(first: date, last: date, unit: str) -> int:
    """How many bins of `unit` run from the one holding `first` to the one holding `last`."""
    a, b = bin_start(first, unit), bin_start(last, unit)
    if unit == "week":
        return (b - a).days // 7 + 1
    return ((b.year - a.year) * 12 + b.month - a.month) // MONTHS_PER_BIN[unit] + 1


def next_bin(start: date, unit: str) -> date:
    """The first day of the bin after the one starting on `start`."""
    if unit == "week":
        return start + timedelta(weeks=1)
    month = start.month - 1 + MONTHS_PER_BIN[unit]
    return date(start.year + month // 12, month % 12 + 1, 1)


def bin_label(start: date, unit: str) -> str:
    """A bin's label: 2021-07-19 (week of), 2021-07, 2021-Q3 or 2021."""
    if unit == "week":
        return start.isoformat()
    if unit == "month":
        return start.isoformat()[:7]
    if unit == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def bin_labels(days: list[date], unit: str) -> list[str]:
    """Labels of every bin from the first day's to the last day's, gaps filled (the newest
    MAX_LABELS)."""
    if not days:
        return []
    start, end, labels = bin_start(min(days), unit), max(days), []
    count = bin_count(min(days), end, unit)
    if count > MAX_LABELS:  # skip ahead rather than walk centuries of empty bins
        start = bin_start(end, unit)
        for _ in range(MAX_LABELS - 1):
            start = bin_start(start - timedelta(days=1), unit)
    while start <= end:
        labels.append(bin_label(start, unit))
        start = next_bin(start, unit)
    return labels


def stories_chart(dated: list[tuple[date, dict[str, Any]]], unit: str) -> dict[str, Any]:
    """Stories per bin and language of the representative, gaps filled."""
    counts: dict[tuple[str, str], int] = {}
    for day, row in dated:
        key = (bin_label(bin_start(day, unit), unit), row["language"] or "und")
        counts[key] = counts.get(key, 0) + 1
    labels = bin_labels([day for day, _ in dated], unit)
    languages = sorted({lang for _, lang in counts})
    return {"labels": labels,
            "series": {lang: [counts.get((b, lang), 0) for b in labels] for lang in languages}}


def children_chart(dated: list[tuple[date, dict[str, Any]]], unit: str) -> dict[str, Any]:
    """Children per bin of first report, each story once; bins from the first to the last
    story with children."""
    totals: dict[str, int] = {}
    days = []
    for day, row in dated:
        if row["children"]:
            label = bin_label(bin_start(day, unit), unit)
            totals[label] = totals.get(label, 0) + int(row["children"])
            days.append(day)
    labels = bin_labels(days, unit)
    return {"labels": labels, "series": {"children": [totals.get(b, 0) for b in labels]}}


def parse_day(value: str | None) -> date | None:
    """The date part of an ISO date or datetime."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
