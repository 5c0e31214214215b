"""Dedup station: decides which cluster a new article joins, and why.

Stages, cheapest first; the first that matches decides:

1. ``url``: the same page under another URL (tracking parameters, AMP and mobile variants).
2. ``exact``: the same normalised text (hash).
3. ``near_copy``: a same-language copy, by MinHash over word shingles; LSH band buckets live in
   SQLite so every article is compared with the whole history without loading it.
4. ``story``: the same story rewritten or translated. Candidates share the new article's rare
   language-neutral anchors (numbers, dates, names, quoted titles), found through an inverted
   index within a window of publication dates; each is judged by the learned same-story model
   (`monitor.stations.dedup.story_model`: anchors, word cosine, headline counts of children,
   years, dates), and a headline count that contradicts the candidate's, or its cluster's,
   vetoes the join.

`monitor.stations.dedup.similarity` gives the continuous same-story score (the saturated word
cosine in one language or across two, anchors where they say more), also below the join
threshold: the score correlated with human ratings and recorded in the evidence.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

import numpy as np

from monitor.items import Article
from monitor.stations.dedup import story_model
from monitor.stations.dedup.anchors import Anchors, extract_anchors, kind_of
from monitor.stations.dedup.minhash import lsh_params, sha1_hashes32, signature
from monitor.stations.dedup.port import DedupStore
from monitor.stations.dedup.similarity import similarity
from monitor.stations.extraction import normalise_for_hash
from monitor.stations.profiles import load_profile
from monitor.stations.relevance import child_totals
from monitor.stations.urls import url_keys

logger = logging.getLogger(__name__)

KIND_WEIGHTS = {"number": 3.0, "year": 0.5, "date": 2.0, "name": 1.0, "pair": 1.0,
                "title": 2.0}
SMALL_NUMBER_WEIGHT = 0.5  # counts below 10 are common in every story
IDF_PRIOR_DOCS = 1000  # a small store weighs anchors as if it held this many articles
MIN_SHINGLES = 5
TERM_CHARS = 6  # words cut to this many letters: a cheap stem for inflected languages
TERM_MIN_CHARS = 3
TERMS_KEPT = 64  # the strongest terms of an article's TF-IDF vector are stored
UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")  # kana, CJK: bigrams


@dataclass(frozen=True)
class DedupConfig:
    """Thresholds and limits of the dedup stages (from the MONITOR_DEDUP_* settings)."""

    near_copy_threshold: float = 0.5
    story_threshold: float | None = None  # same-story probability; None: the model's own
    window_days: int = 30
    num_perm: int = 128
    shingle_words: int = 3
    anchor_queries: int = 24
    postings_limit: int = 200
    candidates: int = 20

    @property
    def threshold(self) -> float:
        """The same-story probability from which a report joins a story."""
        return story_model.threshold() if self.story_threshold is None else self.story_threshold

    @property
    def bands(self) -> tuple[int, int]:
        """LSH (bands, rows) for the near-copy threshold."""
        return lsh_params(self.near_copy_threshold, self.num_perm)


def anchor_weight(anchor: str, df: int, n_docs: int) -> float:
    """Kind weight times inverse document frequency in the store."""
    return kind_weight(anchor) * idf(df, n_docs)


@functools.lru_cache(maxsize=1 << 16)
def kind_weight(anchor: str) -> float:
    """The weight of an anchor's kind (small counts weigh less): fixed for a given anchor."""
    kind = kind_of(anchor)
    if kind == "number" and float(anchor[2:]) < 10:
        return SMALL_NUMBER_WEIGHT
    return KIND_WEIGHTS[kind]


@functools.lru_cache(maxsize=1 << 12)
def idf(df: int, n_docs: int) -> float:
    """Inverse document frequency of an anchor held by `df` of `n_docs` articles (a small store
    counts as IDF_PRIOR_DOCS); few distinct (df, n_docs) pairs occur per article."""
    return max(0.0, math.log((max(n_docs, IDF_PRIOR_DOCS) + 1) / (df + 0.5)))


@dataclass
class DedupIndex:
    """What the store indexes for an article, written in save_article's transaction."""

    url_keys: list[str]
    language: str
    day: int | None
    lead: list[float]
    years: list[int]
    signature: bytes | None = field(repr=False)
    buckets: list[tuple[int, int]] = field(repr=False)
    anchors: list[str] = field(repr=False)
    terms: list[int] = field(default_factory=list, repr=False)
    vector: bytes | None = field(default=None, repr=False)
    counts: dict[str, Any] | None = None  # the child totals (relevance.ChildTotals.as_json)


@dataclass
class Decision:
    """Join `cluster_id` (None: start a new cluster) because of `method` with `score`."""

    cluster_id: int | None = None
    matched_id: int | None = None
    method: str | None = None
    score: float = 0.0
    relation: str = "original"
    evidence: dict[str, Any] = field(default_factory=dict)
    index: DedupIndex | None = None


def decide(store: DedupStore, article: Article, config: DedupConfig | None = None) -> Decision:
    """The cluster `article` belongs to, by the first stage that matches, with the evidence."""
    config = config or DedupConfig()
    existing = store.article_by_url(article.url)
    if existing and existing["cluster_id"] and existing["content_hash"] == article.content_hash:
        # a re-fetched page with the same text: the store keeps it as it is, index and all
        return Decision(existing["cluster_id"], relation=existing["relation"] or "original")
    anchors = article_anchors(article.text, article.title, article.language, article.published)
    index = build_index(article, anchors, config)
    index.counts = child_totals(article.text, article.title,
                                load_profile(article.language)).as_json()
    counts = term_counts(article.text, article.title)
    index.terms = sorted(counts)
    index.vector = term_vector(counts, store.dedup_term_df(index.terms),
                               store.dedup_document_count() + 1)
    if existing and existing["cluster_id"]:  # its text changed: same cluster, new index rows
        return Decision(existing["cluster_id"], relation=existing["relation"] or "original",
                        index=index)
    for stage in (_by_url, _by_hash, _by_near_copy, _by_story):
        decision = stage(store, article, index, anchors, config)
        if decision is not None:
            decision.index = index
            return decision
    return Decision(index=index)


# ----- the index of one article -----

# The analyses below are pure functions of the text: the last few are remembered, as syndicated
# copies repeat an article word for word.
RECENT_TEXTS = 64


@functools.lru_cache(maxsize=RECENT_TEXTS)
def article_anchors(text: str, title: str | None, language: str,
                    published: str | None) -> Anchors:
    """The story anchors of an article, read through its language's profile."""
    return extract_anchors(text, title, load_profile(language), published)


def build_index(article: Article, anchors: Anchors, config: DedupConfig) -> DedupIndex:
    """URL keys, MinHash signature and LSH buckets, anchors, lead counts and years."""
    signature, buckets = minhash_buckets(article.text, article.language, config)
    return DedupIndex(
        url_keys=url_keys(article.url, article.canonical_url),
        language=article.language, day=day_number(article.published),
        lead=sorted(anchors.lead_numbers), years=sorted(anchors.years),
        signature=signature, buckets=buckets, anchors=sorted(anchors.keys),
    )


def day_number(published: str | None) -> int | None:
    """The publication date as a day ordinal, or None."""
    try:
        return date.fromisoformat((published or "")[:10]).toordinal()
    except ValueError:
        return None


def shingles(text: str, size: int) -> set[str]:
    """Word shingles of the normalised text."""
    words = normalise_for_hash(text).split()
    return {" ".join(words[i:i + size]) for i in range(max(len(words) - size + 1, 0))}


def shingle_bytes(text: str, size: int) -> set[bytes]:
    """`shingles` in UTF-8: each a slice of the encoded normalised text, whose words are
    separated by one space (no join and no encoding per shingle)."""
    data = normalise_for_hash(text).encode()
    if not data:
        return set()
    ends = list(accumulate([len(word) + 1 for word in data.split(b" ")]))  # next word's start
    starts = [0, *ends[:-1]]
    return {data[starts[i]:ends[i + size - 1] - 1] for i in range(len(ends) - size + 1)}


def minhash(text: str, config: DedupConfig) -> np.ndarray | None:
    """The MinHash signature (datasketch's) of the text's word shingles, or None for texts too
    short to compare."""
    grams = shingle_bytes(text, config.shingle_words)
    if len(grams) < MIN_SHINGLES:
        return None
    return signature(sha1_hashes32(grams), config.num_perm)


@functools.lru_cache(maxsize=RECENT_TEXTS)
def minhash_buckets(text: str, language: str,
                    config: DedupConfig) -> tuple[bytes | None, list[tuple[int, int]]]:
    """The signature bytes and one (band, bucket) per LSH band, bucketed per language."""
    hashvalues = minhash(text, config)
    if hashvalues is None:
        return None, []
    bands, rows = config.bands
    values = hashvalues.astype(np.uint64)
    buckets = []
    for band in range(bands):
        digest = hashlib.blake2b(language.encode() + values[band * rows:(band + 1) * rows]
                                 .tobytes(), digest_size=8).digest()
        buckets.append((band, int.from_bytes(digest, "big", signed=True)))
    return values.tobytes(), buckets


def jaccard(a: bytes, b: bytes) -> float:
    """Jaccard similarity estimated from two MinHash signatures."""
    x, y = np.frombuffer(a, dtype=np.uint64), np.frombuffer(b, dtype=np.uint64)
    return float(np.mean(x == y)) if len(x) == len(y) and len(x) else 0.0


@functools.lru_cache(maxsize=1 << 16)
def term_id(word: str) -> int:
    """A signed 32-bit id for a term (kept in SQLite instead of the word); common words are
    met again and again, so the last 65,536 are remembered."""
    crc = zlib.crc32(word.encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


@functools.lru_cache(maxsize=RECENT_TEXTS)
def term_counts(text: str, title: str | None = None) -> Counter[int]:
    """Term ids with their counts in title and text: normalised words of 3+ letters cut to 6,
    and character bigrams in scripts written without spaces (Japanese, Chinese)."""
    normalised = normalise_for_hash(text)  # cached: the content hash read it already
    if title and not text.startswith(title):  # same as normalising "title\ntext" at once
        normalised = f"{normalise_for_hash(title)} {normalised}"
    words = normalised.split()
    if UNSPACED.search(normalised) is None:  # most text: no word needs the per-word test
        counts = Counter([w[:TERM_CHARS] for w in words if len(w) >= TERM_MIN_CHARS])
    else:
        counts = Counter()
        for word in words:
            if UNSPACED.search(word):
                counts.update(word[i:i + 2] for i in range(len(word) - 1))
            elif len(word) >= TERM_MIN_CHARS:
                counts[word[:TERM_CHARS]] += 1
    return Counter({term_id(w): n for w, n in counts.items()})


def term_vector(counts: Counter[int], stored_df: dict[int, int], n_docs: int) -> bytes | None:
    """The article's strongest TF-IDF terms, L2-normalised: sorted int32 ids + float32 weights.

    `stored_df` holds the terms' counts before this article; `n_docs` counts it."""
    if not counts:
        return None
    get = stored_df.get
    scored = sorted([(term_frequency_weight(n) * term_idf(get(t, 0), n_docs), t)
                     for t, n in counts.items()])
    top = sorted((t, w) for w, t in scored[-TERMS_KEPT:] if w > 0)
    norm = math.sqrt(sum(w * w for _, w in top))
    if not norm:
        return None
    return (array("i", [t for t, _ in top]).tobytes()
            + array("f", [w / norm for _, w in top]).tobytes())


@functools.lru_cache(maxsize=1 << 10)
def term_frequency_weight(count: int) -> float:
    """1 + log(count): few distinct counts occur, so each is computed once."""
    return 1 + math.log(count)


@functools.lru_cache(maxsize=1 << 14)
def term_idf(df: int, n_docs: int) -> float:
    """A term's IDF among `n_docs` articles: most terms share a few small document counts."""
    return math.log((n_docs + 1) / (df + 1.5))


def cosine(a: bytes | None, b: bytes | None) -> float:
    """Cosine of two stored term vectors (0 when either is missing)."""
    if not a or not b:
        return 0.0
    small, large = sorted((decode_vector(a), decode_vector(b)), key=len)
    # terms missing from `large` add 0.0: leaving them out changes no bit of the sum
    return sum([w * large[t] for t, w in small.items() if t in large], 0.0)


@functools.lru_cache(maxsize=4096)
def decode_vector(vector: bytes) -> dict[int, float]:
    """A stored term vector as {term id: weight}."""
    ids, weights = array("i"), array("f")
    ids.frombytes(vector[:len(vector) // 2])
    weights.frombytes(vector[len(vector) // 2:])
    return dict(zip(ids, weights, strict=True))


# ----- stages -----

def _by_url(store: DedupStore, article: Article, index: DedupIndex, anchors: Anchors,
            config: DedupConfig) -> Decision | None:
    """Stage 1: a stored article under the same canonical URL."""
    row = store.dedup_url_match(index.url_keys)
    if row is None:
        return None
    return Decision(row["cluster_id"], row["id"], "url", 1.0, "copy",
                    {"url_keys": index.url_keys})


def _by_hash(store: DedupStore, article: Article, index: DedupIndex, anchors: Anchors,
             config: DedupConfig) -> Decision | None:
    """Stage 2: a stored article with the same normalised text."""
    row = store.dedup_hash_match(article.content_hash)
    if row is None:
        return None
    return Decision(row["cluster_id"], row["id"], "exact", 1.0, "copy",
                    {"content_hash": article.content_hash})


def _by_near_copy(store: DedupStore, article: Article, index: DedupIndex, anchors: Anchors,
                  config: DedupConfig) -> Decision | None:
    """Stage 3: the most similar same-language article sharing an LSH bucket, unless the two
    contradict each other (another headline count or year in mostly the same words)."""
    if index.signature is None:
        return None
    rows = store.dedup_articles(store.dedup_lsh_candidates(index.buckets, config.postings_limit))
    similar = sorted(((jaccard(index.signature, row["signature"]), article_id)
                      for article_id, row in rows.items()
                      if row["language"] == index.language and row["signature"] is not None),
                     key=lambda pair: (-pair[0], pair[1]))
    similar = [(s, i) for s, i in similar if s >= config.near_copy_threshold]
    for jaccard_score, matched in similar:  # anchors read one candidate at a time: the first
        other = store.dedup_anchor_lists([matched])[matched]  # usually decides
        contradictions = find_contradictions(anchors, other, rows[matched])
        if contradictions:
            logger.debug("near copy %s rejected: %s", matched, contradictions)
            continue
        return Decision(rows[matched]["cluster_id"], matched, "near_copy", round(jaccard_score, 4),
                        "copy", {"jaccard": round(jaccard_score, 4),
                                 "shingle_words": config.shingle_words})
    return None


def _by_story(store: DedupStore, article: Article, index: DedupIndex, anchors: Anchors,
              config: DedupConfig) -> Decision | None:
    """Stage 4: the candidate most likely to report the same story, if likely enough.

    Candidates come through the anchor index; each is judged by the learned same-story model
    (`monitor.stations.dedup.story_model`) on the anchors, words, headline counts, years and
    dates the two share or contradict."""
    if not anchors.keys:
        return None
    n_docs = store.dedup_document_count() + 1
    stored_df = store.dedup_anchor_df(list(anchors.keys))
    own_df = {k: stored_df.get(k, 0) + 1 for k in anchors.keys}
    scorer = StoryScorer(anchors, weights(own_df, n_docs), n_docs, config, index)
    rows = store.dedup_articles(story_candidates(store, index, own_df, scorer.own, config))
    keys = store.dedup_anchor_lists(sorted(rows))
    weight_of = scorer.weights_with(store, {k for theirs in keys.values() for k in theirs})
    judged = {i: scorer.judge(sorted(keys[i]), rows[i], weight_of) for i in sorted(rows)}
    likely = sorted((i for i in judged if judged[i].score >= config.threshold),
                    key=lambda i: (-judged[i].score, i))
    heads = store.dedup_cluster_counts(sorted({rows[i]["cluster_id"] for i in likely}))
    matched = next((i for i in likely
                    if not cluster_contradicts(index.counts, heads[rows[i]["cluster_id"]])), None)
    if matched is None:
        return None
    parts, row = judged[matched], rows[matched]
    same = same_language(row["language"], index.language)
    return Decision(row["cluster_id"], matched, "story", round(parts.score, 4),
                    "rewrite" if same else "translation", parts.explain(anchors))


def cluster_contradicts(own: dict[str, Any] | None, members: list[dict[str, Any]]) -> bool:
    """Whether the new report's headline count agrees with no member's of a cluster whose
    members report one: the cluster as a whole, not only its closest member, must fit (a
    member without a count must not carry another total into the story)."""
    if not own or not own.get("head"):
        return False
    counted = [m for m in members if m and m.get("head")]
    return bool(counted) and all(
        story_model.headline_relation(own, m, set(), set()) != "agree" for m in counted)


def same_language(a: str | None, b: str | None) -> bool:
    """Whether two reports are (or may be) in one language."""
    return a == b or "und" in (a, b)


def story_candidates(store: DedupStore, index: DedupIndex, own_df: dict[str, int],
                     own: dict[str, float], config: DedupConfig) -> list[int]:
    """Articles holding the new article's rarest anchors, ranked by the weight (`own`) they
    share."""
    stored = [k for k in own_df if own_df[k] > 1]  # counts include the new article itself
    rare = sorted(stored, key=lambda k: (own_df[k], k))[: config.anchor_queries]
    votes: dict[int, float] = {}
    get = votes.get
    for anchor, article_id in store.dedup_anchor_postings(rare, index.day, config.window_days,
                                                          config.postings_limit):
        votes[article_id] = get(article_id, 0) + own[anchor]
    ranked = sorted(sorted(votes), key=get, reverse=True)  # ties: the smaller id first
    return ranked[: config.candidates]


def weights(own_df: dict[str, int], n_docs: int) -> dict[str, float]:
    """Anchor weights for anchors with these document frequencies."""
    return {k: anchor_weight(k, df, n_docs) for k, df in own_df.items()}


@dataclass
class StoryParts:
    """A candidate's same-story probability and what it rests on."""

    score: float
    shared: list[str]
    overlap: float
    weight: float
    contradictions: list[str]
    cosine: float = 0.0
    heads: str | None = None
    head_counts: tuple[int | None, int | None] = (None, None)
    same_language: bool = True
    features: story_model.PairFeatures | None = None

    def explain(self, anchors: Anchors) -> dict[str, Any]:
        """The evidence of the match, with a sentence a reviewer reads."""
        evidence = explain(anchors, self.shared, self.overlap, self.weight, self.contradictions)
        evidence["cosine"] = round(self.cosine, 4)
        evidence["similarity"] = round(similarity(self.overlap, self.weight, self.cosine,
                                                  same_language=self.same_language), 4)
        evidence["probability"] = round(self.score, 4)
        evidence["headline"] = self.heads
        evidence["summary"] = summary(evidence, self.head_counts)
        return evidence


@dataclass
class StoryScorer:
    """Judges story candidates against one new article: its anchors, their weights, its
    index row (language, day, words, child counts)."""

    anchors: Anchors
    own: dict[str, float]
    n_docs: int
    config: DedupConfig
    index: DedupIndex | None = None
    own_total: float = field(init=False)
    own_numbers: set[float] = field(init=False)

    def __post_init__(self) -> None:
        """What every candidate is compared with: the total weight, the numbers."""
        self.own_total = sum(self.own.values())
        self.own_numbers = number_values(self.anchors.keys)

    def shared(self, theirs: Iterable[str]) -> tuple[list[str], float]:
        """The anchors (sorted) a candidate shares, and their weight."""
        own = self.own
        shared = sorted(own.keys() & theirs)
        return shared, sum([own[k] for k in shared])

    def weights_with(self, store: DedupStore, anchors: set[str]) -> dict[str, float]:
        """The weights of the new article's anchors and of `anchors` (those it lacks weigh by
        their stored document frequency)."""
        other = sorted(anchors - self.own.keys())
        stored_df = store.dedup_anchor_df(other)
        return self.own | {k: anchor_weight(k, max(1, stored_df.get(k, 0)), self.n_docs)
                           for k in other}

    def judge(self, theirs: list[str], row: dict[str, Any],
              weight_of: dict[str, float]) -> StoryParts:
        """The same-story probability of a candidate with anchors `theirs` (weights in
        `weight_of`) and dedup row `row`."""
        shared, weight = self.shared(theirs)
        total = sum([weight_of[k] for k in theirs])
        overlap = weight / (min(self.own_total, total) or 1.0)
        index = self.index
        same = index is None or same_language(row["language"], index.language)
        lexical = cosine(index.vector, row.get("vector")) if index is not None else 0.0
        own_counts = index.counts if index is not None else None
        their_counts = json_object(row.get("counts"))
        heads = story_model.headline_relation(own_counts, their_counts, self.own_numbers,
                                              number_values(theirs))
        years = years_contradiction(self.anchors, row)
        contradictions = ([headline_words(own_counts, their_counts)] if heads == "conflict"
                          else []) + ([years] if years else [])
        day, their_day = (index.day if index else None), row.get("day")
        apart = abs(day - their_day) if day is not None and their_day is not None else None
        features = story_model.pair_features(weight, (self.own_total, total), lexical, same,
                                             heads, bool(years), apart)
        return StoryParts(story_model.probability(features), shared, overlap, weight,
                          contradictions, lexical, heads,
                          ((own_counts or {}).get("head"), (their_counts or {}).get("head")),
                          same, features)


def story_score(anchors: Anchors, own: dict[str, float], other: dict[str, int],
                row: dict[str, Any], n_docs: int, config: DedupConfig,
                index: DedupIndex | None = None) -> tuple[float, dict[str, Any]]:
    """The same-story probability of a candidate with anchors `other` (and their document
    frequencies) and its evidence."""
    scorer = StoryScorer(anchors, own, n_docs, config, index)
    weight_of = own | {k: anchor_weight(k, df, n_docs) for k, df in other.items()
                       if k not in own}
    parts = scorer.judge(sorted(other), row, weight_of)
    return parts.score, parts.explain(anchors)


def years_contradiction(anchors: Anchors, row: dict[str, Any]) -> str | None:
    """"years [2023] vs [2024]" when the two reports have no year in common."""
    their_years = json_values(row.get("years"))
    if anchors.years and their_years and not (anchors.years & their_years):
        return f"years {sorted(anchors.years)} vs {sorted(their_years)}"
    return None


def headline_words(own: dict[str, Any] | None, other: dict[str, Any] | None) -> str:
    """The contradiction of two headline counts, in words."""
    return (f"headline counts {(own or {}).get('head')} vs {(other or {}).get('head')} "
            "children")


@functools.lru_cache(maxsize=1 << 12)
def json_object(value: str | None) -> dict[str, Any] | None:
    """A JSON object column (None when empty)."""
    return json.loads(value) if value else None


def summary(evidence: dict[str, Any], heads: tuple[int | None, int | None]) -> str:
    """One sentence on why two reports were judged one story."""
    said = []
    if evidence.get("headline") == "agree":
        said.append(f"same count of children ({heads[0]}"
                    + (f" / {heads[1]}" if heads[1] != heads[0] else "") + ")")
    names = evidence["titles"] + evidence["names"]
    if names:
        said.append("shared names: " + ", ".join(names[:5]))
    if evidence["numbers"]:
        said.append("shared numbers: " + ", ".join(map(str, evidence["numbers"][:5])))
    if evidence["dates"]:
        said.append("shared dates: " + ", ".join(evidence["dates"][:3]))
    if evidence["cosine"] >= 0.2:
        said.append(f"similar wording ({evidence['cosine']:.2f})")
    text = "; ".join(said) or "little in common"
    return f"{text} (probability {evidence['probability']:.2f})"


@functools.lru_cache(maxsize=1 << 16)
def number_value(key: str) -> float:
    """The value of a number anchor key (`n:12`)."""
    return float(key[2:])


def number_values(keys: Iterable[str]) -> set[float]:
    """The values of the number anchors among `keys`."""
    return {number_value(k) for k in keys if k.startswith("n:")}


def find_contradictions(anchors: Anchors, other: Iterable[str], row: dict[str, Any],
                        own_numbers: set[float] | None = None) -> list[str]:
    """Different headline counts (the lead's largest), or no year in common: other stories.
    `own_numbers`: number_values(anchors.keys), when already known."""
    found = []
    if anchors.lead_numbers:
        their_lead = json_values(row.get("lead"))
        if their_lead:
            own_head, their_head = max(anchors.lead_numbers), max(their_lead)
            if own_numbers is None:
                own_numbers = number_values(anchors.keys)
            if own_head not in number_values(other) and their_head not in own_numbers:
                found.append(f"headline counts {fmt_numbers([own_head])[0]} vs "
                             f"{fmt_numbers([their_head])[0]}")
    if anchors.years:
        their_years = json_values(row.get("years"))
        if their_years and not (anchors.years & their_years):
            found.append(f"years {sorted(anchors.years)} vs {sorted(their_years)}")
    return found


@functools.lru_cache(maxsize=1 << 12)
def json_values(value: str | None) -> frozenset[Any]:
    """A JSON list column as a set (few distinct values: read each once)."""
    return frozenset(json_list(value))


def json_list(value: str | None) -> list[Any]:
    """A JSON list column as a list."""
    return json.loads(value) if value else []


def fmt_numbers(values: set[float] | list[float]) -> list[int | float]:
    """Numbers for evidence: integers without a decimal point."""
    return [int(v) if v == int(v) else v for v in sorted(values)]


def explain(anchors: Anchors, shared: list[str], overlap: float, weight: float,
            contradictions: list[str]) -> dict[str, Any]:
    """The evidence of a story match: what the two reports share, and what contradicts."""
    by_kind: dict[str, list[str]] = {}
    for key in shared:
        by_kind.setdefault(kind_of(key), []).append(key)
    pairs = [anchors.keys[k] for k in by_kind.get("pair", [])]
    paired = {w.lower() for p in pairs for w in p.split()}
    names = pairs + [anchors.keys[k] for k in by_kind.get("name", [])
                     if anchors.keys[k].lower() not in paired]
    return {
        "numbers": fmt_numbers([float(k[2:]) for k in by_kind.get("number", [])]),
        "dates": [k[2:] for k in by_kind.get("date", [])],
        "years": [int(k[2:]) for k in by_kind.get("year", [])],
        "names": names,
        "titles": [anchors.keys[k] for k in by_kind.get("title", [])],
        "overlap": round(overlap, 4), "shared_weight": round(weight, 2),
        "contradictions": contradictions,
    }
