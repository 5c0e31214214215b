"""Dedup station: decides which cluster a new article joins, and why."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from monitor.items import Article
from monitor.store import Store

logger = logging.getLogger(__name__)


@dataclass
class Decision:
    """Join `cluster_id` (None: start a new cluster) because of `method` with `score`."""

    cluster_id: int | None = None
    matched_id: int | None = None
    method: str | None = None
    score: float = 0.0
    relation: str = "original"
    evidence: dict[str, Any] = field(default_factory=dict)


def decide(store: Store, article: Article) -> Decision:
    """The cluster `article` belongs to; until story dedup exists, every article is its own."""
    return Decision()
