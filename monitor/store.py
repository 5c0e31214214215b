"""The SQLite store: the only module that writes SQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from monitor.items import Article

logger = logging.getLogger(__name__)

migrations = Migrations("monitor")

ARTICLE_COLUMNS = {
    "id": int, "url": str, "canonical_url": str, "source": str, "title": str, "text": str,
    "author": str, "published": str, "date_source": str, "language": str,
    "language_confidence": float, "language_route": str, "topic": str, "relevant": int,
    "relevance": float, "relevance_terms": str, "cluster_id": int, "relation": str,
    "content_hash": str, "fetched_at": str, "updated_at": str,
}


def now_iso() -> str:
    """The current UTC time as an ISO string with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    """Create the schema of the store's contract."""
    db["articles"].create(ARTICLE_COLUMNS, pk="id", not_null={"url"})
    db["articles"].create_index(["url"], unique=True)
    for column in ("canonical_url", "content_hash", "cluster_id", "published", "language"):
        db["articles"].create_index([column])
    db["clusters"].create(
        {"id": int, "representative_id": int, "size": int, "languages": str,
         "first_published": str, "title": str, "status": str, "updated_at": str},
        pk="id", defaults={"status": "auto", "size": 0},
    )
    db["matches"].create(
        {"id": int, "article_id": int, "matched_id": int, "cluster_id": int, "method": str,
         "score": float, "evidence": str, "created_at": str},
        pk="id",
    )
    db["matches"].create_index(["article_id"])
    db["facts"].create(
        {"id": int, "article_id": int, "kind": str, "value": str, "evidence": str}, pk="id"
    )
    db["facts"].create_index(["article_id"])
    db["facts"].create_index(["kind"])
    db["crawl_runs"].create(
        {"id": int, "spider": str, "args": str, "started_at": str, "finished_at": str,
         "finish_reason": str, "requests": int, "responses": int, "articles_new": int,
         "articles_updated": int, "articles_unchanged": int, "articles_dropped": int,
         "fetch_errors": int, "stats": str},
        pk="id",
    )
    db["fetch_errors"].create(
        {"id": int, "run_id": int, "url": str, "source": str, "stage": str, "reason": str,
         "at": str},
        pk="id",
    )
    db["fetch_errors"].create_index(["run_id"])
    db["review_log"].create(
        {"id": int, "actor": str, "at": str, "action": str, "cluster_id": int,
         "article_id": int, "before": str, "after": str},
        pk="id",
    )
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@dataclass
class SaveResult:
    """What storing one article did."""

    article_id: int
    outcome: str  # new | updated | unchanged
    cluster_id: int


class Store:
    """A monitor database: schema, writes, and the reads other stations need."""

    def __init__(self, path: str | Path) -> None:
        """Open (creating if needed) the store at `path` and bring its schema up to date."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # ----- articles -----

    def article_by_url(self, url: str) -> dict[str, Any] | None:
        """The stored article with this URL, or None."""
        rows = list(self.db["articles"].rows_where("url = ?", [url], limit=1))
        return rows[0] if rows else None

    def save_article(self, article: Article) -> SaveResult:
        """Upsert `article` by URL with its cluster, matches and facts, in one transaction."""
        with self.db.atomic():
            existing = self.article_by_url(article.url)
            if existing and existing["content_hash"] == article.content_hash:
                return SaveResult(existing["id"], "unchanged", existing["cluster_id"])
            row = self._article_row(article)
            if existing:
                article_id = existing["id"]
                row["updated_at"] = row["fetched_at"]
                self.db["articles"].update(article_id, row)
                outcome = "updated"
            else:
                article_id = self.db["articles"].insert(row).last_pk
                outcome = "new"
            cluster_id = self._assign_cluster(article_id, article, existing)
            self._replace_facts(article_id, article.facts)
            return SaveResult(article_id, outcome, cluster_id)

    def _article_row(self, article: Article) -> dict[str, Any]:
        """The articles row for `article`."""
        row = {k: getattr(article, k) for k in ARTICLE_COLUMNS if k not in ("id", "updated_at")}
        row["relevance_terms"] = json.dumps(article.relevance_terms, ensure_ascii=False)
        row["fetched_at"] = article.fetched_at or now_iso()
        row.pop("cluster_id")
        return row

    def _assign_cluster(
        self, article_id: int, article: Article, existing: dict[str, Any] | None
    ) -> int:
        """Put the article into the cluster dedup chose, or a new one; record the match."""
        decision = article.dedup
        if existing and existing["cluster_id"]:
            cluster_id = existing["cluster_id"]
        elif decision is not None and decision.cluster_id is not None:
            cluster_id = decision.cluster_id
            self.db["matches"].insert({
                "article_id": article_id, "matched_id": decision.matched_id,
                "cluster_id": cluster_id, "method": decision.method, "score": decision.score,
                "evidence": json.dumps(decision.evidence, ensure_ascii=False),
                "created_at": now_iso(),
            })
        else:
            cluster_id = self.db["clusters"].insert({"status": "auto"}).last_pk
        relation = decision.relation if decision is not None and decision.cluster_id else None
        self.db["articles"].update(article_id, {"cluster_id": cluster_id,
                                                "relation": relation or "original"})
        self.refresh_cluster(cluster_id)
        return cluster_id

    def _replace_facts(self, article_id: int, facts: Iterable[dict[str, Any]]) -> None:
        """Replace the article's facts."""
        self.db["facts"].delete_where("article_id = ?", [article_id])
        rows = [{"article_id": article_id, **fact} for fact in facts]
        if rows:
            self.db["facts"].insert_all(rows)

    # ----- clusters -----

    def refresh_cluster(self, cluster_id: int) -> None:
        """Recompute a cluster's size, languages, first date, title and representative."""
        members = list(self.db.query(
            "select id, title, published, language, source, relation from articles "
            "where cluster_id = ? order by coalesce(published, '9999'), id", [cluster_id]))
        if not members:
            self.db["clusters"].delete(cluster_id)
            return
        cluster = self.db["clusters"].get(cluster_id)
        representative = self._representative(members, cluster.get("representative_id"),
                                              cluster.get("status"))
        dates = [m["published"] for m in members if m["published"]]
        self.db["clusters"].update(cluster_id, {
            "representative_id": representative["id"],
            "size": len(members),
            "languages": ",".join(sorted({m["language"] for m in members})),
            "first_published": min(dates) if dates else None,
            "title": representative["title"],
            "updated_at": now_iso(),
        })

    @staticmethod
    def _representative(
        members: list[dict[str, Any]], current: int | None, status: str | None
    ) -> dict[str, Any]:
        """The earliest member, unless a reviewer chose one that is still a member."""
        if status == "edited" and current is not None:
            for member in members:
                if member["id"] == current:
                    return member
        return members[0]

    # ----- runs and errors -----

    def start_run(self, spider: str, args: dict[str, Any]) -> int:
        """Insert a crawl_runs row and return its id."""
        with self.db.atomic():
            return self.db["crawl_runs"].insert({
                "spider": spider, "args": json.dumps(args, ensure_ascii=False, default=str),
                "started_at": now_iso(),
            }).last_pk

    def finish_run(self, run_id: int, counts: dict[str, Any], stats: dict[str, Any]) -> None:
        """Close a crawl_runs row with its counts and the crawl's stats."""
        with self.db.atomic():
            self.db["crawl_runs"].update(run_id, {
                **counts, "finished_at": now_iso(),
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            })

    def record_fetch_error(
        self, run_id: int | None, url: str, source: str | None, stage: str, reason: str
    ) -> None:
        """Insert one fetch_errors row."""
        with self.db.atomic():
            self.db["fetch_errors"].insert({
                "run_id": run_id, "url": url, "source": source, "stage": stage,
                "reason": reason, "at": now_iso(),
            })

    def count_fetch_errors(self, run_id: int) -> int:
        """How many fetch errors a run recorded."""
        return self.db["fetch_errors"].count_where("run_id = ?", [run_id])

    # ----- reads for summaries -----

    def summary(self, run_id: int | None = None) -> dict[str, Any]:
        """Counts for the end-of-run summary."""
        q = self.db.query
        summary: dict[str, Any] = {
            "articles": self.db["articles"].count,
            "by_language": {r["language"]: r["n"] for r in q(
                "select language, count(*) n from articles group by language order by n desc")},
            "clusters": self.db["clusters"].count,
            "multi_clusters": next(q("select count(*) n from clusters where size > 1"))["n"],
            "relevant": next(q("select count(*) n from articles where relevant = 1"))["n"],
        }
        if run_id is not None:
            summary["run"] = self.db["crawl_runs"].get(run_id)
            summary["errors"] = list(q(
                "select stage, reason, url from fetch_errors where run_id = ? order by id",
                [run_id]))
        return summary

    def last_run_id(self) -> int | None:
        """The id of the newest crawl run."""
        rows = list(self.db.query("select max(id) m from crawl_runs"))
        return rows[0]["m"] if rows else None
