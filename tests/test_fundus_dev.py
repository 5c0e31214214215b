"""The station on Fundus's golden pages (../shared/benchmarks/fundus-dev), when present."""

from __future__ import annotations

import importlib
import statistics
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
FUNDUS_DEV = BENCHMARKS.parent.parent / "shared" / "benchmarks" / "fundus-dev"
STATION, BARE = "monitor extraction station", "trafilatura (bare)"
TITLE_SHARE = 0.90  # the goal; measured 0.920 (127 of 138 pages)
DAY_SHARE = 0.98  # the goal; measured 0.993
# The author goal (0.90) counts pages whose golden "author" is the publisher's own
# name, which the station never stores: met on the others (measured 0.926), and the
# measured floor on all (0.830).
PERSON_AUTHOR_SHARE = 0.90
AUTHOR_HIT_FLOOR = 0.82
BODY_F1_FLOOR = 0.96  # the goal; measured 0.963

pytestmark = pytest.mark.skipif(not FUNDUS_DEV.is_dir(), reason="../shared fundus-dev absent")


@pytest.fixture(scope="module")
def scores() -> dict[str, list[object]]:
    """Both systems' per-page scores, from the benchmark's own code."""
    quality = benchmark_module()
    quality.quiet_logs()
    return quality.fundus_scores(quality.fundus_pages())


def benchmark_module() -> ModuleType:
    """benchmarks/extraction_quality.py (it imports its sibling `_common` as a top module)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("extraction_quality")


def test_title_share(scores: dict[str, list[object]]) -> None:
    assert statistics.fmean(s.title for s in scores[STATION]) >= TITLE_SHARE


def test_day_share(scores: dict[str, list[object]]) -> None:
    assert statistics.fmean(s.day for s in scores[STATION]) >= DAY_SHARE


def test_author_hit_where_the_golden_author_is_not_the_publisher(
        scores: dict[str, list[object]]) -> None:
    hits = [s.author for s in scores[STATION] if s.author is not None and not s.by_publisher]
    assert statistics.fmean(hits) >= PERSON_AUTHOR_SHARE


def test_author_hit_on_all_pages_with_a_golden_author(scores: dict[str, list[object]]) -> None:
    hits = [s.author for s in scores[STATION] if s.author is not None]
    assert statistics.fmean(hits) >= AUTHOR_HIT_FLOOR


def test_body_f1_not_below_bare_trafilatura(scores: dict[str, list[object]]) -> None:
    ours = statistics.fmean(s.body for s in scores[STATION])
    bare = statistics.fmean(s.body for s in scores[BARE])
    assert ours >= bare and ours >= BODY_F1_FLOOR
