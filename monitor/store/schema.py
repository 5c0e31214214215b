"""The store's schema: every migration, in the order it is applied, and the `operations` view."""

from __future__ import annotations

from array import array

import sqlite_utils
from sqlite_utils.migrations import Migrations

from monitor.stations.urls import strip_tracking, url_key
from monitor.store.articles import ARTICLE_COLUMNS, ArticlesRoom

migrations = Migrations("monitor")


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
    """Incremental crawling, change records and per-source run health."""
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
    """Dedup indexes: URL keys, MinHash LSH buckets, story anchors and their counts."""
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


@migrations()
def m008_operations_view(db: sqlite_utils.Database) -> None:
    """The `operations` view: one row per story cluster that reports an operation."""
    db.execute("drop view if exists operations")
    db.execute(OPERATIONS_VIEW)


@migrations()
def m012_dedup_terms(db: sqlite_utils.Database) -> None:
    """Dedup: word-term document frequencies, each article's terms and TF-IDF vector."""
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
    """Cluster ids never reused: `clusters` rebuilt with an AUTOINCREMENT id, its
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
    """One row per page: articles get `url_key` (unique); rows of the same page are
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
    store = ArticlesRoom.over(db.conn)
    for cluster_id in sorted(touched):
        if store.cluster(cluster_id) is not None:
            store.refresh_cluster(cluster_id)


@migrations()
def m019_crawl_memory(db: sqlite_utils.Database) -> None:
    """A 304 never hides a listing's links: `http_validators` keeps the listing's
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
