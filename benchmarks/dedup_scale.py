"""Dedup at scale: per-article time with 1,000 vs N articles stored, and peak memory.

    .venv/bin/python benchmarks/dedup_scale.py --size 100000 [--probe 300] [--db PATH]

Synthetic articles are recombined from real news text (WMT21 sources and references, SemEval
texts): each takes 3-6 paragraphs of one language from random documents, and a publication date
spread over three years, ingested in date order as a crawl would. Every article goes through
`monitor.stations.dedup.decide` and `Store.save_article` (one transaction each). The median time of
`decide` (and of decide + save), wall clock and CPU time of the process, is measured over
`--probe` articles ingested after 1,000 and after N-probe articles are stored.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import SEMEVAL, WMT21  # noqa: E402

from monitor.items import Article  # noqa: E402
from monitor.stations import dedup  # noqa: E402
from monitor.stations.extraction import content_hash  # noqa: E402
from monitor.store import Store  # noqa: E402

logger = logging.getLogger(__name__)

WMT = WMT21
FIRST_DAY = date(2019, 1, 1)
DAYS = 3 * 365


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a gzipped JSON-lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def paragraphs_by_language() -> dict[str, list[str]]:
    """Real news paragraphs (at least 80 characters), grouped by language."""
    texts: list[tuple[str, str]] = []
    for doc in read_jsonl(WMT):
        texts.append((doc["src_lang"], doc["src_text"]))
        texts += [(doc["ref_lang"], t) for t in doc["refs"].values()]
    for pair in read_jsonl(SEMEVAL):
        texts += [(pair["lang1"], pair["text1"]), (pair["lang2"], pair["text2"])]
    pool: dict[str, set[str]] = defaultdict(set)
    for lang, text in texts:
        for para in text.split("\n"):
            if len(para.strip()) >= 80:
                pool[lang].add(para.strip())
    return {lang: sorted(paras) for lang, paras in pool.items() if len(paras) >= 50}


def synthetic_articles(size: int, seed: int) -> Iterator[Article]:
    """`size` recombined articles in publication-date order, made one at a time."""
    rng = random.Random(seed)
    pool = paragraphs_by_language()
    languages = sorted(pool)
    weights = [len(pool[lang]) for lang in languages]
    days = sorted(rng.randrange(DAYS) for _ in range(size))
    for i, day in enumerate(days):
        lang = rng.choices(languages, weights)[0]
        text = "\n\n".join(rng.sample(pool[lang], rng.randint(3, 6)))
        yield Article(
            url=f"https://synthetic.test/{i}", source="synthetic", text=text, language=lang,
            title=text.split("\n", 1)[0][:160], content_hash=content_hash(text),
            published=(FIRST_DAY + timedelta(days=day)).isoformat())


def ingest(store: Store, article: Article, config: dedup.DedupConfig) -> tuple[float, ...]:
    """Decide and save one article; wall and CPU seconds of decide, and of decide + save."""
    wall, cpu = time.perf_counter(), time.process_time()
    article.dedup = dedup.decide(store, article, config)
    decided = (time.perf_counter() - wall, time.process_time() - cpu)
    store.save_article(article)
    return (*decided, time.perf_counter() - wall, time.process_time() - cpu)


def run(size: int, probe: int, seed: int, db: Path) -> dict[str, Any]:
    """Ingest `size` articles; timings of the two probe windows, stages, memory."""
    config = dedup.DedupConfig()
    articles = synthetic_articles(size, seed)
    store = Store(db)
    windows = {"1k": range(1000, 1000 + probe), "N": range(size - probe, size)}
    timings: dict[str, list[tuple[float, ...]]] = {k: [] for k in windows}
    methods: Counter[str] = Counter()
    started = time.perf_counter()
    for i, article in enumerate(articles):
        measured = ingest(store, article, config)
        methods[article.dedup.method or "new"] += 1
        for key, window in windows.items():
            if i in window:
                timings[key].append(measured)
        if i % 10000 == 0:
            logger.warning("%d articles, %.0f s", i, time.perf_counter() - started)
    store.close()
    return {"timings": timings, "methods": methods, "seconds": time.perf_counter() - started,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "db_mb": db.stat().st_size / 1e6}


def main() -> None:
    """Run and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="articles to ingest")
    parser.add_argument("--probe", type=int, default=300, help="articles per timing window")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="store path (default: a temporary file)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.size, args.probe, args.seed, args.db or Path(tmp) / "scale.db")
    medians = {k: [statistics.median(t[i] for t in v) for i in range(4)]
               for k, v in result["timings"].items()}
    print(f"# {args.size} articles in {result['seconds']:.0f} s; stages "
          f"{dict(result['methods'])}; store {result['db_mb']:.0f} MB")
    print("\n| stored | decide wall (ms) | decide CPU (ms) | decide + save wall (ms) "
          "| decide + save CPU (ms) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for key, label in (("1k", "1,000"), ("N", f"{args.size - args.probe:,}")):
        print(f"| {label} | " + " | ".join(f"{1000 * m:.1f}" for m in medians[key]) + " |")
    print("| ratio | " + " | ".join(f"{n / o:.2f}" for n, o in
                                     zip(medians["N"], medians["1k"], strict=True)) + " |")
    print(f"\nPeak memory (max RSS): {result['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
