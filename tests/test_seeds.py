"""The seeds are copied byte for byte from ../shared/seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

SHARED = ROOT.parent / "shared" / "seeds"


def test_five_seed_documents() -> None:
    assert len(list(SEEDS.glob("*.txt"))) == 5


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/seeds is not beside this checkout")
@pytest.mark.parametrize("shared", sorted(SHARED.glob("*.txt")) if SHARED.exists() else [],
                         ids=lambda p: Path(p).name)
def test_seed_is_byte_identical(shared: Path) -> None:
    assert (SEEDS / shared.name).read_bytes() == shared.read_bytes()
