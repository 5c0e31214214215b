"""The dedup index: URL keys, LSH buckets, anchors, word terms and their document frequencies."""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.store.base import Room, write_transaction

# Dedup document frequencies and the article count are added up in memory and written every
# this many articles (and when the store closes), not with each article: they touch a few
# hundred scattered rows per article. A crawl killed in between loses only those increments.
DEDUP_STATS_BATCH = 64


@dataclass
class PendingStats:
    """Dedup statistics not yet written: article count and document-frequency deltas."""

    articles: int = 0
    df: Counter[str | int] = field(default_factory=Counter)

    def count(self, anchors: list[str], terms: list[int], delta: int) -> None:
        """Count (delta +1) or uncount (-1) one article's anchors and terms."""
        if delta not in (1, -1):
            raise ValueError(f"an article counts once: delta {delta}")
        self.articles += delta
        for keys in (anchors, terms):  # Counter's update and subtract count in C
            (self.df.update if delta > 0 else self.df.subtract)(keys)

    def added(self, stored: dict[Any, int], keys: list[Any]) -> dict[Any, int]:
        """Document frequencies of `keys` (each one in `stored`) with the pending deltas added;
        keys counted by no article left out."""
        pending = self.df.get
        return {k: n for k in keys if (n := stored[k] + pending(k, 0)) > 0}

    def clear(self) -> None:
        """Forget what has been written."""
        self.articles = 0
        self.df.clear()


# Stored document frequencies kept in memory between writes: at most this many per table.
DF_CACHE_SIZE = 200_000


class FrequencyCache:
    """Stored document frequencies (0 for keys without a row) already read, per table.

    This process writes them only in `_flush_dedup_stats`, which forgets the keys it writes;
    a write by another connection (a review, another crawl) changes SQLite's `data_version`,
    which empties the cache before the next read."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.tables: dict[str, dict[Any, int]] = {}
        self.version: int | None = None

    def table(self, name: str) -> dict[Any, int]:
        """The cached frequencies of one table, valid now."""
        version = self.conn.execute("pragma data_version").fetchone()[0]
        if version != self.version:
            self.tables.clear()
            self.version = version
        cache = self.tables.setdefault(name, {})
        if len(cache) > DF_CACHE_SIZE:
            cache.clear()
        return cache

    def forget(self, keys: Iterable[Any]) -> None:
        """Drop `keys` from every table's cache."""
        for cache in self.tables.values():
            for key in keys:
                cache.pop(key, None)


class DedupIndexRoom(Room):
    """The dedup_* tables, and the statistics pending in memory."""

    _pending_stats: PendingStats  # set by the Store that opens the connection
    _df_cache: FrequencyCache

    def dedup_url_match(self, keys: list[str]) -> dict[str, Any] | None:
        """The earliest stored article under one of these canonical URL keys."""
        if not keys:
            return None
        rows = self._rows(
            "select a.id, a.cluster_id from dedup_urls u join articles a on a.id = u.article_id "
            f"where u.key in ({','.join('?' * len(keys))}) and a.cluster_id is not null "
            "order by a.id limit 1", keys)
        return rows[0] if rows else None

    def dedup_hash_match(self, content_hash: str | None) -> dict[str, Any] | None:
        """The earliest stored article with this normalised-text hash."""
        rows = self._rows(
            "select id, cluster_id from articles where content_hash = ? and cluster_id is not "
            "null order by id limit 1", [content_hash])
        return rows[0] if content_hash and rows else None

    def dedup_lsh_candidates(self, buckets: list[tuple[int, int]], limit: int) -> list[int]:
        """Articles sharing at least one LSH band bucket, the oldest first, at most `limit`
        (at most `limit` per bucket too); one query for all bands."""
        if not buckets:
            return []
        branch = ("select * from (select article_id from dedup_lsh where band = ? and "
                  "bucket = ? order by article_id limit ?)")
        args = [x for band, bucket in buckets for x in (band, bucket, limit)]
        rows = self.db.execute(" union ".join([branch] * len(buckets)), args)
        return sorted(r[0] for r in rows)[:limit]

    def dedup_articles(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The dedup rows (language, day, lead counts, years, signature) with the cluster."""
        if not ids:
            return {}
        rows = self._rows(
            "select d.*, a.cluster_id from dedup_articles d join articles a on a.id = "
            f"d.article_id where d.article_id in ({','.join('?' * len(ids))})", ids)
        return {r["article_id"]: r for r in rows if r["cluster_id"] is not None}

    def dedup_cluster_counts(self, cluster_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """The child counts (dedup `counts`) of every member of each cluster."""
        found: dict[int, list[dict[str, Any]]] = {c: [] for c in cluster_ids}
        if not cluster_ids:
            return found
        rows = self.db.execute(
            "select a.cluster_id, d.counts from articles a join dedup_articles d on "
            f"d.article_id = a.id where a.cluster_id in ({','.join('?' * len(cluster_ids))}) "
            "and d.counts is not null", cluster_ids)
        for cluster_id, counts in rows:
            found[cluster_id].append(json.loads(counts))
        return found

    def dedup_document_count(self) -> int:
        """How many articles the dedup index holds."""
        rows = list(self.db.execute("select value from dedup_meta where key = 'articles'"))
        return (rows[0][0] if rows else 0) + self._pending_stats.articles

    def dedup_anchor_df(self, anchors: list[str]) -> dict[str, int]:
        """How many indexed articles hold each anchor (absent: 0)."""
        return self._document_frequencies("dedup_anchor_df", "anchor", anchors)

    def dedup_term_df(self, terms: list[int]) -> dict[int, int]:
        """How many indexed articles hold each word term (absent: 0)."""
        return self._document_frequencies("dedup_term_df", "term", terms)

    def _document_frequencies(self, table: str, column: str, keys: list[Any]) -> dict[Any, int]:
        """Stored document frequencies of `keys` plus the pending ones; those not read before
        (see FrequencyCache) in chunks of 900 (under SQLite's parameter limit)."""
        cache = self._df_cache.table(table)
        missing = [k for k in keys if k not in cache]
        for start in range(0, len(missing), 900):
            chunk = missing[start:start + 900]
            cache.update(dict.fromkeys(chunk, 0))
            cache.update(self.db.execute(
                f"select {column}, df from {table} where {column} in "
                f"({','.join('?' * len(chunk))})", chunk).fetchall())
        return self._pending_stats.added(cache, keys)

    def dedup_anchor_postings(self, anchors: list[str], day: int | None, window: int,
                              limit: int) -> list[tuple[str, int]]:
        """(anchor, article) for articles holding each anchor dated within `window` days of
        `day` (at most `limit`, the newest), plus undated ones; one query for all anchors."""
        if not anchors:
            return []
        undated = ("select * from (select anchor, article_id from dedup_anchors where "
                   "anchor = ? and day is null order by article_id desc limit ?)")
        if day is None:
            branches = [("select * from (select anchor, article_id from dedup_anchors where "
                         "anchor = ? order by day desc, article_id desc limit ?)", [a, limit])
                        for a in anchors]
        else:
            dated = ("select * from (select anchor, article_id from dedup_anchors where "
                     "anchor = ? and day between ? and ? order by day desc, article_id desc "
                     "limit ?)")
            branches = [(sql, args) for a in anchors for sql, args in (
                (dated, [a, day - window, day + window, limit]), (undated, [a, limit]))]
        sql = " union all ".join(b for b, _ in branches)
        return [tuple(r) for r in self.db.execute(sql, [x for _, args in branches for x in args])]

    def dedup_anchor_lists(self, ids: list[int]) -> dict[int, list[str]]:
        """Each article's anchors, without their document frequencies (from the index alone)."""
        found: dict[int, list[str]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = self.db.execute(  # one string per article: anchor keys hold no control characters
            "select article_id, group_concat(anchor, char(31)) from dedup_anchors where article_id "
            f"in ({','.join('?' * len(ids))}) group by article_id", ids)
        found.update((article_id, keys.split("\x1f")) for article_id, keys in rows)
        return found

    def dedup_anchor_sets(self, ids: list[int]) -> dict[int, dict[str, int]]:
        """Each article's anchors with their current document frequency."""
        found: dict[int, dict[str, int]] = {i: {} for i in ids}
        if not ids:
            return found
        pending = self._pending_stats.df.get
        rows = self.db.execute(
            "select a.article_id, a.anchor, coalesce(d.df, 0) from dedup_anchors a "
            "left join dedup_anchor_df d on d.anchor = a.anchor where a.article_id in "
            f"({','.join('?' * len(ids))})", ids).fetchall()
        for article_id, anchor, df in rows:
            found[article_id][anchor] = max(1, df + pending(anchor, 0))
        return found

    def index_dedup(self, article_id: int, index: Any) -> None:
        """Write (replacing) the article's dedup index rows; call inside save_article."""
        if index is None:
            return
        self._unindex_dedup(article_id)
        # Plain statements: sqlite-utils' table calls would introspect the schema every time.
        self.db.conn.executemany(
            "insert or ignore into dedup_urls (key, article_id) values (?, ?)",
            [(k, article_id) for k in index.url_keys])
        self.db.conn.execute(
            "insert into dedup_articles (article_id, language, day, lead, years, signature, "
            "vector, terms, counts) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [article_id, index.language, index.day, json.dumps(sorted(index.lead)),
             json.dumps(sorted(index.years)), index.signature, getattr(index, "vector", None),
             array("i", getattr(index, "terms", [])).tobytes(),
             json.dumps(counts) if (counts := getattr(index, "counts", None)) else None])
        self.db.conn.executemany(
            "insert into dedup_lsh (band, bucket, article_id) values (?, ?, ?)",
            [(b, k, article_id) for b, k in index.buckets])
        self.db.conn.executemany(
            "insert into dedup_anchors (anchor, day, article_id) values (?, ?, ?)",
            [(a, index.day, article_id) for a in index.anchors])
        self._pending_stats.count(index.anchors, getattr(index, "terms", []), +1)
        if self._pending_stats.articles >= DEDUP_STATS_BATCH:
            self._flush_dedup_stats()

    def _unindex_dedup(self, article_id: int) -> None:
        """Remove an article's dedup rows, decrementing its anchors' counts."""
        rows = list(self.db.execute(
            "select terms from dedup_articles where article_id = ?", [article_id]))
        if not rows:
            return
        terms = array("i")
        terms.frombytes(rows[0][0] or b"")
        anchors = [r[0] for r in self.db.execute(
            "select anchor from dedup_anchors where article_id = ?", [article_id])]
        self._pending_stats.count(anchors, list(terms), -1)
        for table in ("dedup_urls", "dedup_articles", "dedup_lsh", "dedup_anchors"):
            self.db.execute(f"delete from {table} where article_id = ?", [article_id])

    def _flush_dedup_stats(self) -> None:
        """Add the pending document frequencies and article count to their tables (inside the
        caller's transaction)."""
        pending = self._pending_stats
        self._df_cache.forget(pending.df)  # read again after the write (or its rollback)
        self.db.conn.executemany(
            "insert into dedup_anchor_df (anchor, df) values (?, ?) "
            "on conflict(anchor) do update set df = df + excluded.df",
            sorted((k, n) for k, n in pending.df.items() if isinstance(k, str) and n))
        self.db.conn.executemany(
            "insert into dedup_term_df (term, df) values (?, ?) "
            "on conflict(term) do update set df = df + excluded.df",
            sorted((k, n) for k, n in pending.df.items() if isinstance(k, int) and n))
        self._count_dedup_documents(pending.articles)
        pending.clear()

    def dedup_statistics(self) -> dict[str, Any]:
        """The stored dedup statistics: article count and the non-zero document frequencies."""
        rows = self.db.execute("select value from dedup_meta where key = 'articles'").fetchone()
        return {"articles": rows[0] if rows else 0,
                "anchors": dict(self.db.execute(
                    "select anchor, df from dedup_anchor_df where df != 0").fetchall()),
                "terms": dict(self.db.execute(
                    "select term, df from dedup_term_df where df != 0").fetchall())}

    def indexed_statistics(self) -> dict[str, Any]:
        """The dedup statistics as the index tables say they should be."""
        terms: Counter[int] = Counter()
        for (raw,) in self.db.execute("select terms from dedup_articles"):
            found = array("i")
            found.frombytes(raw or b"")
            terms.update(found)
        return {"articles": self.db.execute("select count(*) from dedup_articles").fetchone()[0],
                "anchors": dict(self.db.execute(
                    "select anchor, count(*) from dedup_anchors group by anchor").fetchall()),
                "terms": dict(terms)}

    @write_transaction
    def repair_dedup_stats(self) -> dict[str, int]:
        """Recompute the dedup statistics (article count, anchor and term document
        frequencies) from the index tables, e.g. after a crawl was killed between two
        writes of its pending counts; how many values were wrong, per statistic."""
        self._pending_stats.clear()
        stored, truth = self.dedup_statistics(), self.indexed_statistics()
        wrong = {"articles": int(stored["articles"] != truth["articles"])}
        for name in ("anchors", "terms"):
            keys = stored[name].keys() | truth[name].keys()
            wrong[name] = sum(stored[name].get(k) != truth[name].get(k) for k in keys)
        self.db.execute("delete from dedup_meta where key = 'articles'")
        self._count_dedup_documents(truth["articles"])
        for table, column, name in (("dedup_anchor_df", "anchor", "anchors"),
                                    ("dedup_term_df", "term", "terms")):
            self.db.execute(f"delete from {table}")
            self.db.conn.executemany(f"insert into {table} ({column}, df) values (?, ?)",
                                     sorted(truth[name].items()))
        self._df_cache.forget([*stored["anchors"], *stored["terms"]])
        return wrong

    def _count_dedup_documents(self, delta: int) -> None:
        """Keep the indexed-article count (the N of the anchors' IDF)."""
        self.db.execute(
            "insert into dedup_meta (key, value) values ('articles', ?) "
            "on conflict(key) do update set value = value + excluded.value", [delta])
