"""The continuous same-story score: bounds, monotonicity, languages, and hand-made reports."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from monitor.stations import dedup
from monitor.stations.dedup.anchors import extract_anchors
from monitor.stations.dedup.similarity import (
    ANCHOR_WEIGHT,
    CROSS_LANGUAGE_SATURATION,
    SAME_LANGUAGE_SATURATION,
    anchor_similarity,
    lexical_similarity,
    similarity,
)
from monitor.stations.profiles import load_profile

REPORT = """Marshals recover 14 missing children in Operation Blue Heron

The U.S. Marshals Service recovered 14 missing children in Fresno County during Operation Blue
Heron, a two-week operation that ended on June 9. Deputy Marshal Ana Whitlock said five of the
children had run away from foster homes in Clovis and Sanger. Three adults were arrested."""

REWRITE = """Fourteen missing kids found in Fresno County sweep

Operation Blue Heron, led by the U.S. Marshals Service, ended on June 9 with 14 missing
children recovered across Fresno County. According to Deputy Marshal Ana Whitlock, five of them
had fled foster homes in Clovis and Sanger; three adults now face charges."""

SAME_TOPIC = """Police rescue 9 children in Operation Lost Angel in Houston

Houston police and the FBI rescued 9 children in Operation Lost Angel, a month-long operation
that ended on May 2. Sergeant Mike Dorsey said the children had been trafficked through motels
on the Gulf Freeway. Two suspects were charged with human trafficking."""

TRANSLATION = """Les Marshals retrouvent 14 enfants disparus lors de l'opération Blue Heron

Le service des Marshals des États-Unis a retrouvé 14 enfants disparus dans le comté de Fresno
lors de l'opération Blue Heron, menée pendant deux semaines et achevée le 9 juin. Selon la
marshal adjointe Ana Whitlock, cinq enfants avaient fugué de familles d'accueil à Clovis et
Sanger. Trois adultes ont été arrêtés."""

SAME_TOPIC_FR = """La police sauve 9 enfants lors de l'opération Lost Angel à Houston

La police de Houston et le FBI ont sauvé 9 enfants lors de l'opération Lost Angel, menée
pendant un mois et achevée le 2 mai. Le sergent Mike Dorsey a déclaré que les enfants avaient
été exploités dans des motels. Deux suspects ont été inculpés de traite d'êtres humains."""

TEXTS = {"report": (REPORT, "en"), "rewrite": (REWRITE, "en"), "topic": (SAME_TOPIC, "en"),
         "translation": (TRANSLATION, "fr"), "topic_fr": (SAME_TOPIC_FR, "fr")}


def pair_score(first: str, second: str) -> float:
    """The similarity of two of TEXTS, computed as the dedup station does for a candidate (word
    and anchor document frequencies counted over TEXTS)."""
    anchors = {k: extract_anchors(t, t.split("\n", 1)[0], load_profile(lang))
               for k, (t, lang) in TEXTS.items()}
    counts = {k: dedup.term_counts(t, t.split("\n", 1)[0]) for k, (t, _) in TEXTS.items()}
    term_df = Counter(t for c in counts.values() for t in c)
    anchor_df = Counter(a for found in anchors.values() for a in found.keys)
    n_docs = len(TEXTS)
    vectors = {k: dedup.term_vector(c, {t: term_df[t] - 1 for t in c}, n_docs)
               for k, c in counts.items()}
    a, b = anchors[first], anchors[second]
    own = dedup.weights({k: anchor_df[k] for k in a.keys}, n_docs)
    row = {"lead": json.dumps(sorted(b.lead_numbers)), "years": json.dumps(sorted(b.years))}
    _, evidence = dedup.story_score(a, own, {k: anchor_df[k] for k in b.keys}, row, n_docs,
                                    dedup.DedupConfig())
    return similarity(evidence["overlap"], evidence["shared_weight"],
                      dedup.cosine(vectors[first], vectors[second]),
                      same_language=TEXTS[first][1] == TEXTS[second][1])


@pytest.mark.parametrize("same_language", [True, False])
@pytest.mark.parametrize(("overlap", "weight", "cosine"),
                         [(0.0, 0.0, 0.0), (1.0, 1e6, 1.0), (2.0, 1e6, 2.0), (-1.0, -5.0, -0.5)])
def test_similarity_stays_within_0_and_1(overlap: float, weight: float, cosine: float,
                                         same_language: bool) -> None:
    assert 0.0 <= similarity(overlap, weight, cosine, same_language=same_language) <= 1.0


def test_identical_and_disjoint_reports() -> None:
    assert similarity(1.0, 200.0, 1.0) == 1.0
    assert similarity(0.0, 0.0, 0.0) == 0.0
    assert similarity(0.0, 0.0, 0.0, same_language=False) == 0.0


@pytest.mark.parametrize("same_language", [True, False])
def test_similarity_never_falls_as_the_cosine_rises(same_language: bool) -> None:
    scores = [similarity(0.2, 20.0, c / 20, same_language=same_language) for c in range(21)]
    assert scores == sorted(scores)
    assert scores[0] < scores[-1] == 1.0


def test_similarity_never_falls_as_anchors_grow() -> None:
    by_overlap = [similarity(o / 10, 100.0, 0.0) for o in range(11)]
    by_weight = [similarity(0.8, w * 10.0, 0.0) for w in range(20)]
    assert by_overlap == sorted(by_overlap)
    assert by_weight == sorted(by_weight)


def test_cosine_saturates_earlier_across_languages() -> None:
    assert lexical_similarity(SAME_LANGUAGE_SATURATION, same_language=True) == 1.0
    assert lexical_similarity(CROSS_LANGUAGE_SATURATION, same_language=False) == 1.0
    assert lexical_similarity(0.1, same_language=False) > lexical_similarity(0.1, True) > 0.0
    assert lexical_similarity(SAME_LANGUAGE_SATURATION / 2, True) == pytest.approx(0.5)


def test_anchors_alone_claim_at_most_their_weight() -> None:
    assert anchor_similarity(1.0, 1e6) == pytest.approx(ANCHOR_WEIGHT)
    assert similarity(1.0, 1e6, 0.0, same_language=False) == pytest.approx(ANCHOR_WEIGHT)
    # one shared name in two short reports: full overlap, little weight, damped
    assert anchor_similarity(1.0, 5.0) < anchor_similarity(1.0, 50.0) < ANCHOR_WEIGHT


def test_words_outweigh_anchors_when_both_speak() -> None:
    assert similarity(0.2, 10.0, 0.9) == 1.0
    assert similarity(1.0, 1e6, 0.05) == pytest.approx(ANCHOR_WEIGHT)


def test_rewrite_scores_above_a_report_on_the_same_topic() -> None:
    rewrite, topic = pair_score("report", "rewrite"), pair_score("report", "topic")
    assert rewrite > topic
    assert rewrite >= 0.5


def test_translation_scores_above_a_foreign_report_on_the_same_topic() -> None:
    assert pair_score("report", "translation") > pair_score("report", "topic_fr")
