"""The continuous same-story score: how alike two reports are, also below the join threshold.

The score correlated with human ratings (benchmarks/dedup_quality.py, SemEval-2022 Task 8) and
shown as `similarity` in a match's evidence. Words carry it: the cosine of the two stored TF-IDF
term vectors (`dedup.term_vector`, `dedup.cosine`), in one language or across two. Ratings stop
improving once two reports share a fair part of their strongest words, so the cosine saturates.
The anchors (numbers, dates, names) are the fallback when two reports share no words at all, as
between scripts (Russian and English, Japanese and English).
"""

from __future__ import annotations

import math

# Cosine from which two reports in one language read as the same story. On SemEval-2022 pairs
# the mean rating falls about linearly with the cosine up to ~0.35 and hardly moves above it
# (chosen on the tuning half; 0.3 and 0.4 are within 0.007 in Pearson r).
SAME_LANGUAGE_SATURATION = 0.35
# The same across two languages, where only names, numbers and cognates can match: a human
# translation and its source have a median cosine of 0.16-0.17 in WMT21 de-fr, fr-de and en-is
# (90th percentile 0.26-0.34), and 0.2 was best on the SemEval de-en tuning pairs.
CROSS_LANGUAGE_SATURATION = 0.2
# Anchors alone claim at most half the scale: sharing the names and numbers of a story is often
# the same topic, not the same story. They matter where no words are shared (across scripts);
# on SemEval, where words are, weights 0 to 0.75 give the same r within 0.002.
ANCHOR_WEIGHT = 0.5
# Shared anchor weight at which the anchor overlap is taken at face value; below it the overlap
# is damped (two short reports sharing one name are not one story): a dozen rare name keys.
ANCHOR_SATURATION = 80.0


def lexical_similarity(cosine: float, same_language: bool) -> float:
    """The word cosine on the same-story scale: linear up to the saturation point, then 1."""
    saturation = SAME_LANGUAGE_SATURATION if same_language else CROSS_LANGUAGE_SATURATION
    return min(1.0, max(cosine, 0.0) / saturation)


def anchor_similarity(anchor_overlap: float, shared_weight: float) -> float:
    """The anchor overlap, damped while little weight is shared, on at most ANCHOR_WEIGHT."""
    damping = math.sqrt(min(1.0, max(shared_weight, 0.0) / ANCHOR_SATURATION))
    return ANCHOR_WEIGHT * min(1.0, max(anchor_overlap, 0.0)) * damping


def similarity(anchor_overlap: float, shared_weight: float, lexical: float, *,
               same_language: bool = True) -> float:
    """The continuous same-story score in [0, 1]: the saturated word cosine (`lexical`, of the
    two stored term vectors, in one language or across two), or the anchors where higher."""
    return max(lexical_similarity(lexical, same_language),
               anchor_similarity(anchor_overlap, shared_weight))
