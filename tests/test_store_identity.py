"""The store's identities: one row per page, cluster ids never reused, relations
recomputed with a new representative; the migrations that bring old stores there."""

from __future__ import annotations

import json
import re
import sqlite3
from html import escape
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import sqlite_utils
from fixture_site import FixtureSite, crawl_in_test, crawl_settings, write_sources

from monitor import review
from monitor.items import Article
from monitor.stations.dedup import decide
from monitor.stations.extraction import content_hash
from monitor.stations.urls import strip_tracking, url_key
from monitor.store import Store, migrations
from spiders.feeds import FeedsSpider
from tests.conftest import seed_path

# Read off the seed documents: KTSM's English report (000, 21 July 2021) and Breaking 911's
# French translation of the same story (002, 22 July 2021), both about 78 missing minors.
KTSM = re.sub(r"^\s*date \S+\s", "", seed_path("000").read_text(encoding="utf-8")).strip()
B911 = seed_path("002").read_text(encoding="utf-8").strip()
KTSM_TITLE = "78 missing minors located in Operation Rescue Me"
B911_TITLE = "Opération Rescue Me : 78 mineurs disparus retrouvés au Nouveau-Mexique"
PAGE = "https://www.ktsm.com/news/78-missing-minors-located/"
TRACKED = PAGE + "?utm_source=rss&utm_medium=feed"


def make(url: str, text: str = KTSM, language: str = "en", published: str = "2021-07-21",
         title: str = KTSM_TITLE, canonical: str | None = None) -> Article:
    """An article as the store receives it from the stations."""
    return Article(url=url, source="test", text=text, title=title, language=language,
                   published=published, content_hash=content_hash(text), relevant=1,
                   canonical_url=canonical or url,
                   facts=[{"kind": "children_located", "value": 78, "evidence": "78 minors"}])


def ingest(store: Store, article: Article) -> Any:
    """Decide and save, as DedupPipeline and StorePipeline do."""
    article.dedup = decide(store, article)
    return store.save_article(article)


@pytest.fixture
def store(tmp_db: Path) -> Store:
    """A fresh store."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


# ----- URLs -----

def test_strip_tracking_keeps_everything_else() -> None:
    assert strip_tracking(TRACKED) == PAGE
    assert strip_tracking("https://a.test/p?id=7&fbclid=x&gclid=y&b=2#top") == \
        "https://a.test/p?id=7&b=2"
    assert strip_tracking("https://a.test/p?outputType=amp") == "https://a.test/p"


@pytest.mark.parametrize("variant", [
    TRACKED,
    "http://ktsm.com/news/78-missing-minors-located",
    "https://m.ktsm.com/news/78-missing-minors-located/?fbclid=IwAR0x",
    "https://www.ktsm.com/news/78-missing-minors-located/amp/",
])
def test_url_key_folds_variants(variant: str) -> None:
    assert url_key(variant) == url_key(PAGE) == "ktsm.com/news/78-missing-minors-located"


def test_url_key_of_a_file_is_the_file() -> None:
    assert url_key("file:///data/000_e24b579ecdfec750.txt") == \
        "file:///data/000_e24b579ecdfec750.txt"


# ----- one row per page -----

def test_tracked_and_plain_link_are_one_row(store: Store) -> None:
    first = ingest(store, make(TRACKED))
    second = ingest(store, make(PAGE))
    assert (first.outcome, second.outcome) == ("new", "unchanged")
    assert second.article_id == first.article_id
    rows = list(store.db["articles"].rows)
    assert len(rows) == 1
    assert (rows[0]["url"], rows[0]["canonical_url"]) == (PAGE, PAGE)
    assert store.cluster(first.cluster_id)["size"] == 1
    [operation] = store.operations()
    assert (operation["reports"], operation["representative_url"]) == (1, PAGE)
    assert operation["children_located"] == 78


@pytest.mark.parametrize("variant", [
    "https://m.ktsm.com/news/78-missing-minors-located/?fbclid=IwAR0x",
    "https://amp.ktsm.com/news/78-missing-minors-located/?amp=1",
])
def test_a_variant_with_new_text_updates_the_row(store: Store, variant: str) -> None:
    first = ingest(store, make(PAGE))
    again = ingest(store, make(variant, KTSM + "\n\nThis story has been updated."))
    assert (again.outcome, again.article_id) == ("updated", first.article_id)
    [row] = store.db["articles"].rows
    assert row["url"] == PAGE  # the URL it was first stored under
    assert row["text"].endswith("This story has been updated.")
    assert store.db["matches"].count == 0


def test_the_store_enforces_one_row_per_key(store: Store) -> None:
    ingest(store, make(TRACKED))
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("insert into articles (url, url_key) values (?, ?)",
                         ["http://ktsm.com/news/78-missing-minors-located", url_key(PAGE)])


def test_article_by_url_finds_any_variant(store: Store) -> None:
    saved = ingest(store, make(PAGE))
    assert store.article_by_url(TRACKED)["id"] == saved.article_id


# ----- cluster ids -----

def seed_story(prefix: str) -> Article:
    """Seed `prefix` as an article of its own page."""
    text = re.sub(r"^\s*date \S+\s", "", seed_path(prefix).read_text(encoding="utf-8"))
    return make(f"https://news.test/{prefix}", text.strip(), title=text.split("\n", 1)[0][:80])


def test_a_merged_away_id_is_never_handed_out_again(store: Store) -> None:
    kept = ingest(store, make(PAGE)).cluster_id
    newest = ingest(store, seed_story("001")).cluster_id  # Operation Lost Souls: another story
    assert newest > kept
    review.confirm(store, newest, "ana")
    review.merge(store, kept, newest, "ana")
    fresh = ingest(store, seed_story("003")).cluster_id  # the Capital Region operation
    assert fresh > newest
    assert [r["action"] for r in store.review_history(newest)] == ["confirm"]
    assert store.review_history(fresh) == []
    assert [r["action"] for r in store.review_history(kept)] == ["merge"]
    assert store.resolve_cluster(newest) == kept


# ----- relations follow the representative -----

def test_a_new_representative_recomputes_relations(store: Store) -> None:
    english = ingest(store, make(PAGE))
    french = ingest(store, make("https://b911.test/rescue-me", B911, "fr", "2021-07-22",
                                B911_TITLE))
    assert french.cluster_id == english.cluster_id  # the seeds' one story
    relation = {r["id"]: r["relation"] for r in store.cluster_members(english.cluster_id)}
    assert relation == {english.article_id: "original", french.article_id: "translation"}
    review.choose_representative(store, english.cluster_id, french.article_id, "ana")
    relation = {r["id"]: r["relation"] for r in store.cluster_members(english.cluster_id)}
    assert relation == {english.article_id: "translation", french.article_id: "original"}
    members = {m["id"]: m for m in review.detail(store, english.cluster_id)["members"]}
    assert members[french.article_id]["is_representative"]
    assert members[french.article_id]["match"] is None  # no "translation of #1" on it


# ----- migrations of an old store -----

def old_store(path: Path) -> sqlite_utils.Database:
    """A store with the schema from before one row per page (no url_key, plain cluster ids)."""
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m017_cluster_ids_never_reused")
    return db


def add_article(db: sqlite_utils.Database, url: str, cluster_id: int, **extra: Any) -> int:
    """One article row as an old store held it."""
    return db["articles"].insert({"url": url, "canonical_url": url, "cluster_id": cluster_id,
                                  "title": KTSM_TITLE, "text": KTSM, "language": "en",
                                  "published": "2021-07-21", "relevant": 1,
                                  "content_hash": content_hash(KTSM), **extra}).last_pk


def test_migration_folds_duplicate_pages_and_keeps_review_decisions(tmp_db: Path) -> None:
    db = old_store(tmp_db)
    db["clusters"].insert_all([{"id": 1, "status": "auto"}, {"id": 2, "status": "confirmed"},
                               {"id": 3, "status": "edited"}])
    plain = add_article(db, PAGE, 1, relation="original")
    tracked = add_article(db, TRACKED, 2, relation="original")
    other = add_article(db, "https://b911.test/rescue-me", 2, language="fr",
                        relation="translation", title=B911_TITLE, text=B911,
                        content_hash=content_hash(B911))
    db["clusters"].update(2, {"representative_id": tracked})
    db["matches"].insert({"article_id": other, "matched_id": tracked, "cluster_id": 2,
                          "method": "story", "score": 0.9})
    db["facts"].insert_all([{"article_id": tracked, "kind": "children_located", "value": "78"},
                            {"article_id": tracked, "kind": "operation", "value": "Rescue Me"},
                            {"article_id": plain, "kind": "children_located", "value": "78"}])
    db["review_log"].insert({"actor": "ana", "action": "representative", "cluster_id": 2,
                             "article_id": tracked})
    db["cluster_merges"].insert({"from_id": 9, "into_id": 2, "actor": "ana"})
    db.close()

    store = Store(tmp_db)
    rows = list(store.db["articles"].rows_where(order_by="id"))
    assert [(r["id"], r["url"], r["cluster_id"]) for r in rows] == [
        (plain, PAGE, 2), (other, "https://b911.test/rescue-me", 2)]
    assert rows[0]["url_key"] == "ktsm.com/news/78-missing-minors-located"
    cluster = store.cluster(2)
    assert (cluster["status"], cluster["representative_id"], cluster["size"]) == (
        "confirmed", plain, 2)
    assert store.cluster(1) is None  # emptied by the fold
    assert {r["id"]: r["relation"] for r in rows} == {plain: "original", other: "translation"}
    assert [(m["article_id"], m["matched_id"]) for m in store.db["matches"].rows] == [
        (other, plain)]
    assert sorted((f["kind"], f["value"]) for f in store.db["facts"].rows_where(
        "article_id = ?", [plain])) == [("children_located", "78"), ("operation", "Rescue Me")]
    assert [r["article_id"] for r in store.db["review_log"].rows] == [plain]
    new_cluster = store.save_article(make("https://news.test/new", "Something else entirely.",
                                          title="Other")).cluster_id
    assert new_cluster == 10  # above the merged-away 9, never 1 or 4 again
    store.close()


def test_migration_keeps_a_split_page_out_of_its_old_cluster(tmp_db: Path) -> None:
    db = old_store(tmp_db)
    db["clusters"].insert_all([{"id": 1, "status": "edited"}, {"id": 2, "status": "edited"}])
    plain = add_article(db, PAGE, 1)
    db["articles"].insert({"url": "https://b911.test/x", "cluster_id": 1, "title": "x",
                           "language": "fr"})
    tracked = add_article(db, TRACKED, 2)
    db["cluster_exclusions"].insert({"article_id": tracked, "cluster_id": 1, "actor": "ana"})
    db.close()

    store = Store(tmp_db)
    assert store.article_by_url(PAGE)["cluster_id"] == 2
    assert store.excluded_clusters(plain) == {1}
    assert store.db["articles"].count == 2
    store.close()


def test_migrated_store_reads_the_same_through_a_fresh_open(tmp_db: Path) -> None:
    Store(tmp_db).close()
    store = Store(tmp_db)
    schema = store.db["clusters"].schema
    assert "AUTOINCREMENT" in schema
    assert any(i.unique and i.columns == ["url_key"] for i in store.db["articles"].indexes)
    assert "operations" in store.db.view_names()
    store.close()


# ----- through the real engine -----

def identity_site(site: FixtureSite) -> tuple[str, str]:
    """Two feeds linking one page, one with tracking parameters; the page and its URL."""
    page = site.pages["/news/000-operation-rescue-me.html"][1].decode()
    page = re.sub(r"<link rel='canonical'[^>]*>", "", page).encode()
    path = "/identity/rescue-me.html"
    tracked = path + "?utm_source=rss&utm_medium=feed"
    site.pages.update({path: ("text/html; charset=utf-8", page),
                       tracked: ("text/html; charset=utf-8", page)})
    for name, link in (("tracked", tracked), ("plain", path)):
        site.pages[f"/identity/{name}.xml"] = ("application/rss+xml", (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Gazette</title>"
            f"<item><title>78 missing minors located</title><link>{escape(site.url(link))}</link>"
            "<pubDate>Wed, 21 Jul 2021 16:40:00 -0600</pubDate></item></channel></rss>"
        ).encode())
    return path, site.url(path)


@pytest_twisted.ensureDeferred
async def test_crawl_of_two_feeds_stores_the_page_once(fixture_site: FixtureSite,
                                                       tmp_path: Path) -> None:
    path, url = identity_site(fixture_site)
    sources = write_sources(tmp_path / "sources.yml", [
        {"name": f"gazette-{name}", "kind": "feed", "language": "en",
         "url": fixture_site.url(f"/identity/{name}.xml"), "allowed_domains": ["127.0.0.1"]}
        for name in ("tracked", "plain")])
    db = tmp_path / "monitor.db"
    await crawl_in_test(FeedsSpider, crawl_settings(db, sources))
    assert {path, path + "?utm_source=rss&utm_medium=feed"} <= set(fixture_site.requested)
    store = Store(db)
    rows = list(store.db["articles"].rows)
    assert [(r["url"], r["canonical_url"]) for r in rows] == [(url, url)]
    assert "The recovered children range in age from 5 to 18 years old." in rows[0]["text"]
    assert store.cluster(rows[0]["cluster_id"])["size"] == 1
    assert [(o["reports"], o["representative_url"]) for o in store.operations()] == [(1, url)]
    run = store.runs(1)[0]
    assert (run["articles_new"], run["articles_unchanged"]) == (1, 1)
    assert json.loads(run["stats"]).get("monitor/articles/new") == 1
    store.close()
