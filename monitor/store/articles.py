"""Articles and clusters: saving an article with its cluster, match and facts; cluster reads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils.db import NotFoundError, jsonify_if_needed

from monitor.items import Article
from monitor.stations.official import is_official
from monitor.stations.urls import strip_tracking, url_key
from monitor.store.base import Room, now_iso

ARTICLE_COLUMNS = {
    "id": int, "url": str, "canonical_url": str, "source": str, "title": str, "text": str,
    "author": str, "published": str, "date_source": str, "language": str,
    "language_confidence": float, "language_route": str, "topic": str, "relevant": int,
    "relevance": float, "relevance_terms": str, "cluster_id": int, "relation": str,
    "content_hash": str, "fetched_at": str, "updated_at": str,
}


# What save_article writes: every column but the id and updated_at (set only by an update),
# and the page's identity, `url_key` (m018: unique; monitor.stations.urls.url_key of the URL).
ARTICLE_WRITE_COLUMNS = (*(c for c in ARTICLE_COLUMNS if c not in ("id", "updated_at")),
                         "url_key")


INSERT_ARTICLE = (f"insert into articles ({', '.join(ARTICLE_WRITE_COLUMNS)}) values "
                  f"({', '.join('?' * len(ARTICLE_WRITE_COLUMNS))})")


UPDATE_ARTICLE = (f"update articles set {', '.join(f'{c} = ?' for c in ARTICLE_WRITE_COLUMNS)}"
                  ", updated_at = ? where id = ?")


FETCHED_AT = ARTICLE_WRITE_COLUMNS.index("fetched_at")


URL = ARTICLE_WRITE_COLUMNS.index("url")


CLUSTER_MEMBERS = (
    "select id, url, title, published, language, source, relation, "
    "(select method from matches m where m.article_id = a.id order by m.id desc limit 1) method, "
    "(select matched_id from matches m where m.article_id = a.id order by m.id desc limit 1) "
    "matched_id from articles a where cluster_id = ? order by coalesce(published, '9999'), id")


COPY_METHODS = ("url", "exact", "near_copy")


def relations_to(representative: dict[str, Any],
                 members: list[dict[str, Any]]) -> dict[int, str]:
    """Each member's relation to the representative: `original` (itself), `translation`
    (another language), `copy` (joined as a copy of the representative or of one of its
    copies), else `rewrite`."""
    relations = {representative["id"]: "original"}
    # a member matched an article stored before it, so in id order its source is known already
    for member in sorted(members, key=lambda m: m["id"]):
        if member["id"] in relations:
            continue
        if member["language"] != representative["language"]:
            relations[member["id"]] = "translation"
        elif (member["method"] in COPY_METHODS
                and relations.get(member["matched_id"]) in ("original", "copy")):
            relations[member["id"]] = "copy"
        else:
            relations[member["id"]] = "rewrite"
    return relations


@dataclass
class SaveResult:
    """What storing one article did."""

    article_id: int
    outcome: str  # new | updated | unchanged
    cluster_id: int


class ArticlesRoom(Room):
    """The articles, clusters, matches and facts tables."""

    def article_by_url(self, url: str) -> dict[str, Any] | None:
        """The stored article of this page (any tracking, AMP or mobile variant of its URL)."""
        cursor = self.db.execute("select * from articles where url_key = ? limit 1",
                                 [url_key(url)])
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None

    def save_article(self, article: Article) -> SaveResult:
        """Upsert `article` by its page's URL key with its cluster, matches and facts, in one
        transaction; the row keeps the URL it was first stored under, without tracking.

        Plain prepared statements (no schema look-ups per call); the article row is written
        once, with its cluster, so the full-text index is updated once."""
        with self.db.atomic():
            key = url_key(article.url)
            existing = self._stored_version(key)
            if existing and existing[1] == article.content_hash:
                return SaveResult(existing[0], "unchanged", existing[2])
            cluster_id, relation = self._cluster_for(article, existing)
            values = self._article_values(article, cluster_id, relation, key)
            if existing:
                article_id = existing[0]
                values[URL] = existing[3]
                self.db.execute(UPDATE_ARTICLE, [*values, values[FETCHED_AT], article_id])
                outcome = "updated"
            else:
                article_id = self.db.execute(INSERT_ARTICLE, values).lastrowid
                outcome = "new"
            self._record_match(article_id, article, existing)
            self.refresh_cluster(cluster_id)
            self._replace_facts(article_id, article.facts)
            self.index_dedup(article_id, getattr(article.dedup, "index", None))
            return SaveResult(article_id, outcome, cluster_id)

    def _stored_version(self, key: str) -> tuple[int, str | None, int | None, str] | None:
        """(id, content_hash, cluster_id, url) of the stored page with this URL key, or None."""
        return self.db.execute(
            "select id, content_hash, cluster_id, url from articles where url_key = ?",
            [key]).fetchone()

    @staticmethod
    def _article_values(article: Article, cluster_id: int, relation: str,
                        key: str) -> list[Any]:
        """The values of ARTICLE_WRITE_COLUMNS for `article`, URLs without tracking."""
        row = {k: getattr(article, k) for k in ARTICLE_WRITE_COLUMNS if k != "url_key"}
        row["url"] = strip_tracking(article.url)
        row["canonical_url"] = article.canonical_url and strip_tracking(article.canonical_url)
        row["url_key"] = key
        row["relevance_terms"] = json.dumps(article.relevance_terms, ensure_ascii=False)
        row["fetched_at"] = article.fetched_at or now_iso()
        row["cluster_id"], row["relation"] = cluster_id, relation
        return [jsonify_if_needed(v) for v in row.values()]

    def _cluster_for(self, article: Article, existing: tuple | None) -> tuple[int, str]:
        """The cluster the article goes to (its own, dedup's choice, or a new one) and its
        relation there."""
        decision = article.dedup
        if existing and existing[2]:
            cluster_id = existing[2]
        elif decision is not None and decision.cluster_id is not None:
            # a reviewer may have merged dedup's cluster away since dedup chose it
            cluster_id = self._live_cluster(decision.cluster_id)
            decision.cluster_id = cluster_id
        else:
            cluster_id = None
        if cluster_id is None:
            cluster_id = self.db.execute(
                "insert into clusters (status) values ('auto')").lastrowid
        relation = decision.relation if decision is not None and decision.cluster_id else None
        return cluster_id, relation or "original"

    def _live_cluster(self, cluster_id: int) -> int | None:
        """The cluster `cluster_id` was merged into (itself if never), or None if it is gone."""
        seen = {cluster_id}
        while row := self.db.execute("select into_id from cluster_merges where from_id = ?",
                                     [cluster_id]).fetchone():
            if row[0] in seen:
                break
            cluster_id = row[0]
            seen.add(cluster_id)
        found = self.db.execute("select 1 from clusters where id = ?", [cluster_id]).fetchone()
        return cluster_id if found else None

    def _record_match(self, article_id: int, article: Article, existing: tuple | None) -> None:
        """The matches row of an article that joined dedup's cluster (not a re-stored one)."""
        decision = article.dedup
        if (existing and existing[2]) or decision is None or decision.cluster_id is None:
            return
        self.db.execute(
            "insert into matches (article_id, matched_id, cluster_id, method, score, evidence, "
            "created_at) values (?, ?, ?, ?, ?, ?, ?)",
            [article_id, decision.matched_id, decision.cluster_id, decision.method,
             jsonify_if_needed(decision.score),
             json.dumps(decision.evidence, ensure_ascii=False), now_iso()])

    def _replace_facts(self, article_id: int, facts: Iterable[dict[str, Any]]) -> None:
        """Replace the article's facts."""
        self.db.execute("delete from facts where article_id = ?", [article_id])
        self.db.conn.executemany(
            "insert into facts (article_id, kind, value, evidence) values (?, ?, ?, ?)",
            [(article_id, f["kind"], jsonify_if_needed(f["value"]), f["evidence"])
             for f in facts])

    def refresh_cluster(self, cluster_id: int) -> None:
        """Recompute a cluster's size, languages, first date, title and representative, and
        each member's relation to that representative."""
        cursor = self.db.execute(CLUSTER_MEMBERS, [cluster_id])
        names = [c[0] for c in cursor.description]
        members = [dict(zip(names, row, strict=True)) for row in cursor]
        if not members:
            self.db["clusters"].delete(cluster_id)
            return
        cluster = self.db.execute("select representative_id, status from clusters where id = ?",
                                  [cluster_id]).fetchone()
        if cluster is None:
            raise NotFoundError(f"no cluster {cluster_id}")
        representative = self._representative(members, cluster[0], cluster[1])
        dates = [m["published"] for m in members if m["published"]]
        self.db.execute(
            "update clusters set representative_id = ?, size = ?, languages = ?, "
            "first_published = ?, title = ?, updated_at = ? where id = ?",
            [representative["id"], len(members),
             ",".join(sorted({m["language"] for m in members})),
             min(dates) if dates else None, representative["title"], now_iso(), cluster_id])
        relations = relations_to(representative, members)
        self.db.conn.executemany(
            "update articles set relation = ? where id = ?",
            [(relation, m["id"]) for m in members
             if (relation := relations[m["id"]]) != m["relation"]])

    @staticmethod
    def _representative(
        members: list[dict[str, Any]], current: int | None, status: str | None
    ) -> dict[str, Any]:
        """The earliest official member, else the earliest member; a reviewed cluster keeps
        the one its reviewer chose while it is still a member."""
        if status in ("edited", "confirmed") and current is not None:
            for member in members:
                if member["id"] == current:
                    return member
        return next((m for m in members if is_official(m["url"])), members[0])

    def operation(self, cluster_id: int) -> dict[str, Any] | None:
        """The `operations` row of a story cluster; None when it reports no operation."""
        if "operations" not in self.db.view_names():  # an immutable store from before m008
            return None
        rows = list(self.db.query("select * from operations where cluster_id = ?", [cluster_id]))
        return rows[0] if rows else None

    def operations(self, disagreeing_only: bool = False) -> list[dict[str, Any]]:
        """Rows of the `operations` view, newest first; only flagged ones if asked."""
        where = " where counts_disagree" if disagreeing_only else ""
        return list(self.db.query(
            f"select * from operations{where} "
            "order by coalesce(first_reported, '') desc, cluster_id desc"))

    def cluster(self, cluster_id: int) -> dict[str, Any] | None:
        """The clusters row, or None."""
        rows = list(self.db["clusters"].rows_where("id = ?", [cluster_id], limit=1))
        return rows[0] if rows else None

    def cluster_members(self, cluster_id: int) -> list[dict[str, Any]]:
        """The cluster's articles, earliest first."""
        return list(self.db.query(
            "select id, url, canonical_url, source, title, text, author, published, language, "
            "relevant, relevance, relation, cluster_id from articles where cluster_id = ? "
            "order by coalesce(published, '9999'), id", [cluster_id]))

    def cluster_matches(self, cluster_id: int) -> list[dict[str, Any]]:
        """The matches that brought the cluster's current members into it (not the matches
        of an article that a reviewer split out, unless it was merged back)."""
        return list(self.db.query(
            "select m.* from matches m join articles a on a.id = m.article_id "
            "where a.cluster_id = :id and m.cluster_id = :id order by m.id", {"id": cluster_id}))

    def cluster_facts(self, cluster_id: int) -> list[dict[str, Any]]:
        """The facts read from the cluster's members."""
        return list(self.db.query(
            "select f.* from facts f join articles a on a.id = f.article_id "
            "where a.cluster_id = ? order by f.kind, f.article_id, f.id", [cluster_id]))

    def max_article_id(self) -> int:
        """The highest article id stored (0 in an empty store)."""
        return self.db.execute("select coalesce(max(id), 0) from articles").fetchone()[0]

    def article_changes(self, article_id: int) -> list[dict[str, Any]]:
        """The recorded text changes of one article, oldest first."""
        return list(self.db["article_changes"].rows_where("article_id = ?", [article_id],
                                                          order_by="id"))
