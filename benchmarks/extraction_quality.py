"""Extraction quality: our station vs bare trafilatura, on the Zyte benchmark (body) and on
Fundus's golden pages, fundus-dev (body, title, publication day, author; per language).

Usage: .venv/bin/python benchmarks/extraction_quality.py [--limit N] [--worst N]
       [--skip-zyte] [--skip-fundus] [--titles N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import trafilatura
from _common import (
    SHARED,
    ZYTE,
    Page,
    machine,
    quiet_logs,
    score_document,
    summarise,
    table,
    zyte_pages,
)

from monitor.items import Article
from monitor.stations import extraction
from monitor.stations.extraction import ExtractionError

logger = logging.getLogger(__name__)

FUNDUS_DEV = SHARED / "fundus-dev"
LOWER_WORD = re.compile(r"\w+")
STATION = "monitor extraction station"
BARE = "trafilatura (bare)"


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


def zyte_report(limit: int | None, worst: int) -> None:
    """Score both systems on the Zyte pages (body only) and print the table."""
    pages = zyte_pages(limit)
    systems = {STATION: ours, "trafilatura.extract (bare)": bare}
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
    if worst:
        mine, other = per_doc[STATION], per_doc["trafilatura.extract (bare)"]
        order = sorted(range(len(pages)), key=lambda i: mine[i].precision + mine[i].recall)
        print(table(["page", "P ours", "R ours", "P bare", "R bare"],
                    [(pages[i].url[:70], mine[i].precision, mine[i].recall, other[i].precision,
                      other[i].recall) for i in order[:worst]]))


# ----- fundus-dev: body, title, day, author -----

@dataclass(frozen=True)
class GoldenPage:
    """One fundus-dev page: where it is, its language and Fundus's expected values."""

    page: str
    url: str
    language: str
    html: str
    title: str
    authors: list[str]
    day: str
    body: str


@dataclass(frozen=True)
class Extracted:
    """What a system found on a page."""

    text: str = ""
    title: str | None = None
    author: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class Scores:
    """One page's scores: body F1, and whether title, day and author are right (None: no gold);
    `by_publisher`: every golden author is the publisher's own name (the station never
    names the publisher as author)."""

    body: float
    title: bool
    day: bool
    author: bool | None
    by_publisher: bool = False


def fundus_pages(limit: int | None = None) -> list[GoldenPage]:
    """fundus-dev's cases with their decompressed pages, in file order."""
    pages = []
    with (FUNDUS_DEV / "cases.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            html = gzip.decompress((FUNDUS_DEV / case["page"]).read_bytes()).decode("utf-8")
            pages.append(GoldenPage(case["page"], case["url"], case["language"], html,
                                    case["title"], case["authors"] or [],
                                    (case["publishing_date"] or "")[:10], case["body"]))
    return pages[:limit]


def station(page: GoldenPage) -> Extracted:
    """The station's fields (empty when it rejects the page)."""
    article = Article(url=page.url, source="fundus-dev", body=page.html)
    try:
        extraction.extract(article, min_chars=0)
    except ExtractionError:
        return Extracted()
    return Extracted(article.text, article.title, article.author, article.published)


def bare_fields(page: GoldenPage) -> Extracted:
    """bare_extraction with the page URL and trafilatura's defaults, metadata included."""
    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
    if doc is None:
        return Extracted()
    return Extracted(doc.text or "", doc.title, doc.author, doc.date)


def bag_f1(truth: str, predicted: str) -> float:
    """F1 of the multisets of lower-cased words."""
    gold = Counter(LOWER_WORD.findall(truth.lower()))
    found = Counter(LOWER_WORD.findall(predicted.lower()))
    common = sum((gold & found).values())
    if not common:
        return 1.0 if not gold and not found else 0.0
    precision, recall = common / sum(found.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def collapse(text: str | None) -> str:
    """Whitespace collapsed, ends stripped."""
    return " ".join((text or "").split())


def author_hit(golden: list[str], found: str | None) -> bool | None:
    """Whether any golden author's name is in the extracted author (None without a golden one)."""
    if not golden:
        return None
    found = collapse(found).casefold()
    return bool(found) and any(collapse(name).casefold() in found for name in golden)


def score(page: GoldenPage, got: Extracted) -> Scores:
    """One page's scores."""
    return Scores(bag_f1(page.body, got.text), collapse(got.title) == collapse(page.title),
                  (got.published or "")[:10] == page.day, author_hit(page.authors, got.author),
                  publisher_authors(page))


def publisher_authors(page: GoldenPage) -> bool:
    """Whether every golden author is the publisher's own name (og:site_name, JSON-LD
    publisher, host name: the station's `is_publisher`)."""
    if not page.authors:
        return False
    tree = extraction.parse_page(page.html)
    keys = extraction.publisher_keys(extraction.meta_elements(tree),
                                     extraction.json_ld_objects(tree), page.url)
    return all(extraction.is_publisher(name, keys) for name in page.authors)


def shares(scores: Iterable[Scores]) -> tuple[int, float, float, float, float, float]:
    """Pages, mean body F1, title share, day share, author hit rate (pages with a golden one),
    and the same without the pages whose golden author is the publisher."""
    scores = list(scores)
    authors = [s.author for s in scores if s.author is not None]
    people = [s.author for s in scores if s.author is not None and not s.by_publisher]
    return (len(scores), statistics.fmean(s.body for s in scores),
            statistics.fmean(s.title for s in scores), statistics.fmean(s.day for s in scores),
            statistics.fmean(authors) if authors else float("nan"),
            statistics.fmean(people) if people else float("nan"))


def fundus_scores(pages: list[GoldenPage]) -> dict[str, list[Scores]]:
    """Both systems' scores on every page."""
    systems: dict[str, Callable[[GoldenPage], Extracted]] = {STATION: station, BARE: bare_fields}
    return {name: [score(page, fn(page)) for page in pages] for name, fn in systems.items()}


def fundus_report(limit: int | None, titles: int) -> None:
    """Print overall and per-language figures of both systems on fundus-dev."""
    pages = fundus_pages(limit)
    scores = fundus_scores(pages)
    headers = ["system", "pages", "body F1", "title exact", "day", "author hit",
               "not publisher"]
    print(f"\nfundus-dev: {len(pages)} pages, "
          f"{len({p.language for p in pages})} languages; trafilatura {trafilatura.__version__}")
    print(table(headers, [(name, *shares(s)) for name, s in scores.items()]))
    languages = Counter(p.language for p in pages)
    rows = []
    for language, _ in languages.most_common():
        for name, per_page in scores.items():
            mine = [s for p, s in zip(pages, per_page, strict=True) if p.language == language]
            rows.append((language, name, *shares(mine)))
    print("\nper language\n" + table(["language", *headers], rows))
    if titles:
        print_title_misses(pages, titles)


def print_title_misses(pages: list[GoldenPage], count: int) -> None:
    """The first `count` pages whose station title is not the golden one."""
    rows = []
    for page in pages:
        got = station(page).title
        if collapse(got) != collapse(page.title):
            rows.append((page.page[6:40], collapse(page.title)[:60], collapse(got)[:80]))
    print(f"\n{len(rows)} title misses\n" + table(["page", "golden", "station"], rows[:count]))


def main() -> None:
    """Score every system on the same pages and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    parser.add_argument("--worst", type=int, default=0, help="list our N worst Zyte pages")
    parser.add_argument("--titles", type=int, default=0, help="list N fundus-dev title misses")
    parser.add_argument("--skip-zyte", action="store_true", help="fundus-dev only")
    parser.add_argument("--skip-fundus", action="store_true", help="Zyte only")
    args = parser.parse_args()
    quiet_logs()
    if not args.skip_zyte:
        zyte_report(args.limit, args.worst)
    if not args.skip_fundus:
        fundus_report(args.limit, args.titles)


if __name__ == "__main__":
    main()
