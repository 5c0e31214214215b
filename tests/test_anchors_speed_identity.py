"""The shortcuts of anchor and number extraction give what the plain readings give."""

from __future__ import annotations

import dataclasses

import pytest

from monitor.stations import numbers
from monitor.stations.dedup.anchors import WORD, LowerWords
from monitor.stations.profiles import load_profile

TEXTS = [
    "The man said the iPhone was the best. Iphone users and THE others: the end.",
    "Naval'nogo met navalny; Jean-Paul and jean-paul ate. ’s-Hertogenbosch o'neil O'Neil",
    "İstanbul istanbul İSTANBUL said the mayor. Said he.",
    "ΟΔΟΣ οδος ΟΔΟΣ.Α οδοσ said Σοφία σοφία.",
    "a-'b x'y'z ab--cd Theatre theatre-goers the-atre atheatre",
]


@pytest.mark.parametrize("text", TEXTS)
def test_lower_words_lookup_matches_collected_set(text: str) -> None:
    """Looking a word up gives what collecting every lower-case word gives."""
    collected = {w.lower() for w in WORD.findall(text) if w[0].islower()}
    lookup = LowerWords(text)
    for word in {w.lower() for w in WORD.findall(text)} | {"the", "he", "atre", "x"}:
        assert (word in lookup) == (word in collected), word


NUMBER_TEXTS = {
    "de": ["Vierundzwanzig Kinder und zweihundertfünfzig Erwachsene, einundzwanzig Tausend. "
           "Der Verein hat drei Millionen Euro, 2 Millionen mehr; eine Einheit, einige Einsätze.",
           "Zwölf oder zwoelf; hundert-fünf und fünfundneunzig - dutzend Dutzende İ acht."],
    "it": ["Ventotto bambini e trentadue adulti, cento e cinque, tre milioni; ventitré."],
}


@pytest.mark.parametrize(("code", "text"), [(c, t) for c, ts in NUMBER_TEXTS.items()
                                            for t in ts])
def test_compound_openers_match_token_reading(code: str, text: str) -> None:
    """Reading numbers from the openers' regex gives what reading every token gives."""
    profile = load_profile(code)
    fast = numbers._word_numbers(text, profile)
    lexicon = numbers._lexicon(profile)
    key = id(profile)
    numbers._LEXICONS[key] = (profile, dataclasses.replace(lexicon, opener_search=None))
    try:
        plain = numbers._word_numbers(text, profile)
    finally:
        numbers._LEXICONS[key] = (profile, lexicon)
    assert fast == plain
    assert fast
