"""Learn the same-story model (monitor/stations/dedup/story_model.json) from labelled crawls.

    python benchmarks/train_story_model.py --run RUN/realnews.db LABELS [--run DB LABELS]
                                           [--threshold 0.6] [--write]

Each run is a store written by `scrapy crawl files` with the labels of its files (JSON lines
with the file's name as `id` and its `story`): the development corpus of real coverage
(`benchmarks/realnews.py --keep RUN` and ../shared/realnews-dev/labels.jsonl) and WMT21's
headline mix (`benchmarks/dedup_quality.py --keep DIR`: DIR/wmt.db and DIR/labels.jsonl).
Every pair of stored articles of one run is judged by the station's own scorer
(`monitor.stations.dedup.StoryScorer`, document frequencies of the whole run) and labelled
same / other story; an L2-regularised logistic regression is fitted on the pairs that share
anything.
Cross-validation holds out whole operation families (a family's pairs are never both in
training and test), as the held-out corpus holds other operations. `--write` stores the
weights with the threshold in monitor/stations/dedup/story_model.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.stations import dedup  # noqa: E402
from monitor.stations.dedup import story_model  # noqa: E402
from monitor.store import Store  # noqa: E402

MIN_SHARED_WEIGHT = 10.0  # pairs sharing less are never candidates worth learning from
FOLDS = 5
L2 = 1.0


def family(story: str) -> str:
    """An operation family: the story label without its year and edition."""
    return re.sub(r"-?(19|20)\d\d.*$", "", story).split("-")[0]


def judged_pairs(db: Path, labels: dict[str, dict]) -> list[tuple[list[float], int, str, str]]:
    """(features, same story, family of each) for every stored pair sharing anchors."""
    store = Store(db)
    arts = {Path(r["url"]).stem: r for r in store.db.query(
        "select id, url, text, title, language, published from articles")}
    arts = {k: r for k, r in arts.items() if k in labels}
    ids = {r["id"]: k for k, r in arts.items()}
    rows = store.dedup_articles(sorted(ids))
    keys = store.dedup_anchor_lists(sorted(ids))
    n_docs = store.dedup_document_count()
    df = store.dedup_anchor_df(sorted({a for ks in keys.values() for a in ks}))
    weight_of = {a: dedup.anchor_weight(a, max(1, d), n_docs) for a, d in df.items()}
    config = dedup.DedupConfig()
    pairs = []
    for x in sorted(ids):
        art = arts[ids[x]]
        anchors = dedup.article_anchors(art["text"], art["title"], art["language"],
                                        art["published"])
        own = {k: weight_of.get(k, 0.0) for k in anchors.keys}
        scorer = dedup.StoryScorer(anchors, own, n_docs, config, index_of(rows[x]))
        for y in sorted(ids):
            if y >= x:
                break
            parts = scorer.judge(sorted(keys[y]), rows[y], weight_of)
            if parts.weight < MIN_SHARED_WEIGHT and parts.cosine < 0.1:
                continue
            same = labels[ids[x]]["story"] == labels[ids[y]]["story"]
            pairs.append((parts.features.vector(), int(same),
                          family(labels[ids[x]]["story"]), family(labels[ids[y]]["story"])))
    store.close()
    return pairs


def index_of(row: dict) -> dedup.DedupIndex:
    """The parts of a stored dedup row the scorer reads, as an index."""
    return dedup.DedupIndex(url_keys=[], language=row["language"], day=row["day"], lead=[],
                            years=[], signature=None, buckets=[], anchors=[],
                            vector=row["vector"], counts=dedup.json_object(row["counts"]))


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Logistic regression weights (bias first) by Newton's method with an L2 penalty; each
    pair counts `weight` times."""
    x = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (weight * (p - y)) + L2 * w
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + L2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return w


def predict(w: np.ndarray, x: np.ndarray, conflict: np.ndarray) -> np.ndarray:
    """Probabilities, 0 where the headline counts conflict (the station's veto)."""
    p = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
    return np.where(conflict, 0.0, p)


def cross_validate(x: np.ndarray, y: np.ndarray, weight: np.ndarray,
                   fam: list[tuple[str, str]]) -> np.ndarray:
    """Out-of-family probabilities: each pair predicted by a model that saw neither family."""
    fold = np.array([[zlib.crc32(f.encode()) % FOLDS for f in pair] for pair in fam])
    conflict = x[:, story_model.FEATURES.index("heads_conflict")] > 0
    out = np.zeros(len(y))
    for k in range(FOLDS):
        test = (fold == k).any(axis=1)
        out[test] = predict(fit(x[~test], y[~test], weight[~test]), x[test], conflict[test])
    return out


def main() -> int:
    """Fit, report out-of-family pair figures, optionally write the model."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", nargs=2, action="append", type=Path, metavar=("DB", "LABELS"),
                    required=True, help="a labelled crawl's store and its labels")
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--write", action="store_true",
                    help="write monitor/stations/dedup/story_model.json")
    args = ap.parse_args()
    pairs, runs = [], []
    for db, labels_path in args.run:
        if not db.exists() or not labels_path.exists():
            print(f"no store or labels at {db}, {labels_path}: see --help")
            return 1
        labels = {r["id"]: r for r in map(json.loads, labels_path.open(encoding="utf-8"))}
        judged = judged_pairs(db, labels)
        print(f"{db}: {len(judged)} pairs sharing anchors, {sum(p[1] for p in judged)} of one "
              "story")
        pairs += judged
        runs += [str(db)] * len(judged)
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs], dtype=float)
    run = np.array(runs)
    # every run weighs as much as the others, whatever its number of pairs
    weight = np.array([len(runs) / (len(args.run) * (run == r).sum()) for r in runs])
    held = cross_validate(x, y, weight, [(p[2], p[3]) for p in pairs])
    for name in dict.fromkeys(runs):
        own = run == name
        for t in (0.5, 0.6, 0.7, 0.8):
            tp = int(((held >= t) & (y == 1) & own).sum())
            fp = int(((held >= t) & (y == 0) & own).sum())
            print(f"{name}, out-of-family pairs at {t}: {tp} joined right, {fp} wrongly, "
                  f"{int(y[own].sum()) - tp} missed")
    w = fit(x, y, weight)
    weights = {"bias": round(float(w[0]), 4)} | {
        name: round(float(v), 4) for name, v in zip(story_model.FEATURES, w[1:], strict=True)}
    print(json.dumps(weights))
    if args.write:
        story_model.MODEL_PATH.write_text(json.dumps(
            {"weights": weights, "threshold": args.threshold,
             "trained_on": {str(name): runs.count(name) for name in dict.fromkeys(runs)}},
            indent=1) + "\n")
        print(f"written: {story_model.MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
