"""Cluster pages a reviewer understands: evidence in words, the operation at the top, operation
stories first in the queue, dashboard bins readable over any span."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fixtures.review.stores import article, join

from monitor import review
from monitor.review import explain
from monitor.store import Store

# Two reports of one made-up operation, as the facts station would read them.
ENGLISH: explain.Facts = {
    "operation": ["Operation Blue Harbor"], "children_total": ["41"],
    "children_rescued": ["12"], "children_located": ["29"], "age_min": ["9"],
    "age_max": ["16"], "place": ["PORTLAND, Maine"],
    "agency": ["U.S. Marshals Service", "Portland Police Department"]}
FRENCH: explain.Facts = {
    "operation": ["opération Blue Harbor"], "children_total": ["41"], "age_min": ["9"],
    "age_max": ["16"], "place": ["Portland"], "agency": ["Service des U.S. Marshals Service"]}
EVIDENCE = {"numbers": [2, 9, 16, 29, 41, 911], "dates": ["03-14"], "years": [],
            "names": ["Blue Harbor", "PORTLAND", "Missing", "Texas", "Marshals Service",
                      "Ana Ruiz", "FBI"],
            "titles": [], "overlap": 0.7147, "shared_weight": 414.06, "cosine": 0.0,
            "similarity": 0.3574, "contradictions": []}


def test_story_evidence_in_words() -> None:
    words, names = explain.match_words("story", EVIDENCE, FRENCH, ENGLISH)
    # 41, 29, 9 and 16 are counts and ages by the facts; 2 and 911 are not; 12 is not shared.
    assert words == ("shares 41 children, 29 located, aged 9 to 16, Operation Blue Harbor, "
                     "14 March; no contradiction")
    # The agency in full as the matched (English) report writes it; then the other names of
    # several words or acronyms. "Missing", "Texas" and one-word PORTLAND say nothing.
    assert names == ["U.S. Marshals Service", "Ana Ruiz", "FBI"]
    for internal in ("0.7147", "414", "overlap", "911", "Missing", "Texas"):
        assert internal not in words + " ".join(names)


def test_a_shared_place_is_told_as_a_place() -> None:
    evidence = {**EVIDENCE, "names": ["SOUTH PORTLAND", "Blue Harbor"]}
    french = {**FRENCH, "place": ["South Portland"]}
    words, names = explain.match_words("story", evidence, french, ENGLISH)
    assert "Operation Blue Harbor, South Portland, 14 March" in words and names == []


def test_contradiction_is_said() -> None:
    evidence = {**EVIDENCE, "contradictions": ["years [2023] vs [2024]"]}
    words, _ = explain.match_words("story", evidence, FRENCH, ENGLISH)
    assert words.endswith("; contradicts: years [2023] vs [2024]")


@pytest.mark.parametrize("method, evidence, words", [
    ("url", {"url_keys": ["example.org/a"]}, "the same page (same address)"),
    ("exact", {}, "the same text"),
    ("review", {"actor": "alice", "merged_from": 4}, "merged in by alice"),
    ("story", {"numbers": [7]}, "shares no count, place or date; no contradiction"),
])
def test_other_methods_in_words(method: str, evidence: dict, words: str) -> None:
    assert explain.match_words(method, evidence, {}, {})[0] == words


def test_highlighted_terms_leave_out_noise() -> None:
    terms = explain.highlight_terms(EVIDENCE, FRENCH, ENGLISH)
    assert terms == ["41", "29", "16", "9", "Blue Harbor", "Marshals Service", "Ana Ruiz", "FBI"]


def test_seed_cluster_page_tells_the_story(seeded_db: Path) -> None:
    store = Store(seeded_db)
    cluster_id = next(store.db.query(
        "select cluster_id from articles where url like '%/000_%'"))["cluster_id"]
    data = review.detail(store, cluster_id)
    store.close()
    # Seed 000 (KTSM) and 002 (its French version): 78 minors, 75 located and 3 recovered,
    # aged 5 to 18, in Operation Rescue Me, which began on May 1 ("1er mai"), Las Cruces.
    assert data["operation"]["name"] == "Operation Rescue Me"
    assert data["operation"]["children"] == "78 children (75 located, 3 recovered)"
    assert data["operation"]["languages"] == "en,fr"
    (match,) = data["matches"]
    assert match["words"].startswith("shares 78 children, 75 located, 3 recovered, aged 5 to "
                                     "18, Operation Rescue Me, ")
    assert "Las Cruces" in match["words"] and "1 May" in match["words"]
    assert match["words"].endswith("; no contradiction")
    shown = match["words"] + " ".join(match["names"]) + " ".join(match["terms"])
    for noise in ("Missing", "Texas", "911", "0.7", "shared_weight"):
        assert noise not in shown.split(", ") and noise not in match["terms"]


def test_queue_puts_operation_stories_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "monitor.db")
    storm = store.save_article(article(1, title="Winter storm closes schools", text="Snow.",
                                       published="2024-01-10", relevant=0, topic="off_topic"))
    store.save_article(article(2, title="Tempête de neige", text="Neige.", language="fr",
                               published="2024-01-11", relevant=0, topic="off_topic",
                               dedup=join(storm.cluster_id, storm.article_id, "story", 0.7,
                                          "translation", [], ["Winter Storm"])))
    rescue = store.save_article(article(3, title="Five children rescued", text="Police...",
                                        published="2021-02-01", topic="operation"))
    page = review.queue(store, {})
    store.close()
    # The storm has two articles, two languages and a borderline score, and is newer: still
    # the operation story comes first, and the storm is not "worth a look".
    assert [r["id"] for r in page.rows] == [rescue.cluster_id, storm.cluster_id]
    assert page.rows[1]["reasons"] == []


@pytest.mark.parametrize("first, last, unit", [
    (date(2021, 6, 16), date(2021, 8, 3), "week"),
    (date(2021, 6, 16), date(2023, 5, 1), "month"),
    (date(2021, 6, 16), date(2025, 3, 19), "quarter"),
    (date(2012, 1, 1), date(2026, 1, 1), "year"),
])
def test_bins_follow_the_span(first: date, last: date, unit: str) -> None:
    assert review.choose_bin([first, last]) == unit
    labels = review.bin_labels([first, last], unit)
    assert 1 < len(labels) <= review.MAX_BARS


def test_bin_labels() -> None:
    days = [date(2021, 11, 30), date(2022, 2, 1)]
    assert review.bin_labels(days, "quarter") == ["2021-Q4", "2022-Q1"]
    assert review.bin_labels(days, "month") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert review.bin_labels(days, "year") == ["2021", "2022"]
    assert review.bin_labels([date(2021, 7, 21)], "week") == ["2021-07-19"]  # its Monday
