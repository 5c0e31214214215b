"""Numbers in digits and in words, read through the language profiles."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import seed_path

from monitor.stations.extraction import SEED_MARKER
from monitor.stations.numbers import NumberMention, find_numbers
from monitor.stations.profiles import load_profile


def values(text: str, code: str) -> list[int]:
    """The values found in `text` read in language `code`."""
    return [m.value for m in find_numbers(text, load_profile(code))]


def seed_text(prefix: str) -> str:
    """A seed document without its date marker."""
    return SEED_MARKER.sub("", seed_path(prefix).read_text(encoding="utf-8"), count=1)


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("en", "Three minors recovered", 3),
    ("en", "twenty-four children", 24),
    ("en", "Twenty four children", 24),
    ("en", "one hundred and five", 105),
    ("en", "two dozen", 24),
    ("en", "a hundred officers", 100),
    ("en", "two thousand five hundred", 2500),
    ("fr", "Trois mineurs ont été récupérés", 3),
    ("fr", "vingt-quatre enfants", 24),
    ("fr", "soixante-dix-huit mineurs", 78),
    ("fr", "quatre-vingt-onze", 91),
    ("fr", "quatre-vingts", 80),
    ("fr", "vingt et un", 21),
    ("fr", "dix-sept", 17),
    ("fr", "deux cent vingt", 220),
    ("es", "veinticuatro niños", 24),
    ("es", "treinta y cuatro menores", 34),
    ("es", "doscientos cincuenta y cinco", 255),
    ("es", "mil quinientos", 1500),
    ("pt", "vinte e quatro crianças", 24),
    ("pt", "cento e cinco", 105),
    ("pt", "Dezoito menores", 18),
    ("de", "vierundzwanzig Kinder", 24),
    ("de", "Einundzwanzig", 21),
    ("de", "zweihundertfünfzig", 250),
    ("de", "dreitausendzweihundert", 3200),
    ("it", "ventiquattro bambini", 24),
    ("it", "ventotto minori", 28),
    ("it", "trentatré", 33),
    ("it", "centoventotto", 128),
    ("it", "duemilaventi", 2020),
])
def test_number_words(code: str, text: str, expected: int) -> None:
    assert values(text, code)[0] == expected


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("en", "3,645 reports", [3645]),
    ("en", "12,114 cases and 1,067 active", [12114, 1067]),
    ("en", "36.2 million reports", [36200000]),
    ("en", "19% of these children", [19]),
    ("fr", "80 000 enfants", [80000]),
    ("fr", "1,5 million", [1500000]),
    ("de", "1.234 Fälle", [1234]),
    ("es", "1.234 casos", [1234]),
    ("it", "1.234 casi", [1234]),
    ("pt", "2 milhões", [2000000]),
])
def test_digits_follow_the_profile_separators(code: str, text: str, expected: list[int]) -> None:
    assert values(text, code) == expected


def test_separators_differ_by_language() -> None:
    assert values("1.234", "de") == [1234]
    assert values("1.234", "en") == []  # a decimal in English, not a whole number


@pytest.mark.parametrize("text", [
    "call 1-800-843-5678", "888-373-7888", "on 2021-07-21", "am 21.07.2021", "07/21/2021",
    "at 10:30", "the 34th Judicial District", "le 1er mai",
])
def test_dates_phones_and_digit_ordinals_are_not_numbers(text: str) -> None:
    assert values(text, "en") == []


def test_age_range_keeps_both_ends() -> None:
    assert values("aged 5-18", "en") == [5, 18]


def test_unrelated_numbers_stay_apart() -> None:
    assert values("three and four", "en") == [3, 4]
    assert values("tres y cuatro", "es") == [3, 4]
    assert values("fifteen two", "en") == [15, 2]


def test_word_in_word_is_not_a_number() -> None:
    assert values("Einsatz Achtung", "de") == []
    assert values("settembre novembre ottobre", "it") == []
    assert values("someone", "en") == []
    assert values("anyone, onerous sevens eightfold", "en") == []
    assert values("Someone saw Twenty-One (or ONE) boys", "en") == [21, 1]


def test_words_are_read_in_any_case_and_script_width() -> None:
    # "İ" lower-cases to two characters: positions then come from the text itself
    text = "İstanbul: Twenty-One children and twenty-four others"
    assert [(m.value, m.text) for m in find_numbers(text, load_profile("en"))] == [
        (21, "Twenty-One"), (24, "twenty-four")]
    assert values("Doscientos niños y DOS adultos", "es") == [200, 2]


def test_mention_span_and_text() -> None:
    text = "Of the children, twenty-four were found."
    (mention,) = find_numbers(text, load_profile("en"))
    assert mention == NumberMention(24, 17, 28, "twenty-four")
    assert text[mention.start:mention.end] == mention.text
    with pytest.raises(dataclasses.FrozenInstanceError):
        mention.value = 3  # type: ignore[misc]


def test_neutral_profile_reads_digits_only() -> None:
    assert values("78 missing, 3,645 and 1.234; twenty", "xx") == [78, 3645, 1234]


def test_seed_000_counts() -> None:
    found = values(seed_text("000"), "en")
    for expected in (78, 3, 75, 2, 5, 18, 80, 31, 30):
        assert expected in found
    assert 347 not in found and 2423 not in found  # (866) 347-2423 is a phone number


def test_seed_002_counts_in_french() -> None:
    mentions = find_numbers(seed_text("002"), load_profile("fr"))
    by_text = {m.text: m.value for m in mentions}
    assert by_text["Trois"] == 3
    assert by_text["Deux"] == 2
    assert {78, 75, 80, 5, 18} <= {m.value for m in mentions}


def test_seed_001_skips_phone_numbers() -> None:
    found = values(seed_text("001"), "en")
    assert found.count(24) >= 3
    assert 5678 not in found and 7888 not in found and 34 not in found


def test_seed_004_grouped_statistics() -> None:
    found = values(seed_text("004"), "en")
    assert {3645, 27130, 28886, 22442, 132, 92, 37, 5759} <= set(found)
