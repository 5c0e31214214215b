"""The store's dedup tables as WITHOUT ROWID tables (m014): same rows, same reads, index plans."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlite_utils

from monitor.items import Article
from monitor.store import Store, migrations

DEDUP_TABLES = ("dedup_urls", "dedup_articles", "dedup_lsh", "dedup_anchors", "dedup_anchor_df",
                "dedup_term_df", "dedup_meta")
DAY = 739_000


def indexed(url: str, text: str, anchors: list[str], day: int | None,
            buckets: list[tuple[int, int]]) -> Article:
    """An article with a dedup decision (a new cluster) and the index rows to write."""
    index = SimpleNamespace(
        url_keys=[url.split("//")[1]], language="en", day=day, lead=[3], years=[2024],
        signature=text.encode(), buckets=buckets, anchors=sorted(anchors),
        vector=b"\x01\x02", terms=[len(text), 7])
    article = Article(url=url, source="test", text=text, title=text, language="en",
                      content_hash=f"h{hash(text)}")
    article.dedup = SimpleNamespace(cluster_id=None, matched_id=None, method=None, score=0.0,
                                    relation="original", evidence={}, index=index)
    return article


ARTICLES = [  # shared anchors, day ties, an undated article, shared LSH buckets, an update
    indexed("https://a.test/1", "one", ["n:41", "p:tulsa", "y:2024"], DAY, [(0, 5), (1, 9)]),
    indexed("https://a.test/2", "two", ["n:41", "p:tulsa"], DAY, [(0, 5), (1, 8)]),
    indexed("https://a.test/3", "three", ["p:tulsa", "q:harbor"], None, [(0, 6), (1, 9)]),
    indexed("https://a.test/4", "four", ["n:41", "n:12"], DAY + 3, [(0, 5), (1, 1)]),
    indexed("https://a.test/1", "one, updated", ["n:41", "p:tulsa", "n:6"], DAY,
            [(0, 5), (1, 2)]),
]


def rows(db: sqlite_utils.Database) -> dict[str, set[tuple[Any, ...]]]:
    """Every dedup table's rows, as sets."""
    return {t: set(db.execute(f"select * from {t}").fetchall()) for t in DEDUP_TABLES}


def reads(store: Store) -> list[Any]:
    """What the dedup station reads back (postings sorted: only their set is the contract
    when no limit cuts them)."""
    anchors = ["n:41", "p:tulsa", "q:harbor", "n:6", "n:12"]
    return [sorted(store.dedup_anchor_postings(anchors, DAY, 30, 200)),
            sorted(store.dedup_anchor_postings(anchors, None, 30, 200)),
            store.dedup_lsh_candidates([(0, 5), (1, 9), (1, 2)], 200),
            store.dedup_anchor_sets([1, 2, 3, 4]), store.dedup_anchor_lists([1, 2, 3, 4, 9]),
            store.dedup_anchor_df(anchors),
            store.dedup_term_df([3, 7]), store.dedup_document_count(),
            sorted(store.dedup_articles([1, 2, 3, 4]))]


def test_m014_keeps_the_rows_and_reads_of_an_older_store(tmp_path: Path) -> None:
    old_path, new_path = tmp_path / "old.db", tmp_path / "new.db"
    db = sqlite_utils.Database(old_path)
    migrations.apply(db, stop_before="m014_dedup_without_rowid")
    db["dedup_articles"].add_column("counts", str)  # what today's writes need (m016 keeps it)
    db["articles"].add_column("url_key", str)  # and the page identity (m018 keeps it)
    old = Store.from_connection(db.conn, migrate=False)
    for article in ARTICLES:
        old.save_article(article)
    old.close()  # writes the pending document frequencies
    db = sqlite_utils.Database(old_path)
    assert "without rowid" not in db["dedup_anchors"].schema.lower()
    before_rows, before_reads = rows(db), reads(Store.from_connection(db.conn, migrate=False))
    db.close()

    migrated = Store(old_path)
    assert "m014_dedup_without_rowid" in {
        r[0] for r in migrated.db.execute("select name from _sqlite_migrations")}
    for table in ("dedup_anchors", "dedup_lsh", "dedup_anchor_df"):
        assert "without rowid" in migrated.db[table].schema.lower()
    assert rows(migrated.db) == before_rows
    assert reads(migrated) == before_reads
    assert migrated.db.execute("pragma integrity_check").fetchone() == ("ok",)
    migrated.close()

    fresh = Store(new_path)  # the same articles written by the new schema from the start
    for article in ARTICLES:
        fresh.save_article(article)
    fresh.close()
    fresh = Store(new_path)
    assert rows(fresh.db) == before_rows
    assert reads(fresh) == before_reads
    fresh.close()


@pytest.fixture
def filled(tmp_db: Path) -> Store:
    """A store holding ARTICLES."""
    store = Store(tmp_db)
    for article in ARTICLES:
        store.save_article(article)
    yield store
    store.close()


def test_postings_break_day_ties_by_the_newest_article(filled: Store) -> None:
    # articles 1 (re-indexed by its update) and 2 share n:41 on the same day: 2 is newer
    assert filled.dedup_anchor_postings(["n:41"], DAY, 30, 2) == [("n:41", 4), ("n:41", 2)]
    assert filled.dedup_anchor_postings(["p:tulsa"], None, 30, 1) == [("p:tulsa", 2)]
    assert filled.dedup_anchor_postings(["p:tulsa"], DAY, 0, 1) == [
        ("p:tulsa", 2), ("p:tulsa", 3)]  # the undated article is always a candidate


def test_dedup_reads_and_deletes_use_an_index(filled: Store) -> None:
    seen: list[str] = []
    filled.db.conn.set_trace_callback(seen.append)
    reads(filled)
    filled.save_article(indexed("https://a.test/2", "two, updated", ["n:41"], DAY, [(0, 5)]))
    filled.db.conn.set_trace_callback(None)
    statements = [s for s in seen if "dedup_" in s and not s.startswith("--")
                  and "dedup_urls" not in s]  # dedup_urls is read by key, deleted by a scan
    assert statements
    for sql in statements:
        plan = [r[3] for r in filled.db.execute(f"explain query plan {sql}")]
        bad = [step for step in plan if (step.startswith("SCAN") and "subquery" not in step)
               or "FOR ORDER BY" in step or "FOR RIGHT PART OF ORDER BY" in step]
        assert not bad, (sql, plan)


# ----- document frequencies kept in memory between reads -----

def test_frequencies_read_once_then_from_memory(filled: Store) -> None:
    expected = {"n:41": 3, "p:tulsa": 3, "q:harbor": 1}
    assert filled.dedup_anchor_df(["n:41", "p:tulsa", "q:harbor", "n:999"]) == expected
    seen: list[str] = []
    filled.db.conn.set_trace_callback(seen.append)
    again = filled.dedup_anchor_df(["n:41", "p:tulsa", "q:harbor", "n:999"])
    filled.db.conn.set_trace_callback(None)
    assert again == expected
    assert not [s for s in seen if "dedup_anchor_df" in s]


def test_frequencies_follow_this_store_s_writes(filled: Store) -> None:
    """Read, then more articles, then a batch written: reads count every article each time."""
    from monitor.store import DEDUP_STATS_BATCH
    assert filled.dedup_anchor_df(["n:41"]) == {"n:41": 3}
    for i in range(DEDUP_STATS_BATCH):
        filled.save_article(indexed(f"https://b.test/{i}", f"copy {i}", ["n:41"], DAY, [(0, i)]))
        assert filled.dedup_anchor_df(["n:41", "n:12"]) == {"n:41": 4 + i, "n:12": 1}
    assert filled.db.execute("select df from dedup_anchor_df where anchor = 'n:41'"
                             ).fetchone()[0] > 3  # a batch was written meanwhile


def test_frequencies_see_another_connection_s_writes(tmp_db: Path) -> None:
    """A review or another process writing the same store: its counts are read, not stale."""
    first, second = Store(tmp_db), Store(tmp_db)
    first.save_article(ARTICLES[0])
    first.close()  # writes its pending counts
    assert second.dedup_anchor_df(["n:41", "p:tulsa"]) == {"n:41": 1, "p:tulsa": 1}
    third = Store(tmp_db)
    third.save_article(ARTICLES[1])
    third.close()
    assert second.dedup_anchor_df(["n:41", "p:tulsa"]) == {"n:41": 2, "p:tulsa": 2}
    assert second.dedup_term_df([3, 7]) == {3: 2, 7: 2}
    second.close()


def test_frequency_cache_is_bounded(filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.store import dedup_index as store_module
    monkeypatch.setattr(store_module, "DF_CACHE_SIZE", 3)
    filled.dedup_anchor_df(["n:41", "p:tulsa", "q:harbor", "n:12", "n:6"])
    assert filled.dedup_anchor_df(["n:41"]) == {"n:41": 3}
    assert len(filled._df_cache.table("dedup_anchor_df")) <= 3 + 1
