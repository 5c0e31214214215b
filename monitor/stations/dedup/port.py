"""What the dedup station needs from a store: the reads below, and nothing else.

Dedup writes nothing itself: its Decision (cluster, match, evidence) and the article's
DedupIndex travel on the article, and the store writes them in the article's transaction.
`monitor.store.Store` is one implementation; a test can give a small in-memory one.
"""

from __future__ import annotations

from typing import Any, Protocol


class DedupStore(Protocol):
    """The store as the dedup station reads it (rows as `monitor.store` returns them)."""

    def article_by_url(self, url: str) -> dict[str, Any] | None:
        """The stored article of this page, or None."""

    def dedup_url_match(self, keys: list[str]) -> dict[str, Any] | None:
        """The earliest article (id, cluster_id) under one of these canonical URL keys."""

    def dedup_hash_match(self, content_hash: str | None) -> dict[str, Any] | None:
        """The earliest article (id, cluster_id) with this normalised-text hash."""

    def dedup_lsh_candidates(self, buckets: list[tuple[int, int]], limit: int) -> list[int]:
        """Articles sharing an LSH band bucket, oldest first, at most `limit`."""

    def dedup_articles(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The index rows of these articles, with their cluster."""

    def dedup_anchor_lists(self, ids: list[int]) -> dict[int, list[str]]:
        """Each article's anchor keys."""

    def dedup_anchor_postings(self, anchors: list[str], day: int | None, window: int,
                              limit: int) -> list[tuple[str, int]]:
        """(anchor, article) for articles holding each anchor, dated near `day`."""

    def dedup_anchor_df(self, anchors: list[str]) -> dict[str, int]:
        """How many indexed articles hold each anchor (absent: 0)."""

    def dedup_term_df(self, terms: list[int]) -> dict[int, int]:
        """How many indexed articles hold each word term (absent: 0)."""

    def dedup_document_count(self) -> int:
        """How many articles the index holds."""

    def dedup_cluster_counts(self, cluster_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """The child counts of every member of each cluster."""
