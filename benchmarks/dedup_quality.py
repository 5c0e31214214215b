"""Story-dedup quality on WMT21 documents (B-cubed) and SemEval-2022 Task 8 pairs.

    .venv/bin/python benchmarks/dedup_quality.py [--pairs de-fr,ru-en] [--limit N]

WMT21: each source document, its human translations and its machine translations are one
story; all documents are pooled into one store (in a seeded random order) and deduplicated
incrementally through `monitor.dedup.decide` and `Store.save_article`, as a crawl would.
B-cubed precision, recall and F1 are reported per language pair (over that pair's items).
SemEval: "same story" precision/recall on pairs rated Overall <= 1.5 (positives) against
Overall >= 3.5 (negatives) for the join decision, and Pearson r of the continuous similarity
(`monitor.similarity.similarity`: the saturated word cosine in one language or across two, or
the anchors where higher) with Overall (1 = same, 4 = different, so a good score correlates
negatively), over all pairs, cross-lingual pairs, each language pair, and the two halves by a
hash of pair_id (the similarity's constants were chosen on the tuning half only). The
word-shingle MinHash baseline runs beside it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import random
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import SEMEVAL, WMT21  # noqa: E402

from monitor import dedup  # noqa: E402
from monitor.anchors import extract_anchors  # noqa: E402
from monitor.extraction import content_hash  # noqa: E402
from monitor.items import Article  # noqa: E402
from monitor.profiles import load_profile  # noqa: E402
from monitor.similarity import similarity  # noqa: E402
from monitor.store import Store  # noqa: E402

logger = logging.getLogger(__name__)

WMT = WMT21
LATIN_CYRILLIC = ("de-fr", "fr-de", "en-is", "is-en", "ru-en")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a gzipped JSON-lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def wmt_items(pairs: set[str] | None, limit: int | None) -> list[dict[str, Any]]:
    """One item per source, reference and hypothesis text, with its gold story (doc_id)."""
    items = []
    docs = [d for d in read_jsonl(WMT) if not pairs or d["lang_pair"] in pairs]
    for doc in docs[:limit]:
        target = doc["lang_pair"].split("-")[1]
        texts = [("src", doc["src_lang"], doc["src_text"])]
        texts += [(f"ref-{k}", doc["ref_lang"], t) for k, t in sorted(doc["refs"].items())]
        texts += [(f"hyp-{k}", target, t) for k, t in sorted(doc["hyps"].items())]
        for role, lang, text in texts:
            items.append({"pair": doc["lang_pair"], "gold": doc["doc_id"], "lang": lang,
                          "text": text, "url": f"https://wmt21.test/{doc['lang_pair']}/"
                                              f"{doc['doc_id']}/{role}"})
    return items


def article_for(item: dict[str, Any]) -> Article:
    """An extracted Article for a benchmark text (title: its first line)."""
    text = item["text"].strip()
    return Article(url=item["url"], source="benchmark", text=text, language=item["lang"],
                   title=text.split("\n", 1)[0][:160], content_hash=content_hash(text))


def cluster_items(items: list[dict[str, Any]], config: dedup.DedupConfig,
                  seed: int) -> tuple[dict[str, int], list[float], Counter[str]]:
    """Ingest the items in a seeded random order; their cluster ids, timings and methods."""
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    clusters: dict[str, int] = {}
    timings: list[float] = []
    methods: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        for i in order:
            article = article_for(items[i])
            start = time.perf_counter()
            article.dedup = dedup.decide(store, article, config)
            timings.append(time.perf_counter() - start)
            methods[article.dedup.method or "new"] += 1
            clusters[article.url] = store.save_article(article).cluster_id
        store.close()
    return clusters, timings, methods


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


def wmt_report(items: list[dict[str, Any]], seed: int, config: dedup.DedupConfig,
               baseline: bool = True) -> None:
    """B-cubed per language pair for the full dedup and the MinHash-only baseline."""
    systems = {"dedup": config}
    if baseline:
        systems["minhash"] = dedup.DedupConfig(story_threshold=math.inf)
    results = {}
    for name, config in systems.items():
        start = time.perf_counter()
        clusters, timings, methods = cluster_items(items, config, seed)
        results[name] = clusters
        timings.sort()
        print(f"# {name}: {len(items)} texts in {time.perf_counter() - start:.0f} s, median "
              f"{1000 * timings[len(timings) // 2]:.1f} ms/text, stages {dict(methods)}")
    print("\n| pair | texts | stories | system | B3 precision | B3 recall | B3 F1 |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    pairs = sorted({it["pair"] for it in items}, key=lambda p: (p not in LATIN_CYRILLIC, p))
    for pair in [*pairs, "latin+cyrillic", "all"]:
        chosen = [it for it in items if pair == "all" or it["pair"] == pair
                  or (pair == "latin+cyrillic" and it["pair"] in LATIN_CYRILLIC)]
        if not chosen:
            continue
        gold = [it["gold"] for it in chosen]
        for name, clusters in results.items():
            p, r, f = bcubed(gold, [clusters[it["url"]] for it in chosen])
            print(f"| {pair} | {len(chosen)} | {len(set(gold))} | {name} | {p:.3f} | {r:.3f} "
                  f"| {f:.3f} |")


def pearson(xs: list[float], ys: list[float]) -> float:
    """Pearson correlation coefficient."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    vy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (vx * vy) if vx and vy else 0.0


def semeval_scores(pairs: list[dict[str, Any]],
                   config: dedup.DedupConfig) -> dict[str, list[float]]:
    """Per pair: the join score (as `decide` would score the candidate), the continuous
    similarity (as the dedup station computes it for a candidate, in one language or across two)
    and the MinHash Jaccard; anchor and word IDF counted over all SemEval texts."""
    texts: dict[str, tuple[str, str, str | None]] = {}
    for pair in pairs:
        for side in ("1", "2"):
            texts[pair[f"id{side}"]] = (pair[f"text{side}"], pair[f"lang{side}"],
                                        pair.get(f"title{side}"))
    anchors = {k: extract_anchors(t, title, load_profile(lang)) for k, (t, lang, title)
               in texts.items()}
    terms = {k: dedup.term_counts(t, title) for k, (t, _, title) in texts.items()}
    df: Counter[str] = Counter()
    term_df: Counter[int] = Counter()
    for key in texts:
        df.update(list(anchors[key].keys))
        term_df.update(list(terms[key]))
    n_docs = len(texts)
    vectors = {k: dedup.term_vector(c, {t: term_df[t] - 1 for t in c}, n_docs)
               for k, c in terms.items()}
    scores: dict[str, list[float]] = {"join": [], "similarity": [], "jaccard": []}
    for pair in pairs:
        a, b = anchors[pair["id1"]], anchors[pair["id2"]]
        row = {"lead": json.dumps(sorted(b.lead_numbers)), "years": json.dumps(sorted(b.years)),
               "language": pair["lang2"], "vector": vectors[pair["id2"]]}
        index = dedup.DedupIndex([], pair["lang1"], None, [], [], None, [], [],
                                 vector=vectors[pair["id1"]])
        own = dedup.weights({k: df[k] for k in a.keys}, n_docs)
        score, evidence = dedup.story_score(a, own, {k: df[k] for k in b.keys}, row, n_docs,
                                            config)
        score = max(score, dedup.lexical_score(index, row, evidence, config))
        same = dedup.same_language(pair["lang1"], pair["lang2"])
        similar = similarity(evidence["overlap"], evidence["shared_weight"],
                             dedup.cosine(index.vector, row["vector"]), same_language=same)
        sig_a, _ = dedup.minhash_buckets(pair["text1"], pair["lang1"], config)
        sig_b, _ = dedup.minhash_buckets(pair["text2"], pair["lang2"], config)
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
            ("dedup", scores["join"], config.story_threshold, scores["similarity"]),
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


def main() -> None:
    """Run both evaluations and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", help="comma-separated WMT language pairs (default: all)")
    parser.add_argument("--limit", type=int, help="at most this many WMT documents")
    parser.add_argument("--seed", type=int, default=13, help="ingestion order seed")
    parser.add_argument("--skip-wmt", action="store_true")
    parser.add_argument("--skip-semeval", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true", help="WMT: dedup only")
    parser.add_argument("--story-threshold", type=float, default=0.55)
    parser.add_argument("--story-min-weight", type=float, default=60.0)
    parser.add_argument("--lexical-threshold", type=float, default=0.5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    config = dedup.DedupConfig(story_threshold=args.story_threshold,
                               story_min_weight=args.story_min_weight,
                               lexical_threshold=args.lexical_threshold)
    if not args.skip_wmt:
        pairs = set(args.pairs.split(",")) if args.pairs else None
        wmt_report(wmt_items(pairs, args.limit), args.seed, config, not args.skip_baseline)
    if not args.skip_semeval:
        semeval_report(config)


if __name__ == "__main__":
    main()
