"""The Article record that flows through the stations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Article:
    """One fetched document on its way from spider to store."""

    url: str
    source: str
    body: str = ""
    content_type: str = "html"  # "html" or "text"
    hints: dict[str, Any] = field(default_factory=dict)  # title, published, language from feeds
    canonical_url: str | None = None
    title: str | None = None
    text: str = ""
    author: str | None = None
    published: str | None = None
    date_source: str | None = None
    language: str = "und"
    language_confidence: float = 0.0
    language_route: str = "none"
    topic: str | None = None
    relevant: int = 0
    relevance: float = 0.0
    relevance_terms: list[str] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    content_hash: str | None = None
    cluster_id: int | None = None
    relation: str | None = None
    dedup: Any = None  # the dedup station's decision, read by the store
    fetched_at: str | None = None
