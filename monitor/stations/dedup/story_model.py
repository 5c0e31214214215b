"""The same-story probability of two reports: a logistic model over what they share.

Two reports of one announcement share its rare names and numbers (anchors), often its words (in
one language), and its headline count of children; other editions of a recurring operation
share the names but not the count or the year. The weights are learned on labelled pairs of
real coverage (`benchmarks/train_story_model.py` writes `story_model.json`); a headline count
that contradicts the other report's counts vetoes the join whatever the rest says.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("story_model.json")
# An approximate headline ("over 200", "nearly 80") agrees with a count this close to it.
APPROXIMATE_TOLERANCE = 0.15
FAR_APART_DAYS = 30


@dataclass(frozen=True)
class PairFeatures:
    """What two reports share, as the model reads it."""

    overlap: float  # weighted share of the smaller report's anchors found in the other
    overlap_larger: float  # the same share of the larger report's anchors
    log_shared: float  # log(1 + weight of the shared anchors)
    cosine_same: float  # word cosine, when both are in one language
    cosine_cross: float  # word cosine across two languages (names, numbers, cognates)
    heads_agree: float  # the same headline count of children
    heads_conflict: float  # headline counts that contradict each other
    years_conflict: float  # no year in common
    far_apart: float  # both dated, more than FAR_APART_DAYS apart
    same_language: float

    def vector(self) -> list[float]:
        """The feature values in the model's order."""
        return [getattr(self, name) for name in FEATURES]


FEATURES = [f.name for f in fields(PairFeatures)]


def pair_features(shared_weight: float, totals: tuple[float, float], cosine: float,
                  same_language: bool, heads: str | None, years_conflict: bool,
                  days_apart: int | None) -> PairFeatures:
    """The features of a pair from its parts (`totals`: the two reports' anchor weights;
    `heads`: "agree", "conflict" or None)."""
    small, large = sorted(totals)
    return PairFeatures(
        overlap=min(1.0, max(0.0, shared_weight / (small or 1.0))),
        overlap_larger=min(1.0, max(0.0, shared_weight / (large or 1.0))),
        log_shared=math.log1p(max(0.0, shared_weight)),
        cosine_same=cosine if same_language else 0.0,
        cosine_cross=0.0 if same_language else cosine,
        heads_agree=float(heads == "agree"), heads_conflict=float(heads == "conflict"),
        years_conflict=float(years_conflict),
        far_apart=float(days_apart is not None and days_apart > FAR_APART_DAYS),
        same_language=float(same_language))


def headline_relation(own: dict[str, Any] | None, other: dict[str, Any] | None,
                      own_numbers: set[float], other_numbers: set[float]) -> str | None:
    """Whether two reports' headline counts of children agree, conflict, or cannot be
    compared (one has none). Counts of the same kind only: a headline agrees with any count of
    children the other reports ("123 of the 200 recovered"), and conflicts only when neither
    headline occurs among the other's numbers at all."""
    a, b = (own or {}).get("head"), (other or {}).get("head")
    if not a or not b:
        return None
    approximate = (own or {}).get("approximate") or (other or {}).get("approximate")
    if (a == b or a in (other or {}).get("values", ()) or b in (own or {}).get("values", ())
            or approximate and abs(a - b) <= APPROXIMATE_TOLERANCE * max(a, b)):
        return "agree"
    if a not in other_numbers and b not in own_numbers:
        return "conflict"
    return None


@functools.cache
def model() -> dict[str, Any]:
    """The learned weights and threshold (story_model.json)."""
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    missing = set(FEATURES) - set(data["weights"])
    if missing:
        raise ValueError(f"{MODEL_PATH.name} lacks weights for {sorted(missing)}")
    return data


def probability(features: PairFeatures, weights: dict[str, float] | None = None) -> float:
    """The same-story probability; 0 when the headline counts conflict."""
    if features.heads_conflict:
        return 0.0
    weights = weights or model()["weights"]
    values = zip(FEATURES, features.vector(), strict=True)
    z = weights.get("bias", 0.0) + sum(weights[name] * value for name, value in values)
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def threshold() -> float:
    """The probability from which a new report joins the best candidate's cluster."""
    return float(model()["threshold"])
