"""The `operations` view: one row per story cluster, headline counts from the representative."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import seed_path

from monitor import review
from monitor.items import Article
from monitor.stations.dedup import Decision
from monitor.stations.extraction import extract
from monitor.stations.facts import extract_facts
from monitor.stations.profiles import load_profile
from monitor.stations.relevance import classify
from monitor.store import Store


def station_article(prefix: str, language: str, published: str | None = None) -> Article:
    """A seed through extraction, relevance and facts, as the pipelines would do it."""
    path = seed_path(prefix)
    article = extract(Article(url=f"https://example.org/{prefix}", source="seeds",
                              body=path.read_text(encoding="utf-8"), content_type="text"), 100)
    article.published = article.published or published
    article.language = language
    profile = load_profile(language)
    result = classify(article.text, article.title, profile)
    article.topic, article.relevance, article.relevance_terms = (
        result.topic, result.score, result.terms)
    article.relevant = result.relevant
    if article.relevant:
        article.facts = extract_facts(article.text, profile, article.published)
    return article


def joins(store: Store, other_url: str, relation: str = "translation") -> Decision:
    """A story-dedup decision joining the cluster of the article stored at `other_url`."""
    other = store.article_by_url(other_url)
    assert other is not None
    return Decision(cluster_id=other["cluster_id"], matched_id=other["id"], method="story",
                    score=1.0, relation=relation)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store holding Rescue Me (English and French), Lost Souls and the NCMEC page."""
    store = Store(tmp_path / "monitor.db")
    store.save_article(station_article("000", "en"))
    french = station_article("002", "fr", published="2021-07-22")
    french.dedup = joins(store, "https://example.org/000")
    store.save_article(french)
    store.save_article(station_article("001", "en"))
    store.save_article(station_article("004", "en", published="2024-01-01"))
    yield store
    store.close()


def by_name(store: Store) -> dict[str, dict]:
    """The operations rows keyed by operation name."""
    return {row["name"]: row for row in store.operations()}


def test_one_row_per_operation_cluster(store: Store) -> None:
    rows = by_name(store)
    assert set(rows) == {"Operation Rescue Me", "Operation Lost Souls"}  # 004 is only related


def test_rescue_me_rollup(store: Store) -> None:
    row = by_name(store)["Operation Rescue Me"]
    assert (row["children_total"], row["children_recovered"], row["children_located"]) == (
        78, 3, 75)
    assert row["children_rescued"] is None
    assert row["languages"] == "en,fr"
    assert row["first_reported"] == "2021-07-21"
    assert row["reports"] == 2 and row["relevant_reports"] == 2
    assert row["counts_disagree"] == 0 and row["disagreement"] is None
    assert row["representative_url"] == "https://example.org/000"  # the earliest report


def test_lost_souls_rollup(store: Store) -> None:
    row = by_name(store)["Operation Lost Souls"]
    assert row["children_total"] == 24
    assert row["languages"] == "en" and row["reports"] == 1
    assert row["first_reported"] == "2021-06-16"


def test_disagreeing_reports_are_flagged(store: Store) -> None:
    rewrite = Article(
        url="https://example.org/rewrite", source="tv", content_type="text",
        text="A rewrite that says 80 minors were found in Operation Rescue Me.",
        title="Operation Rescue Me finds 80", published="2021-07-23", language="en",
        topic="operation", relevant=1, relevance=0.9, content_hash="rewrite",
        facts=[{"kind": "operation", "value": "Operation Rescue Me", "evidence": "..."},
               {"kind": "children_total", "value": 80, "evidence": "80 minors were found"}])
    rewrite.dedup = joins(store, "https://example.org/000", relation="rewrite")
    store.save_article(rewrite)
    row = by_name(store)["Operation Rescue Me"]
    assert row["counts_disagree"] == 1
    assert row["disagreement"].startswith("children_total: ")
    assert set(row["disagreement"].split(": ")[1].split(",")) == {"78", "80"}
    assert row["children_total"] == 78  # the representative's count, not silently the latest
    assert row["reports"] == 3
    assert [r["cluster_id"] for r in store.operations(disagreeing_only=True)] == [
        row["cluster_id"]]


def test_name_from_a_member_when_the_representative_has_none(tmp_path: Path) -> None:
    store = Store(tmp_path / "monitor.db")
    first = Article(url="https://example.org/a", source="x", text="...", title="Children found",
                    published="2024-05-01", language="en", topic="related", relevant=0,
                    content_hash="a")
    store.save_article(first)
    second = Article(url="https://example.org/b", source="x", text="...", title="Operation X",
                     published="2024-05-02", language="en", topic="operation", relevant=1,
                     content_hash="b",
                     facts=[{"kind": "operation", "value": "Operation X", "evidence": "..."},
                            {"kind": "children_rescued", "value": 12, "evidence": "..."}])
    second.dedup = joins(store, "https://example.org/a", relation="rewrite")
    store.save_article(second)
    (row,) = store.operations()
    assert row["name"] == "Operation X" and row["children_rescued"] == 12
    assert row["reports"] == 2 and row["relevant_reports"] == 1
    store.close()


def test_view_is_created_by_a_migration(tmp_path: Path) -> None:
    store = Store(tmp_path / "monitor.db")
    assert "operations" in store.db.view_names()
    applied = [r["name"] for r in store.db.query("select name from _sqlite_migrations")]
    assert "m008_operations_view" in applied
    store.close()


def children_by_month(store: Store) -> dict[str, int]:
    """The dashboard's children chart: bin (a month, or coarser over a long span) -> children,
    bins without any left out."""
    chart = review.dashboard(store)["children"]
    return {m: n for m, n in zip(chart["labels"], chart["series"]["children"], strict=True) if n}


def test_dashboard_counts_each_story_once(store: Store) -> None:
    # Rescue Me (78 minors, reported in English and in French) in July 2021, Lost Souls (24)
    # in June 2021: the French copy adds nothing.
    assert children_by_month(store) == {"2021-06": 24, "2021-07": 78}


def test_dashboard_adds_up_the_kinds_of_a_story_without_total(tmp_path: Path) -> None:
    store = Store(tmp_path / "monitor.db")
    report = Article(url="https://example.org/a", source="x", text="...", title="Operation Y",
                     published="2024-05-02", language="en", topic="operation", relevant=1,
                     content_hash="a",
                     facts=[{"kind": "children_recovered", "value": 5, "evidence": "..."},
                            {"kind": "children_rescued", "value": 7, "evidence": "..."}])
    store.save_article(report)
    assert children_by_month(store) == {"2024-05": 12}
    store.close()


def test_dashboard_on_the_crawled_seeds(seeded_db: Path) -> None:
    # Rescue Me (000 and its French translation 002): 78, July 2021; Lost Souls (001): 24,
    # June 2021; the Capital Region operation (003): 64, March 2025.
    store = Store(seeded_db)
    # Nearly four years from the first story to the last: bars are quarters.
    assert children_by_month(store) == {"2021-Q2": 24, "2021-Q3": 78, "2025-Q1": 64}
    store.close()
