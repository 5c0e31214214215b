"""monitor.stations.dedup.minhash gives datasketch's MinHash signatures and LSH parameters, bit
for bit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from monitor.stations.dedup import DedupConfig, minhash, shingle_bytes, shingles
from monitor.stations.dedup.minhash import lsh_params, sha1_hashes32, signature

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.mark.parametrize("seed_file", sorted(SEEDS.glob("0*.txt")), ids=lambda p: p.name[:3])
def test_seed_signature_is_datasketch_s(seed_file: Path) -> None:
    """Each seed's shingles give datasketch's default MinHash (affine32, sha1_hash32, seed 1)."""
    config = DedupConfig()
    text = seed_file.read_text(encoding="utf-8")
    reference = MinHash(num_perm=config.num_perm)
    reference.update_batch([g.encode("utf-8") for g in shingles(text, config.shingle_words)])
    ours = minhash(text, config)
    assert ours is not None and ours.tolist() == reference.hashvalues.tolist()


@pytest.mark.parametrize("num_perm", [16, 128, 256])
def test_signature_of_unicode_shingles_is_datasketch_s(num_perm: int) -> None:
    grams = ["élan vital", "ключевое слово", "東京 都", "a b c", "", "x" * 300]
    reference = MinHash(num_perm=num_perm)
    reference.update_batch([g.encode("utf-8") for g in grams])
    ours = signature(sha1_hashes32([g.encode("utf-8") for g in grams]), num_perm)
    assert ours.tolist() == reference.hashvalues.tolist()


@pytest.mark.parametrize("text", [
    "", "one", "one two", "one two three", "Élan, vital! élan VITAL — 東京 都 ключевое слово",
    "a b a b a b a b", "  spaced\n\n out\ttext, with: punctuation... and 12 numbers 12  "])
@pytest.mark.parametrize("size", [1, 3, 5])
def test_shingle_bytes_are_the_encoded_shingles(text: str, size: int) -> None:
    assert shingle_bytes(text, size) == {g.encode("utf-8") for g in shingles(text, size)}


@pytest.mark.parametrize("seed_file", sorted(SEEDS.glob("0*.txt")), ids=lambda p: p.name[:3])
def test_seed_shingle_bytes_are_the_encoded_shingles(seed_file: Path) -> None:
    text = seed_file.read_text(encoding="utf-8")
    assert shingle_bytes(text, 3) == {g.encode("utf-8") for g in shingles(text, 3)}


def test_short_text_has_no_signature() -> None:
    assert minhash("Too short to compare.", DedupConfig()) is None


@pytest.mark.parametrize("num_perm", [32, 128, 256])
def test_lsh_params_are_datasketch_s(num_perm: int) -> None:
    """The optimal (bands, rows) for thresholds from 0.05 to 0.95, as MinHashLSH picks them."""
    for step in range(1, 20):
        threshold = step / 20
        assert lsh_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_stations_start_without_datasketch_scipy_or_dateparser() -> None:
    """The stations start without datasketch (whose package imports scipy); dateparser is
    imported when a date has to be read from text."""
    code = ("import sys, monitor.stations.dedup, monitor.stations.extraction, "
            "monitor.stations.facts, monitor.crawl.pipelines; "
            "print(sorted(m for m in ('datasketch', 'scipy', 'dateparser') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "[]"
