"""The dedup station decides through the narrow DedupStore it declares: here an in-memory
one, no SQLite, on the seed documents."""

from __future__ import annotations

import json
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import SEEDS

from monitor.items import Article
from monitor.settings import (
    MONITOR_LANGUAGE_MIN_CHARS,
    MONITOR_LANGUAGE_MIN_CONFIDENCE,
    MONITOR_MIN_TEXT_CHARS,
)
from monitor.stations import dedup, extraction, facts, language, relevance
from monitor.stations.dedup.port import DedupStore
from monitor.stations.documents import decode_document
from monitor.stations.profiles import load_profile


class MemoryIndex:
    """A DedupStore in dicts, its rows encoded as monitor.store encodes them."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.urls: dict[str, int] = {}
        self.hashes: dict[str, int] = {}
        self.lsh: dict[tuple[int, int], list[int]] = {}
        self.postings: list[tuple[str, int | None, int]] = []
        self.anchors: dict[int, list[str]] = {}
        self.df: Counter[Any] = Counter()
        self.clusters = 0

    def save(self, article: Article) -> int:
        """Index the article under its decision's cluster (a new one if none); its cluster."""
        decision, index = article.dedup, article.dedup.index
        article_id = len(self.rows) + 1
        if decision.cluster_id is None:
            self.clusters += 1
        cluster_id = decision.cluster_id or self.clusters
        self.rows[article_id] = {
            "article_id": article_id, "id": article_id, "cluster_id": cluster_id,
            "language": index.language, "day": index.day,
            "lead": json.dumps(sorted(index.lead)), "years": json.dumps(sorted(index.years)),
            "signature": index.signature, "vector": index.vector,
            "terms": array("i", index.terms).tobytes(),
            "counts": json.dumps(index.counts) if index.counts else None}
        for key in index.url_keys:
            self.urls.setdefault(key, article_id)
        self.hashes.setdefault(article.content_hash, article_id)
        for bucket in index.buckets:
            self.lsh.setdefault(tuple(bucket), []).append(article_id)
        self.postings += [(a, index.day, article_id) for a in index.anchors]
        self.anchors[article_id] = list(index.anchors)
        self.df.update([*index.anchors, *index.terms])
        return cluster_id

    def article_by_url(self, url: str) -> dict[str, Any] | None:
        """No page is fetched twice here."""
        return None

    def dedup_url_match(self, keys: list[str]) -> dict[str, Any] | None:
        """The earliest article under one of the keys."""
        found = sorted(self.urls[k] for k in keys if k in self.urls)
        return self.rows[found[0]] if found else None

    def dedup_hash_match(self, content_hash: str | None) -> dict[str, Any] | None:
        """The earliest article with this hash."""
        found = self.hashes.get(content_hash) if content_hash else None
        return self.rows[found] if found else None

    def dedup_lsh_candidates(self, buckets: list[tuple[int, int]], limit: int) -> list[int]:
        """Articles sharing a bucket."""
        return sorted({i for b in buckets for i in self.lsh.get(tuple(b), [])})[:limit]

    def dedup_articles(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The index rows."""
        return {i: self.rows[i] for i in ids}

    def dedup_anchor_lists(self, ids: list[int]) -> dict[int, list[str]]:
        """Each article's anchors."""
        return {i: self.anchors.get(i, []) for i in ids}

    def dedup_anchor_postings(self, anchors: list[str], day: int | None, window: int,
                              limit: int) -> list[tuple[str, int]]:
        """Every posting of the anchors dated within the window, or undated."""
        wanted = set(anchors)
        return [(a, i) for a, d, i in self.postings if a in wanted and (
            day is None or d is None or abs(d - day) <= window)]

    def dedup_anchor_df(self, anchors: list[str]) -> dict[str, int]:
        """Anchor document frequencies."""
        return {a: self.df[a] for a in anchors if self.df[a]}

    def dedup_term_df(self, terms: list[int]) -> dict[int, int]:
        """Term document frequencies."""
        return {t: self.df[t] for t in terms if self.df[t]}

    def dedup_document_count(self) -> int:
        """Articles indexed."""
        return len(self.rows)

    def dedup_cluster_counts(self, cluster_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Child counts per cluster."""
        found: dict[int, list[dict[str, Any]]] = {c: [] for c in cluster_ids}
        for row in self.rows.values():
            if row["cluster_id"] in found and row["counts"]:
                found[row["cluster_id"]].append(json.loads(row["counts"]))
        return found


def through_stations(path: Path) -> Article:
    """A seed file read and passed through every station before dedup."""
    decoded = decode_document(path.read_bytes(), path.name)
    item = Article(url=path.resolve().as_uri(), source="files", body=decoded.body,
                   content_type=decoded.content_type)
    extraction.extract(item, MONITOR_MIN_TEXT_CHARS)
    result = language.detect(item.text, item.hints.get("language"),
                             MONITOR_LANGUAGE_MIN_CHARS, MONITOR_LANGUAGE_MIN_CONFIDENCE)
    item.language = result.language
    profile = load_profile(item.language)
    rel = relevance.classify(item.text, item.title, profile)
    item.relevant = rel.relevant
    if item.relevant:
        item.facts = facts.extract_facts(item.text, profile)
    return item


def test_dedup_decides_through_an_in_memory_store() -> None:
    """The KTSM seed (000) and its French report (002) make one story; 001 stays apart."""
    store: DedupStore = MemoryIndex()
    clusters = {}
    for path in sorted(SEEDS.glob("00[0-2]_*.txt")):
        article = through_stations(path)
        article.dedup = dedup.decide(store, article)
        clusters[path.name[:3]] = store.save(article)
    assert clusters["000"] == clusters["002"] != clusters["001"]
    assert article.dedup.method == "story" and article.dedup.relation == "translation"
