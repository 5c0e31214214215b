"""Dedup: canonical URLs, exact copies, near copies, stories across languages, contradictions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from monitor.items import Article
from monitor.stations.dedup import DedupConfig, decide
from monitor.stations.dedup.anchors import extract_anchors, stem
from monitor.stations.extraction import content_hash
from monitor.stations.profiles import load_profile
from monitor.stations.urls import canonical_url
from monitor.store import Store
from tests.conftest import SEEDS, run_scrapy

REPORT_EN = """Operation Safe Harbor: 41 missing children recovered in Tulsa County

TULSA, Okla. — The U.S. Marshals Service and the Tulsa Police Department recovered 41 missing
children during Operation Safe Harbor, a three-week operation that ended on March 14.

Deputy Marshal Karen Whitfield said 12 of the children had been reported missing from foster
care. Investigators also arrested 6 adults on outstanding warrants in Broken Arrow and Sapulpa.

The children, aged 9 to 17, were placed with the Oklahoma Department of Human Services."""

REPORT_FR = """Opération Safe Harbor : 41 enfants disparus retrouvés dans le comté de Tulsa

Le service des Marshals des États-Unis et la police de Tulsa ont retrouvé 41 enfants disparus
lors de l'opération Safe Harbor, menée pendant trois semaines et achevée le 14 mars.

Selon la marshal adjointe Karen Whitfield, 12 de ces enfants avaient fugué de familles d'accueil.
Six adultes ont été arrêtés à Broken Arrow et à Sapulpa.

Les enfants, âgés de 9 à 17 ans, ont été confiés au département des services sociaux de
l'Oklahoma."""

OTHER_STORY = """Operation Safe Harbor: 27 missing children recovered in Tulsa County

TULSA, Okla. — The U.S. Marshals Service and the Tulsa Police Department recovered 27 missing
children during Operation Safe Harbor, a three-week operation that ended on March 14.

Deputy Marshal Karen Whitfield said 8 of the children had been reported missing from foster
care. Investigators also arrested 4 adults on outstanding warrants in Broken Arrow and Sapulpa.

The children, aged 11 to 16, were placed with the Oklahoma Department of Human Services."""


def make(url: str, text: str, language: str = "en", published: str | None = "2024-03-20",
         canonical: str | None = None) -> Article:
    """An extracted article as the dedup station receives it."""
    return Article(url=url, source="test", text=text, title=text.split("\n", 1)[0],
                   language=language, published=published, content_hash=content_hash(text),
                   canonical_url=canonical or url)


def ingest(store: Store, article: Article, config: DedupConfig | None = None) -> int:
    """Decide and save, as DedupPipeline and StorePipeline do; the article's cluster."""
    article.dedup = decide(store, article, config)
    return store.save_article(article).cluster_id


def last_match(store: Store) -> dict:
    """The newest matches row."""
    return next(store.db.query("select * from matches order by id desc limit 1"))


@pytest.fixture
def store(tmp_db: Path) -> Store:
    """A fresh store."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


# ----- stage 1: canonical URL -----

@pytest.mark.parametrize("variant", [
    "https://www.ktsm.com/news/78-missing-minors/?utm_source=facebook&utm_medium=social",
    "http://ktsm.com/news/78-missing-minors",
    "https://m.ktsm.com/news/78-missing-minors/",
    "https://amp.ktsm.com/news/78-missing-minors/?amp=1",
    "https://www.ktsm.com/news/78-missing-minors/amp/",
    "https://www.ktsm.com/news/78-missing-minors/?fbclid=IwAR0x#comments",
])
def test_url_variants_share_a_key(variant: str) -> None:
    assert canonical_url(variant) == "ktsm.com/news/78-missing-minors"


def test_url_keeps_identifying_parameters() -> None:
    assert canonical_url("https://x.com/story?id=1") != canonical_url("https://x.com/story?id=2")


def test_url_stage_joins_a_variant(store: Store) -> None:
    first = ingest(store, make("https://www.ktsm.com/news/a/?utm_source=x", REPORT_EN))
    variant = make("https://m.ktsm.com/news/a/amp/", REPORT_EN + "\n\nUpdated.")
    assert ingest(store, variant) == first
    assert store.db["articles"].count == 1  # the same page: one row
    syndicated = make("https://partner.test/ktsm-a", REPORT_EN + "\n\nVia KTSM.",
                      canonical="https://amp.ktsm.com/news/a/?amp=1")
    assert ingest(store, syndicated) == first
    match = last_match(store)
    assert match["method"] == "url"
    assert "ktsm.com/news/a" in json.loads(match["evidence"])["url_keys"]


# ----- stage 2: exact copy -----

def test_exact_copy_after_whitespace_and_case(store: Store) -> None:
    first = ingest(store, make("https://a.test/1", REPORT_EN))
    copy = make("https://b.test/syndicated", "  " + REPORT_EN.upper().replace("\n", "\n\n"))
    assert ingest(store, copy) == first
    assert last_match(store)["method"] == "exact"
    relation = next(store.db.query("select relation from articles where url = ?", [copy.url]))
    assert relation["relation"] == "copy"


def test_verbatim_copy_is_analysed_once_with_the_same_index(store: Store) -> None:
    """A word-for-word copy elsewhere: its anchors, shingles and terms are the first's,
    remembered rather than read again; only its URL keys are its own."""
    from monitor.stations.dedup import article_anchors, minhash_buckets, term_counts
    first = ingest(store, make("https://a.test/1", REPORT_EN))
    caches = (article_anchors, minhash_buckets, term_counts)
    hits = [cache.cache_info().hits for cache in caches]
    assert ingest(store, make("https://b.test/wire", REPORT_EN)) == first
    assert [cache.cache_info().hits for cache in caches] == [h + 1 for h in hits]
    rows = {url: store.db.execute(
        "select d.signature, d.terms, d.lead, d.years, (select group_concat(anchor) "
        "from dedup_anchors x where x.article_id = a.id) from articles a join dedup_articles d "
        "on d.article_id = a.id where a.url = ?", [url]).fetchone()
        for url in ("https://a.test/1", "https://b.test/wire")}
    assert rows["https://a.test/1"] == rows["https://b.test/wire"]


# ----- stage 3: near copy -----

def test_near_copy_with_an_edited_sentence(store: Store) -> None:
    first = ingest(store, make("https://a.test/1", REPORT_EN))
    edited = REPORT_EN.replace("were placed with", "have since been handed to") + \
        "\n\nAnyone with information should call the Tulsa Police Department."
    assert ingest(store, make("https://c.test/rewrite", edited)) == first
    match = last_match(store)
    assert match["method"] == "near_copy"
    assert 0.5 <= json.loads(match["evidence"])["jaccard"] < 1.0


def test_near_copy_needs_the_same_language(store: Store) -> None:
    ingest(store, make("https://a.test/1", REPORT_EN))
    article = make("https://c.test/fr", REPORT_EN, language="fr")
    article.content_hash = "different"
    article.dedup = decide(store, article)
    assert article.dedup.method != "near_copy"


# ----- stage 4: story across languages -----

def test_story_across_languages_with_evidence(store: Store) -> None:
    first = ingest(store, make("https://a.test/en", REPORT_EN))
    assert ingest(store, make("https://b.test/fr", REPORT_FR, "fr", "2024-03-21")) == first
    match = last_match(store)
    evidence = json.loads(match["evidence"])
    assert match["method"] == "story"
    assert {41, 12, 9, 17, 6} <= set(evidence["numbers"])  # "Six adultes" read as 6
    assert "03-14" in evidence["dates"]  # "March 14" = "14 mars"
    names = {n.lower() for n in evidence["names"]}
    assert {"safe harbor", "karen whitfield", "broken arrow"} <= names
    relation = next(store.db.query("select relation from articles where url = 'https://b.test/fr'"))
    assert relation["relation"] == "translation"


def test_story_outside_the_date_window_starts_a_cluster(store: Store) -> None:
    first = ingest(store, make("https://a.test/en", REPORT_EN, published="2024-03-20"))
    late = make("https://b.test/fr", REPORT_FR, "fr", published="2024-09-01")
    assert ingest(store, late, DedupConfig(window_days=30)) != first


# ----- contradictions -----

def test_different_headline_counts_are_different_stories(store: Store) -> None:
    first = ingest(store, make("https://a.test/41", REPORT_EN))
    other = make("https://b.test/27", OTHER_STORY)
    assert ingest(store, other, DedupConfig(near_copy_threshold=0.95)) != first


def test_contradiction_is_in_the_evidence(store: Store) -> None:
    from monitor.stations import dedup
    ingest(store, make("https://a.test/41", REPORT_EN))
    other = make("https://b.test/27", OTHER_STORY)
    decision = decide(store, other, DedupConfig(near_copy_threshold=0.95, story_threshold=0.0))
    assert decision.method is None  # the cluster's headline count (41) vetoes the join
    anchors = extract_anchors(other.text, other.title, load_profile("en"), other.published)
    own = dedup.weights(dict.fromkeys(anchors.keys, 1), 2)
    first = store.dedup_articles([1])[1]
    score, evidence = dedup.story_score(anchors, own, store.dedup_anchor_sets([1])[1], first,
                                        2, DedupConfig(), decision.index)
    assert score == 0.0 and evidence["headline"] == "conflict"
    assert any("41" in c and "27" in c for c in evidence["contradictions"])


def test_recurring_operation_in_another_year(store: Store) -> None:
    text = ("Operation Cross Country {year}: the FBI and 200 partner agencies located {n} "
            "missing children in {year}, FBI Director said in Washington on Tuesday. Operation "
            "Cross Country is held every summer with the National Center for Missing and "
            "Exploited Children.")
    first = ingest(store, make("https://a.test/2022", text.format(year=2022, n=59),
                               published=None))
    again = make("https://a.test/2023", text.format(year=2023, n=84), published=None)
    assert ingest(store, again, DedupConfig(near_copy_threshold=0.99)) != first


# ----- incremental, deterministic, reviewer-safe -----

def test_same_input_same_clusters(tmp_path: Path) -> None:
    docs = [("https://a.test/en", REPORT_EN, "en"), ("https://b.test/27", OTHER_STORY, "en"),
            ("https://c.test/fr", REPORT_FR, "fr")]
    runs = []
    for name in ("one.db", "two.db"):
        store = Store(tmp_path / name)
        runs.append([ingest(store, make(url, text, lang)) for url, text, lang in docs])
        store.close()
    assert runs[0] == runs[1]
    assert runs[0][0] == runs[0][2] != runs[0][1]


def test_refetched_unchanged_article_is_not_indexed_again(store: Store) -> None:
    first = ingest(store, make("https://a.test/en", REPORT_EN))
    again = make("https://a.test/en", REPORT_EN)
    again.dedup = decide(store, again)
    assert (again.dedup.cluster_id, again.dedup.index) == (first, None)
    assert store.save_article(again).outcome == "unchanged"
    assert store.dedup_document_count() == 1
    assert store.db.execute("select count(*) from dedup_articles").fetchone() == (1,)


def test_updated_article_keeps_its_cluster_and_index(store: Store) -> None:
    first = ingest(store, make("https://a.test/en", REPORT_EN))
    ingest(store, make("https://b.test/fr", REPORT_FR, "fr"))
    assert ingest(store, make("https://b.test/fr", REPORT_FR + "\n\nMis à jour.", "fr")) == first
    rows = store.db.execute("select count(*) from dedup_articles").fetchone()[0]
    assert rows == 2
    assert store.dedup_document_count() == 2


def test_statistics_written_in_batches_read_the_same(tmp_db: Path) -> None:
    store = Store(tmp_db)
    ingest(store, make("https://a.test/en", REPORT_EN))
    ingest(store, make("https://b.test/27", OTHER_STORY))
    # before any batch is written, reads count both articles: "tulsa" is in both, "41" in one
    live = (store.dedup_document_count(), store.dedup_anchor_df(["p:tulsa", "n:41", "n:27"]))
    assert live == (2, {"p:tulsa": 2, "n:41": 1, "n:27": 1})
    unwritten = store.db.execute("select count(*) from dedup_anchor_df").fetchone()[0]
    store.close()
    reopened = Store(tmp_db)
    assert (reopened.dedup_document_count(),
            reopened.dedup_anchor_df(["p:tulsa", "n:41", "n:27"])) == live
    reopened.close()
    assert unwritten == 0


def test_statistics_are_written_every_batch(store: Store) -> None:
    from monitor.store import DEDUP_STATS_BATCH
    for i in range(DEDUP_STATS_BATCH):
        ingest(store, make(f"https://a.test/{i}", REPORT_EN.replace("41", str(100 + i))))
    written = store.db.execute("select value from dedup_meta where key = 'articles'").fetchone()
    assert written == (DEDUP_STATS_BATCH,)
    assert store.db.execute("select df from dedup_anchor_df where anchor = 'p:tulsa'"
                            ).fetchone() == (DEDUP_STATS_BATCH,)


# ----- anchors -----

def test_number_words_and_dates_through_the_profile() -> None:
    found = extract_anchors("Trois mineurs retrouvés le 1er mai 2021.", None, load_profile("fr"))
    assert {"n:3", "d:05-01", "y:2021"} <= set(found.keys)


def test_digit_groups_read_the_same_in_every_language() -> None:
    en = extract_anchors("There were 12,114 cases.", None, load_profile("en"))
    de = extract_anchors("Es gab 12.114 Fälle.", None, load_profile("de"))
    assert "n:12114" in en.keys and "n:12114" in de.keys


def test_cyrillic_names_fold_to_the_latin_spelling() -> None:
    assert stem("Навального") == stem("Navalny")
    assert stem("Александр") == stem("Alexander")


# ----- the seeds, through `scrapy crawl` -----

def seeds_db(db: Path) -> sqlite3.Connection:
    """A connection with rows as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn


def test_seeds_cluster_000_with_002_only(seeded_db: Path) -> None:
    conn = seeds_db(seeded_db)
    clusters = {r["url"].rsplit("/", 1)[1][:3]: r["cluster_id"] for r in
                conn.execute("select url, cluster_id from articles")}
    assert clusters["000"] == clusters["002"]
    others = [clusters[k] for k in ("000", "001", "003", "004")]
    assert len(set(others)) == 4


def test_seed_match_evidence(seeded_db: Path) -> None:
    conn = seeds_db(seeded_db)
    rows = list(conn.execute(
        "select m.*, a.url, a.relation from matches m join articles a on a.id = m.article_id"))
    assert len(rows) == 1 and rows[0]["method"] == "story"
    assert rows[0]["relation"] == "translation"
    evidence = json.loads(rows[0]["evidence"])
    assert {78, 3, 75, 5, 18, 80} <= set(evidence["numbers"])  # "Trois mineurs" = "Three"
    names = {n.lower() for n in evidence["names"]}
    assert {"rescue me", "las cruces", "dona ana", "sunland park", "sonya chavez"} <= names
    assert "05-01" in evidence["dates"]  # "May 1" = "1er mai"
    assert evidence["contradictions"] == []


def test_recrawling_the_seeds_adds_nothing(seeded_db: Path) -> None:
    tables = ("articles", "clusters", "matches", "dedup_anchors", "dedup_lsh", "dedup_urls")
    conn = seeds_db(seeded_db)
    before = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    conn.close()
    run_scrapy("files", "-a", f"path={SEEDS}", db=seeded_db)
    conn = seeds_db(seeded_db)
    after = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    assert after == before


# ----- same-language word similarity -----

REWRITE_EN = """Tulsa County: deputies bring home 41 missing children after Operation Safe Harbor

Officers from the Tulsa Police Department working beside the U.S. Marshals Service brought
home 41 missing children in a three-week operation called Safe Harbor, which ended March 14.

According to Deputy Marshal Karen Whitfield, 12 of the children had gone missing from foster
care. Six adults wanted on outstanding warrants were arrested in Sapulpa and Broken Arrow.

The Oklahoma Department of Human Services has taken the children, aged 9 to 17, into care."""

FILLER_EN = [
    "City council approves the new budget for road repairs and school buildings next year.",
    "The local football club won the regional cup final after extra time on Sunday evening.",
    "Heavy rain is expected across the county this weekend, the weather service warned.",
]


def test_terms_are_cut_words_and_cjk_bigrams() -> None:
    from monitor.stations.dedup import term_counts, term_id
    assert term_counts("Recovered: the recovery of children") == {
        term_id("recove"): 2, term_id("the"): 1, term_id("childr"): 1}  # "of" is too short
    assert term_counts("東京東京") == {term_id("東京"): 2, term_id("京東"): 1}


def test_cosine_of_term_vectors() -> None:
    from collections import Counter

    from monitor.stations.dedup import cosine, term_vector
    one = term_vector(Counter({1: 2, 2: 1}), {}, 10)
    other = term_vector(Counter({3: 1}), {}, 10)
    assert cosine(one, one) == pytest.approx(1.0)
    assert cosine(one, other) == 0.0
    assert cosine(one, None) == 0.0


def test_similarity_saturates_words_and_falls_back_on_anchors() -> None:
    from monitor.stations.dedup import similarity
    assert similarity(0.0, 0.0, 0.35) == pytest.approx(1.0)  # cosine 0.35 saturates in one language
    assert similarity(0.0, 0.0, 0.175) == pytest.approx(0.5)
    assert similarity(0.0, 0.0, 0.1, same_language=False) == pytest.approx(0.5)  # 0.1 / 0.2
    assert similarity(1.0, 80.0, 0.0) == pytest.approx(0.5)  # anchors alone: at most half
    assert similarity(0.5, 20.0, 0.0) == pytest.approx(0.125)  # 0.5 * 0.5 * sqrt(20 / 80)


def test_same_language_rewrite_joins_on_words(store: Store) -> None:
    for i, text in enumerate(FILLER_EN):
        ingest(store, make(f"https://f.test/{i}", text))
    first = ingest(store, make("https://a.test/en", REPORT_EN))
    config = DedupConfig(near_copy_threshold=0.99)
    assert ingest(store, make("https://b.test/rewrite", REWRITE_EN), config) == first
    match = last_match(store)
    evidence = json.loads(match["evidence"])
    assert match["method"] == "story"
    assert evidence["cosine"] >= 0.2 and evidence["headline"] == "agree"  # 41 children
    assert evidence["contradictions"] == []
    assert "same count of children (41)" in evidence["summary"]


def test_words_do_not_override_a_contradiction(store: Store) -> None:
    first = ingest(store, make("https://a.test/41", REPORT_EN))
    other = make("https://b.test/27", OTHER_STORY)
    config = DedupConfig(near_copy_threshold=0.99)
    assert ingest(store, other, config) != first  # same words, another headline count


def test_term_counts_follow_updates(store: Store) -> None:
    from monitor.stations.dedup import term_id
    harbor = term_id("harbor")
    ingest(store, make("https://a.test/en", REPORT_EN))
    ingest(store, make("https://b.test/en", REWRITE_EN))
    assert store.dedup_term_df([harbor]) == {harbor: 2}
    ingest(store, make("https://b.test/en", FILLER_EN[0]))
    assert store.dedup_term_df([harbor]) == {harbor: 1}


def test_lsh_lookup_is_one_query(store: Store) -> None:
    ingest(store, make("https://a.test/en", REPORT_EN))
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    buckets = [(band, 1) for band in range(DedupConfig().bands[0])]
    store.dedup_lsh_candidates(buckets, 200)
    store.db.conn.set_trace_callback(None)
    assert len(seen) == 1


def test_anchor_postings_in_one_query_within_the_window(store: Store) -> None:
    from datetime import date
    ingest(store, make("https://a.test/en", REPORT_EN, published="2024-03-20"))
    ingest(store, make("https://b.test/fr", REPORT_FR, "fr", published=None))
    day = date(2024, 3, 25).toordinal()
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    near = store.dedup_anchor_postings(["p:tulsa", "n:41"], day, 30, 200)
    store.db.conn.set_trace_callback(None)
    assert len(seen) == 1
    ids = dict(store.db.execute("select url, id from articles").fetchall())
    assert sorted(near) == sorted([("p:tulsa", ids["https://a.test/en"]),
                                   ("p:tulsa", ids["https://b.test/fr"]),
                                   ("n:41", ids["https://a.test/en"]),
                                   ("n:41", ids["https://b.test/fr"])])
    late = store.dedup_anchor_postings(["p:tulsa"], date(2024, 9, 1).toordinal(), 30, 200)
    assert late == [("p:tulsa", ids["https://b.test/fr"])]  # only the undated report


# ----- the story stage joins the most likely candidate -----

def test_story_stage_joins_the_most_likely_candidate(store: Store) -> None:
    """The decision is the candidate with the highest same-story probability, with that
    candidate's evidence, when it reaches the threshold."""
    from monitor.stations import dedup
    for i, text in enumerate(FILLER_EN):
        ingest(store, make(f"https://f.test/{i}", text))
    ingest(store, make("https://a.test/41", REPORT_EN))
    ingest(store, make("https://b.test/27", OTHER_STORY), DedupConfig(near_copy_threshold=0.99))
    article, config = make("https://d.test/fr", REPORT_FR, "fr", "2024-03-21"), DedupConfig()
    decision = decide(store, article, config)
    anchors = extract_anchors(article.text, article.title, load_profile(article.language),
                              article.published)
    n_docs = store.dedup_document_count() + 1
    stored_df = store.dedup_anchor_df(list(anchors.keys))
    own_df = {k: stored_df.get(k, 0) + 1 for k in anchors.keys}
    own = dedup.weights(own_df, n_docs)
    rows = store.dedup_articles(dedup.story_candidates(store, decision.index, own_df, own,
                                                       config))
    sets = store.dedup_anchor_sets(sorted(rows))
    scores = {i: dedup.story_score(anchors, own, sets[i], rows[i], n_docs, config,
                                   decision.index) for i in rows}
    best = max(scores, key=lambda i: (scores[i][0], -i))
    assert len(scores) >= 2 and decision.method == "story"
    assert decision.matched_id == best
    assert decision.score == round(scores[best][0], 4) >= config.threshold
    assert decision.evidence == scores[best][1]
    other = next(i for i in rows if rows[i]["cluster_id"] != rows[best]["cluster_id"]
                 and "27" in json.dumps(rows[i]["counts"]))
    assert scores[other][0] == 0.0  # 27 children: the headline count contradicts


def test_a_cluster_member_without_a_count_carries_no_other_total(store: Store) -> None:
    """A report joins a story only if its headline count fits the cluster's: a short member
    without any count of children does not bridge two totals."""
    brief = ("Tulsa Police Department and the U.S. Marshals Service said Operation Safe Harbor "
             "ended in Broken Arrow and Sapulpa on March 14, Deputy Marshal Karen Whitfield "
             "told reporters; results follow.")
    first = ingest(store, make("https://a.test/brief", brief))
    assert ingest(store, make("https://b.test/41", REPORT_EN)) == first
    other = make("https://c.test/27", OTHER_STORY)
    assert ingest(store, other, DedupConfig(near_copy_threshold=0.99)) != first


def test_anchor_lists_are_the_anchor_sets_keys(store: Store) -> None:
    ingest(store, make("https://a.test/en", REPORT_EN))
    ingest(store, make("https://b.test/fr", REPORT_FR, "fr", published=None))
    ids = [r[0] for r in store.db.execute("select id from articles")] + [999]
    sets = store.dedup_anchor_sets(ids)
    lists = store.dedup_anchor_lists(ids)
    assert {i: sorted(keys) for i, keys in lists.items()} == {i: sorted(s) for i, s in sets.items()}
    assert lists[999] == []


def test_cosine_sums_the_common_terms_in_order() -> None:
    """Leaving out the terms one vector lacks changes no bit of the cosine."""
    import random
    from collections import Counter

    from monitor.stations.dedup import cosine, decode_vector, term_vector
    rng = random.Random(7)
    for _ in range(200):
        a, b = (term_vector(Counter({rng.randrange(150): rng.randrange(1, 5) for _ in range(80)}),
                            {t: rng.randrange(20) for t in range(150)}, 50) for _ in range(2))
        small, large = sorted((decode_vector(a), decode_vector(b)), key=len)
        assert cosine(a, b) == sum(w * large.get(t, 0.0) for t, w in small.items())
    apart = cosine(term_vector(Counter({1: 1}), {}, 10), term_vector(Counter({2: 1}), {}, 10))
    assert repr(apart) == "0.0"  # a float, as the evidence records it


# ----- real coverage: rewrites, boilerplate, no dates -----

ROUNDED_EN = """Nearly 40 missing kids found in Oklahoma sweep

Skip to content | Weather | Traffic | Sports | Watch live | Sign in | Subscribe | Menu

Nearly 40 missing children were recovered in and around Tulsa during a three-week effort led
by the U.S. Marshals Service, deputies said. The operation, called Safe Harbor, wrapped up on
March 14 in Broken Arrow and Sapulpa, according to Deputy Marshal Karen Whitfield.

Related: Storm damage closes two roads | High school scores | Most read this week"""


def test_approximate_rewrite_with_boilerplate_and_no_date_joins(store: Store) -> None:
    """"Nearly 40" is the rewrite's rounding of 41: the headline counts agree, the navigation
    around the story does not keep it apart, and neither report needs a date."""
    first = ingest(store, make("https://a.test/41", REPORT_EN, published=None))
    rounded = make("https://tv.test/sweep", ROUNDED_EN, published=None)
    assert ingest(store, rounded, DedupConfig(near_copy_threshold=0.99)) == first
    assert rounded.dedup.method == "story"
    assert rounded.dedup.evidence["headline"] == "agree"
    assert rounded.dedup.evidence["contradictions"] == []


def test_child_totals_read_the_headline_and_its_rounding() -> None:
    from monitor.stations.relevance import child_totals
    totals = child_totals(ROUNDED_EN, None, load_profile("en"))
    assert (totals.head, totals.approximate) == (40, True)
    totals = child_totals(REPORT_FR, None, load_profile("fr"))
    assert (totals.head, totals.approximate) == (41, False)


OFFICERS_LEAD_EN = """More than 400 officers from 12 agencies took part in Tulsa sweep

More than 400 officers from 12 agencies took part in Operation Safe Harbor, a three-week effort
around Tulsa that ended March 14, the U.S. Marshals Service said. Deputy Marshal Karen Whitfield
said the sweep recovered 41 missing children in Broken Arrow, Sapulpa and Tulsa."""


def test_a_rewrite_leading_with_another_number_is_not_vetoed(store: Store) -> None:
    """Only counts of children contradict: a rewrite that leads with its 400 officers still
    reports the release's 41 children."""
    first = ingest(store, make("https://a.test/41", REPORT_EN))
    rewrite = make("https://tv.test/officers", OFFICERS_LEAD_EN)
    assert ingest(store, rewrite, DedupConfig(near_copy_threshold=0.99)) == first
    assert rewrite.dedup.evidence["headline"] == "agree"


def test_the_cluster_page_says_why_in_words(store: Store) -> None:
    """A reviewer reads what the two reports share, in words, not the model's scores."""
    from monitor.review import detail
    from monitor.stations.facts import extract_facts
    from monitor.stations.profiles import load_profile

    def reported(url: str, text: str, language: str = "en", published: str = "2024-03-20"):
        article = make(url, text, language, published)
        article.relevant = 1
        article.facts = extract_facts(text, load_profile(language), published)
        return article

    first = ingest(store, reported("https://a.test/en", REPORT_EN))
    assert ingest(store, reported("https://b.test/fr", REPORT_FR, "fr", "2024-03-21")) == first
    (match,) = detail(store, first)["matches"]
    # Both: 41 children recovered, aged 9 to 17, Operation Safe Harbor, ended on March 14
    # ("achevée le 14 mars"); the 6 adults arrested are not children.
    assert match["words"].startswith(
        "shares 41 children, 41 recovered, aged 9 to 17, Operation Safe Harbor, ")
    assert "14 March" in match["words"] and match["words"].endswith("; no contradiction")
    assert "Karen Whitfield" in match["names"]
    for internal in ("overlap", "shared_weight", "cosine", "probability", " 6 "):
        assert internal not in match["words"]
