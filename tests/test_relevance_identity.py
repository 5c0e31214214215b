"""The term gates only skip scans that would find nothing: every pattern match is admitted."""

from __future__ import annotations

import pytest
from conftest import ROOT

from monitor.stations.profiles import available, load_profile
from monitor.stations.relevance import TermGate, fold, vocabulary

TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))] + [
    p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "tests" / "fixtures" / "relevance").glob("*.txt"))]


@pytest.mark.parametrize("code", [*available(), "xx"])
def test_gate_admits_every_text_with_a_match(code: str) -> None:
    vocab = vocabulary(load_profile(code))
    for text in TEXTS:
        folded = fold(text)
        for group, pattern in vocab.patterns.items():
            if pattern is None:
                continue
            for match in pattern.finditer(folded):
                assert vocab.may_occur(group, folded[match.start():match.end()]), group
            if pattern.search(folded):
                assert vocab.may_occur(group, folded), group


def test_gate_of_a_bare_star_is_open() -> None:
    assert TermGate(["*", "foo"]).admits("bar")


@pytest.mark.parametrize("many", [False, True])
def test_gate_rejects_text_without_terms(many: bool) -> None:
    terms = ["task force", "exploit*", "sweep"] + ([f"w{i}x" for i in range(30)] if many else [])
    gate = TermGate(terms)
    assert (gate.scan is not None) == many
    assert not gate.admits("a quiet forecast for the weekend")
    assert gate.admits("the task  force met") and gate.admits("exploitation")
