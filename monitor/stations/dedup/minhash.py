"""MinHash signatures and LSH band parameters, as datasketch (2.x) computes them.

datasketch's `MinHash` with its default `affine32` scheme and `MinHashLSH`'s optimal
(bands, rows), bit for bit (tests/test_minhash.py compares both with datasketch), without
importing datasketch: its package imports scipy, about 0.4 s of CPU in every process that
dedups (half of a crawl's start-up), for what is here a few numpy operations.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable

import numpy as np

logger = logging.getLogger(__name__)

SEED = 1  # datasketch's default seed
# MurmurHash3's 32-bit finalizer: datasketch pre-mixes every input hash with it (affine32).
FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35),
          np.uint32(16))
# Nodes of the Gauss-Legendre rule for the LSH error integrals: exact for polynomials of
# degree < 2 x GAUSS_NODES, and 1 - (1 - s^r)^b has degree r x b <= num_perm.
GAUSS_NODES = 160


@functools.cache
def permutations(num_perm: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations (a odd, b), drawn once per process."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def sha1_hashes32(grams: Iterable[bytes]) -> np.ndarray:
    """datasketch's `sha1_hash32` of each byte string: the first 4 of its SHA-1's 20 bytes,
    little-endian (read from all the digests at once)."""
    sha1 = hashlib.sha1
    return np.frombuffer(b"".join([sha1(g).digest() for g in grams]), "<u4")[::5]


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer on uint32 values (wrapping multiplication)."""
    s1, m1, s2, m2, s3 = FMIX32
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


def signature(hashes: np.ndarray, num_perm: int) -> np.ndarray:
    """The MinHash of a non-empty set given as uint32 hashes: per permutation, the least
    a * fmix32(h) + b (mod 2^32), as uint32."""
    a, b = permutations(num_perm)
    mixed = fmix32(hashes.astype(np.uint32)).reshape(-1, 1)
    return (mixed * a + b).min(axis=0)


@functools.cache
def lsh_params(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
               false_negative_weight: float = 0.5) -> tuple[int, int]:
    """MinHashLSH's (bands, rows): the split of num_perm that minimises the weighted
    probabilities of false positives (similarity below the threshold) and false negatives."""
    nodes, node_weights = np.polynomial.legendre.leggauss(GAUSS_NODES)
    best, best_error = (0, 0), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = _integral(lambda s, b=bands, r=rows: 1 - (1 - s ** r) ** b,
                           0.0, threshold, nodes, node_weights)
            fn = _integral(lambda s, b=bands, r=rows: (1 - s ** r) ** b,
                           threshold, 1.0, nodes, node_weights)
            error = fp * false_positive_weight + fn * false_negative_weight
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def _integral(fn, low: float, high: float, nodes: np.ndarray, weights: np.ndarray) -> float:
    """Gauss-Legendre integral of `fn` over [low, high]."""
    half = (high - low) / 2
    return float(half * np.dot(weights, fn(half * nodes + (low + high) / 2)))
