"""Story-dedup quality on WMT21 documents (B-cubed) and SemEval-2022 Task 8 pairs.

    .venv/bin/python benchmarks/dedup_quality.py [--pairs de-fr,ru-en] [--limit N]
        [--skip-pooled] [--skip-baseline] [--skip-semeval]

WMT21: a source document and its translations are one story. As the world mixes copies,
the headline mix has each source once (en-is and en-ja share theirs), ONE human translation
and ONE machine translation per document (each chosen by a hash of pair and doc_id, so the MT
systems rotate); the pooled mix has every human and machine translation. Each mix is written
as .txt files named in a seeded random order and crawled with `scrapy crawl files` into a
fresh store, as a user would; B-cubed precision, recall and F1 of `articles.cluster_id` are
reported per language pair (over that pair's items; a text not stored is its own cluster),
for Latin+Cyrillic pairs and for all, next to a MinHash-only crawl (story stage off).
SemEval: "same story" precision/recall on pairs rated Overall <= 1.5 (positives) against
Overall >= 3.5 (negatives) for the join decision (a near copy, or the story model's
probability at its threshold), and Pearson r of the continuous similarity the evidence records
(`monitor.stations.dedup.similarity.similarity` of the anchors and the word cosine) with
Overall (1 = same, 4 = different, so a good score correlates negatively), over all pairs,
cross-lingual pairs, each language pair, and the two halves by a hash of pair_id (the
similarity's constants were chosen on the tuning half only), computed in-process on the pairs.
The word-shingle MinHash baseline runs beside it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import SEMEVAL, WMT21  # noqa: E402

from monitor.stations import dedup  # noqa: E402
from monitor.stations.dedup.anchors import Anchors, extract_anchors  # noqa: E402
from monitor.stations.profiles import load_profile  # noqa: E402
from monitor.stations.relevance import child_totals  # noqa: E402

logger = logging.getLogger(__name__)

WMT = WMT21
LATIN_CYRILLIC = ("de-fr", "fr-de", "en-is", "is-en", "ru-en")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a gzipped JSON-lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def wmt_docs(pairs: set[str] | None, limit: int | None) -> list[dict[str, Any]]:
    """The WMT21 documents of the chosen language pairs, at most `limit`."""
    return [d for d in read_jsonl(WMT) if not pairs or d["lang_pair"] in pairs][:limit]


def rotate(names: list[str], doc: dict[str, Any]) -> str:
    """One of `names` (sorted) chosen by a hash of the document's pair and id."""
    key = zlib.crc32(f"{doc['lang_pair']}/{doc['doc_id']}".encode())
    return sorted(names)[key % len(names)]


def doc_texts(doc: dict[str, Any], pooled: bool) -> list[tuple[str, str]]:
    """(role, text) of a document's translations: one human and one machine translation
    (each chosen by `rotate`), or every human and machine translation when pooled."""
    refs = sorted(doc["refs"]) if pooled else [rotate(list(doc["refs"]), doc)]
    hyps = sorted(doc["hyps"]) if pooled else [rotate(list(doc["hyps"]), doc)]
    return [(f"ref-{k}", doc["refs"][k]) for k in refs] + [(f"hyp-{k}", doc["hyps"][k])
                                                           for k in hyps]


def wmt_items(docs: list[dict[str, Any]], pooled: bool) -> list[dict[str, Any]]:
    """One item per text, with its gold story (doc_id) and the language pairs it belongs to;
    a source shared by two pairs (en-is and en-ja) is one item, published once."""
    sources: dict[str, dict[str, Any]] = {}
    items = []
    for doc in docs:
        pair, gold = doc["lang_pair"], doc["doc_id"]
        src = sources.setdefault(f"{doc['src_lang']}/{gold}", {
            "pairs": set(), "gold": gold, "role": "src", "text": doc["src_text"]})
        src["pairs"].add(pair)
        items += [{"pairs": {pair}, "gold": gold, "role": role, "text": text}
                  for role, text in doc_texts(doc, pooled)]
    return [*sources.values(), *items]


def crawl(items: list[dict[str, Any]], seed: int, settings: dict[str, object],
          keep: Path | None = None) -> tuple[list[int | None], float, Counter[str]]:
    """`scrapy crawl files` the items, named in a seeded random order, into a fresh store;
    each item's cluster (None if not stored), the crawl's seconds and the match methods.
    `keep`: a folder that receives the store and the gold labels of its files (JSON lines
    {id, story}), as benchmarks/train_story_model.py reads them."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    names = {i: f"{rank:05d}" for rank, i in enumerate(order)}
    with tempfile.TemporaryDirectory(prefix="dedup-quality-") as tmp:
        docs, db = Path(tmp) / "docs", Path(tmp) / "wmt.db"
        docs.mkdir()
        for i, item in enumerate(items):
            (docs / f"{names[i]}.txt").write_text(item["text"].strip(), encoding="utf-8")
        start = time.perf_counter()
        run_crawl(docs, db, settings)
        seconds = time.perf_counter() - start
        stored, methods = read_store(db)
        if keep:
            keep_run(keep, db, [{"id": names[i], "story": item["gold"]}
                                for i, item in enumerate(items)])
    return [stored.get(names[i]) for i in range(len(items))], seconds, methods


def keep_run(folder: Path, db: Path, labels: list[dict[str, str]]) -> None:
    """Copy a crawl's store and write its files' gold stories into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db, folder / "wmt.db")
    with (folder / "labels.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(label) + "\n" for label in labels)


def read_store(db: Path) -> tuple[dict[str, int], Counter[str]]:
    """Each stored file's cluster (by file stem) and the count of each match method."""
    con = sqlite3.connect(db)
    try:
        stored = {Path(url).stem: cluster for url, cluster in con.execute(
            "select url, cluster_id from articles")}
        methods = Counter(dict(con.execute("select method, count(*) from matches group by method")))
    finally:
        con.close()
    return stored, methods


def run_crawl(docs: Path, db: Path, settings: dict[str, object]) -> None:
    """`scrapy crawl files` from the project's .venv, as a user would type it."""
    cmd = [str(ROOT / ".venv" / "bin" / "python"), "-m", "scrapy", "crawl", "files",
           "-a", f"path={docs}", "-s", f"MONITOR_DB={db}", "-s", "LOG_LEVEL=WARNING"]
    cmd += [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if not db.exists():
        raise SystemExit(f"the crawl wrote no database:\n{run.stderr[-2000:]}")


def bcubed(gold: list[str], predicted: list[int]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels."""
    by_pred: dict[int, list[int]] = defaultdict(list)
    by_gold: dict[str, list[int]] = defaultdict(list)
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        by_pred[p].append(i)
        by_gold[g].append(i)
    precision = recall = 0.0
    for g, p in zip(gold, predicted, strict=True):
        same = sum(1 for j in by_pred[p] if gold[j] == g)
        precision += same / len(by_pred[p])
        recall += same / len(by_gold[g])
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, 2 * precision * recall / ((precision + recall) or 1.0)


def subsets(items: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Item indexes per language pair (Latin/Cyrillic first), Latin+Cyrillic, and all."""
    pairs = sorted({p for it in items for p in it["pairs"]},
                   key=lambda p: (p not in LATIN_CYRILLIC, p))
    chosen = {pair: [i for i, it in enumerate(items) if pair in it["pairs"]] for pair in pairs}
    chosen["latin+cyrillic"] = [i for i, it in enumerate(items)
                                if it["pairs"] & set(LATIN_CYRILLIC)]
    chosen["all"] = list(range(len(items)))
    return {name: indexes for name, indexes in chosen.items() if indexes}


def wmt_report(docs: list[dict[str, Any]], pooled: bool, seed: int,
               systems: dict[str, dict[str, object]], keep: Path | None = None) -> None:
    """B-cubed per language pair for each system (crawl settings) on one mix of copies."""
    items = wmt_items(docs, pooled)
    mix = "pooled: every human and machine translation" if pooled else \
        "one human and one machine translation per source"
    results = {}
    for name, settings in systems.items():
        clusters, seconds, methods = crawl(items, seed, settings,
                                           keep if name == "dedup" and not pooled else None)
        missing = sum(c is None for c in clusters)
        results[name] = [c if c is not None else -1 - i for i, c in enumerate(clusters)]
        print(f"# WMT21 {mix}, {name}: {len(items)} texts crawled in {seconds:.0f} s "
              f"({len(items) / seconds:.0f}/s), {missing} not stored, matches {dict(methods)}")
    wmt_table(items, results, pooled)


def wmt_table(items: list[dict[str, Any]], results: dict[str, list[int]], pooled: bool) -> None:
    """The B-cubed table: each subset of the items, each system's clusters."""
    print(f"\n| pair ({'pooled' if pooled else 'one HT + one MT'}) | texts | stories | system "
          "| B3 precision | B3 recall | B3 F1 |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for pair, chosen in subsets(items).items():
        gold = [items[i]["gold"] for i in chosen]
        for name, clusters in results.items():
            p, r, f = bcubed(gold, [clusters[i] for i in chosen])
            print(f"| {pair} | {len(chosen)} | {len(set(gold))} | {name} | {p:.3f} | {r:.3f} "
                  f"| {f:.3f} |")
    print()


def pearson(xs: list[float], ys: list[float]) -> float:
    """Pearson correlation coefficient."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    vy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (vx * vy) if vx and vy else 0.0


@dataclass
class Corpus:
    """Every SemEval text's anchors, word vector and child counts, with the IDF statistics
    (anchor and word document frequencies counted over all SemEval texts)."""

    anchors: dict[str, Anchors]
    vectors: dict[str, bytes]
    counts: dict[str, dict[str, Any]]
    df: Counter[str]
    n_docs: int


def semeval_corpus(pairs: list[dict[str, Any]]) -> Corpus:
    """Analyse each SemEval text once, as the dedup station would."""
    texts: dict[str, tuple[str, str, str | None]] = {}
    for pair in pairs:
        for side in ("1", "2"):
            texts[pair[f"id{side}"]] = (pair[f"text{side}"], pair[f"lang{side}"],
                                        pair.get(f"title{side}"))
    anchors = {k: extract_anchors(t, title, load_profile(lang)) for k, (t, lang, title)
               in texts.items()}
    terms = {k: dedup.term_counts(t, title) for k, (t, _, title) in texts.items()}
    df: Counter[str] = Counter(k for a in anchors.values() for k in a.keys)
    term_df: Counter[int] = Counter(t for c in terms.values() for t in c)
    vectors = {k: dedup.term_vector(c, {t: term_df[t] - 1 for t in c}, len(texts))
               for k, c in terms.items()}
    counts = {k: child_totals(t, title, load_profile(lang)).as_json()
              for k, (t, lang, title) in texts.items()}
    return Corpus(anchors, vectors, counts, df, len(texts))


def story_probability(corpus: Corpus, pair: dict[str, Any],
                      config: dedup.DedupConfig) -> tuple[float, float]:
    """The pair's same-story probability (as `decide` judges a candidate) and its continuous
    similarity (as the evidence records it)."""
    first, second = pair["id1"], pair["id2"]
    a, b = corpus.anchors[first], corpus.anchors[second]
    row = {"lead": json.dumps(sorted(b.lead_numbers)), "years": json.dumps(sorted(b.years)),
           "language": pair["lang2"], "vector": corpus.vectors[second],
           "counts": json.dumps(corpus.counts[second])}
    index = dedup.DedupIndex([], pair["lang1"], None, [], [], None, [], [],
                             vector=corpus.vectors[first], counts=corpus.counts[first])
    own = dedup.weights({k: corpus.df[k] for k in a.keys}, corpus.n_docs)
    score, evidence = dedup.story_score(a, own, {k: corpus.df[k] for k in b.keys}, row,
                                        corpus.n_docs, config, index)
    return score, evidence["similarity"]


def semeval_scores(pairs: list[dict[str, Any]],
                   config: dedup.DedupConfig) -> dict[str, list[float]]:
    """Per pair: the join score, the continuous similarity and the MinHash Jaccard (a near
    copy joins, and counts as similarity 1)."""
    corpus = semeval_corpus(pairs)
    scores: dict[str, list[float]] = {"join": [], "similarity": [], "jaccard": []}
    for pair in pairs:
        score, similar = story_probability(corpus, pair, config)
        sig_a, _ = dedup.minhash_buckets(pair["text1"], pair["lang1"], config)
        sig_b, _ = dedup.minhash_buckets(pair["text2"], pair["lang2"], config)
        same = dedup.same_language(pair["lang1"], pair["lang2"])
        near = dedup.jaccard(sig_a, sig_b) if sig_a and sig_b and same else 0.0
        copy = near >= config.near_copy_threshold
        scores["jaccard"].append(near)
        scores["join"].append(1.0 if copy else score)
        scores["similarity"].append(1.0 if copy else similar)
    return scores


def language_pair(pair: dict[str, Any]) -> str:
    """`en` for a monolingual pair, `de-en` for a cross-lingual one."""
    return pair["lang1"] if pair["lang1"] == pair["lang2"] else f"{pair['lang1']}-{pair['lang2']}"


def tuning_half(pair: dict[str, Any]) -> bool:
    """Whether a pair is in the half the similarity's constants were chosen on (by a hash of
    its pair_id); the other half is held out."""
    return zlib.crc32(pair["pair_id"].encode()) % 2 == 0


def semeval_correlations(pairs: list[dict[str, Any]],
                         systems: dict[str, list[float]]) -> None:
    """Pearson r of each system's continuous score with Overall, by subset of the pairs."""
    overall = [p["scores"]["overall"] for p in pairs]
    subsets: dict[str, list[int]] = {
        "all": list(range(len(pairs))),
        "tuning half": [i for i, p in enumerate(pairs) if tuning_half(p)],
        "held-out half": [i for i, p in enumerate(pairs) if not tuning_half(p)],
        "cross-lingual": [i for i, p in enumerate(pairs) if p["lang1"] != p["lang2"]],
    }
    for pair_name in sorted({language_pair(p) for p in pairs}, key=lambda n: ("-" in n, n)):
        subsets[pair_name] = [i for i, p in enumerate(pairs) if language_pair(p) == pair_name]
    print(f"\n| SemEval Pearson r with Overall | pairs | {' | '.join(systems)} |")
    print(f"| --- | ---: |{' ---: |' * len(systems)}")
    for name, chosen in subsets.items():
        ys = [overall[i] for i in chosen]
        rs = " | ".join(f"{pearson([s[i] for i in chosen], ys):.3f}" for s in systems.values())
        print(f"| {name} | {len(chosen)} | {rs} |")


def semeval_report(config: dedup.DedupConfig) -> None:
    """Same-story precision/recall of the join decision, and Pearson r of the similarity
    (dedup) or Jaccard (minhash) with Overall, overall and by language pair and half."""
    pairs = read_jsonl(SEMEVAL)
    scores = semeval_scores(pairs, config)
    overall = [p["scores"]["overall"] for p in pairs]
    print("\n| SemEval-2022 Task 8 | pairs | precision (<=1.5 vs >=3.5) | recall | Pearson r "
          "(all pairs) | r (cross-lingual) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    cross = [i for i, p in enumerate(pairs) if p["lang1"] != p["lang2"]]
    for name, joins, threshold, similar in (
            ("dedup", scores["join"], config.threshold, scores["similarity"]),
            ("minhash", scores["jaccard"], config.near_copy_threshold, scores["jaccard"])):
        pos = [s for s, o in zip(joins, overall, strict=True) if o <= 1.5]
        neg = [s for s, o in zip(joins, overall, strict=True) if o >= 3.5]
        tp, fp = sum(s >= threshold for s in pos), sum(s >= threshold for s in neg)
        precision = tp / (tp + fp) if tp + fp else float("nan")
        r_cross = pearson([similar[i] for i in cross], [overall[i] for i in cross])
        print(f"| {name} | {len(pairs)} | {precision:.3f} ({tp}/{tp + fp}) | "
              f"{tp / len(pos):.3f} ({tp}/{len(pos)}) | {pearson(similar, overall):.3f} | "
              f"{r_cross:.3f} |")
    semeval_correlations(pairs, {"dedup similarity": scores["similarity"],
                                 "minhash Jaccard": scores["jaccard"]})


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", help="comma-separated WMT language pairs (default: all)")
    parser.add_argument("--limit", type=int, help="at most this many WMT documents")
    parser.add_argument("--seed", type=int, default=13, help="ingestion order seed")
    parser.add_argument("--skip-wmt", action="store_true")
    parser.add_argument("--skip-pooled", action="store_true",
                        help="WMT: only the one-human-one-machine-translation mix")
    parser.add_argument("--skip-semeval", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true", help="WMT: dedup only")
    parser.add_argument("--keep", type=Path, help="keep the headline mix's store and gold "
                        "labels here (for benchmarks/train_story_model.py --run)")
    parser.add_argument("--story-threshold", type=float,
                        help="same-story probability to join (default: the model's own)")
    return parser.parse_args()


def crawl_systems(story_threshold: float | None,
                  baseline: bool) -> dict[str, dict[str, object]]:
    """The crawl settings of the full dedup and, with `baseline`, of MinHash alone (the story
    stage off)."""
    dedup_settings: dict[str, object] = {}
    if story_threshold is not None:
        dedup_settings["MONITOR_DEDUP_STORY_THRESHOLD"] = story_threshold
    systems = {"dedup": dedup_settings}
    if baseline:
        systems["minhash"] = {"MONITOR_DEDUP_STORY_THRESHOLD": math.inf}
    return systems


def main() -> None:
    """Run both evaluations and print markdown tables."""
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = dedup.DedupConfig(story_threshold=args.story_threshold)
    if not args.skip_wmt:
        docs = wmt_docs(set(args.pairs.split(",")) if args.pairs else None, args.limit)
        systems = crawl_systems(args.story_threshold, not args.skip_baseline)
        for pooled in (False,) if args.skip_pooled else (False, True):
            wmt_report(docs, pooled, args.seed, systems, args.keep)
    if not args.skip_semeval:
        start = time.perf_counter()
        semeval_report(config)
        print(f"\n# SemEval in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
