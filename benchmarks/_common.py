"""Shared helpers of the benchmarks: data paths, the Zyte pages and metric, tables, timing."""

from __future__ import annotations

import gzip
import json
import logging
import platform
import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "benchmarks"
ZYTE = SHARED / "zyte-article-extraction-benchmark"
LINGUA = SHARED / "lingua-language-testdata" / "sentences"
WMT21 = SHARED / "wmt21-news-doc-translations" / "docs.jsonl.gz"
SEMEVAL = SHARED / "semeval2022-task8" / "pairs_with_text.jsonl.gz"

WORD = re.compile(r"\w+")
SHINGLE = 4


@dataclass(frozen=True)
class Page:
    """One Zyte benchmark page: id, URL, HTML and the human-marked article body."""

    id: str
    url: str
    html: str
    truth: str


def zyte_pages(limit: int | None = None) -> list[Page]:
    """The benchmark's pages with their ground truth, sorted by id."""
    truth = json.loads((ZYTE / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[:limit]:
        html = gzip.decompress((ZYTE / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, truth[page_id]["url"], html.decode("utf-8"),
                          truth[page_id]["articleBody"]))
    return pages


# ----- the Zyte metric (as described in ../shared/benchmarks/README.md) -----

def tokens(text: str) -> list[str]:
    """Unicode word tokens."""
    return WORD.findall(text or "")


def shingles(words: Sequence[str]) -> Counter[tuple[str, ...]]:
    """The multiset of 4-token shingles (a shorter text is one shingle)."""
    if len(words) < SHINGLE:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


@dataclass(frozen=True)
class DocScore:
    """Per-document precision and recall, and whether the token sequences are equal."""

    precision: float
    recall: float
    exact: bool


def score_document(truth: str, predicted: str) -> DocScore:
    """Shingle-multiset precision and recall of one prediction."""
    true_tokens, pred_tokens = tokens(truth), tokens(predicted)
    true_sh, pred_sh = shingles(true_tokens), shingles(pred_tokens)
    tp = sum((true_sh & pred_sh).values())
    fp = sum((pred_sh - true_sh).values())
    fn = sum((true_sh - pred_sh).values())
    exact = true_tokens == pred_tokens
    if fp == 0 and fn == 0:
        return DocScore(1.0, 1.0, exact)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return DocScore(precision, recall, exact)


@dataclass(frozen=True)
class Summary:
    """Corpus figures: means of per-doc P and R, F1 of the means, accuracy, F1 bootstrap std."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    f1_std: float


def f1_of(precision: float, recall: float) -> float:
    """Harmonic mean."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def summarise(scores: Sequence[DocScore], rounds: int = 1000, seed: int = 0) -> Summary:
    """Corpus figures with a bootstrap standard deviation of F1."""
    p = statistics.fmean(s.precision for s in scores)
    r = statistics.fmean(s.recall for s in scores)
    rng = random.Random(seed)
    boot = []
    for _ in range(rounds):
        sample = rng.choices(scores, k=len(scores))
        boot.append(f1_of(statistics.fmean(s.precision for s in sample),
                          statistics.fmean(s.recall for s in sample)))
    return Summary(p, r, f1_of(p, r), statistics.fmean(s.exact for s in scores),
                   statistics.pstdev(boot))


# ----- output -----

def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; floats with three decimals."""
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """A one-line description of the machine and interpreter."""
    import os
    return (f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}")


def quiet_logs() -> None:
    """Silence the libraries' chatter (trafilatura, htmldate warn on odd pages)."""
    logging.basicConfig(level=logging.ERROR)
    for name in ("trafilatura", "htmldate", "courlan", "scrapy", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.ERROR)


def each(items: Sequence[object], fn: Callable[[object], object]) -> list[object]:
    """Apply `fn` to every item (a named loop so profiles read well)."""
    return [fn(item) for item in items]
