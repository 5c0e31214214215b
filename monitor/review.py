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

from monitor.documents import strip_controls
from monitor.store import Store

logger = logging.getLogger(__name__)

BORDERLINE_BELOW = 0.85  # a near_copy/story match scoring under this is worth a second look
OPENING_CHARS = 600
PAGE_SIZE = 20
MAX_WEEKS = 260  # five years of weekly bars
EVIDENCE_KEYS = ("numbers", "years", "names", "dates", "terms")
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
    """Why a queue row is worth a look, in words."""
    found = []
    if (row.get("size") or 0) > 1:
        found.append(f"{row['size']} articles")
    if (row.get("n_languages") or 0) > 1:
        found.append(f"{row['n_languages']} languages")
    if row.get("min_score") is not None and row["min_score"] < BORDERLINE_BELOW:
        found.append(f"borderline score {row['min_score']:.2f}")
    return found


def detail(store: Store, cluster_id: int) -> dict[str, Any]:
    """Everything the cluster page shows: members with highlighted texts, matches, facts."""
    cluster = clean(require_cluster(store, cluster_id))
    matches = [{**m, "evidence": parse_evidence(m["evidence"])}
               for m in clean(store.cluster_matches(cluster_id))]
    members = clean(store.cluster_members(cluster_id))
    titles = {m["id"]: m["title"] for m in members}
    for member in members:
        member.update(member_view(member, cluster["representative_id"], matches))
    for match in matches:
        match["terms"] = evidence_terms(match["evidence"])
        match["evidence_items"] = evidence_items(match["evidence"])
        match["matched_title"] = titles.get(match["matched_id"])
    facts = clean(store.cluster_facts(cluster_id))
    return {"cluster": cluster, "members": members, "matches": matches,
            "facts": facts, "fact_groups": fact_groups(facts),
            "history": clean(store.review_history(cluster_id)),
            "exclusions": {m["id"]: sorted(store.excluded_clusters(m["id"])) for m in members}}


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
    terms = sorted({t for m in involved for t in evidence_terms(m["evidence"])}, key=str)
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


# Scores behind a story match: the summary sentence says what they mean to a reviewer.
EVIDENCE_INTERNALS = frozenset({"overlap", "shared_weight", "cosine", "similarity",
                                "probability", "headline", "summary"})


def evidence_items(evidence: dict[str, Any]) -> list[tuple[str, Any]]:
    """A match's evidence as (label, value) rows: the summary in words first ("why"), then
    what the two reports share; the model's internal scores stay in the stored JSON."""
    rows = [("why", evidence["summary"])] if evidence.get("summary") else []
    return rows + [(k, v) for k, v in evidence.items()
                   if k not in EVIDENCE_INTERNALS and v not in (None, "", [], {})]


def parse_evidence(raw: str | None) -> dict[str, Any]:
    """A match's evidence JSON as a dict (empty when missing or not an object)."""
    try:
        value = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def evidence_terms(evidence: dict[str, Any]) -> list[str]:
    """The shared numbers, names and dates of a match, as strings to look for in the texts."""
    terms: list[str] = []
    for key in EVIDENCE_KEYS:
        terms += [str(v) for v in flatten(evidence.get(key)) if str(v).strip()]
    return list(dict.fromkeys(terms))


def flatten(value: Any) -> list[Any]:
    """Scalars inside nested lists (evidence may hold pairs such as [en, fr])."""
    if isinstance(value, list | tuple):
        return [x for v in value for x in flatten(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in flatten(v)]
    return [] if value is None else [value]


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


def dashboard(store: Store, scope: str = "relevant") -> dict[str, Any]:
    """Stories per week by language, and children per month (each story's count once)."""
    rows = [r for r in store.dashboard_rows()
            if scope == "all" or r["relevant"]]
    return {"scope": scope, "weekly": weekly(rows), "monthly": monthly(rows)}


def weekly(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stories per week (Monday) and language of the representative, gaps filled."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        day = parse_day(row["first_published"])
        if day is not None:
            key = ((day - timedelta(days=day.weekday())).isoformat(), row["language"] or "und")
            counts[key] = counts.get(key, 0) + 1
    weeks = fill(sorted({w for w, _ in counts}), timedelta(weeks=1))[-MAX_WEEKS:]
    languages = sorted({lang for _, lang in counts})
    series = {lang: [counts.get((w, lang), 0) for w in weeks] for lang in languages}
    return {"labels": weeks, "series": series}


def monthly(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Children located, recovered or rescued per month of first report, each story once."""
    totals: dict[str, int] = {}
    for row in rows:
        day = parse_day(row["first_published"])
        if day is not None and row["children"]:
            month = day.isoformat()[:7]
            totals[month] = totals.get(month, 0) + int(row["children"])
    months = fill_months(sorted(totals))
    return {"labels": months, "series": {"children": [totals.get(m, 0) for m in months]}}


def parse_day(value: str | None) -> date | None:
    """The date part of an ISO date or datetime."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def fill(labels: list[str], step: timedelta) -> list[str]:
    """ISO day labels from the first to the last, every `step`."""
    if not labels:
        return []
    day, end, out = date.fromisoformat(labels[0]), date.fromisoformat(labels[-1]), []
    while day <= end:
        out.append(day.isoformat())
        day += step
    return out


def fill_months(labels: list[str]) -> list[str]:
    """YYYY-MM labels from the first to the last, every month."""
    if not labels:
        return []
    year, month = map(int, labels[0].split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= labels[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
