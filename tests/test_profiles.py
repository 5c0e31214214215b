"""Language profiles: one YAML file per language, all with the same shape."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from monitor.stations.profiles import NEUTRAL, PROFILE_DIR, YAML_LOADER, available, load_profile

LANGUAGES = ["ar", "de", "el", "en", "es", "fr", "hi", "id", "it", "ja", "nl", "pl", "pt", "ro",
             "ru", "sl", "sw", "tl", "tr", "uk", "zh"]
TERM_GROUPS = ["operation", "child", "recovered", "located", "rescued", "found", "missing",
               "lookalike", "count_blockers", "approximate", "arrest", "people", "agency_heads",
               "name_connectors", "place_connectors", "place_prepositions", "place_articles",
               "place_nouns", "start_cues", "end_cues"]


def test_twenty_languages_have_profiles() -> None:
    assert set(LANGUAGES) <= set(available())


@pytest.mark.parametrize("code", LANGUAGES)
def test_profile_has_the_common_keys(code: str) -> None:
    profile = load_profile(code)
    assert profile.code == code and profile.name
    assert set(TERM_GROUPS) <= set(profile.terms), set(TERM_GROUPS) - set(profile.terms)
    for group in ("operation", "child", "recovered", "located", "rescued", "missing",
                  "lookalike", "arrest"):
        assert profile.terms[group], group
    assert profile.data["operation_names"]["heads"]
    assert profile.data["patterns"]["age_range"] and profile.data["patterns"]["duration"]
    assert profile.data["duration_units"]


# num2words has no Greek, Hindi, Swahili, Tagalog or Chinese cardinals: those profiles type
# a few words of their own; CLDR writes Chinese and Japanese months with digits (3月).
SPELLED_NUMBERS = [c for c in LANGUAGES if c not in ("el", "hi", "sw", "tl", "zh")]
WORD_MONTHS = [c for c in LANGUAGES if c not in ("ja", "zh")]


@pytest.mark.parametrize("code", SPELLED_NUMBERS)
def test_number_words_cover_units_teens_and_tens(code: str) -> None:
    values = set(load_profile(code).number_words.values())
    assert set(range(1, 17)) | {20} <= values  # French builds 17-19 as dix-sept ...
    assert {30, 40, 50, 60, 70, 80, 90, 100, 1000} <= values


@pytest.mark.parametrize("code", WORD_MONTHS)
def test_months_have_names_and_abbreviations(code: str) -> None:
    months = load_profile(code).months
    assert set(months.values()) == set(range(1, 13))
    assert sum(1 for name in months if len(name) <= 4) >= 8  # jan, feb, mar, ... abbreviations


@pytest.mark.parametrize(("code", "word", "month"), [
    ("en", "sept", 9), ("en", "dec", 12), ("fr", "févr", 2), ("fr", "août", 8),
    ("es", "dic", 12), ("es", "setiembre", 9), ("pt", "out", 10), ("pt", "março", 3),
    ("de", "märz", 3), ("de", "okt", 10), ("it", "giu", 6), ("it", "dicembre", 12),
])
def test_month_lookup(code: str, word: str, month: int) -> None:
    assert load_profile(code).months[word] == month


@pytest.mark.parametrize("code", LANGUAGES)
def test_patterns_compile(code: str) -> None:
    for patterns in load_profile(code).data["patterns"].values():
        for pattern in patterns:
            re.compile(pattern)


def test_number_syntax_is_read_from_the_file() -> None:
    assert load_profile("en").decimal_separator == "."
    assert "," in load_profile("en").thousands_separators
    assert load_profile("de").decimal_separator == ","
    assert load_profile("de").number_compounds and load_profile("it").number_compounds
    assert "y" in load_profile("es").number_joiners
    assert 60 in load_profile("fr").number_teens_after


def test_unknown_language_gets_the_neutral_profile() -> None:
    profile = load_profile("xx")
    assert profile.code == NEUTRAL
    assert not profile.number_words and not profile.terms


def test_profile_files_are_the_only_language_switch() -> None:
    """No station branches on a language code: language knowledge stays in the YAML files."""
    for module in ("numbers.py", "relevance.py", "facts.py"):
        source = (PROFILE_DIR.parent / module).read_text(encoding="utf-8")
        assert not re.search(r"""==\s*["'](?:en|fr|es|pt|de|it)["']""", source), module


@pytest.mark.parametrize("code", LANGUAGES)
def test_terms_are_strings(code: str) -> None:
    """Unquoted YAML words such as `no` or `on` turn into booleans: quote them."""
    for group, words in load_profile(code).terms.items():
        assert all(isinstance(w, str) for w in words), group


def _typed(value: Any) -> Any:
    """The value with every type and key order spelled out, so 1, True and "1" differ."""
    if isinstance(value, dict):
        return "dict", [(_typed(k), _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return "list", [_typed(v) for v in value]
    return type(value).__name__, repr(value)


@pytest.mark.parametrize("code", available())
def test_fast_yaml_loader_reads_what_safe_load_reads(code: str) -> None:
    text = (PROFILE_DIR / f"{code}.yml").read_text(encoding="utf-8")
    assert YAML_LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert _typed(yaml.load(text, Loader=YAML_LOADER)) == _typed(yaml.safe_load(text))


def test_languages_without_a_file_share_the_neutral_profile() -> None:
    """One neutral profile object, whatever the code: results kept for it apply to all."""
    from monitor.stations.profiles import NEUTRAL, load_profile
    assert load_profile("xx") is load_profile("qq") is load_profile(NEUTRAL)
    assert load_profile("xx").code == NEUTRAL


@pytest.mark.parametrize(("code", "word", "value"), [
    ("nl", "vierentwintig", 24), ("pl", "dwadzieścia cztery", 24), ("ru", "семьдесят восемь", 78),
    ("tr", "yirmi", 20), ("id", "dua puluh empat", 24), ("ro", "douăzeci și patru", 24),
])
def test_number_words_are_generated_by_num2words(code: str, word: str, value: int) -> None:
    assert load_profile(code).number_words[word] == value


@pytest.mark.parametrize(("code", "word", "month"), [
    ("nl", "maart", 3), ("ru", "июля", 7), ("uk", "листопада", 11), ("el", "ιουλίου", 7),
    ("tr", "kasım", 11), ("id", "agustus", 8), ("tl", "hulyo", 7),
])
def test_month_names_come_from_cldr(code: str, word: str, month: int) -> None:
    assert load_profile(code).months[word] == month
