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
TITLE_SHARE_FLOOR = 0.85  # measured 0.862 (119 of 138 pages)

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
    share = statistics.fmean(s.title for s in scores["monitor extraction station"])
    assert share >= TITLE_SHARE_FLOOR


def test_body_f1_not_below_bare_trafilatura(scores: dict[str, list[object]]) -> None:
    ours = statistics.fmean(s.body for s in scores["monitor extraction station"])
    bare = statistics.fmean(s.body for s in scores["trafilatura (bare)"])
    assert ours >= bare - 0.01
