"""The continuous same-story score: how alike two reports are, also below the join threshold.

The score correlated with human ratings (benchmarks/dedup_quality.py, SemEval-2022 Task 8) and
shown as `similarity` in a match's evidence.
"""

from __future__ import annotations

import math

LEXICAL_WEIGHT, LEXICAL_POWER = 0.8, 0.7  # similarity = 0.8 cos^0.7 + 0.2 anchors (one language)
ANCHOR_SATURATION = 40.0  # shared anchor weight at which the anchor similarity stops damping


def similarity(anchor_overlap: float, shared_weight: float, lexical: float | None) -> float:
    """The continuous same-story score in [0, 1]: anchor overlap damped while little is shared,
    blended with the word cosine when both reports are in one language (`lexical` not None)."""
    anchors = anchor_overlap * math.sqrt(min(1.0, shared_weight / ANCHOR_SATURATION))
    if lexical is None:
        return anchors
    return LEXICAL_WEIGHT * max(lexical, 0.0) ** LEXICAL_POWER + (1 - LEXICAL_WEIGHT) * anchors
