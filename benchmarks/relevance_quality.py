"""Relevance quality: precision and recall of `operation` by language; false alarms on news.

1. The labelled fixture set in tests/fixtures/relevance (written for the project: operation
   reports and look-alike negatives in en, es, fr, pt, de, it): precision, recall and F1 of
   `operation`, and accuracy over the three topics, by language; for all documents, for the
   tuning split and for the held-out split (written after the terms were tuned).
2. Background: real news articles from ../shared/benchmarks (SemEval-2022 task 8 texts and
   WMT21 source documents; general news, nobody labelled them for this beat). Every
   `operation` there is printed with its title so it can be checked by hand; the share of
   articles called `operation` bounds the false-alarm rate on ordinary news.

Run: .venv/bin/python benchmarks/relevance_quality.py [--background-limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED, WMT21, machine, quiet_logs, table  # noqa: E402

from monitor.stations.profiles import load_profile  # noqa: E402
from monitor.stations.relevance import classify  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "relevance"
SEMEVAL = SHARED / "semeval2022-task8" / "pairs_with_text.jsonl.gz"


def fixture_rows(split: str | None) -> list[tuple[str, str, str, str, str]]:
    """(id, language, label, title, body) of the labelled fixtures of `split` (None: all)."""
    manifest = yaml.safe_load((FIXTURES / "manifest.yml").read_text(encoding="utf-8"))
    rows = []
    for name, meta in sorted(manifest.items()):
        if split is not None and meta.get("split", "tuning") != split:
            continue
        raw = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
        title, _, body = raw.partition("\n\n")
        rows.append((name, meta["language"], meta["label"], title, body))
    return rows


def fixture_table(split: str | None) -> tuple[str, list[str]]:
    """Per-language precision/recall of `operation` on the fixtures, and the misses."""
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    misses = []
    for name, code, label, title, body in fixture_rows(split):
        topic = classify(body, title, load_profile(code)).topic
        for key in (code, "all"):
            counts = stats[key]
            counts["n"] += 1
            counts["tp"] += topic == label == "operation"
            counts["fp"] += topic == "operation" != label
            counts["fn"] += label == "operation" != topic
            counts["pos"] += label == "operation"
            counts["right"] += topic == label
        if topic != label:
            misses.append(f"{name}: labelled {label}, classified {topic}")
    rows = []
    for code in sorted(k for k in stats if k != "all") + ["all"]:
        c = stats[code]
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / c["pos"] if c["pos"] else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((code, c["n"], c["pos"], precision, recall, f1, c["right"] / c["n"]))
    headers = ("language", "docs", "operation docs", "precision", "recall", "F1",
               "3-topic accuracy")
    return table(headers, rows), misses


def background_articles(limit: int) -> list[tuple[str, str, str, str]]:
    """(source, language, title, text) of distinct real news articles from ../shared."""
    seen: set[str] = set()
    articles = []
    if SEMEVAL.exists():
        with gzip.open(SEMEVAL, "rt", encoding="utf-8") as handle:
            for line in handle:
                pair = json.loads(line)
                for side in ("1", "2"):
                    key = pair[f"id{side}"]
                    if key not in seen and pair.get(f"text{side}"):
                        seen.add(key)
                        articles.append(("semeval", pair[f"lang{side}"],
                                         pair.get(f"title{side}") or "", pair[f"text{side}"]))
    if WMT21.exists():
        with gzip.open(WMT21, "rt", encoding="utf-8") as handle:
            for line in handle:
                doc = json.loads(line)
                key = f"wmt:{doc['doc_id']}"
                if key not in seen:
                    seen.add(key)
                    title, _, text = doc["src_text"].partition("\n\n")
                    articles.append(("wmt21", doc["src_lang"], title, text))
    return articles[:limit] if limit else articles


def background_table(limit: int) -> tuple[str, list[str], float]:
    """Topics on real news by language, the `operation` titles, and articles per second."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    flagged = []
    articles = background_articles(limit)
    started = time.perf_counter()
    for source, code, title, text in articles:
        result = classify(text, title, load_profile(code))
        counts[code][result.topic] += 1
        if result.topic == "operation":
            flagged.append(f"[{source} {code}] {title[:90]} ({result.score})")
    elapsed = time.perf_counter() - started
    rows = []
    for code in sorted(counts):
        c = counts[code]
        total = sum(c.values())
        profile = load_profile(code).code
        rows.append((code, profile, total, c["operation"], c["related"], c["off_topic"],
                     c["operation"] / total))
    headers = ("language", "profile", "articles", "operation", "related", "off_topic",
               "operation share")
    rate = len(articles) / elapsed if elapsed else 0.0
    return table(headers, rows), flagged, rate


def main() -> None:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--background-limit", type=int, default=0,
                        help="classify at most N background articles (0: all)")
    args = parser.parse_args()
    quiet_logs()
    print(f"# Relevance quality ({machine()})\n")
    for split, heading in ((None, "all"), ("tuning", "tuning split (used to shape the terms)"),
                           ("heldout", "held-out split (written afterwards, never tuned on)")):
        fixtures, misses = fixture_table(split)
        print(f"## `operation` on the labelled fixtures, {heading}\n")
        print(fixtures)
        print("\nMisclassified: " + ("; ".join(misses) if misses else "none") + "\n")
    background, flagged, rate = background_table(args.background_limit)
    print("## Real news from ../shared/benchmarks (unlabelled for this beat)\n")
    print(background)
    print(f"\n{rate:.0f} articles/s. Articles called `operation` (check by hand):")
    for line in flagged or ["(none)"]:
        print(f"- {line}")


if __name__ == "__main__":
    main()
