"""The SQLite store: the only module that writes SQL."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

import sqlite_utils
from sqlite_utils.db import NotFoundError, jsonify_if_needed
from sqlite_utils.migrations import Migrations

from monitor.items import Article
from monitor.stations.official import is_official
from monitor.stations.urls import strip_tracking, url_key

logger = logging.getLogger(__name__)

migrations = Migrations("monitor")

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


def now_iso() -> str:
    """The current UTC time as an ISO string with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# Per-run health columns, in crawl_runs (whole run) and source_runs (one row per source).
HEALTH_COLUMNS: dict[str, type] = {
    "spider": str, "requests": int, "responses": int, "responses_by_status": str,
    "not_modified": int, "skipped_fresh": int, "items": int, "articles_new": int,
    "articles_updated": int, "articles_unchanged": int, "articles_dropped": int,
    "dropped_by_reason": str, "fetch_errors": int, "share_date": float,
    "share_language": float, "share_body": float, "flags": str, "notes": str,
}


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


@migrations()
def m002_review(db: sqlite_utils.Database) -> None:
    """Review decisions that later crawls respect: exclusions and merges."""
    db["cluster_exclusions"].create(
        {"article_id": int, "cluster_id": int, "url": str, "relation": str, "actor": str,
         "at": str},
        pk=("article_id", "cluster_id"), if_not_exists=True,
    )
    db["cluster_merges"].create(
        {"from_id": int, "into_id": int, "actor": str, "at": str}, pk="from_id",
        if_not_exists=True,
    )
    db["review_log"].create_index(["cluster_id"], if_not_exists=True)


@migrations()
def m006_crawl_state(db: sqlite_utils.Database) -> None:
    """Incremental crawling, change records and per-source run health (issue 6)."""
    db["url_checks"].create(
        {"url": str, "kind": str, "source": str, "outcome": str, "checked_at": str}, pk="url")
    db["http_validators"].create(
        {"url": str, "etag": str, "last_modified": str, "saved_at": str}, pk="url")
    db["article_changes"].create(
        {"id": int, "article_id": int, "at": str, "old_hash": str, "new_hash": str,
         "old_chars": int, "new_chars": int, "size_delta": int}, pk="id")
    db["article_changes"].create_index(["article_id"])
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS articles_change_log AFTER UPDATE OF content_hash ON "
        "articles WHEN old.content_hash IS NOT NULL AND old.content_hash IS NOT "
        "new.content_hash BEGIN INSERT INTO article_changes (article_id, at, old_hash, "
        "new_hash, old_chars, new_chars, size_delta) VALUES (new.id, coalesce(new.updated_at, "
        "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')), old.content_hash, new.content_hash, "
        "length(old.text), length(new.text), length(new.text) - length(old.text)); END")
    db["source_runs"].create(HEALTH_COLUMNS | {"id": int, "run_id": int, "source": str},
                             pk="id")
    db["source_runs"].create_index(["source", "run_id"])
    for column, kind in HEALTH_COLUMNS.items():
        if column not in db["crawl_runs"].columns_dict:
            db["crawl_runs"].add_column(column, kind)


@migrations()
def m007_dedup_index(db: sqlite_utils.Database) -> None:
    """Dedup indexes (issue 3): URL keys, MinHash LSH buckets, story anchors and their counts."""
    db["dedup_urls"].create({"key": str, "article_id": int}, pk=("key", "article_id"))
    db["dedup_articles"].create(
        {"article_id": int, "language": str, "day": int, "lead": str, "years": str,
         "signature": bytes}, pk="article_id")
    db["dedup_lsh"].create({"band": int, "bucket": int, "article_id": int})
    db["dedup_lsh"].create_index(["band", "bucket"])
    db["dedup_lsh"].create_index(["article_id"])
    db["dedup_anchors"].create({"anchor": str, "day": int, "article_id": int})
    db["dedup_anchors"].create_index(["anchor", "day"])
    db["dedup_anchors"].create_index(["article_id"])
    db["dedup_anchor_df"].create({"anchor": str, "df": int}, pk="anchor")
    db["dedup_meta"].create({"key": str, "value": int}, pk="key")

# ----- operations (issue 4) -----

OPERATION_COUNTS = ("children_total", "children_recovered", "children_located",
                    "children_rescued", "arrests")


def _operation_count_sql(kind: str) -> str:
    """The representative's `kind` count, else the earliest member's that has one."""
    return (
        "coalesce((select cast(f.value as integer) from facts f where f.article_id = "
        f"c.representative_id and f.kind = '{kind}' order by f.id limit 1), (select "
        "cast(f.value as integer) from facts f join articles a on a.id = f.article_id where "
        f"a.cluster_id = c.id and f.kind = '{kind}' order by coalesce(a.published, '9999'), "
        f"a.id limit 1)) as {kind}")


OPERATIONS_VIEW = f"""
create view operations as
with member_counts as (
  select a.cluster_id, f.kind, cast(f.value as integer) as value
  from facts f join articles a on a.id = f.article_id
  where f.kind in ({", ".join(f"'{k}'" for k in OPERATION_COUNTS)}) and a.cluster_id is not null
), per_kind as (
  select cluster_id, kind, group_concat(distinct value) as seen, count(distinct value) as n
  from member_counts group by cluster_id, kind
), disagreements as (
  select cluster_id, group_concat(kind || ': ' || seen, '; ') as detail
  from per_kind where n > 1 group by cluster_id
)
select
  c.id as cluster_id,
  coalesce(
    (select f.value from facts f where f.article_id = c.representative_id
       and f.kind = 'operation' order by f.id limit 1),
    (select f.value from facts f join articles a on a.id = f.article_id
       where a.cluster_id = c.id and f.kind = 'operation'
       order by coalesce(a.published, '9999'), a.id limit 1)) as name,
  {", ".join(_operation_count_sql(k) for k in OPERATION_COUNTS)},
  c.languages,
  (select group_concat(value, '; ') from (select distinct f.value from facts f
     where f.article_id = c.representative_id and f.kind = 'agency')) as agencies,
  (select group_concat(value, '; ') from (select distinct f.value from facts f
     where f.article_id = c.representative_id and f.kind = 'place')) as places,
  c.first_published as first_reported,
  c.size as reports,
  (select count(*) from articles a where a.cluster_id = c.id and a.relevant = 1)
    as relevant_reports,
  d.detail is not null as counts_disagree,
  d.detail as disagreement,
  c.title,
  c.representative_id,
  r.url as representative_url,
  c.status
from clusters c
left join articles r on r.id = c.representative_id
left join disagreements d on d.cluster_id = c.id
where exists (select 1 from articles a where a.cluster_id = c.id and a.relevant = 1)
"""


# A story's children on the dashboard: the operations row's total, else its recovered,
# located and rescued children (the facts station gives kinds that are separate groups).
STORY_CHILDREN_SQL = (
    "coalesce(o.children_total, nullif(coalesce(o.children_recovered, 0) + "
    "coalesce(o.children_located, 0) + coalesce(o.children_rescued, 0), 0))")


@migrations()
def m008_operations_view(db: sqlite_utils.Database) -> None:
    """The `operations` view: one row per story cluster that reports an operation (issue 4)."""
    db.execute("drop view if exists operations")
    db.execute(OPERATIONS_VIEW)


@migrations()
def m012_dedup_terms(db: sqlite_utils.Database) -> None:
    """Dedup (issue 3): word-term document frequencies, each article's terms and TF-IDF vector."""
    db["dedup_term_df"].create({"term": int, "df": int}, pk="term")
    db["dedup_articles"].add_column("terms", bytes)
    db["dedup_articles"].add_column("vector", bytes)


@migrations()
def m013_dedup_anchor_sets(db: sqlite_utils.Database) -> None:
    """Dedup: an article's anchors read from the index alone (a candidate's whole anchor set
    is read for every story comparison)."""
    db["dedup_anchors"].create_index(["article_id", "anchor"], if_not_exists=True)
    db.execute("drop index if exists idx_dedup_anchors_article_id")


# Dedup's index tables rebuilt WITHOUT ROWID (m014), each clustered on the key it is looked up
# or deleted by, so a row lives in one B-tree fewer: (columns, primary key, secondary indexes).
DEDUP_CLUSTERED: dict[str, tuple[str, str, list[list[str]]]] = {
    "dedup_anchors": ('"anchor" TEXT, "day" INTEGER, "article_id" INTEGER',
                      '"article_id", "anchor"', [["anchor", "day"]]),
    "dedup_lsh": ('"band" INTEGER, "bucket" INTEGER, "article_id" INTEGER',
                  '"band", "bucket", "article_id"', [["article_id"]]),
    "dedup_anchor_df": ('"anchor" TEXT, "df" INTEGER', '"anchor"', []),
}


@migrations()
def m014_dedup_without_rowid(db: sqlite_utils.Database) -> None:
    """Dedup: the anchor, LSH and anchor-frequency tables as WITHOUT ROWID tables, same rows
    (an article's anchors are the table's key order; (anchor, day) and LSH indexes cover)."""
    for table, (columns, key, indexes) in DEDUP_CLUSTERED.items():
        names = ", ".join(f'"{c}"' for c in db[table].columns_dict)
        db.execute(f'create table "{table}_m014" ({columns}, primary key ({key})) '
                   "without rowid")
        # or ignore: a row without its key (never written) would fail the implicit NOT NULL
        db.execute(f'insert or ignore into "{table}_m014" ({names}) select {names} '
                   f'from "{table}" order by {key}')
        db.execute(f'drop table "{table}"')
        db.execute(f'alter table "{table}_m014" rename to "{table}"')
        for index in indexes:
            db[table].create_index(index)


@migrations()
def m016_dedup_child_counts(db: sqlite_utils.Database) -> None:
    """Dedup: each article's counts of children (headline, approximate, all), compared by the
    story model."""
    if "counts" not in db["dedup_articles"].columns_dict:
        db["dedup_articles"].add_column("counts", str)


# Every column that holds a cluster id: the highest id ever handed out (m017).
CLUSTER_ID_COLUMNS = (("clusters", "id"), ("articles", "cluster_id"), ("matches", "cluster_id"),
                      ("cluster_exclusions", "cluster_id"), ("cluster_merges", "from_id"),
                      ("cluster_merges", "into_id"), ("review_log", "cluster_id"),
                      ("review_log", "json_extract(after, '$.new_cluster_id')"))


@migrations()
def m017_cluster_ids_never_reused(db: sqlite_utils.Database) -> None:
    """Cluster ids never reused (issue 15): `clusters` rebuilt with an AUTOINCREMENT id, its
    sequence starting above every id a cluster, a merge or a review ever named."""
    views = db.execute("select name, sql from sqlite_master where type = 'view'").fetchall()
    for name, _ in views:  # views naming `clusters` would block the rename
        db.execute(f'drop view "{name}"')
    schema = db["clusters"].schema.replace('"id" INTEGER PRIMARY KEY',
                                           '"id" INTEGER PRIMARY KEY AUTOINCREMENT', 1)
    db.execute(schema.replace('"clusters"', '"clusters_m017"', 1))
    db.execute('insert into "clusters_m017" select * from "clusters" order by id')
    db.execute('drop table "clusters"')
    db.execute('alter table "clusters_m017" rename to "clusters"')
    for _, sql in views:
        db.execute(sql)
    highest = max(db.execute(f"select coalesce(max({column}), 0) from {table}").fetchone()[0]
                  for table, column in CLUSTER_ID_COLUMNS)
    db.execute("delete from sqlite_sequence where name = 'clusters'")
    db.execute("insert into sqlite_sequence (name, seq) values ('clusters', ?)", [highest])


@migrations()
def m018_url_identity(db: sqlite_utils.Database) -> None:
    """One row per page (issue 15): articles get `url_key` (unique); rows of the same page are
    folded into the earliest, which takes their matches, facts and review decisions; stored
    URLs lose their tracking parameters."""
    if "url_key" not in db["articles"].columns_dict:
        db["articles"].add_column("url_key", str)
    pages: dict[str, list[int]] = {}
    for article_id, url in db.execute("select id, url from articles order by id").fetchall():
        pages.setdefault(url_key(url), []).append(article_id)
    touched: set[int] = set()
    for ids in pages.values():
        if len(ids) > 1:
            touched |= fold_page(db, ids)
    db.conn.executemany(
        "update articles set url_key = ?, url = ?, canonical_url = ? where id = ?",
        [(url_key(url), strip_tracking(url), canonical and strip_tracking(canonical), i)
         for i, url, canonical in db.execute(
             "select id, url, canonical_url from articles").fetchall()])
    db["articles"].create_index(["url_key"], unique=True)
    store = Store.from_connection(db.conn, migrate=False)
    for cluster_id in sorted(touched):
        if store.cluster(cluster_id) is not None:
            store.refresh_cluster(cluster_id)


@migrations()
def m019_crawl_memory(db: sqlite_utils.Database) -> None:
    """A 304 never hides a listing's links (issue 15): `http_validators` keeps the listing's
    body (zlib) and Content-Type; `url_checks` gets the page identity `url_key`, indexed."""
    for column, kind in (("body", bytes), ("content_type", str)):
        if column not in db["http_validators"].columns_dict:
            db["http_validators"].add_column(column, kind)
    if "url_key" not in db["url_checks"].columns_dict:
        db["url_checks"].add_column("url_key", str)
    db.conn.executemany("update url_checks set url_key = ? where url = ?",
                        [(url_key(url), url) for (url,) in
                         db.execute("select url from url_checks").fetchall()])
    db["url_checks"].create_index(["url_key", "checked_at"], if_not_exists=True)


@migrations()
def m020_digests(db: sqlite_utils.Database) -> None:
    """Alerts: `digests` remembers each `monitor digest --since last-run`, so the next one lists
    only the operation stories found after it (the highest article id it had seen)."""
    db["digests"].create({"id": int, "at": str, "since": str, "through_article_id": int,
                          "stories": int, "format": str}, pk="id", if_not_exists=True)


@migrations()
def m021_operations_agencies_places(db: sqlite_utils.Database) -> None:
    """The `operations` view names the agencies and places of each story's representative."""
    db.execute("drop view if exists operations")
    db.execute(OPERATIONS_VIEW)


@migrations()
def m022_store_writer(db: sqlite_utils.Database) -> None:
    """Scaling out: the store writer's receipts (a message applied once, even when
    it is taken again after a crash) and each worker run's article outcomes per source."""
    db["writer_receipts"].create({"message_id": str, "at": str}, pk="message_id",
                                 if_not_exists=True)
    db["run_outcomes"].create({"run_id": int, "source": str, "outcome": str, "n": int},
                              pk=("run_id", "source", "outcome"), if_not_exists=True)


def fold_page(db: sqlite_utils.Database, ids: list[int]) -> set[int]:
    """Fold the rows `ids` of one page into the earliest; return the clusters touched.

    The kept row goes to the cluster of the first row whose cluster no row was split out of,
    a reviewed cluster before an automatic one; exclusions, review_log rows, matches, facts
    and text changes of the others move to it (facts it does not hold already)."""
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"select a.id, a.cluster_id, coalesce(c.status, 'auto') from articles a left join "
        f"clusters c on c.id = a.cluster_id where a.id in ({marks}) order by a.id", ids).fetchall()
    excluded = {r[0] for r in db.execute(
        f"select cluster_id from cluster_exclusions where article_id in ({marks})", ids)}
    home = min(rows, key=lambda r: (r[1] in excluded, r[2] == "auto", r[0]))[1]
    keep, others = ids[0], ids[1:]
    db.execute("update articles set cluster_id = ? where id = ?", [home, keep])
    for other in others:
        fold_row(db, other, keep)
    return {r[1] for r in rows if r[1] is not None}


def fold_row(db: sqlite_utils.Database, other: int, keep: int) -> None:
    """Move what refers to article `other` to article `keep`, then delete `other`."""
    for sql in (
        "update matches set article_id = :keep where article_id = :other",
        "update matches set matched_id = :keep where matched_id = :other",
        "delete from matches where article_id = :keep and matched_id = :keep",
        "update facts set article_id = :keep where article_id = :other and not exists (select "
        "1 from facts f where f.article_id = :keep and f.kind = facts.kind "
        "and f.value is facts.value)",
        "delete from facts where article_id = :other",
        "update or ignore cluster_exclusions set article_id = :keep where article_id = :other",
        "delete from cluster_exclusions where article_id = :other",
        "update review_log set article_id = :keep where article_id = :other",
        "update clusters set representative_id = :keep where representative_id = :other",
        "update article_changes set article_id = :keep where article_id = :other",
    ):
        db.execute(sql, {"keep": keep, "other": other})
    unindex_folded(db, other, keep)
    db.execute("delete from articles where id = ?", [other])


def unindex_folded(db: sqlite_utils.Database, other: int, keep: int) -> None:
    """Drop a folded row's dedup index rows and counts (its URL keys go to the kept row)."""
    db.execute("insert or ignore into dedup_urls (key, article_id) select key, ? from "
               "dedup_urls where article_id = ?", [keep, other])
    row = db.execute("select terms from dedup_articles where article_id = ?",
                     [other]).fetchone()
    if row is not None:
        terms = array("i")
        terms.frombytes(row[0] or b"")
        db.conn.executemany("update dedup_term_df set df = df - 1 where term = ?",
                            [(t,) for t in terms])
        db.execute("update dedup_anchor_df set df = df - 1 where anchor in (select anchor "
                    "from dedup_anchors where article_id = ?)", [other])
        db.execute("update dedup_meta set value = value - 1 where key = 'articles'")
    for table in ("dedup_urls", "dedup_articles", "dedup_lsh", "dedup_anchors"):
        db.execute(f"delete from {table} where article_id = ?", [other])


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


class MonitorDatabase(sqlite_utils.Database):
    """sqlite-utils' Database whose outermost `atomic()` takes the write lock up front.

    A deferred transaction that reads before it writes fails at once with "database is
    locked" when another connection commits in between (the busy timeout does not apply to
    that upgrade); `BEGIN IMMEDIATE` waits for the lock (up to the busy timeout) instead.
    Nested blocks are savepoints, as in sqlite-utils."""

    @contextlib.contextmanager
    def atomic(self) -> Iterator[MonitorDatabase]:
        """A write transaction that holds the write lock from its start."""
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


P = ParamSpec("P")
R = TypeVar("R")


def write_transaction(
        method: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
    """Run a Store method in a write transaction that holds the lock from its start (a
    savepoint inside the caller's transaction)."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.db.atomic():
            return method(self, *args, **kwargs)

    return wrapper


class StoreError(Exception):
    """The store cannot be opened or written; the message is one line, for the user."""


def check_store_path(path: str | Path) -> None:
    """Raise StoreError when `path` cannot be a store: a directory, or a parent that is missing
    or is a file. A missing directory is never created here: a mistyped MONITOR_DB must not
    quietly start a new, empty store somewhere else."""
    path = Path(path)
    parent = path.parent
    if path.is_dir():
        raise StoreError(f"the store {path} is a directory, not a SQLite database file")
    for ancestor in (parent, *parent.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise StoreError(f"cannot use the store {path}: {ancestor} is a file, "
                             "not a directory")
    if not parent.is_dir():
        raise StoreError(f"cannot use the store {path}: no directory {parent.resolve()}; "
                         f"create it (mkdir -p {parent}) or fix MONITOR_DB / --db")


def store_error(path: str | Path, exc: sqlite3.Error, busy_seconds: float) -> StoreError:
    """An SQLite error met while opening or writing the store, as a one-line StoreError."""
    text = str(exc)
    if "not a database" in text:
        return StoreError(f"{path} is not a SQLite database ({text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the store {path} is read-only ({text}): give this user write "
                          "access to it and its directory, or work on a copy")
    if "locked" in text or "busy" in text:
        return StoreError(f"the store {path} has been locked by another process for more "
                          f"than {busy_seconds:g} s ({text}); try again later")
    return StoreError(f"cannot open the store {path}: {text}")


class Store:
    """A monitor database: schema, writes, and the reads other stations need."""

    def __init__(self, path: str | Path, busy_seconds: float = 30.0) -> None:
        """Open (creating the file, never its directory) the store at `path` and bring its
        schema up to date; StoreError, one line, when that is impossible."""
        self.path = Path(path)
        check_store_path(self.path)
        self.db = MonitorDatabase(self.path)
        try:
            self._open(busy_seconds)
        except sqlite3.Error as exc:
            self.db.close()
            raise store_error(self.path, exc, busy_seconds) from exc

    def _open(self, busy_seconds: float) -> None:
        """WAL, the busy timeout and the migrations."""
        self.db.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        self._pending_stats = PendingStats()
        self._df_cache = FrequencyCache(self.db.conn)
        if migrations.pending(self.db):  # under the write lock: another process may migrate
            with self.db.atomic():
                migrations.apply(self.db)

    def check_writable(self, busy_seconds: float = 30.0) -> None:
        """Take the write lock and let it go at once; StoreError when the store cannot be
        written (read-only, or locked by another process for longer than the busy timeout)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:  # a read-only file is found out only by writing a page
                self.db.execute("CREATE TABLE _monitor_write_probe (x)")
            finally:
                self.db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, busy_seconds) from exc

    def close(self) -> None:
        """Write the pending dedup statistics, then close the connection."""
        if self._pending_stats.articles or self._pending_stats.df:
            with self.db.atomic():
                self._flush_dedup_stats()
        self.db.close()

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """Rows as dicts, for reads in the per-article path (sqlite-utils' query() wraps each
        statement in a savepoint)."""
        cursor = self.db.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # ----- articles -----

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

    # ----- clusters -----

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

    # ----- operations (issue 4) -----

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

    # ----- review -----

    @classmethod
    def from_connection(cls, conn: sqlite3.Connection, migrate: bool = True,
                        busy_seconds: float = 30.0) -> Store:
        """A Store over an open connection (Datasette's), bringing the schema up to date;
        a connection that may write (migrate) waits up to `busy_seconds` for the write lock."""
        store = cls.__new__(cls)
        store.db = MonitorDatabase(conn)
        store._pending_stats = PendingStats()
        store._df_cache = FrequencyCache(conn)
        store.path = Path(store.db.execute("pragma database_list").fetchone()[2] or ":memory:")
        if migrate:
            store.db.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            if migrations.pending(store.db):
                with store.db.atomic():
                    migrations.apply(store.db)
        return store

    @classmethod
    def open_read_only(cls, path: str | Path, busy_seconds: float = 30.0) -> Store:
        """Open an existing monitor store for reading only (SQLite `mode=ro`: no migration,
        no WAL switch, nothing written); StoreError, one line, for a missing file, a file
        that is not a SQLite database or not a monitor store, or one that needs migrating."""
        path = Path(path)
        check_store_path(path)
        if not path.is_file():
            raise StoreError(f"no store at {path}: run a crawl first (make run)")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            store = cls.from_connection(conn, migrate=False)
            store.path = path
            store._check_monitor_schema()
        except sqlite3.Error as exc:
            conn.close()
            raise store_error(path, exc, busy_seconds) from exc
        except StoreError:
            conn.close()
            raise
        return store

    def _check_monitor_schema(self) -> None:
        """StoreError unless the file holds the monitor's tables at the current migration."""
        tables = set(self.db.table_names())
        if not {"_sqlite_migrations", "articles", "clusters"} <= tables or not list(
                self.db.execute("select 1 from _sqlite_migrations where migration_set = ? "
                                "limit 1", [migrations.name])):
            raise StoreError(f"{self.path} is not a monitor store (no monitor tables in it); "
                             "check --db / MONITOR_DB")
        if migrations.pending(self.db):
            raise StoreError(f"the store {self.path} has an older schema: run `monitor repair` "
                             "(or a crawl) once to upgrade it, then try again")

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


    # ----- digests (alerts) -----

    def last_digest(self) -> dict[str, Any] | None:
        """The newest `digests` row, or None before the first digest."""
        rows = self._rows("select * from digests order by id desc limit 1", [])
        return rows[0] if rows else None

    def max_article_id(self) -> int:
        """The highest article id stored (0 in an empty store)."""
        return self.db.execute("select coalesce(max(id), 0) from articles").fetchone()[0]

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

    # ----- crawl state and run health (issue 6) -----

    def recently_checked(self, url: str, since: str) -> bool:
        """Whether the page of `url` (any tracking, AMP or mobile variant) was fetched and
        processed (stored or dropped) at or after `since`."""
        key = url_key(url)
        rows = self.db.execute(
            "select 1 from url_checks where url_key = ? and checked_at >= ? union all "
            "select 1 from articles where url_key = ? and fetched_at >= ? limit 1",
            [key, since, key, since]).fetchall()
        return bool(rows)

    def mark_checked(self, urls: Iterable[str], kind: str, source: str | None,
                     outcome: str) -> None:
        """Record that `urls` were processed now with `outcome` (new, unchanged, dropped...)."""
        at = now_iso()
        rows = [{"url": url, "url_key": url_key(url), "kind": kind, "source": source,
                 "outcome": outcome, "checked_at": at} for url in sorted(set(urls))]
        with self.db.atomic():
            self.db["url_checks"].upsert_all(rows, pk="url")

    def validators(self, url: str) -> dict[str, Any] | None:
        """The committed ETag / Last-Modified of a listing URL, with its body, or None."""
        rows = list(self.db["http_validators"].rows_where("url = ?", [url], limit=1))
        return rows[0] if rows else None

    def save_validators(self, rows: Iterable[dict[str, Any]]) -> int:
        """Commit listing validators (url, etag, last_modified, body, content_type) at once."""
        batch = [{**row, "saved_at": now_iso()} for row in rows]
        with self.db.atomic():
            if batch:
                self.db["http_validators"].upsert_all(batch, pk="url")
        return len(batch)

    def fetch_errors_by_source(self, run_id: int) -> dict[str | None, int]:
        """How many fetch_errors rows each source has in a run."""
        return {r["source"]: r["n"] for r in self.db.query(
            "select source, count(*) n from fetch_errors where run_id = ? group by source",
            [run_id])}

    def previous_source_runs(self, source: str, before_run: int, limit: int) -> list[dict]:
        """The newest `limit` finished rows of `source` from runs before `before_run`."""
        return list(self.db.query(
            "select * from source_runs where source = ? and run_id < ? order by run_id desc "
            "limit ?", [source, before_run, limit]))

    def save_run_health(self, run_id: int, run: dict[str, Any],
                        sources: list[dict[str, Any]]) -> None:
        """Write a run's per-source rows and its health columns, in one transaction."""
        with self.db.atomic():
            self.db["source_runs"].delete_where("run_id = ?", [run_id])
            if sources:
                self.db["source_runs"].insert_all([{**row, "run_id": run_id}
                                                   for row in sources])
            self.db["crawl_runs"].update(run_id, run)

    def runs(self, limit: int = 10, spider: str | None = None) -> list[dict[str, Any]]:
        """The newest crawl runs, newest first."""
        where, args = ("where spider = ?", [spider]) if spider else ("", [])
        return list(self.db.query(f"select * from crawl_runs {where} order by id desc limit ?",
                                  [*args, limit]))

    def source_runs(self, run_id: int) -> list[dict[str, Any]]:
        """The per-source rows of one run."""
        return list(self.db.query("select * from source_runs where run_id = ? order by source",
                                  [run_id]))

    def source_history(self, source: str, limit: int = 10) -> list[dict[str, Any]]:
        """The newest per-run rows of one source, newest first."""
        return list(self.db.query(
            "select s.*, r.started_at, r.finish_reason from source_runs s join crawl_runs r "
            "on r.id = s.run_id where s.source = ? order by s.run_id desc limit ?",
            [source, limit]))

    def close_dead_runs(self) -> int:
        """Mark runs that never finished as killed (call only while holding the crawl lock)."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update crawl_runs set finish_reason = 'killed' "
                "where finished_at is null and finish_reason is null")
        return cursor.rowcount

    def article_changes(self, article_id: int) -> list[dict[str, Any]]:
        """The recorded text changes of one article, oldest first."""
        return list(self.db["article_changes"].rows_where("article_id = ?", [article_id],
                                                          order_by="id"))

    # ----- dedup (issue 3) -----

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

    # ----- the store writer of a scaled-out crawl (issue 19) -----

    def has_receipt(self, message_id: str) -> bool:
        """Whether the writer already applied this message."""
        return self.db.execute("select 1 from writer_receipts where message_id = ?",
                               [message_id]).fetchone() is not None

    def add_receipt(self, message_id: str) -> None:
        """Record that a message was applied (inside the message's transaction)."""
        self.db.execute("insert into writer_receipts (message_id, at) values (?, ?)",
                        [message_id, now_iso()])

    def prune_receipts(self, before: str) -> int:
        """Forget receipts older than `before` (no message can come back after so long)."""
        with self.db.atomic():
            return self.db.execute("delete from writer_receipts where at < ?",
                                   [before]).rowcount

    def worker_run_id(self, token: str) -> int | None:
        """The crawl_runs id of a worker's run, by the token it started with."""
        row = self.db.execute(
            "select id from crawl_runs where json_extract(args, '$.worker_run') = ? "
            "order by id desc limit 1", [token]).fetchone()
        return row[0] if row else None

    def open_worker_runs(self) -> list[tuple[int, str]]:
        """(id, token) of worker runs not finished yet."""
        return [tuple(r) for r in self.db.execute(
            "select id, json_extract(args, '$.worker_run') from crawl_runs where finished_at "
            "is null and finish_reason is null and json_extract(args, '$.worker_run') is not "
            "null order by id").fetchall()]

    def count_run_outcome(self, run_id: int | None, source: str, outcome: str) -> None:
        """Count one stored article of a worker run (inside the article's transaction)."""
        if run_id is None:
            return
        self.db.execute(
            "insert into run_outcomes (run_id, source, outcome, n) values (?, ?, ?, 1) "
            "on conflict (run_id, source, outcome) do update set n = n + 1",
            [run_id, source, outcome])

    def run_outcomes(self, run_id: int) -> dict[str, Counter[str]]:
        """A worker run's stored articles by source and outcome."""
        found: dict[str, Counter[str]] = {}
        for source, outcome, n in self.db.execute(
                "select source, outcome, n from run_outcomes where run_id = ?", [run_id]):
            found.setdefault(source, Counter())[outcome] += n
        return found

    def last_checked(self, keys: list[str]) -> dict[str, str]:
        """When each page (by url_key) was last fetched and processed: its url_checks row or
        its article's fetched_at, the later of the two."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 400):
            chunk = keys[start:start + 400]
            marks = ",".join("?" * len(chunk))
            for key, at in self.db.execute(
                    f"select url_key, max(checked_at) from url_checks where url_key in ({marks}) "
                    f"group by url_key union all select url_key, fetched_at from articles "
                    f"where url_key in ({marks})", chunk + chunk):
                if key and at and at > found.get(key, ""):
                    found[key] = at
        return found

    def all_checked(self) -> Iterator[tuple[str, str]]:
        """(url_key, when) of every page fetched and processed (to rebuild a mirror)."""
        yield from self.db.execute(
            "select url_key, max(at) from (select url_key, checked_at as at from url_checks "
            "union all select url_key, fetched_at from articles) where url_key is not null "
            "and at is not null group by url_key")

    def all_validators(self) -> Iterator[dict[str, Any]]:
        """Every listing's committed validators (to rebuild a mirror)."""
        yield from self.db["http_validators"].rows
