"""Extraction quality on the Zyte article-extraction benchmark: our station vs bare trafilatura.

Usage: .venv/bin/python benchmarks/extraction_quality.py [--limit N] [--worst N]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable

import trafilatura
from _common import ZYTE, Page, machine, quiet_logs, score_document, summarise, table, zyte_pages

from monitor import extraction
from monitor.extraction import ExtractionError
from monitor.items import Article

logger = logging.getLogger(__name__)


def ours(page: Page) -> str:
    """The text our extraction station keeps (empty when it rejects the page)."""
    article = Article(url=page.url, source="zyte", body=page.html)
    try:
        return extraction.extract(article, min_chars=0).text
    except ExtractionError:
        return ""


def bare(page: Page) -> str:
    """trafilatura.extract with its defaults."""
    return trafilatura.extract(page.html, url=page.url) or ""


def published(name: str) -> dict[str, str]:
    """A reference system's stored predictions from the benchmark's output/ directory."""
    raw = json.loads((ZYTE / "output" / f"{name}.json").read_text(encoding="utf-8"))
    raw = raw.get("output", raw)
    return {k: (v or {}).get("articleBody") or "" for k, v in raw.items()}


def run_interleaved(pages: list[Page], systems: dict[str, Callable[[Page], str]]
                    ) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Every system on every page, page by page (CPU time), so timings share the same conditions."""
    outputs: dict[str, list[str]] = {name: [] for name in systems}
    elapsed = dict.fromkeys(systems, 0.0)
    for page in pages:
        for name, fn in systems.items():
            start = time.process_time()
            outputs[name].append(fn(page))
            elapsed[name] += time.process_time() - start
    return outputs, elapsed


def main() -> None:
    """Score every system on the same pages and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    parser.add_argument("--worst", type=int, default=0, help="list our N worst pages")
    args = parser.parse_args()
    quiet_logs()
    pages = zyte_pages(args.limit)
    systems = {"monitor extraction station": ours, "trafilatura.extract (bare)": bare}
    for fn in systems.values():  # warm-up: lazy imports and caches are not per-page cost
        fn(pages[0])
    outputs, elapsed = run_interleaved(pages, systems)
    rows, per_doc = [], {}
    for name in systems:
        scores = [score_document(p.truth, text) for p, text in
                  zip(pages, outputs[name], strict=True)]
        per_doc[name] = scores
        s = summarise(scores)
        rows.append((name, f"{s.f1:.3f} ± {s.f1_std:.3f}", s.precision, s.recall, s.accuracy,
                     f"{1000 * elapsed[name] / len(pages):.1f}"))
    ref = published("trafilatura")
    s = summarise([score_document(p.truth, ref.get(p.id, "")) for p in pages])
    rows.append(("trafilatura 2.0.0 (stored output)", f"{s.f1:.3f} ± {s.f1_std:.3f}",
                 s.precision, s.recall, s.accuracy, "-"))
    print(f"Zyte article-extraction benchmark, {len(pages)} pages; {machine()}; "
          f"trafilatura {trafilatura.__version__}")
    print(table(["system", "F1", "precision", "recall", "accuracy", "CPU ms/page"], rows))
    if args.worst:
        mine = per_doc["monitor extraction station"]
        other = per_doc["trafilatura.extract (bare)"]
        order = sorted(range(len(pages)), key=lambda i: mine[i].precision + mine[i].recall)
        print(table(["page", "P ours", "R ours", "P bare", "R bare"],
                    [(pages[i].url[:70], mine[i].precision, mine[i].recall, other[i].precision,
                      other[i].recall) for i in order[:args.worst]]))


if __name__ == "__main__":
    main()
