"""Review: reviewers' actions on clusters (split, merge, representative), their log, the review
queue and dashboard, and the alert digests."""

from __future__ import annotations

import json
from typing import Any

from monitor.store.base import Room, now_iso, write_transaction

# A story's children on the dashboard: the operations row's total, else its recovered,
# located and rescued children (the facts station gives kinds that are separate groups).
STORY_CHILDREN_SQL = (
    "coalesce(o.children_total, nullif(coalesce(o.children_recovered, 0) + "
    "coalesce(o.children_located, 0) + coalesce(o.children_rescued, 0), 0))")


class ReviewRoom(Room):
    """The cluster_exclusions, cluster_merges, review_log and digests tables."""

    def review_history(self, cluster_id: int) -> list[dict[str, Any]]:
        """The review_log rows about a cluster, newest first."""
        return list(self.db.query(
            "select * from review_log where cluster_id = :id "
            "or json_extract(after, '$.new_cluster_id') = :id order by id desc",
            {"id": cluster_id}))

    def review_queue(
        self, filters: dict[str, Any], borderline: float, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Clusters most worth a review first (operation stories, then several members,
        languages, borderline scores, newest), filtered by language, status, since, until and
        min_size; with the total."""
        where, params = ["1 = 1"], {"borderline": borderline, "limit": limit, "offset": offset}
        if filters.get("language"):
            where.append("exists (select 1 from articles a where a.cluster_id = c.id "
                         "and a.language = :language)")
        if filters.get("status"):
            where.append("c.status = :status")
        if filters.get("since"):
            where.append("substr(c.first_published, 1, 10) >= :since")
        if filters.get("until"):
            where.append("substr(c.first_published, 1, 10) <= :until")
        if filters.get("min_size"):
            where.append("c.size >= :min_size")
        params.update({k: v for k, v in filters.items() if v})
        base = (
            "with s as (select c.*, "
            "(select count(distinct a.language) from articles a where a.cluster_id = c.id) "
            "as n_languages, "
            "coalesce((select max(a.relevant) from articles a where a.cluster_id = c.id), 0) "
            "as operation_story, "
            "coalesce((select f.value from facts f where f.article_id = c.representative_id "
            "and f.kind = 'operation' order by f.id limit 1), (select f.value from facts f "
            "join articles a on a.id = f.article_id where a.cluster_id = c.id and "
            "f.kind = 'operation' order by f.id limit 1)) as operation, "
            "(select min(m.score) from matches m join articles a on a.id = m.article_id "
            "where a.cluster_id = c.id and m.method in ('near_copy', 'story')) as min_score "
            f"from clusters c where {' and '.join(where)}) "
        )
        total = next(self.db.query(base + "select count(*) n from s", params))["n"]
        rows = list(self.db.query(
            base + "select *, (size > 1) + (n_languages > 1) + "
            "(min_score is not null and min_score < :borderline) as priority from s "
            "order by operation_story desc, priority desc, coalesce(first_published, '') desc, "
            "id desc "
            "limit :limit offset :offset", params))
        return rows, total

    def dashboard_rows(self) -> list[dict[str, Any]]:
        """One row per cluster: first date, representative's language, relevance, and the
        story's children from the `operations` view: its total, else its kinds added up."""
        has_view = "operations" in self.db.view_names()  # not in an immutable store before m008
        return list(self.db.query(
            "select c.id, c.first_published, r.language, "
            "(select max(a.relevant) from articles a where a.cluster_id = c.id) relevant, "
            f"{STORY_CHILDREN_SQL if has_view else 'null'} children "
            "from clusters c left join articles r on r.id = c.representative_id "
            + ("left join operations o on o.cluster_id = c.id " if has_view else "")
            + "where c.first_published is not null"))

    def excluded_clusters(self, article_id: int) -> set[int]:
        """Clusters a reviewer split this article out of (followed through later merges):
        dedup must never put the article back into one of them."""
        if not self.db["cluster_exclusions"].exists():  # an immutable store from before m002
            return set()
        rows = self.db.query("select cluster_id from cluster_exclusions where article_id = ?",
                             [article_id])
        return {self.resolve_cluster(r["cluster_id"]) for r in rows}

    def resolve_cluster(self, cluster_id: int) -> int:
        """The cluster that `cluster_id` was merged into by reviewers (itself if never)."""
        seen = {cluster_id}
        while self.db["cluster_merges"].exists():
            rows = list(self.db.query(
                "select into_id from cluster_merges where from_id = ?", [cluster_id]))
            if not rows or rows[0]["into_id"] in seen:
                return cluster_id
            cluster_id = rows[0]["into_id"]
            seen.add(cluster_id)
        return cluster_id

    def set_cluster_status(self, cluster_id: int, status: str) -> None:
        """Set a cluster's review status (auto, confirmed, edited)."""
        with self.db.atomic():
            self.db["clusters"].update(cluster_id, {"status": status, "updated_at": now_iso()})

    def set_representative(self, cluster_id: int, article_id: int, status: str) -> None:
        """Make `article_id` the cluster's representative and keep it on later refreshes."""
        with self.db.atomic():
            title = self.db["articles"].get(article_id)["title"]
            self.db["clusters"].update(cluster_id, {
                "representative_id": article_id, "title": title, "status": status,
                "updated_at": now_iso()})
            self.refresh_cluster(cluster_id)  # every member's relation to the representative

    @write_transaction
    def split_article(self, article_id: int, actor: str) -> int:
        """Move an article out of its cluster into a new reviewed one; record the exclusion.
        Its matches stay (with the old cluster's id) as the record of why dedup joined it."""
        article = self.db["articles"].get(article_id)
        old_id = article["cluster_id"]
        new_id = self.db["clusters"].insert({"status": "edited"}).last_pk
        self.db["articles"].update(article_id, {"cluster_id": new_id, "relation": "original"})
        self.db["cluster_exclusions"].upsert(
            {"article_id": article_id, "cluster_id": old_id, "url": article["url"],
             "relation": article["relation"], "actor": actor, "at": now_iso()},
            pk=("article_id", "cluster_id"))
        self.set_cluster_status(old_id, "edited")
        self.refresh_cluster(old_id)
        self.refresh_cluster(new_id)
        return new_id

    @write_transaction
    def merge_clusters(self, into_id: int, from_id: int, actor: str) -> None:
        """Move every member of `from_id` into `into_id`, for good. An article split out of
        `into_id` comes back with its relation (its dedup match shows again); otherwise the
        merged cluster's representative gets a `review` match."""
        into, other = self.db["clusters"].get(into_id), self.db["clusters"].get(from_id)
        moved = [r["id"] for r in self.db.query(
            "select id from articles where cluster_id = ?", [from_id])]
        marks = ", ".join("?" * len(moved))
        returning = {r["article_id"]: r["relation"] for r in self.db.query(
            f"select article_id, relation from cluster_exclusions where cluster_id = ? "
            f"and article_id in ({marks})", [into_id, *moved])}
        self.db.execute("update articles set cluster_id = ? where cluster_id = ?",
                        [into_id, from_id])
        self.db.execute("update matches set cluster_id = ? where cluster_id = ?",
                        [into_id, from_id])
        for article_id, relation in returning.items():
            self.db["articles"].update(article_id, {"relation": relation or "original"})
        if other["representative_id"] not in returning:
            self.db["matches"].insert({
                "article_id": other["representative_id"],
                "matched_id": into["representative_id"], "cluster_id": into_id,
                "method": "review", "score": None, "created_at": now_iso(),
                "evidence": json.dumps({"merged_from": from_id, "actor": actor}),
            })
            self.db["articles"].update(other["representative_id"], {"relation": "merged"})
        self.db.execute(f"delete from cluster_exclusions where cluster_id in (?, ?) and "
                        f"article_id in ({marks})", [into_id, from_id, *moved])
        self.db["cluster_merges"].upsert(
            {"from_id": from_id, "into_id": into_id, "actor": actor, "at": now_iso()},
            pk="from_id")
        self.db["clusters"].delete(from_id)
        self.set_cluster_status(into_id, "edited")
        self.refresh_cluster(into_id)

    @write_transaction
    def log_review(self, actor: str, action: str, cluster_id: int, article_id: int | None,
                   before: dict[str, Any], after: dict[str, Any]) -> int:
        """Insert one review_log row; before and after are stored as JSON."""
        return self.db["review_log"].insert({
            "actor": actor, "at": now_iso(), "action": action, "cluster_id": cluster_id,
            "article_id": article_id, "before": json.dumps(before, ensure_ascii=False),
            "after": json.dumps(after, ensure_ascii=False),
        }).last_pk

    def last_digest(self) -> dict[str, Any] | None:
        """The newest `digests` row, or None before the first digest."""
        rows = self._rows("select * from digests order by id desc limit 1", [])
        return rows[0] if rows else None

    def new_operation_stories(self, after_article_id: int, through_article_id: int,
                              found_since: str | None = None) -> list[dict[str, Any]]:
        """Rows of `operations` whose first operation report has an id in
        (`after_article_id`, `through_article_id`] and was fetched on or after `found_since`,
        newest find first; each with `found_at`, when that report was fetched."""
        return self._rows(
            "with firsts as (select cluster_id, min(id) as first_id, min(fetched_at) as found_at"
            " from articles where relevant = 1 and cluster_id is not null group by cluster_id)"
            " select o.*, f.found_at from operations o join firsts f using (cluster_id)"
            " where f.first_id > ? and f.first_id <= ? and f.found_at >= ?"
            " order by f.found_at desc, o.cluster_id desc",
            [after_article_id, through_article_id, found_since or ""])

    def story_fact_values(self, cluster_id: int, kinds: tuple[str, ...]) -> dict[str, list[str]]:
        """Distinct fact values of these kinds over a cluster's articles, in order of first
        mention (by article date, then fact id)."""
        rows = self._rows(
            "select f.kind, f.value from facts f join articles a on a.id = f.article_id "
            f"where a.cluster_id = ? and f.kind in ({', '.join('?' * len(kinds))}) "
            "order by coalesce(a.published, '9999'), a.id, f.id", [cluster_id, *kinds])
        found: dict[str, list[str]] = {kind: [] for kind in kinds}
        for row in rows:
            if row["value"] not in found[row["kind"]]:
                found[row["kind"]].append(row["value"])
        return found

    def story_articles(self, cluster_id: int) -> list[dict[str, Any]]:
        """A cluster's articles for a digest: the representative first, then by date."""
        return self._rows(
            "select a.id, a.url, a.title, a.language, a.source, a.published, a.relevant "
            "from articles a join clusters c on c.id = a.cluster_id where a.cluster_id = ? "
            "order by a.id != c.representative_id, coalesce(a.published, '9999'), a.id",
            [cluster_id])

    @write_transaction
    def record_digest(self, since: str, through_article_id: int, stories: int,
                      fmt: str) -> int:
        """Remember a digest; the next `--since last-run` starts after `through_article_id`."""
        return self.db["digests"].insert({
            "at": now_iso(), "since": since, "through_article_id": through_article_id,
            "stories": stories, "format": fmt}).last_pk
